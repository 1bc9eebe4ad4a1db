//===- KiteThreadDialect.cpp - dialect and module attribute checks --------===//
#include "dialects/KiteThread/KiteThreadDialect.h"
#include "dialects/KiteThread/KiteThreadModule.h"
#include "dialects/KiteThread/KiteThreadOps.h"
#include "dialects/KiteThread/WorkgroupBufferPlacement.h"

#include "mlir/IR/BuiltinOps.h"

using namespace mlir;
using namespace mlir::kitethread;

#include "dialects/KiteThread/KiteThreadDialect.cpp.inc"

void KiteThreadDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/KiteThread/KiteThreadOps.cpp.inc"
      >();
}

/// A launch argument: a scalar of the kinds kitethread.kernel_arg returns.
static bool isArgType(Type type) {
  return type.isInteger(1) || type.isInteger(8) || type.isInteger(16) ||
         type.isInteger(32) || type.isInteger(64) || type.isF16() ||
         type.isF32() || type.isF64();
}

/// `kitethread.num-threads` (positive) and `kitethread.shared-bytes`
/// (non-negative) are i32 attributes of the module holding the kernel;
/// `kitethread.arg-types` is an array of scalar types;
/// `kitethread.pointer-args` an array of argument indexes and
/// `kitethread.allocation-table` a unit attribute of the module;
/// `kitethread.global_memory` is a unit attribute or a scope name of a
/// gpu.barrier and
/// `kitethread.memory_check` one of a kitethread.assert.
LogicalResult KiteThreadDialect::verifyOperationAttribute(Operation *op,
                                                          NamedAttribute attr) {
  StringRef name = attr.getName();
  if (name == kGlobalMemoryBarrierAttr) {
    auto scope = dyn_cast<StringAttr>(attr.getValue());
    if (op->getName().getStringRef() == "gpu.barrier" &&
        (isa<UnitAttr>(attr.getValue()) ||
         (scope && kite::symbolizeMemScope(scope.getValue()))))
      return success();
    return op->emitError() << "'" << name
                           << "' is a unit attribute or a scope (\"cta\", "
                              "\"gpu\", \"sys\") of gpu.barrier";
  }
  if (name == kMemoryCheckAttr) {
    if (isa<AssertOp>(op) && isa<UnitAttr>(attr.getValue()))
      return success();
    return op->emitError() << "'" << name
                           << "' is a unit attribute of kitethread.assert";
  }
  if (name == kAlignmentAttr) {
    auto bytes = dyn_cast<IntegerAttr>(attr.getValue());
    if (isa<memref::AllocOp>(op) && bytes && bytes.getInt() > 0 &&
        llvm::isPowerOf2_64(bytes.getInt()))
      return success();
    return op->emitError() << "'" << name
                           << "' is a power-of-two byte count of a "
                              "workgroup memref.alloc";
  }
  if (name == getPointerArgsAttrName() ||
      name == getAllocationTableAttrName()) {
    if (!isa<ModuleOp>(op))
      return op->emitError() << "'" << name << "' is only valid on a module";
    bool pointers = name == getPointerArgsAttrName();
    if (pointers ? isa<DenseI32ArrayAttr>(attr.getValue())
                 : isa<UnitAttr>(attr.getValue()))
      return success();
    return op->emitError() << "'" << name << "' must be "
                           << (pointers ? "an array<i32> of argument indexes"
                                        : "a unit attribute");
  }
  bool numThreads = name == getNumThreadsAttrName();
  bool argTypes = name == getArgTypesAttrName();
  if (!numThreads && !argTypes && name != getSharedBytesAttrName())
    return op->emitError() << "unknown kitethread attribute '" << name << "'";
  if (!isa<ModuleOp>(op))
    return op->emitError() << "'" << name << "' is only valid on a module";
  if (argTypes) {
    auto list = dyn_cast<ArrayAttr>(attr.getValue());
    if (list && llvm::all_of(list, [](Attribute a) {
          auto type = dyn_cast<TypeAttr>(a);
          return type && isArgType(type.getValue());
        }))
      return success();
    return op->emitError() << "'" << name << "' must be an array of scalar "
                           << "types (i1, i8, i16, i32, i64, f16, f32, f64), "
                           << "got " << attr.getValue();
  }
  auto value = dyn_cast<IntegerAttr>(attr.getValue());
  int64_t minimum = numThreads ? 1 : 0;
  if (!value || !value.getType().isInteger(32) || value.getInt() < minimum)
    return op->emitError() << "'" << name << "' must be "
                           << (numThreads ? "a positive" : "a non-negative")
                           << " i32, got " << attr.getValue();
  return success();
}
