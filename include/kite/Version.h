//===- Version.h - which Kite this is ---------------------------*- C++ -*-===//
#ifndef KITE_VERSION_H
#define KITE_VERSION_H

#include "kite/Export.h"

#include <string>

namespace kite {

/// The release version, e.g. "0.1.0".
KITE_API std::string version();

/// A stable identifier of this build of libkite: a hash of the library file
/// and of the LLVM version it was built against. Part of the JIT cache key,
/// so a rebuilt compiler never reuses another build's binaries.
KITE_API std::string buildId();

} // namespace kite

#endif // KITE_VERSION_H
