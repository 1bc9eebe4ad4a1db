//===- KiteGPUOps.cpp - convert_layout and shared-memory ops --------------===//
#include "dialects/KiteGPU/KiteGPUOps.h"
#include "dialects/KiteGPU/TmaBoxes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::kitegpu;

#define GET_OP_CLASSES
#include "dialects/KiteGPU/KiteGPUOps.cpp.inc"

//===----------------------------------------------------------------------===//
// convert_layout
//===----------------------------------------------------------------------===//

LogicalResult ConvertLayoutOp::verify() {
  RankedTensorType src = getSrc().getType(), result = getType();
  if (src.getShape() != result.getShape() ||
      src.getElementType() != result.getElementType())
    return emitOpError() << "changes the shape or element type: " << src
                         << " to " << result;
  if (!getLayout(src) || !getLayout(result))
    return emitOpError() << "needs distributed layouts on both sides, got "
                         << src << " and " << result;
  return success();
}

OpFoldResult ConvertLayoutOp::fold(FoldAdaptor adaptor) {
  if (getSrc().getType() == getType())
    return getSrc();
  // A splat constant is the same in every layout.
  if (auto splat = dyn_cast_if_present<SplatElementsAttr>(adaptor.getSrc()))
    return splat.resizeSplat(getType());
  // convert(convert(x)) is one convert of x.
  if (auto inner = getSrc().getDefiningOp<ConvertLayoutOp>()) {
    if (inner.getSrc().getType() == getType())
      return inner.getSrc();
    getSrcMutable().assign(inner.getSrc());
    return getResult();
  }
  return {};
}

//===----------------------------------------------------------------------===//
// Shared memory
//===----------------------------------------------------------------------===//

/// A distributed tensor and a buffer must hold the same shape of one type.
static LogicalResult verifyMatchesBuffer(Operation *op, RankedTensorType tensor,
                                         MemDescType buffer) {
  if (tensor.getShape() != buffer.getShape() ||
      tensor.getElementType() != buffer.getElementType())
    return op->emitOpError()
           << "tensor " << tensor << " does not match the buffer " << buffer;
  if (!getLayout(tensor))
    return op->emitOpError()
           << "tensor " << tensor << " needs a distributed layout";
  return success();
}

LogicalResult LocalAllocOp::verify() {
  if (!getSrc())
    return success();
  return verifyMatchesBuffer(*this, getSrc().getType(), getType());
}

/// Whether `buffer` numbers slots along its first dimension (its layout
/// is a slot's, of one rank less).
static bool isBufferOfSlots(MemDescType buffer) {
  return buffer.getEncoding().getOrder().size() + 1 == buffer.getShape().size();
}

/// The type of one slot of `buffer` (its shape without the first dimension).
static MemDescType getSlotType(MemDescType buffer) {
  return MemDescType::get(buffer.getContext(), buffer.getShape().drop_front(),
                          buffer.getElementType(), buffer.getEncoding());
}

LogicalResult LocalLoadOp::verify() {
  MemDescType buffer = getSrc().getType();
  if (getSlot()) {
    if (!isBufferOfSlots(buffer))
      return emitOpError() << "reads a slot of a buffer of slots, not of "
                           << buffer;
    buffer = getSlotType(buffer);
  }
  return verifyMatchesBuffer(*this, getType(), buffer);
}

LogicalResult AsyncCopyOp::verify() {
  MemDescType buffer = getBuffer().getType();
  if (!isBufferOfSlots(buffer))
    return emitOpError() << "writes a slot of a buffer of slots, not of "
                         << buffer;
  auto ptrs = getPtrs().getType();
  auto pointer = dyn_cast<kite::PointerType>(ptrs.getElementType());
  if (!pointer || pointer.getPointeeType() != buffer.getElementType() ||
      ptrs.getShape() != buffer.getShape().drop_front())
    return emitOpError() << "copies " << ptrs << " into slots of another "
                         << "shape or element type: " << buffer;
  if (getMask() && getMask().getType().getShape() != ptrs.getShape())
    return emitOpError("has a mask of another shape than its pointers");
  if (!getLayout(ptrs))
    return emitOpError() << "pointers " << ptrs
                         << " need a distributed layout";
  return success();
}

/// Whether `barriers` is a buffer of mbarriers (1-D, i64).
static LogicalResult verifyBarriers(Operation *op, MemDescType barriers) {
  if (barriers.getShape().size() != 1 || !barriers.getElementType().isInteger(64))
    return op->emitOpError() << "needs a 1-D buffer of i64 mbarriers, not "
                             << barriers;
  return success();
}

LogicalResult InitBarriersOp::verify() {
  return verifyBarriers(*this, getBarriers().getType());
}

LogicalResult InvalBarriersOp::verify() {
  return verifyBarriers(*this, getBarriers().getType());
}

LogicalResult WaitBarrierOp::verify() {
  return verifyBarriers(*this, getBarriers().getType());
}

LogicalResult AsyncTmaStoreOp::verify() {
  MemDescType buffer = getBuffer().getType();
  if (buffer.getShape().size() != 2)
    return emitOpError() << "reads a 2-D buffer, not " << buffer;
  if (getCoordinates().size() != 2)
    return emitOpError("needs one coordinate per dimension of the tile");
  if (!getTmaPlan(buffer))
    return emitOpError() << "no TMA boxes read the layout of " << buffer;
  return success();
}

LogicalResult AsyncTmaCopyOp::verify() {
  MemDescType buffer = getBuffer().getType();
  if (!isBufferOfSlots(buffer) || buffer.getShape().size() != 3)
    return emitOpError() << "writes a slot of 2-D tiles, not " << buffer;
  if (getCoordinates().size() != 2)
    return emitOpError("needs one coordinate per dimension of the tile");
  if (!getTmaPlan(buffer))
    return emitOpError() << "no TMA boxes write the layout of " << buffer;
  return verifyBarriers(*this, getBarriers().getType());
}

LogicalResult LocalStoreOp::verify() {
  return verifyMatchesBuffer(*this, getSrc().getType(), getDst().getType());
}
