//===- Export.h - symbol visibility of the public API -----------*- C++ -*-===//
#ifndef KITE_EXPORT_H
#define KITE_EXPORT_H

// libkite is built with hidden visibility; only what is marked KITE_API is
// exported, so LLVM's and MLIR's symbols never leak to users of libkite.
#if defined(_WIN32)
#define KITE_API __declspec(dllexport)
#else
#define KITE_API __attribute__((visibility("default")))
#endif

#endif // KITE_EXPORT_H
