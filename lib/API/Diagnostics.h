//===- Diagnostics.h - MLIR diagnostics as kite::Diagnostic -----*- C++ -*-===//
#ifndef KITE_LIB_API_DIAGNOSTICS_H
#define KITE_LIB_API_DIAGNOSTICS_H

#include "kite/Compiler.h"

#include "mlir/IR/Diagnostics.h"

namespace mlir::kite {

/// While alive, records every diagnostic of `context` (and its notes) into
/// `out`, resolving each location to a file, line and column. Nothing reaches
/// stderr.
class DiagnosticCollector {
public:
  DiagnosticCollector(MLIRContext &context,
                      std::vector<::kite::Diagnostic> &out);

  bool hasErrors() const;

  /// Records an error that has no source position.
  void addError(std::string message);

  /// Whether an error points at a position in the user's source (not in
  /// the IR's own buffer).
  bool hasLocatedErrors() const;

  /// Whether `loc` resolves to a position in the user's source.
  static bool pointsAtUserSource(Location loc);

  /// Records a diagnostic at `loc` ("error" or "note"), before all others
  /// if `first`.
  void add(Location loc, const char *severity, std::string message,
           bool first = false);

private:
  void record(Diagnostic &diagnostic);

  std::vector<::kite::Diagnostic> &out;
  ScopedDiagnosticHandler handler;
};

} // namespace mlir::kite

#endif // KITE_LIB_API_DIAGNOSTICS_H
