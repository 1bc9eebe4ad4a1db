//===- AsyncCopiesToNVVM.h - kitethread async copies to cp.async -*- C++ -*-===//
#ifndef KITE_BACKENDS_NVPTX_EMITTER_ASYNCCOPIESTONVVM_H
#define KITE_BACKENDS_NVPTX_EMITTER_ASYNCCOPIESTONVVM_H

namespace mlir {
class LLVMTypeConverter;
class RewritePatternSet;

namespace kitenvptx {
/// kitethread.async_copy, async_commit_group and async_wait_group as PTX
/// cp.async (cg for 16 bytes, ca otherwise; a mask becomes a source size of
/// zero), cp.async.commit_group and cp.async.wait_group.
void populateAsyncCopiesToNVVMPatterns(LLVMTypeConverter &converter,
                                       RewritePatternSet &patterns);
} // namespace kitenvptx
} // namespace mlir

#endif // KITE_BACKENDS_NVPTX_EMITTER_ASYNCCOPIESTONVVM_H
