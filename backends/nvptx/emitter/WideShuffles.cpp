//===- WideShuffles.cpp - warp shuffles of any scalar width ---------------===//
//
// Reductions and scans shuffle values of their element type between the
// lanes of a warp (kitegpu::emitShuffleXor). SPIR-V's subgroup shuffles take
// any scalar; NVVM's shfl.sync takes an i32 or f32 only, so f16, bf16, i8,
// i16 (zero-extended) and f64, i64 (two halves) are shuffled as i32 here,
// before the LLVM conversion.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/emitter/WideShuffles.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"

using namespace mlir;

/// One i32 shuffle like `op`, of `bits`.
static gpu::ShuffleOp shuffleI32(OpBuilder &b, gpu::ShuffleOp op, Value bits) {
  return gpu::ShuffleOp::create(b, op.getLoc(), bits, op.getOffset(),
                                op.getWidth(), op.getMode());
}

static LogicalResult split(gpu::ShuffleOp op) {
  Type type = op.getValue().getType();
  if (!isa<IntegerType, FloatType>(type))
    return op.emitOpError() << "of a " << type
                            << ": the NVPTX emitter shuffles scalars only";
  unsigned width = type.getIntOrFloatBitWidth();
  if (width == 32 || width > 64)
    return width == 32 ? success()
                       : op.emitOpError() << "of a " << width << "-bit value";
  OpBuilder b(op);
  Location loc = op.getLoc();
  Type i32 = b.getI32Type();
  Type bitsType = b.getIntegerType(width);
  Value bits = op.getValue();
  if (isa<FloatType>(type))
    bits = arith::BitcastOp::create(b, loc, bitsType, bits);
  Value result, valid;
  if (width < 32) {
    auto shuffled =
        shuffleI32(b, op, arith::ExtUIOp::create(b, loc, i32, bits));
    result = arith::TruncIOp::create(b, loc, bitsType, shuffled.getShuffleResult());
    valid = shuffled.getValid();
  } else {
    Value shift = arith::ConstantIntOp::create(b, loc, bitsType, 32);
    Value low = arith::TruncIOp::create(b, loc, i32, bits);
    Value high = arith::TruncIOp::create(
        b, loc, i32, arith::ShRUIOp::create(b, loc, bits, shift));
    auto lowShuffled = shuffleI32(b, op, low);
    auto highShuffled = shuffleI32(b, op, high);
    Value newLow = arith::ExtUIOp::create(b, loc, bitsType,
                                          lowShuffled.getShuffleResult());
    Value newHigh = arith::ShLIOp::create(
        b, loc,
        arith::ExtUIOp::create(b, loc, bitsType,
                               highShuffled.getShuffleResult()),
        shift);
    result = arith::OrIOp::create(b, loc, newHigh, newLow);
    valid = lowShuffled.getValid();
  }
  if (isa<FloatType>(type))
    result = arith::BitcastOp::create(b, loc, type, result);
  op.getShuffleResult().replaceAllUsesWith(result);
  op.getValid().replaceAllUsesWith(valid);
  op.erase();
  return success();
}

LogicalResult mlir::kitenvptx::splitShufflesTo32Bits(ModuleOp module) {
  SmallVector<gpu::ShuffleOp> shuffles;
  module.walk([&](gpu::ShuffleOp op) { shuffles.push_back(op); });
  for (gpu::ShuffleOp op : shuffles)
    if (failed(split(op)))
      return failure();
  return success();
}
