//===- KiteGPUAttrs.cpp - layouts: syntax and verifiers ------------------===//
#include "dialects/KiteGPU/KiteGPUDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::kitegpu;

#include "dialects/KiteGPU/KiteGPUAttrInterfaces.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "dialects/KiteGPU/KiteGPUAttrs.cpp.inc"

void KiteGPUDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/KiteGPU/KiteGPUAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Syntax: `<{key = value, ...}>`
//===----------------------------------------------------------------------===//

static ParseResult parseFields(AsmParser &parser, DictionaryAttr &fields) {
  return failure(parser.parseLess() || parser.parseAttribute(fields) ||
                 parser.parseGreater());
}

static ParseResult getUnsigned(AsmParser &parser, DictionaryAttr fields,
                               StringRef name, unsigned &value) {
  auto attr = fields.getAs<IntegerAttr>(name);
  if (!attr)
    return parser.emitError(parser.getNameLoc())
           << "expected an integer '" << name << "'";
  value = attr.getInt();
  return success();
}

static ParseResult getUnsignedArray(AsmParser &parser, DictionaryAttr fields,
                                    StringRef name,
                                    SmallVectorImpl<unsigned> &values) {
  auto array = fields.getAs<ArrayAttr>(name);
  if (!array)
    return parser.emitError(parser.getNameLoc())
           << "expected an integer list '" << name << "'";
  for (Attribute element : array) {
    auto value = dyn_cast<IntegerAttr>(element);
    if (!value)
      return parser.emitError(parser.getNameLoc())
             << "'" << name << "' must hold integers";
    values.push_back(value.getInt());
  }
  return success();
}

static void printArray(AsmPrinter &printer, StringRef name,
                       ArrayRef<unsigned> values) {
  printer << name << " = [";
  llvm::interleaveComma(values, printer);
  printer << "]";
}

Attribute BlockedLayoutAttr::parse(AsmParser &parser, Type) {
  DictionaryAttr fields;
  SmallVector<unsigned> sizePerThread, threadsPerWarp, warpsPerCTA, order;
  if (parseFields(parser, fields) ||
      getUnsignedArray(parser, fields, "sizePerThread", sizePerThread) ||
      getUnsignedArray(parser, fields, "threadsPerWarp", threadsPerWarp) ||
      getUnsignedArray(parser, fields, "warpsPerCTA", warpsPerCTA) ||
      getUnsignedArray(parser, fields, "order", order))
    return {};
  return parser.getChecked<BlockedLayoutAttr>(
      parser.getContext(), sizePerThread, threadsPerWarp, warpsPerCTA, order);
}

void BlockedLayoutAttr::print(AsmPrinter &printer) const {
  printer << "<{";
  printArray(printer, "sizePerThread", getSizePerThread_());
  printArray(printer << ", ", "threadsPerWarp", getThreadsPerWarp_());
  printArray(printer << ", ", "warpsPerCTA", getWarpsPerCTA_());
  printArray(printer << ", ", "order", getOrder_());
  printer << "}>";
}

Attribute SliceLayoutAttr::parse(AsmParser &parser, Type) {
  DictionaryAttr fields;
  unsigned dim;
  if (parseFields(parser, fields) || getUnsigned(parser, fields, "dim", dim))
    return {};
  auto parent = fields.getAs<DistributedLayoutAttr>("parent");
  if (!parent) {
    parser.emitError(parser.getNameLoc())
        << "expected a distributed layout 'parent'";
    return {};
  }
  return parser.getChecked<SliceLayoutAttr>(parser.getContext(), dim, parent);
}

void SliceLayoutAttr::print(AsmPrinter &printer) const {
  printer << "<{dim = " << getDim() << ", parent = " << getParent() << "}>";
}

Attribute SharedLayoutAttr::parse(AsmParser &parser, Type) {
  DictionaryAttr fields;
  unsigned vec, perPhase, maxPhase, slab = 0, warpsM = 0;
  SmallVector<unsigned> order;
  if (parseFields(parser, fields) || getUnsigned(parser, fields, "vec", vec) ||
      getUnsigned(parser, fields, "perPhase", perPhase) ||
      getUnsigned(parser, fields, "maxPhase", maxPhase) ||
      getUnsignedArray(parser, fields, "order", order) ||
      (fields.get("slab") && getUnsigned(parser, fields, "slab", slab)) ||
      (fields.get("warpsM") && getUnsigned(parser, fields, "warpsM", warpsM)))
    return {};
  return parser.getChecked<SharedLayoutAttr>(parser.getContext(), vec, perPhase,
                                             maxPhase, order, slab, warpsM);
}

void SharedLayoutAttr::print(AsmPrinter &printer) const {
  printer << "<{vec = " << getVec() << ", perPhase = " << getPerPhase()
          << ", maxPhase = " << getMaxPhase() << ", ";
  printArray(printer, "order", getOrder());
  if (getSlab())
    printer << ", slab = " << getSlab();
  if (getWarpsM())
    printer << ", warpsM = " << getWarpsM();
  printer << "}>";
}

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//

static LogicalResult verifyPowersOfTwo(function_ref<InFlightDiagnostic()> emit,
                                       StringRef name,
                                       ArrayRef<unsigned> values) {
  for (unsigned value : values)
    if (!llvm::isPowerOf2_32(value))
      return emit() << name << " entries must be powers of two, got " << value;
  return success();
}

static LogicalResult verifyOrder(function_ref<InFlightDiagnostic()> emit,
                                 ArrayRef<unsigned> order) {
  SmallVector<bool> seen(order.size(), false);
  for (unsigned dim : order) {
    if (dim >= order.size() || seen[dim])
      return emit() << "order must be a permutation of [0, " << order.size()
                    << ")";
    seen[dim] = true;
  }
  return success();
}

// Bounds on what a layout may describe, whatever the target: a block has
// at most 2^20 elements (the frontend's limit, docs/language.md), so no
// thread holds more, and a program has at most 1024 threads. Lowering a
// layout beyond them would only exhaust memory.
static constexpr int64_t kMaxElements = int64_t(1) << 20;
static constexpr int64_t kMaxThreads = 1024;

static int64_t product(ArrayRef<unsigned> values) {
  int64_t total = 1;
  for (unsigned value : values)
    total = std::min(total * value, kMaxElements + 1); // saturates
  return total;
}

LogicalResult BlockedLayoutAttr::verify(
    function_ref<InFlightDiagnostic()> emitError,
    ArrayRef<unsigned> sizePerThread, ArrayRef<unsigned> threadsPerWarp,
    ArrayRef<unsigned> warpsPerCTA, ArrayRef<unsigned> order) {
  size_t rank = sizePerThread.size();
  if (rank == 0)
    return emitError() << "a blocked layout needs at least one dimension";
  if (threadsPerWarp.size() != rank || warpsPerCTA.size() != rank ||
      order.size() != rank)
    return emitError() << "sizePerThread, threadsPerWarp, warpsPerCTA and "
                          "order must have one rank, got "
                       << rank << ", " << threadsPerWarp.size() << ", "
                       << warpsPerCTA.size() << " and " << order.size();
  if (failed(verifyPowersOfTwo(emitError, "sizePerThread", sizePerThread)) ||
      failed(verifyPowersOfTwo(emitError, "threadsPerWarp", threadsPerWarp)) ||
      failed(verifyPowersOfTwo(emitError, "warpsPerCTA", warpsPerCTA)))
    return failure();
  if (product(sizePerThread) > kMaxElements)
    return emitError() << "sizePerThread gives a thread more than "
                       << kMaxElements << " elements";
  if (product(threadsPerWarp) * product(warpsPerCTA) > kMaxThreads)
    return emitError() << "threadsPerWarp and warpsPerCTA make more than "
                       << kMaxThreads << " threads";
  return verifyOrder(emitError, order);
}

/// Checks a tensor type's layout against its shape: same rank, and at most
/// kMaxElements per thread (dimension by dimension, so nothing overflows).
static LogicalResult
verifyLayoutOfShape(DistributedLayoutAttr layout, ArrayRef<int64_t> shape,
                    function_ref<InFlightDiagnostic()> emitError) {
  if (shape.size() != layout.getRank())
    return emitError() << "a rank-" << layout.getRank()
                       << " layout on a tensor of rank " << shape.size();
  if (llvm::any_of(shape, [](int64_t n) { return n <= 0 || n > kMaxElements; }))
    return success(); // dynamic or empty shapes: the ops' verifiers speak
  int64_t total = 1;
  for (int64_t n : layout.getElemsPerThread(shape))
    total = std::min(total * n, kMaxElements + 1);
  if (total > kMaxElements)
    return emitError() << "this layout gives each thread more than "
                       << kMaxElements << " elements of a tensor of shape ["
                       << shape << "]";
  return success();
}

LogicalResult BlockedLayoutAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type,
    function_ref<InFlightDiagnostic()> emitError) const {
  return verifyLayoutOfShape(*this, shape, emitError);
}

LogicalResult SliceLayoutAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type,
    function_ref<InFlightDiagnostic()> emitError) const {
  return verifyLayoutOfShape(*this, shape, emitError);
}

LogicalResult
SliceLayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        unsigned dim, DistributedLayoutAttr parent) {
  if (parent.getRank() < 2)
    return emitError() << "the parent of a slice must have rank 2 or more";
  if (dim >= parent.getRank())
    return emitError() << "slice dim " << dim << " is out of range for a rank-"
                       << parent.getRank() << " parent";
  return success();
}

LogicalResult
SharedLayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                         unsigned vec, unsigned perPhase, unsigned maxPhase,
                         ArrayRef<unsigned> order, unsigned slab,
                         unsigned warpsM) {
  if (failed(verifyPowersOfTwo(emitError, "vec, perPhase and maxPhase",
                               {vec, perPhase, maxPhase})))
    return failure();
  if (slab && (!llvm::isPowerOf2_32(slab) || slab % vec))
    return emitError() << "a shared layout's slab must be a power of two "
                          "and a multiple of vec, not "
                       << slab;
  if (order.empty())
    return emitError() << "a shared layout needs at least one dimension";
  // Rows placed for wgmma: whole warpgroups along M, each 8-row block one
  // swizzle period (so a block keeps its rows' phases).
  if (warpsM && (warpsM % 4 || order.size() != 2 || perPhase * maxPhase != 8))
    return emitError() << "a shared layout's rows placed for wgmma (warpsM = "
                       << warpsM
                       << ") need a multiple of 4 warps, two dimensions and a "
                          "swizzle repeating every 8 rows";
  return verifyOrder(emitError, order);
}
