//===- KiteDialect.cpp - dialect, pointer type, attribute checks ----------===//
#include "dialects/Kite/KiteDialect.h"
#include "dialects/Kite/KiteOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Transforms/InliningUtils.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::kite;

#include "dialects/Kite/KiteDialect.cpp.inc"
#include "dialects/Kite/KiteEnums.cpp.inc"
#define GET_TYPEDEF_CLASSES
#include "dialects/Kite/KiteTypes.cpp.inc"

namespace {
/// Kite ops hold no state that forbids inlining, so `@kite.func` helpers that
/// the tracer left as calls can be inlined into kernels.
struct KiteInlinerInterface : DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
  bool isLegalToInline(Region *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void KiteDialect::initialize() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/Kite/KiteTypes.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/Kite/KiteOps.cpp.inc"
      >();
  addInterfaces<KiteInlinerInterface>();
}

Operation *KiteDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  return arith::ConstantOp::materialize(builder, value, type, loc);
}

LogicalResult KiteDialect::verifyOperationAttribute(Operation *op,
                                                    NamedAttribute attr) {
  if (attr.getName() != getKernelAttrName())
    return success();
  if (!isa<UnitAttr>(attr.getValue()))
    return op->emitError() << "'" << getKernelAttrName()
                           << "' must be a unit attribute";
  if (!isa<FunctionOpInterface>(op))
    return op->emitError() << "'" << getKernelAttrName()
                           << "' is only valid on a function";
  return success();
}

LogicalResult KiteDialect::verifyRegionArgAttribute(Operation *op,
                                                    unsigned regionIndex,
                                                    unsigned argIndex,
                                                    NamedAttribute attr) {
  if (attr.getName() != getDivisibilityAttrName())
    return success();
  auto value = dyn_cast<IntegerAttr>(attr.getValue());
  if (!value || !value.getType().isInteger(32) || value.getInt() <= 0)
    return op->emitError() << "'" << getDivisibilityAttrName()
                           << "' of argument " << argIndex
                           << " must be a positive i32, got "
                           << attr.getValue();
  return success();
}

LogicalResult PointerType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  Type pointeeType) {
  if (isa<IntegerType, FloatType, PointerType>(pointeeType))
    return success();
  return emitError() << "!kite.ptr cannot point to " << pointeeType
                     << ": the pointee must be an integer, a float or a "
                        "!kite.ptr";
}

//===----------------------------------------------------------------------===//
// Helpers on scalar-or-tensor types
//===----------------------------------------------------------------------===//

ArrayRef<int64_t> mlir::kite::getShapeOrScalar(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return tensor.getShape();
  return {};
}

Type mlir::kite::getSameShape(Type like, Type element) {
  if (auto tensor = dyn_cast<RankedTensorType>(like))
    return RankedTensorType::get(tensor.getShape(), element,
                                 tensor.getEncoding());
  return element;
}

Type mlir::kite::getPointeeLike(Type ptrLike) {
  auto ptr = dyn_cast<PointerType>(getElementTypeOrSelf(ptrLike));
  return ptr ? getSameShape(ptrLike, ptr.getPointeeType()) : Type();
}

std::string mlir::kite::formatShape(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return "scalar";
  if (tensor.getRank() == 0)
    return "rank-0";
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(tensor.getShape(), os, "x");
  return text;
}
