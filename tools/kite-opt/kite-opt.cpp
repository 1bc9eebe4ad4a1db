//===- kite-opt.cpp - run kite passes on .mlir files ----------------------===//
//
// mlir-opt with the kite dialect, Kite's passes, the upstream dialects and
// passes its stages use, and `--kite-pipeline` (the `kite` stage). The
// driver lives in libkite (kite::optMain, include/kite/Opt.h), which the
// Python package's `kite-opt` command calls too.
//
//===----------------------------------------------------------------------===//
#include "kite/Opt.h"

int main(int argc, char **argv) { return kite::optMain(argc, argv); }
