//===- FloatConversionsToNVVM.h - cvt_pack/cvt_unpack to PTX cvt -*- C++ -*-===//
#ifndef KITE_BACKENDS_NVPTX_EMITTER_FLOATCONVERSIONSTONVVM_H
#define KITE_BACKENDS_NVPTX_EMITTER_FLOATCONVERSIONSTONVVM_H

namespace mlir {
class LLVMTypeConverter;
class RewritePatternSet;

namespace kitenvptx {
/// kitethread.cvt_pack as NVVM's llvm.nvvm.ff.to.{e4m3x2,e5m2x2}.rn (PTX
/// cvt.rn.satfinite.{e4m3x2,e5m2x2}.f32) and llvm.nvvm.ff2bf16x2.rn
/// (cvt.rn.bf16x2.f32); kitethread.cvt_unpack as
/// llvm.nvvm.{e4m3x2,e5m2x2}.to.f16x2.rn (cvt.rn.f16x2.{e4m3x2,e5m2x2}).
void populateFloatConversionsToNVVMPatterns(LLVMTypeConverter &converter,
                                            RewritePatternSet &patterns);
} // namespace kitenvptx
} // namespace mlir

#endif // KITE_BACKENDS_NVPTX_EMITTER_FLOATCONVERSIONSTONVVM_H
