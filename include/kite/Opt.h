//===- Opt.h - kite-opt's driver, in libkite --------------------*- C++ -*-===//
//
// Part of Kite's public C++ API. The driver of kite-opt (mlir-opt with the
// kite dialects, Kite's passes and the upstream ones its stages use, and
// `--kite-pipeline`), so that a libkite with LLVM linked in statically (a
// wheel) can offer kite-opt without LLVM on the machine: the `kite-opt`
// executable and the Python package's `kite-opt` command both call it.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_OPT_H
#define KITE_OPT_H

#include "kite/Export.h"

namespace kite {

/// Runs kite-opt with these command-line arguments (argv[0] is the program
/// name); returns its exit status. It parses LLVM's command-line options, so
/// call it once per process, as a program's main does.
KITE_API int optMain(int argc, char **argv);

} // namespace kite

#endif // KITE_OPT_H
