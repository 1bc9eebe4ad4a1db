//===- JitLoad.h - a compiled kernel's pipeline on its device ---*- C++ -*-===//
#ifndef KITE_LIB_API_JITLOAD_H
#define KITE_LIB_API_JITLOAD_H

#include "kite/Jit.h"

namespace kite::detail {

/// `kernel` loaded on `device`. The device keeps loaded kernels by their
/// spec, so loading again (at each launch) reuses the pipeline.
Result<Kernel> loadCompiled(const Device &device, const CompiledKernel &kernel);

} // namespace kite::detail

#endif // KITE_LIB_API_JITLOAD_H
