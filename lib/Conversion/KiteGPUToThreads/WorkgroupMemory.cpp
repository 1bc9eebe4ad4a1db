//===- WorkgroupMemory.cpp - buffers the threads of a program share -------===//
//
// Ops whose threads exchange elements (dot, gather, convert_layout, the
// cross-warp steps of reduce and scan) stage them in workgroup memory. An
// element is staged in its tensor's own width, not its register's: bf16 and
// fp8 live in f32 registers (EmulatedFloats.cpp) but take 2 and 1 bytes
// here, so a dot of 8-bit operands needs a quarter of the memory that f32
// would. Registers are narrowed on the store and widened again on the load;
// the narrowing is exact, since the register already holds a value of the
// format. i1 is staged as i32 (SPIR-V has no 1-bit memory), pointers as
// their i64 addresses (getWorkgroupStorageType, in the KiteGPU dialect, so
// that the software pipeliner sizes its slots by the same rule).
//
// How much a program may use is the target's (ThreadGrid::maxWorkgroupBytes:
// Vulkan's maxComputeSharedMemorySize, NVIDIA's opt-in shared memory per
// block); an op whose buffers alone exceed it is an error at the op.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::kitegpu;

MemRefType mlir::kitegpu::getWorkgroupBufferType(Type element,
                                                 int64_t count) {
  auto space = gpu::AddressSpaceAttr::get(element.getContext(),
                                          gpu::AddressSpace::Workgroup);
  return MemRefType::get({count}, getWorkgroupStorageType(element),
                         MemRefLayoutAttrInterface(), space);
}

Value mlir::kitegpu::allocWorkgroup(OpBuilder &b, Location loc, Type element,
                                    int64_t count) {
  return memref::AllocOp::create(b, loc,
                                 getWorkgroupBufferType(element, count));
}

int64_t mlir::kitegpu::getWorkgroupBytes(Type element, int64_t count) {
  return count * getWorkgroupElementBytes(element);
}

Value mlir::kitegpu::toWorkgroupStorage(OpBuilder &b, Location loc,
                                        Type element, Value value) {
  if (element.isInteger(1))
    return arith::ExtUIOp::create(b, loc, b.getI32Type(), value);
  if (isEmulatedFloat(element))
    return emitEmulatedBits(b, loc, value, element);
  return value;
}

void mlir::kitegpu::storeWorkgroup(OpBuilder &b, Location loc, Type element,
                                   Value value, Value buffer, Value index) {
  value = toWorkgroupStorage(b, loc, element, value);
  Value i = arith::IndexCastOp::create(b, loc, b.getIndexType(), index);
  memref::StoreOp::create(b, loc, value, buffer, i);
}

Value mlir::kitegpu::loadWorkgroup(OpBuilder &b, Location loc, Type element,
                                   Value buffer, Value index) {
  Value i = arith::IndexCastOp::create(b, loc, b.getIndexType(), index);
  return fromWorkgroupStorage(b, loc, element,
                              memref::LoadOp::create(b, loc, buffer, i));
}

Value mlir::kitegpu::fromWorkgroupStorage(OpBuilder &b, Location loc,
                                          Type element, Value value) {
  if (element.isInteger(1))
    return arith::TruncIOp::create(b, loc, element, value);
  if (isEmulatedFloat(element))
    return emitEmulatedToF32(b, loc, value, element);
  return value;
}

SmallVector<Value> mlir::kitegpu::loadWorkgroup(
    OpBuilder &b, Location loc, Type element, Value buffer, size_t count,
    function_ref<Value(size_t)> index, const ThreadGrid &grid) {
  bool emulated = isEmulatedFloat(element);
  SmallVector<Value> values;
  for (size_t r = 0; r < count; ++r) {
    if (!emulated) {
      values.push_back(loadWorkgroup(b, loc, element, buffer, index(r)));
      continue;
    }
    Value i = arith::IndexCastOp::create(b, loc, b.getIndexType(), index(r));
    values.push_back(memref::LoadOp::create(b, loc, buffer, i));
  }
  if (emulated)
    values = emitEmulatedToF32(b, loc, values, element, grid);
  return values;
}

LogicalResult mlir::kitegpu::checkWorkgroupBytes(Operation *op, int64_t bytes,
                                                 const ThreadGrid &grid,
                                                 const Twine &what,
                                                 StringRef remedy) {
  if (!grid.maxWorkgroupBytes || bytes <= grid.maxWorkgroupBytes)
    return success();
  return op->emitError() << "'" << op->getName() << "' needs " << bytes
                         << " bytes of workgroup memory for " << what
                         << ", more than the " << grid.maxWorkgroupBytes
                         << " a program has on this target; " << remedy;
}
