//===- TensorMapRecords.cpp - the boxes a kernel reads tensor maps in -----===//
#include "dialects/KiteGPU/TensorMapRecords.h"

#include "dialects/Kite/KiteOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::kitegpu;

std::optional<unsigned> mlir::kitegpu::getTensorMapArgument(Value map) {
  if (auto cast = map.getDefiningOp<kite::PtrToIntOp>())
    map = cast.getSrc();
  auto arg = dyn_cast<BlockArgument>(map);
  if (!arg || !isa<FunctionOpInterface>(arg.getOwner()->getParentOp()))
    return std::nullopt;
  return arg.getArgNumber();
}

std::string mlir::kitegpu::describeTensorMap(unsigned arg, const TmaPlan &plan) {
  return std::to_string(arg) + ":" + std::to_string(plan.rows) + "x" +
         std::to_string(plan.columns) + ":" + std::to_string(plan.swizzleBytes);
}

static SmallVector<std::string> getRecords(Operation *kernel) {
  SmallVector<std::string> entries;
  auto recorded = kernel->getAttrOfType<StringAttr>(kTensorMapsAttr);
  if (!recorded || recorded.getValue().empty())
    return entries;
  SmallVector<StringRef> parts;
  recorded.getValue().split(parts, ',');
  for (StringRef part : parts)
    entries.push_back(part.str());
  return entries;
}

bool mlir::kitegpu::conflictsWithRecord(Operation *kernel, unsigned arg,
                                        StringRef entry) {
  std::string prefix = std::to_string(arg) + ":";
  return llvm::any_of(getRecords(kernel), [&](const std::string &e) {
    return StringRef(e).starts_with(prefix) && e != entry;
  });
}

void mlir::kitegpu::recordTensorMaps(Operation *kernel,
                                     ArrayRef<std::string> entries) {
  SmallVector<std::string> all = getRecords(kernel);
  for (const std::string &entry : entries)
    if (!llvm::is_contained(all, entry))
      all.push_back(entry);
  llvm::sort(all);
  kernel->setAttr(kTensorMapsAttr,
                  Builder(kernel->getContext()).getStringAttr(llvm::join(all, ",")));
}
