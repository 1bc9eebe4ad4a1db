//===- TmaToNVVM.h - kitethread TMA copies and mbarriers to NVVM -*- C++ -*-===//
#ifndef KITE_BACKENDS_NVPTX_EMITTER_TMATONVVM_H
#define KITE_BACKENDS_NVPTX_EMITTER_TMATONVVM_H

namespace mlir {
class LLVMTypeConverter;
class RewritePatternSet;

namespace kitenvptx {
/// kitethread.tma_load as cp.async.bulk.tensor (global to shared, tile mode,
/// completing on an mbarrier), tma_store (shared to global, in bulk groups:
/// bulk_commit_group, bulk_wait_group_read), and mbarrier_init, mbarrier_inval,
/// mbarrier_arrive_expect_tx and mbarrier_try_wait as PTX's mbarrier
/// instructions on shared::cta.
void populateTmaToNVVMPatterns(LLVMTypeConverter &converter,
                               RewritePatternSet &patterns);
} // namespace kitenvptx
} // namespace mlir

#endif // KITE_BACKENDS_NVPTX_EMITTER_TMATONVVM_H
