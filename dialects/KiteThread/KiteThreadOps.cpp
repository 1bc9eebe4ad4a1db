//===- KiteThreadOps.cpp - op definitions and verifiers -------------------===//
#include "dialects/KiteThread/KiteThreadOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::kitethread;

//===----------------------------------------------------------------------===//
// Custom assembly directives
//===----------------------------------------------------------------------===//

/// Grid axes print as `x`, `y`, `z` (as in the kite dialect); an integer is
/// accepted too.
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
    p << static_cast<char>('x' + value);
  else
    p << value;
}

#define GET_OP_CLASSES
#include "dialects/KiteThread/KiteThreadOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Verifiers
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

/// What a memory access may move: no i1 (memory holds bytes; store i8), and
/// vectors of 32, 64 or 128 bits. `alignment` must be a power of two.
static LogicalResult verifyAccess(Operation *op, Type type,
                                  uint32_t alignment) {
  if (!llvm::isPowerOf2_32(alignment))
    return op->emitOpError()
           << "alignment must be a power of two, got " << alignment;
  if (getElementTypeOrSelf(type).isInteger(1))
    return op->emitOpError()
           << "cannot access " << type
           << " in memory: booleans are stored as i8 (extend, then compare)";
  if (auto vector = dyn_cast<VectorType>(type)) {
    int64_t bits = vector.getNumElements() *
                   vector.getElementType().getIntOrFloatBitWidth();
    if (bits != 32 && bits != 64 && bits != 128)
      return op->emitOpError() << "vector access " << type << " has " << bits
                               << " bits; it must have 32, 64 or 128";
  }
  return success();
}

/// K of a tensor-core instruction (mma.sync, wgmma) of `ab` operands: 16
/// (f16, bf16), 8 (tf32) or 32 (i8, f8E4M3FN, f8E5M2).
static int64_t getTensorCoreK(Type ab) {
  if (ab.isF16() || ab.isBF16())
    return 16;
  if (ab.isTF32())
    return 8;
  return 32;
}

/// The operand types and accumulators of mma.sync and wgmma: f16, bf16,
/// tf32, i8 (i32 accumulators) or fp8 (f32).
static LogicalResult verifyTensorCoreTypes(Operation *op, Type ab,
                                           ValueRange c, ValueRange d) {
  bool eightBit = ab.isSignlessInteger(8) || isa<Float8E4M3FNType>(ab) ||
                  isa<Float8E5M2Type>(ab);
  if (!ab.isF16() && !ab.isBF16() && !ab.isTF32() && !eightBit)
    return op->emitOpError() << "multiplies f16, bf16, tf32, i8, f8E4M3FN or "
                                "f8E5M2, not "
                             << ab;
  Type acc = ab.isSignlessInteger(8)
                 ? Type(IntegerType::get(op->getContext(), 32))
                 : Type(Float32Type::get(op->getContext()));
  for (Value value : llvm::concat<const Value>(c, d))
    if (value.getType() != acc)
      return op->emitOpError() << "accumulates " << ab << " products in "
                               << acc << ", not " << value.getType();
  return success();
}

int64_t MmaSyncOp::getK() { return getTensorCoreK(getAbType()); }

LogicalResult MmaSyncOp::verify() {
  Type ab = getAbType();
  if (failed(verifyTensorCoreTypes(*this, ab, getC(), getD())))
    return failure();
  if (getA().size() != 4 || getB().size() != 2 || getC().size() != 4 ||
      getD().size() != 4)
    return emitOpError() << "takes 4, 2 and 4 registers of A, B and C and "
                            "gives 4 of D (m16n8k"
                         << getK() << "), got " << getA().size() << ", "
                         << getB().size() << ", " << getC().size() << " and "
                         << getD().size();
  return success();
}

int64_t WgmmaOp::getK() { return getTensorCoreK(getAbType()); }

LogicalResult WgmmaOp::verify() {
  Type ab = getAbType();
  if (failed(verifyTensorCoreTypes(*this, ab, getC(), getD())))
    return failure();
  int64_t n = getN();
  if (n < 8 || n > 256 || n % 8)
    return emitOpError() << "has N a multiple of 8 from 8 to 256, not " << n;
  int64_t aRegisters = getABuffer() ? 0 : 4;
  if (int64_t(getA().size()) != aRegisters ||
      int64_t(getC().size()) != n / 2 || getD().size() != getC().size())
    return emitOpError() << "takes " << aRegisters
                         << " registers of A and N / 2 = " << n / 2
                         << " of C and D, got " << getA().size() << ", "
                         << getC().size() << " and " << getD().size();
  if (getABuffer() && (!getAIndex() || !getASwizzle() || !getALeading() ||
                       !getAStride()))
    return emitOpError() << "reads A from workgroup memory with an index, "
                            "a_swizzle, a_leading and a_stride";
  for (int64_t swizzle :
       {int64_t(getBSwizzle()), getABuffer() ? int64_t(*getASwizzle()) : 128})
    if (swizzle != 32 && swizzle != 64 && swizzle != 128)
      return emitOpError() << "swizzles 32-, 64- or 128-byte rows, not "
                           << swizzle;
  if (getBTransposed() && !ab.isF16() && !ab.isBF16())
    return emitOpError() << "reads an N-major B of f16 or bf16 only, not "
                         << ab;
  return success();
}

/// The fp8 formats PTX converts in hardware (cvt ...e4m3x2, e5m2x2).
static bool isHardwareFp8(Type type) {
  return isa<Float8E4M3FNType, Float8E5M2Type>(type);
}

LogicalResult CvtPackOp::verify() {
  Type format = getFormat();
  if (!isHardwareFp8(format) && !format.isBF16())
    return emitOpError() << "packs f8E4M3FN, f8E5M2 or bf16, not " << format;
  unsigned bits = format.isBF16() ? 32 : 16;
  if (!getPacked().getType().isInteger(bits))
    return emitOpError() << "packs two " << format << " values into i" << bits
                         << ", not " << getPacked().getType();
  return success();
}

LogicalResult CvtUnpackOp::verify() {
  if (!isHardwareFp8(getFormat()))
    return emitOpError() << "unpacks f8E4M3FN or f8E5M2, not " << getFormat();
  return success();
}

LogicalResult LdmatrixOp::verify() {
  auto type = cast<MemRefType>(getBuffer().getType());
  auto space = dyn_cast_or_null<gpu::AddressSpaceAttr>(type.getMemorySpace());
  if (!space || space.getValue() != gpu::AddressSpace::Workgroup)
    return emitOpError("reads workgroup memory, not ") << type;
  if (static_cast<int64_t>(getWords().size()) != getCount())
    return emitOpError() << "gives one word per matrix: " << getCount()
                         << " matrices, " << getWords().size() << " results";
  return success();
}

LogicalResult TmaLoadOp::verify() {
  for (Value buffer : {getBuffer(), getBarriers()}) {
    auto type = cast<MemRefType>(buffer.getType());
    auto space = dyn_cast_or_null<gpu::AddressSpaceAttr>(type.getMemorySpace());
    if (!space || space.getValue() != gpu::AddressSpace::Workgroup)
      return emitOpError("copies into workgroup memory, with a barrier there, "
                         "not ")
             << type;
  }
  if (getCoordinates().empty() || getCoordinates().size() > 5)
    return emitOpError() << "a box has 1 to 5 coordinates, not "
                         << getCoordinates().size();
  return success();
}

LogicalResult AsyncCopyOp::verify() {
  auto type = cast<MemRefType>(getBuffer().getType());
  auto space = dyn_cast_or_null<gpu::AddressSpaceAttr>(type.getMemorySpace());
  if (!space || space.getValue() != gpu::AddressSpace::Workgroup)
    return emitOpError("writes workgroup memory, not ") << type;
  Type element = type.getElementType();
  if (!element.isIntOrFloat() ||
      getBytes() % (element.getIntOrFloatBitWidth() / 8))
    return emitOpError() << "copies whole elements: " << getBytes()
                         << " bytes into " << type;
  return success();
}

LogicalResult LoadOp::verify() {
  if (getOther() && !getMask())
    return emitOpError("has `other` but no mask");
  return verifyAccess(*this, getType(), getAlignment());
}

LogicalResult StoreOp::verify() {
  return verifyAccess(*this, getValue().getType(), getAlignment());
}

/// Atomics work on 32- and 64-bit scalars (SPIR-V and PTX both have them),
/// integer kinds on integers and float kinds on floats.
static LogicalResult verifyAtomicType(Operation *op, Type type) {
  if (isa<IntegerType, FloatType>(type) &&
      (type.getIntOrFloatBitWidth() == 32 ||
       type.getIntOrFloatBitWidth() == 64))
    return success();
  return op->emitOpError() << "atomics work on 32- or 64-bit scalars, got "
                           << type;
}

LogicalResult AtomicRMWOp::verify() {
  Type type = getVal().getType();
  if (failed(verifyAtomicType(*this, type)))
    return failure();
  kite::RMWOp kind = getKind();
  bool floatKind = kind == kite::RMWOp::FAdd || kind == kite::RMWOp::FMax ||
                   kind == kite::RMWOp::FMin;
  if (kind == kite::RMWOp::Xchg || floatKind == isa<FloatType>(type))
    return success();
  return emitOpError() << "'" << kite::stringifyRMWOp(kind) << "' needs "
                       << (floatKind ? "a float" : "an integer")
                       << " type, got " << type;
}

LogicalResult AtomicCASOp::verify() {
  return verifyAtomicType(*this, getVal().getType());
}
