//===- SimInstrument.h - counting what a kernel's own IR executes -*- C++
//-*-===//
//
// The counters of SimCounters.h that the runtime cannot see: the loads,
// stores, atomics and arithmetic that a kernel's LLVM IR does itself (what
// inline PTX, shuffles, barriers and tensor-core instructions do, the
// runtime counts where it executes them). docs/cuda-sim.md, "Counters",
// says exactly what is counted.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_BACKENDS_NVPTX_SIM_SIMINSTRUMENT_H
#define KITE_BACKENDS_NVPTX_SIM_SIMINSTRUMENT_H

#include "llvm/IR/Function.h"

#include <map>
#include <string>

namespace kite::sim {

/// Makes `function` add what each of its basic blocks executes to the
/// running thread's counters. Runs on the NVPTX IR before the rest of the
/// host rewrite, so that only the kernel's own instructions are counted;
/// host functions the inserted code calls are added to `symbols`.
void instrumentCounters(llvm::Function &function,
                        std::map<std::string, void *> &symbols);

} // namespace kite::sim

#endif // KITE_BACKENDS_NVPTX_SIM_SIMINSTRUMENT_H
