//===- Preemption.h - loops let other simulated threads run -----*- C++ -*-===//
#ifndef KITE_BACKENDS_NVPTX_SIM_PREEMPTION_H
#define KITE_BACKENDS_NVPTX_SIM_PREEMPTION_H

#include "llvm/IR/Function.h"

namespace kite::sim {

/// Calls kite_sim_backedge on every loop back edge of `function`
/// (Preemption.cpp).
void addPreemptionPoints(llvm::Function &function);

} // namespace kite::sim

#endif // KITE_BACKENDS_NVPTX_SIM_PREEMPTION_H
