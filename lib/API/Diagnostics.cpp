//===- Diagnostics.cpp - MLIR diagnostics as kite::Diagnostic -------------===//
#include "lib/API/Diagnostics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"

#include <optional>

using namespace mlir;
using namespace mlir::kite;

/// The first file position found in `loc`: through names, the callee (then
/// the caller) of an inlined call site, and each part of a fused location.
static std::optional<FileLineColRange> findFilePosition(Location loc) {
  if (auto file = dyn_cast<FileLineColRange>(loc))
    return file;
  if (auto name = dyn_cast<NameLoc>(loc))
    return findFilePosition(name.getChildLoc());
  if (auto callSite = dyn_cast<CallSiteLoc>(loc)) {
    if (auto callee = findFilePosition(callSite.getCallee()))
      return callee;
    return findFilePosition(callSite.getCaller());
  }
  if (auto fused = dyn_cast<FusedLoc>(loc)) {
    for (Location part : fused.getLocations())
      if (auto file = findFilePosition(part))
        return file;
    return std::nullopt;
  }
  if (auto opaque = dyn_cast<OpaqueLoc>(loc))
    return findFilePosition(opaque.getFallbackLocation());
  return std::nullopt;
}

static const char *severityName(DiagnosticSeverity severity) {
  switch (severity) {
  case DiagnosticSeverity::Error:
    return "error";
  case DiagnosticSeverity::Warning:
    return "warning";
  case DiagnosticSeverity::Note:
    return "note";
  case DiagnosticSeverity::Remark:
    return "remark";
  }
  return "error";
}

static ::kite::Diagnostic convert(Diagnostic &diagnostic) {
  ::kite::Diagnostic result;
  result.severity = severityName(diagnostic.getSeverity());
  result.message = diagnostic.str();
  if (auto file = findFilePosition(diagnostic.getLocation())) {
    result.file = file->getFilename().str();
    result.line = static_cast<int>(file->getStartLine());
    result.column = static_cast<int>(file->getStartColumn());
  }
  return result;
}

DiagnosticCollector::DiagnosticCollector(MLIRContext &context,
                                         std::vector<::kite::Diagnostic> &out)
    : out(out), handler(&context, [this](Diagnostic &diagnostic) {
        record(diagnostic);
        return success();
      }) {}

void DiagnosticCollector::record(Diagnostic &diagnostic) {
  out.push_back(convert(diagnostic));
  for (Diagnostic &note : diagnostic.getNotes())
    out.push_back(convert(note));
}

bool DiagnosticCollector::hasErrors() const {
  for (const ::kite::Diagnostic &diagnostic : out)
    if (diagnostic.severity == "error")
      return true;
  return false;
}

void DiagnosticCollector::addError(std::string message) {
  ::kite::Diagnostic diagnostic;
  diagnostic.severity = "error";
  diagnostic.message = std::move(message);
  out.push_back(std::move(diagnostic));
}

bool DiagnosticCollector::hasLocatedErrors() const {
  for (const ::kite::Diagnostic &diagnostic : out)
    if (diagnostic.severity == "error" && !diagnostic.file.empty() &&
        diagnostic.file != ::kite::kIRBufferName)
      return true;
  return false;
}

void DiagnosticCollector::add(Location loc, const char *severity,
                              std::string message, bool first) {
  ::kite::Diagnostic diagnostic;
  diagnostic.severity = severity;
  diagnostic.message = std::move(message);
  if (auto file = findFilePosition(loc)) {
    diagnostic.file = file->getFilename().str();
    diagnostic.line = static_cast<int>(file->getStartLine());
    diagnostic.column = static_cast<int>(file->getStartColumn());
  }
  out.insert(first ? out.begin() : out.end(), std::move(diagnostic));
}

bool DiagnosticCollector::pointsAtUserSource(Location loc) {
  std::optional<FileLineColRange> file = findFilePosition(loc);
  return file && file->getFilename() != ::kite::kIRBufferName;
}
