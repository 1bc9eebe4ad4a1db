//===- HostRetarget.h - an NVPTX module made to run on the host -*- C++ -*-===//
//
// Takes the optimized LLVM module the NVPTX backend would compile and
// rewrites what only a GPU has, so that the host's backend can compile it
// and the simulator run each thread of it on a fiber:
//
// - the target becomes the host's; address spaces stay (the host treats
//   them all as its one flat space), and each shared-memory variable
//   becomes an offset into the running CTA's block (kite_sim_shared_base);
// - special registers, barriers and warp-synchronous intrinsics become
//   calls of the runtime (SimRuntime.cpp); NVVM arithmetic becomes the host
//   functions of NvvmMath.cpp; inline PTX becomes a parsed program that
//   InlinePtx.cpp executes (an instruction it does not know fails the launch
//   that reaches it, naming the instruction);
// - operations whose PTX meaning differs from LLVM's on the host get PTX's:
//   integer division by zero (no trap), shifts by the width or more, and
//   float-to-integer conversions (saturating, NaN to 0);
// - atomics end with a yield, so that a thread spinning on a lock lets the
//   holder run;
// - a wrapper `kite_sim_entry(void **params)` calls the kernel with its
//   parameters read from the driver-style parameter array.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_BACKENDS_NVPTX_SIM_HOSTRETARGET_H
#define KITE_BACKENDS_NVPTX_SIM_HOSTRETARGET_H

#include "backends/nvptx/sim/InlinePtx.h"

#include "llvm/IR/Module.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kite::sim {

inline constexpr const char *kEntrySymbol = "kite_sim_entry";

struct RetargetResult {
  std::string kernelName;
  std::vector<unsigned> paramBytes; ///< Each kernel parameter's size.
  uint64_t staticSharedBytes = 0;   ///< Shared variables with a size.
  /// The inline PTX programs the module's calls point at (owned here).
  std::vector<std::unique_ptr<AsmProgram>> programs;
  /// Host functions the rewritten module calls by name, beyond the runtime.
  std::map<std::string, void *> symbols;
};

/// Rewrites `module` (one kernel: `entryPoint`, or the only one) for the host
/// `layout`/`triple`; an error message on failure, else "".
/// `smVersion` (80 for sm_80) answers libdevice's
/// __nvvm_reflect("__CUDA_ARCH").
std::string retargetToHost(llvm::Module &module, const std::string &entryPoint,
                           const llvm::DataLayout &layout,
                           const llvm::Triple &triple, unsigned smVersion,
                           RetargetResult &result);

} // namespace kite::sim

#endif // KITE_BACKENDS_NVPTX_SIM_HOSTRETARGET_H
