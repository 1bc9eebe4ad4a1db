//===- Bindings.h - the parts of the module kite._C -------------*- C++ -*-===//
#ifndef KITE_PYTHON_SRC_BINDINGS_H
#define KITE_PYTHON_SRC_BINDINGS_H

#include <pybind11/pybind11.h>

namespace kite::python {

/// Devices, buffers, kernels, launches (include/kite/Device.h).
void bindDevice(pybind11::module_ &m);
/// The JIT cache and its keys (include/kite/Cache.h).
void bindCache(pybind11::module_ &m);
/// The launch fast path: PackedLauncher (FastLaunch.cpp, after bindDevice),
/// LaunchBinder and GridLaunch (FastLaunchBinder.cpp).
void bindPackedLauncher(pybind11::module_ &m);
void bindLaunchBinder(pybind11::module_ &m);

} // namespace kite::python

#endif // KITE_PYTHON_SRC_BINDINGS_H
