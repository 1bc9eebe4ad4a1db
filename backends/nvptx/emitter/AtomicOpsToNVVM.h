//===- AtomicOpsToNVVM.h - kitethread atomics to PTX atom -------*- C++ -*-===//
#ifndef KITE_BACKENDS_NVPTX_EMITTER_ATOMICOPSTONVVM_H
#define KITE_BACKENDS_NVPTX_EMITTER_ATOMICOPSTONVVM_H

namespace mlir {
class LLVMTypeConverter;
class RewritePatternSet;

namespace kitenvptx {
/// kitethread.atomic_rmw and atomic_cas (unmasked) for `smVersion` (70 for
/// sm_70), ordered as their `sem` and `scope` say.
void populateAtomicOpsToNVVMPatterns(LLVMTypeConverter &converter,
                                     unsigned smVersion,
                                     RewritePatternSet &patterns);
} // namespace kitenvptx
} // namespace mlir

#endif // KITE_BACKENDS_NVPTX_EMITTER_ATOMICOPSTONVVM_H
