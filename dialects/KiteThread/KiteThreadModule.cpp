//===- KiteThreadModule.cpp - what every emitter reads off a module -------===//
#include "dialects/KiteThread/KiteThreadModule.h"

#include "dialects/Kite/KiteDialect.h"
#include "dialects/KiteThread/KiteThreadDialect.h"
#include "dialects/KiteThread/KiteThreadOps.h"

using namespace mlir;

FailureOr<func::FuncOp> mlir::kitethread::getKernel(ModuleOp module,
                                                    StringRef emitter) {
  func::FuncOp kernel;
  for (Operation &op : module.getBody()->getOperations()) {
    auto fn = dyn_cast<func::FuncOp>(op);
    if (!fn)
      return op.emitError() << "thread-level modules hold only func.func, got "
                            << op.getName();
    if (!fn->hasAttr(kite::KiteDialect::getKernelAttrName()))
      continue;
    if (kernel)
      return fn.emitError() << "a second kernel; the " << emitter
                            << " emitter takes one 'kite.kernel' per module";
    kernel = fn;
  }
  if (!kernel)
    return module.emitError() << "no func.func marked '"
                              << kite::KiteDialect::getKernelAttrName() << "'";
  if (kernel.getNumArguments() || kernel.getNumResults())
    return kernel.emitError() << "a thread-level kernel takes no arguments "
                                 "and returns nothing (launch arguments are "
                                 "kitethread.kernel_arg)";
  return kernel;
}

FailureOr<SmallVector<Type>>
mlir::kitethread::getLaunchArgTypes(ModuleOp module) {
  StringRef attrName = KiteThreadDialect::getArgTypesAttrName();
  SmallVector<Type> types;
  if (auto listed = module->getAttrOfType<ArrayAttr>(attrName))
    for (Attribute attr : listed)
      types.push_back(cast<TypeAttr>(attr).getValue());
  bool fromAttr = !types.empty();
  bool ok = true;
  module.walk([&](KernelArgOp op) {
    unsigned index = op.getIndex();
    if (!fromAttr && index >= types.size())
      types.resize(index + 1);
    if (index >= types.size()) {
      op.emitError() << "launch argument " << index << " is out of range: '"
                     << attrName << "' lists " << types.size();
      ok = false;
    } else if (!types[index]) {
      types[index] = op.getType();
    } else if (types[index] != op.getType()) {
      op.emitError() << "launch argument " << index << " read as "
                     << op.getType() << " but elsewhere as " << types[index];
      ok = false;
    }
  });
  if (!ok)
    return failure();
  for (auto [index, type] : llvm::enumerate(types))
    if (!type)
      return module.emitError()
             << "launch argument " << index
             << " is never read, so its type (and the place of the arguments "
                "after it) is unknown; list the argument types in '"
             << attrName << "'";
  return types;
}

std::pair<std::string, unsigned> mlir::kitethread::getFileAndLine(Location loc) {
  std::pair<std::string, unsigned> found{"", 0};
  loc->walk([&](Location inner) {
    if (auto file = dyn_cast<FileLineColLoc>(inner)) {
      found = {file.getFilename().str(), file.getLine()};
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return found;
}

std::optional<StringRef>
mlir::kitethread::getGlobalMemoryScope(Operation *barrier) {
  Attribute attr = barrier->getAttr(kGlobalMemoryBarrierAttr);
  if (!attr)
    return std::nullopt;
  if (auto scope = dyn_cast<StringAttr>(attr))
    return scope.getValue();
  return StringRef("cta");
}
