//===- SimDevice.h - cuda-sim: NVIDIA kernels run on the host ---*- C++ -*-===//
//
// A kite::Device whose kernels are the LLVM IR Kite (or Triton) hands the
// NVPTX backend (KernelFormat::LlvmIr), retargeted to the host
// (HostRetarget.cpp), compiled with LLVM's ORC JIT and run thread by thread
// on fibers (SimScheduler.cpp). Named "cuda-sim:sm_80", "cuda-sim:sm_90",
// ...: the architecture it simulates (limits, what the frontend compiles
// for); "cuda-sim" is cuda-sim:sm_80. Memory is host memory with guard pages
// (SimFaults.cpp); launches run to completion before launch() returns, and
// a failing launch (a fault, a trap, an assert, a deadlock, an instruction
// the simulator lacks) returns its error there.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_BACKENDS_NVPTX_SIM_SIMDEVICE_H
#define KITE_BACKENDS_NVPTX_SIM_SIMDEVICE_H

#include "lib/Runtime/DeviceImpl.h"

#include <memory>
#include <string>
#include <vector>

namespace kite::sim {

/// The architectures listDevices() offers, the default first.
const std::vector<std::string> &simulatedArchitectures();

/// Properties of cuda-sim for `arch` ("sm_80").
DeviceProperties simDeviceProperties(const std::string &arch);

/// Opens cuda-sim for `arch`; an error for an architecture it cannot
/// simulate.
Result<std::shared_ptr<detail::DeviceImpl>>
openSimDevice(const std::string &arch);

} // namespace kite::sim

#endif // KITE_BACKENDS_NVPTX_SIM_SIMDEVICE_H
