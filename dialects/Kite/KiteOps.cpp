//===- KiteOps.cpp - op definitions, grid and shape op verifiers ----------===//
//
// Holds the ODS-generated op definitions and the custom assembly directives
// they use. Memory ops live in KiteMemoryOps.cpp, dot/reduce/scan in
// KiteDotReduceOps.cpp, folders in KiteFolders.cpp.
//
//===----------------------------------------------------------------------===//
#include "dialects/Kite/KiteOps.h"

#include "dialects/Kite/Float8Formats.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::kite;

//===----------------------------------------------------------------------===//
// Custom assembly directives
//===----------------------------------------------------------------------===//

static constexpr StringLiteral kAxisNames[] = {"x", "y", "z"};

/// Grid axes print as `x`, `y`, `z`; an integer is accepted too.
static ParseResult parseGridAxis(OpAsmParser &parser, IntegerAttr &axis) {
  Type i32 = parser.getBuilder().getI32Type();
  StringRef name;
  if (succeeded(parser.parseOptionalKeyword(&name, {"x", "y", "z"}))) {
    axis = IntegerAttr::get(i32, name[0] - 'x');
    return success();
  }
  int32_t value;
  if (parser.parseInteger(value))
    return failure();
  axis = IntegerAttr::get(i32, value);
  return success();
}

static void printGridAxis(OpAsmPrinter &p, Operation *, IntegerAttr axis) {
  int64_t value = axis.getInt();
  if (value >= 0 && value < 3)
    p << kAxisNames[value];
  else
    p << value;
}

/// A `reverse`/`hex` keyword stands for a true BoolAttr. The format glues the
/// directive to the previous element, so it prints its own leading space.
static ParseResult parseFlag(OpAsmParser &parser, BoolAttr &flag,
                             StringRef keyword) {
  flag = parser.getBuilder().getBoolAttr(
      succeeded(parser.parseOptionalKeyword(keyword)));
  return success();
}

static void printFlag(OpAsmPrinter &p, BoolAttr flag, StringRef keyword) {
  if (flag && flag.getValue())
    p << ' ' << keyword;
}

static ParseResult parseReverseFlag(OpAsmParser &parser, BoolAttr &flag) {
  return parseFlag(parser, flag, "reverse");
}
static void printReverseFlag(OpAsmPrinter &p, Operation *, BoolAttr flag) {
  printFlag(p, flag, "reverse");
}
static ParseResult parseHexFlag(OpAsmParser &parser, BoolAttr &flag) {
  return parseFlag(parser, flag, "hex");
}
static void printHexFlag(OpAsmPrinter &p, Operation *, BoolAttr flag) {
  printFlag(p, flag, "hex");
}

#define GET_OP_CLASSES
#include "dialects/Kite/KiteOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Shared verification helpers
//===----------------------------------------------------------------------===//

LogicalResult mlir::kite::verifySameShape(Operation *op, StringRef aName,
                                          Type a, StringRef bName, Type b) {
  bool aTensor = isa<RankedTensorType>(a), bTensor = isa<RankedTensorType>(b);
  if (aTensor == bTensor && getShapeOrScalar(a) == getShapeOrScalar(b))
    return success();
  return op->emitOpError() << "shapes of " << aName << " (" << formatShape(a)
                           << ") and " << bName << " (" << formatShape(b)
                           << ") differ";
}

static LogicalResult verifySameElementType(Operation *op, Type src,
                                           Type result) {
  Type srcElement = getElementTypeOrSelf(src);
  Type resultElement = getElementTypeOrSelf(result);
  if (srcElement == resultElement)
    return success();
  return op->emitOpError() << "result element type " << resultElement
                           << " differs from the source element type "
                           << srcElement;
}

//===----------------------------------------------------------------------===//
// Grid and range
//===----------------------------------------------------------------------===//

static LogicalResult verifyGridAxis(Operation *op, IntegerAttr axis) {
  if (axis.getInt() >= 0 && axis.getInt() < 3)
    return success();
  return op->emitOpError() << "axis must be 0, 1 or 2, got " << axis.getInt();
}

LogicalResult ProgramIdOp::verify() {
  return verifyGridAxis(*this, getAxisAttr());
}
LogicalResult NumProgramsOp::verify() {
  return verifyGridAxis(*this, getAxisAttr());
}

LogicalResult MakeRangeOp::verify() {
  int64_t start = getStartAttr().getInt(), end = getEndAttr().getInt();
  RankedTensorType type = getType();
  if (type.getRank() != 1)
    return emitOpError() << "result must be 1-D, got " << type;
  if (start < 0)
    return emitOpError() << "start must be non-negative, got " << start;
  int64_t size = type.getDimSize(0);
  if (end - start != size)
    return emitOpError() << "result has " << size << " elements but the range ["
                         << start << ", " << end << ") has " << end - start;
  if (!llvm::isPowerOf2_64(size))
    return emitOpError() << "range length " << size << " is not a power of two";
  return success();
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

LogicalResult SplatOp::verify() {
  Type element = getType().getElementType();
  if (element == getSrc().getType())
    return success();
  return emitOpError() << "result element type " << element
                       << " differs from the splatted type "
                       << getSrc().getType();
}

LogicalResult BroadcastOp::verify() {
  RankedTensorType src = getSrc().getType(), result = getType();
  if (failed(verifySameElementType(*this, src, result)))
    return failure();
  if (src.getRank() != result.getRank())
    return emitOpError() << "source rank " << src.getRank()
                         << " differs from result rank " << result.getRank()
                         << " (use kite.expand_dims to add dimensions)";
  for (auto [dim, sizes] :
       llvm::enumerate(llvm::zip(src.getShape(), result.getShape()))) {
    auto [from, to] = sizes;
    if (from != 1 && from != to)
      return emitOpError() << "cannot broadcast dimension " << dim
                           << " of size " << from << " to " << to << " ("
                           << formatShape(src) << " to " << formatShape(result)
                           << ")";
  }
  return success();
}

LogicalResult ExpandDimsOp::verify() {
  RankedTensorType src = getSrc().getType(), result = getType();
  if (failed(verifySameElementType(*this, src, result)))
    return failure();
  int64_t axis = getAxisAttr().getInt();
  if (axis < 0 || axis > src.getRank())
    return emitOpError() << "axis " << axis << " is out of range [0, "
                         << src.getRank() << "]";
  SmallVector<int64_t> expected(src.getShape());
  expected.insert(expected.begin() + axis, 1);
  if (ArrayRef<int64_t>(expected) != result.getShape())
    return emitOpError() << "result shape " << formatShape(result) << " is not "
                         << formatShape(src) << " with a 1 inserted at axis "
                         << axis;
  return success();
}

LogicalResult ReshapeOp::verify() {
  RankedTensorType src = getSrc().getType(), result = getType();
  if (failed(verifySameElementType(*this, src, result)))
    return failure();
  if (src.getNumElements() != result.getNumElements())
    return emitOpError() << "cannot reshape " << formatShape(src) << " ("
                         << src.getNumElements() << " elements) to "
                         << formatShape(result) << " ("
                         << result.getNumElements() << " elements)";
  return success();
}

LogicalResult TransOp::verify() {
  RankedTensorType src = getSrc().getType(), result = getType();
  if (failed(verifySameElementType(*this, src, result)))
    return failure();
  ArrayRef<int32_t> order = getOrder();
  int64_t rank = src.getRank();
  if (static_cast<int64_t>(order.size()) != rank)
    return emitOpError() << "order has " << order.size()
                         << " entries for a source of rank " << rank;
  SmallVector<bool> seen(rank, false);
  for (int32_t dim : order) {
    if (dim < 0 || dim >= rank || seen[dim])
      return emitOpError() << "order [" << order
                           << "] is not a permutation of [0, " << rank << ")";
    seen[dim] = true;
  }
  for (auto [i, dim] : llvm::enumerate(order))
    if (result.getDimSize(i) != src.getDimSize(dim))
      return emitOpError() << "result shape " << formatShape(result)
                           << " is not " << formatShape(src) << " permuted by ["
                           << order << "]";
  return success();
}

LogicalResult JoinOp::verify() {
  Type operand = getLhs().getType();
  RankedTensorType result = getType();
  if (failed(verifySameElementType(*this, operand, result)))
    return failure();
  SmallVector<int64_t> expected(getShapeOrScalar(operand));
  expected.push_back(2);
  if (ArrayRef<int64_t>(expected) != result.getShape())
    return emitOpError() << "result shape " << formatShape(result)
                         << " is not the operand shape " << formatShape(operand)
                         << " with a last dimension 2";
  return success();
}

LogicalResult SplitOp::verify() {
  RankedTensorType src = getSrc().getType();
  Type result = getLhs().getType();
  if (failed(verifySameElementType(*this, src, result)))
    return failure();
  if (src.getShape().back() != 2)
    return emitOpError() << "source shape " << formatShape(src)
                         << " does not end in a dimension 2";
  ArrayRef<int64_t> expected = src.getShape().drop_back();
  // A tensor<2xT> splits into two scalars, never into two rank-0 tensors.
  if (expected != getShapeOrScalar(result) ||
      (expected.empty() && isa<RankedTensorType>(result)))
    return emitOpError() << "result shape " << formatShape(result)
                         << " is not the source shape " << formatShape(src)
                         << " without its last dimension";
  return success();
}

LogicalResult GatherOp::verify() {
  RankedTensorType src = getSrc().getType(), index = getIndex().getType(),
                   result = getType();
  if (failed(verifySameElementType(*this, src, result)))
    return failure();
  Type indexElement = index.getElementType();
  if (!indexElement.isSignlessInteger() || indexElement.isInteger(1))
    return emitOpError() << "index must be a block of integers, got "
                         << indexElement;
  if (src.getRank() != index.getRank())
    return emitOpError() << "source shape " << formatShape(src)
                         << " and index shape " << formatShape(index)
                         << " differ in rank";
  int64_t axis = getAxisAttr().getInt(), rank = src.getRank();
  if (axis < 0 || axis >= rank)
    return emitOpError() << "axis " << axis << " is out of range for rank "
                         << rank;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis && src.getDimSize(d) != index.getDimSize(d))
      return emitOpError() << "index shape " << formatShape(index)
                           << " differs from the source shape "
                           << formatShape(src) << " in dimension " << d
                           << ", which is not the axis";
  if (result.getShape() != index.getShape())
    return emitOpError() << "result shape " << formatShape(result)
                         << " is not the index shape " << formatShape(index);
  return success();
}

//===----------------------------------------------------------------------===//
// Conversions
//===----------------------------------------------------------------------===//

LogicalResult Fp4ToFpOp::verify() {
  if (!getElementTypeOrSelf(getCodes().getType()).isInteger(8))
    return emitOpError() << "decodes codes held in i8, not "
                         << getCodes().getType();
  Type dst = getElementTypeOrSelf(getType());
  if (!dst.isF32() && !dst.isF16() && !dst.isBF16())
    return emitOpError() << "decodes to f32, f16 or bf16, not " << dst;
  return success();
}

LogicalResult FpToFpOp::verify() {
  if (failed(verifySameShape(*this, "source", getSrc().getType(), "result",
                             getType())))
    return failure();
  Type src = getElementTypeOrSelf(getSrc().getType()),
       dst = getElementTypeOrSelf(getType());
  if (getRounding() != RoundingMode::RTZ)
    return success();
  if (dst.getIntOrFloatBitWidth() >= src.getIntOrFloatBitWidth())
    return emitOpError() << "rounds toward zero, but " << src << " -> " << dst
                         << " does not narrow";
  if (!allowsRoundingTowardZero(dst))
    return emitOpError() << "cannot round toward zero to " << dst
                         << " (only to nearest-even)";
  return success();
}

LogicalResult PtrToIntOp::verify() {
  return verifySameShape(*this, "source", getSrc().getType(), "result",
                         getType());
}

LogicalResult IntToPtrOp::verify() {
  return verifySameShape(*this, "source", getSrc().getType(), "result",
                         getType());
}

LogicalResult BitcastOp::verify() {
  Type src = getSrc().getType(), result = getType();
  if (failed(verifySameShape(*this, "source", src, "result", result)))
    return failure();
  Type from = getElementTypeOrSelf(src), to = getElementTypeOrSelf(result);
  bool fromPtr = isa<PointerType>(from), toPtr = isa<PointerType>(to);
  if (fromPtr && toPtr)
    return success();
  if (fromPtr || toPtr)
    return emitOpError() << "cannot bitcast " << from << " to " << to
                         << "; use kite.ptr_to_int or kite.int_to_ptr";
  if (from.getIntOrFloatBitWidth() != to.getIntOrFloatBitWidth())
    return emitOpError() << "bit widths differ: " << from << " is "
                         << from.getIntOrFloatBitWidth() << " bits, " << to
                         << " is " << to.getIntOrFloatBitWidth() << " bits";
  return success();
}
