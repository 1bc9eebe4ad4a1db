//===- MmaToNVVM.h - kitethread.mma_sync to PTX mma.sync --------*- C++ -*-===//
#ifndef KITE_BACKENDS_NVPTX_EMITTER_MMATONVVM_H
#define KITE_BACKENDS_NVPTX_EMITTER_MMATONVVM_H

namespace mlir {
class LLVMTypeConverter;
class RewritePatternSet;

namespace kitenvptx {
/// kitethread.mma_sync as inline PTX `mma.sync.aligned.m16n8k16.row.col`.
void populateMmaToNVVMPatterns(LLVMTypeConverter &converter,
                               RewritePatternSet &patterns);
} // namespace kitenvptx
} // namespace mlir

#endif // KITE_BACKENDS_NVPTX_EMITTER_MMATONVVM_H
