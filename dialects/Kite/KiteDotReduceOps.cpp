//===- KiteDotReduceOps.cpp - verifiers of dot, reduce and scan -----------===//
#include "dialects/Kite/KiteOps.h"

#include "dialects/Kite/Float8Formats.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::kite;

//===----------------------------------------------------------------------===//
// DotOp
//===----------------------------------------------------------------------===//

static bool isDotInputType(Type type) {
  const Float8Format *fp8 = getFloat8Format(type);
  return type.isF32() || type.isF16() || type.isBF16() || type.isInteger(8) ||
         (fp8 && !fp8->isScale);
}

LogicalResult DotOp::verify() {
  RankedTensorType a = getA().getType(), b = getB().getType(),
                   c = getC().getType();
  for (auto [name, type] : {std::pair{"a", a}, {"b", b}, {"c", c}})
    if (type.getRank() != 2)
      return emitOpError() << name << " must be 2-D, got " << type;
  if (a.getDimSize(1) != b.getDimSize(0))
    return emitOpError() << "inner dimensions differ: a is " << formatShape(a)
                         << ", b is " << formatShape(b);
  if (c.getDimSize(0) != a.getDimSize(0) || c.getDimSize(1) != b.getDimSize(1))
    return emitOpError() << "accumulator c is " << formatShape(c)
                         << " but a * b is " << a.getDimSize(0) << "x"
                         << b.getDimSize(1);
  Type inA = a.getElementType(), inB = b.getElementType(),
       acc = c.getElementType();
  if (inA != inB)
    return emitOpError() << "element types of a (" << inA << ") and b (" << inB
                         << ") differ";
  if (!isDotInputType(inA))
    return emitOpError() << "unsupported input element type " << inA
                         << " (expected f32, f16, bf16, i8, f8E4M3FN, "
                            "f8E5M2, f8E4M3FNUZ or f8E5M2FNUZ)";
  bool isInt = inA.isInteger(8);
  bool accOk =
      isInt ? acc.isInteger(32) : acc.isF32() || (inA.isF16() && acc.isF16());
  if (!accOk)
    return emitOpError() << "accumulator element type " << acc
                         << " is not allowed for " << inA
                         << " inputs (expected "
                         << (isInt         ? "i32"
                             : inA.isF16() ? "f32 or f16"
                                           : "f32")
                         << ")";
  StringRef precision = getInputPrecision();
  if (precision != "ieee" && precision != "tf32" && precision != "tf32x3")
    return emitOpError() << "input_precision must be \"ieee\", \"tf32\" or "
                            "\"tf32x3\", got \""
                         << precision << "\"";
  return success();
}

//===----------------------------------------------------------------------===//
// ReduceOp and ScanOp
//===----------------------------------------------------------------------===//

/// The sources share one shape and `axis` is one of its dimensions.
static LogicalResult verifySources(Operation *op, ValueRange srcs,
                                   int64_t axis) {
  if (srcs.empty())
    return op->emitOpError("needs at least one source");
  auto first = cast<RankedTensorType>(srcs[0].getType());
  for (auto [i, src] : llvm::enumerate(srcs))
    if (cast<RankedTensorType>(src.getType()).getShape() != first.getShape())
      return op->emitOpError() << "sources must have one shape: source #0 is "
                               << formatShape(first) << ", source #" << i
                               << " is " << formatShape(src.getType());
  if (axis < 0 || axis >= first.getRank())
    return op->emitOpError() << "axis " << axis << " is out of range for "
                             << formatShape(first) << " sources";
  return success();
}

/// `src` with dimension `axis` removed; a scalar when `src` is 1-D.
static Type getReducedType(Type src, int64_t axis) {
  auto tensor = cast<RankedTensorType>(src);
  if (tensor.getRank() == 1)
    return tensor.getElementType();
  SmallVector<int64_t> shape(tensor.getShape());
  shape.erase(shape.begin() + axis);
  return RankedTensorType::get(shape, tensor.getElementType(),
                               tensor.getEncoding());
}

static Type stripEncoding(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return RankedTensorType::get(tensor.getShape(), tensor.getElementType());
  return type;
}

static LogicalResult verifyResults(Operation *op, ValueRange srcs,
                                   TypeRange results,
                                   function_ref<Type(Type)> expectedType) {
  if (results.size() != srcs.size())
    return op->emitOpError() << "has " << results.size() << " results for "
                             << srcs.size() << " sources";
  for (auto [i, src, result] : llvm::enumerate(srcs, results)) {
    Type expected = expectedType(src.getType());
    // Layouts (kitegpu encodings) may differ, e.g. a reduction's result is a
    // slice of its source's layout; the kitegpu dialect checks those.
    if (stripEncoding(result) != stripEncoding(expected))
      return op->emitOpError() << "result #" << i << " has type " << result
                               << ", expected " << expected;
  }
  return success();
}

/// The combine block takes n accumulated then n new scalars and returns n
/// scalars, all of the sources' element types.
template <typename ReturnOp>
static LogicalResult verifyCombineRegion(Operation *op, Region &region,
                                         ValueRange srcs) {
  Block &block = region.front();
  size_t n = srcs.size();
  if (block.getNumArguments() != 2 * n)
    return op->emitOpError()
           << "combine region must take " << 2 * n << " scalar arguments (" << n
           << " accumulated, " << n << " new), got " << block.getNumArguments();
  for (auto [i, arg] : llvm::enumerate(block.getArguments())) {
    Type expected = getElementTypeOrSelf(srcs[i % n].getType());
    if (arg.getType() != expected)
      return op->emitOpError()
             << "combine region argument #" << i << " has type "
             << arg.getType() << ", expected " << expected;
  }
  auto ret = block.empty() ? ReturnOp() : dyn_cast<ReturnOp>(block.back());
  if (!ret)
    return op->emitOpError()
           << "combine region must end with " << ReturnOp::getOperationName();
  if (ret.getValues().size() != n)
    return ret.emitOpError()
           << "returns " << ret.getValues().size() << " values, expected " << n;
  for (auto [i, value] : llvm::enumerate(ret.getValues())) {
    Type expected = getElementTypeOrSelf(srcs[i].getType());
    if (value.getType() != expected)
      return ret.emitOpError() << "value #" << i << " has type "
                               << value.getType() << ", expected " << expected;
  }
  return success();
}

LogicalResult ReduceOp::verify() {
  int64_t axis = getAxisAttr().getInt();
  if (failed(verifySources(*this, getSrcs(), axis)))
    return failure();
  return verifyResults(*this, getSrcs(), getResultTypes(),
                       [&](Type src) { return getReducedType(src, axis); });
}

LogicalResult ReduceOp::verifyRegions() {
  return verifyCombineRegion<ReduceReturnOp>(*this, getCombine(), getSrcs());
}

LogicalResult ScanOp::verify() {
  if (failed(verifySources(*this, getSrcs(), getAxisAttr().getInt())))
    return failure();
  return verifyResults(*this, getSrcs(), getResultTypes(),
                       [](Type src) { return src; });
}

LogicalResult ScanOp::verifyRegions() {
  return verifyCombineRegion<ScanReturnOp>(*this, getCombine(), getSrcs());
}
