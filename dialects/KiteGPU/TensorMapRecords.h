//===- TensorMapRecords.h - the boxes a kernel reads tensor maps in -*- C++ -*-===//
//
// A host descriptor's tensor map is encoded at launch for one box shape
// and swizzle (runtime/tensor_maps.py): the passes that copy with TMA
// record, on the kernel, the box each map argument is read or written in
// (`kite.tensor_maps = "arg:rowsxcolumns:swizzle,..."`), and leave a copy
// whose box would contradict the record to cp.async or pointers.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_DIALECTS_KITEGPU_TENSORMAPRECORDS_H
#define KITE_DIALECTS_KITEGPU_TENSORMAPRECORDS_H

#include "dialects/KiteGPU/TmaBoxes.h"
#include "mlir/IR/Operation.h"

#include <optional>
#include <string>

namespace mlir::kitegpu {

/// The kernel attribute holding the records.
constexpr llvm::StringLiteral kTensorMapsAttr = "kite.tensor_maps";

/// The kernel argument (its number) a tensor map address is computed from
/// (kite.ptr_to_int of it), or none.
std::optional<unsigned> getTensorMapArgument(Value map);

/// The record of argument `arg` read in `plan`'s boxes.
std::string describeTensorMap(unsigned arg, const TmaPlan &plan);

/// Whether `kernel` records argument `arg` in other boxes than `entry`.
bool conflictsWithRecord(Operation *kernel, unsigned arg, llvm::StringRef entry);

/// Adds `entries` to `kernel`'s records (sorted, each once).
void recordTensorMaps(Operation *kernel, llvm::ArrayRef<std::string> entries);

} // namespace mlir::kitegpu

#endif // KITE_DIALECTS_KITEGPU_TENSORMAPRECORDS_H
