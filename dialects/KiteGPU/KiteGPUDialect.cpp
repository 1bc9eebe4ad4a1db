//===- KiteGPUDialect.cpp - dialect, module attributes, memdesc type ------===//
#include "dialects/KiteGPU/KiteGPUDialect.h"
#include "dialects/KiteGPU/KiteGPUOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::kitegpu;

#include "dialects/KiteGPU/KiteGPUDialect.cpp.inc"
#define GET_TYPEDEF_CLASSES
#include "dialects/KiteGPU/KiteGPUTypes.cpp.inc"

namespace {
/// Prints layouts as `#blocked`, `#blocked1`, ... aliases, as TTGIR does.
struct KiteGPUOpAsmInterface : OpAsmDialectInterface {
  using OpAsmDialectInterface::OpAsmDialectInterface;
  AliasResult getAlias(Attribute attr, raw_ostream &os) const override {
    if (isa<BlockedLayoutAttr>(attr))
      os << "blocked";
    else if (isa<SliceLayoutAttr>(attr))
      os << "slice";
    else if (isa<SharedLayoutAttr>(attr))
      os << "shared";
    else
      return AliasResult::NoAlias;
    return AliasResult::FinalAlias;
  }
};
} // namespace

void KiteGPUDialect::initialize() {
  registerAttributes();
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/KiteGPU/KiteGPUTypes.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/KiteGPU/KiteGPUOps.cpp.inc"
      >();
  addInterfaces<KiteGPUOpAsmInterface>();
}

Operation *KiteGPUDialect::materializeConstant(OpBuilder &builder,
                                               Attribute value, Type type,
                                               Location loc) {
  return arith::ConstantOp::materialize(builder, value, type, loc);
}

/// Every blocked layout in the module must use exactly its threads and warps.
static LogicalResult verifyLayoutsMatchModule(ModuleOp module,
                                              unsigned numWarps,
                                              unsigned threadsPerWarp) {
  auto check = [&](Operation *op, Type type) -> LogicalResult {
    DistributedLayoutAttr distributed = getLayout(type);
    if (!distributed)
      return success();
    // A slice drops a dimension's threads and warps; check its root instead.
    while (auto slice = dyn_cast<SliceLayoutAttr>(distributed))
      distributed = slice.getParent();
    unsigned threads = 1, warps = 1;
    for (unsigned n : distributed.getThreadsPerWarp())
      threads *= n;
    for (unsigned n : distributed.getWarpsPerCTA())
      warps *= n;
    if ((threadsPerWarp && threads != threadsPerWarp) ||
        (numWarps && warps != numWarps))
      return op->emitOpError() << "layout " << distributed << " has " << threads
                               << " threads per warp and " << warps
                               << " warps, but the module has "
                               << threadsPerWarp << " and " << numWarps;
    return success();
  };
  WalkResult result = module.walk([&](Operation *op) {
    for (Type type : op->getResultTypes())
      if (failed(check(op, type)))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

LogicalResult KiteGPUDialect::verifyOperationAttribute(Operation *op,
                                                       NamedAttribute attr) {
  StringRef name = attr.getName();
  if (name != getNumWarpsAttrName() && name != getThreadsPerWarpAttrName())
    return success();
  auto module = dyn_cast<ModuleOp>(op);
  if (!module)
    return op->emitError() << "'" << name << "' is only valid on a module";
  auto value = dyn_cast<IntegerAttr>(attr.getValue());
  if (!value || !value.getType().isInteger(32) || value.getInt() <= 0 ||
      !llvm::isPowerOf2_64(value.getInt()))
    return op->emitError() << "'" << name
                           << "' must be a positive power of two i32, got "
                           << attr.getValue();
  // Check the layouts once, when looking at the warps.
  if (name != getNumWarpsAttrName())
    return success();
  return verifyLayoutsMatchModule(module, getNumWarps(op),
                                  getThreadsPerWarp(op));
}

//===----------------------------------------------------------------------===//
// !kitegpu.memdesc<32x64xf16, #shared>
//===----------------------------------------------------------------------===//

Type MemDescType::parse(AsmParser &parser) {
  SmallVector<int64_t> shape;
  Type elementType;
  SharedLayoutAttr encoding;
  if (parser.parseLess() ||
      parser.parseDimensionList(shape, /*allowDynamic=*/false) ||
      parser.parseType(elementType) || parser.parseComma() ||
      parser.parseAttribute(encoding) || parser.parseGreater())
    return {};
  return parser.getChecked<MemDescType>(parser.getContext(), shape, elementType,
                                        encoding);
}

void MemDescType::print(AsmPrinter &printer) const {
  printer << '<';
  for (int64_t dim : getShape())
    printer << dim << 'x';
  printer << getElementType() << ", " << getEncoding() << '>';
}

LogicalResult MemDescType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  ArrayRef<int64_t> shape, Type elementType,
                                  SharedLayoutAttr encoding) {
  if (shape.empty())
    return emitError() << "a memdesc needs at least one dimension";
  for (int64_t dim : shape)
    if (dim <= 0)
      return emitError() << "memdesc dimensions must be positive";
  if (!elementType.isIntOrFloat())
    return emitError() << "memdesc elements must be integers or floats, got "
                       << elementType;
  // A buffer of slots (the software pipeliner's) numbers them along its
  // first dimension; the layout is each slot's.
  size_t rank = encoding.getOrder().size();
  if (rank != shape.size() && rank + 1 != shape.size())
    return emitError() << "shared layout order has " << rank
                       << " entries for a rank-" << shape.size()
                       << " buffer (its rank, or one less for a buffer of "
                          "slots)";
  return success();
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static unsigned getModuleInt(Operation *op, StringRef name) {
  auto module =
      isa<ModuleOp>(op) ? cast<ModuleOp>(op) : op->getParentOfType<ModuleOp>();
  if (!module)
    return 0;
  auto value = module->getAttrOfType<IntegerAttr>(name);
  return value ? value.getInt() : 0;
}

unsigned mlir::kitegpu::getNumWarps(Operation *op) {
  return getModuleInt(op, KiteGPUDialect::getNumWarpsAttrName());
}

unsigned mlir::kitegpu::getThreadsPerWarp(Operation *op) {
  return getModuleInt(op, KiteGPUDialect::getThreadsPerWarpAttrName());
}

DistributedLayoutAttr mlir::kitegpu::getLayout(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor
             ? dyn_cast_if_present<DistributedLayoutAttr>(tensor.getEncoding())
             : nullptr;
}

RankedTensorType mlir::kitegpu::withLayout(Type type, Attribute layout) {
  auto tensor = cast<RankedTensorType>(type);
  return RankedTensorType::get(tensor.getShape(), tensor.getElementType(),
                               layout);
}

BlockedLayoutAttr mlir::kitegpu::getPermutedLayout(BlockedLayoutAttr src,
                                                   ArrayRef<int32_t> perm) {
  SmallVector<unsigned> spt, tpw, wpc, order, inverse(perm.size());
  for (auto [i, d] : llvm::enumerate(perm)) {
    spt.push_back(src.getSizePerThread_()[d]);
    tpw.push_back(src.getThreadsPerWarp_()[d]);
    wpc.push_back(src.getWarpsPerCTA_()[d]);
    inverse[d] = i;
  }
  for (unsigned d : src.getOrder_())
    order.push_back(inverse[d]);
  return BlockedLayoutAttr::get(src.getContext(), spt, tpw, wpc, order);
}
