//===- DebugOpsToNVVM.h - kitethread.print/assert to CUDA calls -*- C++ -*-===//
#ifndef KITE_BACKENDS_NVPTX_EMITTER_DEBUGOPSTONVVM_H
#define KITE_BACKENDS_NVPTX_EMITTER_DEBUGOPSTONVVM_H

namespace mlir {
class LLVMTypeConverter;
class RewritePatternSet;

namespace kitenvptx {
/// kitethread.print -> vprintf and kitethread.assert -> __assertfail, the
/// device-side functions of the CUDA runtime ABI that the driver links.
void populateDebugOpsToNVVMPatterns(LLVMTypeConverter &converter,
                                    RewritePatternSet &patterns);
} // namespace kitenvptx
} // namespace mlir

#endif // KITE_BACKENDS_NVPTX_EMITTER_DEBUGOPSTONVVM_H
