//===- DecodedOperands.cpp - dot operands decoded at their fragments ------===//
//
// A weight-only or block-scaled dot (W4A16, W8A16, dot_scaled) decodes an
// operand from 4- or 8-bit codes that the software pipeliner copied into
// workgroup memory: local_load, then unpacking (join, reshape, trans),
// conversion and scaling, element-wise in the load's layout. Lowered op by
// op, the decoded f16/bf16 tile would then be staged for mma.sync through
// workgroup memory a second time, at 16 bits, and held in registers
// between the two. DecodedOperand instead evaluates the whole chain at the
// coordinates of each mma.sync fragment, reading the narrow codes (and the
// scales) from the pipeliner's slots where they are: coordinates map back
// through the shape ops (a reshape is row-major, a join picks an operand by
// the last coordinate, a broadcast reads coordinate 0), the element-wise
// ops are emitted as ElementwiseToThreads emits them, and the f32 results
// are rounded two at a time into the fragment's words (cvt.rn.bf16x2.f32).
// The chain's own lowering becomes dead and is erased.
//
// Coordinates are LaneCoords: a per-lane part and a constant with disjoint
// bits (fragment rows and columns are a lane's bits plus a tile's or K
// step's offset above them), so that the divisions and remainders of a
// reshape by powers of two split into shifts and masks of each part, and
// every evaluation at the same (value, coordinates) is emitted once.
//
// A small tensor the chain reads that is computed elsewhere (a scale loaded
// before the K loop) is stored to a workgroup buffer before the first
// fragment and read per coordinate. Which operands emitMmaDot decodes here
// is ThreadGrid::fuseDequantize's policy (each warp sharing an operand's
// rows decodes them again, where staging decodes each element once).
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

#include "dialects/Kite/Float8Formats.h"
#include "dialects/KiteGPU/KiteGPUOps.h"
#include "dialects/KiteThread/KiteThreadOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::kitegpu;

namespace {

bool isPowerOf2Shape(RankedTensorType type) {
  return llvm::all_of(type.getShape(),
                      [](int64_t size) { return llvm::isPowerOf2_64(size); });
}

/// Ops of the chain between its leaves and the dot; a leaf is a local_load
/// of a slot, a splat constant or a splat of a scalar.
bool isChainOp(Operation *op) {
  if (auto join = dyn_cast<kite::JoinOp>(op))
    return isa<RankedTensorType>(join.getLhs().getType());
  if (isa<ConvertLayoutOp, kite::TransOp, kite::ExpandDimsOp,
          kite::BroadcastOp, kite::FpToFpOp, kite::Fp4ToFpOp>(op))
    return true;
  if (auto reshape = dyn_cast<kite::ReshapeOp>(op))
    return isPowerOf2Shape(reshape.getSrc().getType()) &&
           isPowerOf2Shape(reshape.getType());
  return isElementwiseForThreads(op);
}

bool isLeaf(Operation *op) {
  if (auto load = dyn_cast<LocalLoadOp>(op))
    return load.getSlot() && load.getSrc().getType().getShape().size() == 3;
  if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
    auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
    return dense && dense.isSplat();
  }
  return isa<kite::SplatOp>(op);
}

/// Whether `op` may sit between a leaf's local_load and the dot: nothing
/// of the source IR that writes memory. (The ops this conversion already
/// emitted there, in other dialects, write only their own scratch
/// buffers.)
bool isReadOnly(Operation *op) {
  if (!isa<kite::KiteDialect, KiteGPUDialect, scf::SCFDialect>(
          op->getDialect()) ||
      isMemoryEffectFree(op))
    return true;
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  return effects && !effects.hasEffect<MemoryEffects::Write>();
}

Type registerType(Type element) {
  return isEmulatedFloat(element) ? Float32Type::get(element.getContext())
                                  : element;
}

//===- Coordinates --------------------------------------------------------===//

/// Builds coordinates; each lane computation (lane value, kind, operand)
/// is emitted once, so that equal coordinates are the same values and
/// DecodedOperand's memo finds them.
struct CoordBuilder {
  OpBuilder &b;
  Location loc;
  std::map<std::tuple<void *, int, int64_t>, Value> &made;

  enum Kind { Add, ShiftRight, ShiftLeft, And, Or };
  Value i32(int64_t value) { return createI32(b, loc, value); }
  Value make(Kind kind, Value lane, int64_t operand, Value other = {}) {
    Value &result = made[{lane.getAsOpaquePointer(), int(kind),
                          other ? int64_t(reinterpret_cast<intptr_t>(
                                      other.getAsOpaquePointer()))
                                : operand}];
    if (result)
      return result;
    Value rhs = other ? other : i32(operand);
    switch (kind) {
    case Add:
      return result = arith::AddIOp::create(b, loc, lane, rhs);
    case ShiftRight:
      return result = arith::ShRUIOp::create(b, loc, lane, rhs);
    case ShiftLeft:
      return result = arith::ShLIOp::create(b, loc, lane, rhs);
    case And:
      return result = arith::AndIOp::create(b, loc, lane, rhs);
    case Or:
      return result = arith::OrIOp::create(b, loc, lane, rhs);
    }
    llvm_unreachable("a coordinate operation");
  }
  Value materialize(const LaneCoord &c) {
    if (!c.lane)
      return i32(c.constant);
    if (!c.constant)
      return c.lane;
    return make(Add, c.lane, c.constant);
  }
  SmallVector<Value> materialize(const LaneCoords &coords) {
    return llvm::map_to_vector(
        coords, [&](const LaneCoord &c) { return materialize(c); });
  }
  LaneCoord shiftRight(const LaneCoord &c, unsigned bits) {
    if (!bits)
      return c;
    LaneCoord r{Value(), c.mask >> bits, c.constant >> bits};
    if (r.mask)
      r.lane = make(ShiftRight, c.lane, bits);
    return r;
  }
  LaneCoord shiftLeft(const LaneCoord &c, unsigned bits) {
    if (!bits)
      return c;
    LaneCoord r{Value(), c.mask << bits, c.constant << bits};
    if (c.lane)
      r.lane = make(ShiftLeft, c.lane, bits);
    return r;
  }
  /// The low `bits` bits.
  LaneCoord low(const LaneCoord &c, unsigned bits) {
    uint64_t keep = (uint64_t(1) << bits) - 1;
    LaneCoord r{Value(), c.mask & keep, c.constant & int64_t(keep)};
    if (r.mask)
      r.lane = r.mask == c.mask ? c.lane : make(And, c.lane, int64_t(keep));
    return r;
  }
  /// x | y of coordinates whose bits are disjoint.
  LaneCoord combine(const LaneCoord &x, const LaneCoord &y) {
    assert(!((x.mask | uint64_t(x.constant)) & (y.mask | uint64_t(y.constant))) &&
           "coordinates overlap");
    LaneCoord r{Value(), x.mask | y.mask, x.constant | y.constant};
    if (x.lane && y.lane)
      r.lane = make(Or, x.lane, 0, y.lane);
    else
      r.lane = x.lane ? x.lane : y.lane;
    return r;
  }
};

unsigned log2(int64_t size) { return llvm::Log2_64(uint64_t(size)); }

/// A scalar bf16 or fp8 constant as the f32 that holds it.
Value emitScalarConstant(OpBuilder &b, Location loc, Attribute splat) {
  if (auto value = dyn_cast<FloatAttr>(splat);
      value && isEmulatedFloat(value.getType()))
    return arith::ConstantOp::create(
        b, loc, b.getF32FloatAttr(float(value.getValueAsDouble())));
  return arith::ConstantOp::create(b, loc, cast<TypedAttr>(splat));
}

} // namespace

std::optional<DecodedOperand> DecodedOperand::match(Value operand,
                                                    kite::DotOp dot) {
  Block *block = dot->getBlock();
  llvm::SetVector<Operation *> chain;
  SmallVector<LocalLoadOp> loads;
  bool decodes = false;
  SmallVector<Value> registerLeaves;
  int64_t elements = cast<RankedTensorType>(operand.getType()).getNumElements();
  SmallVector<Value> work{operand};
  while (!work.empty()) {
    Value value = work.pop_back_val();
    Operation *op = value.getDefiningOp();
    // Outside the loop's body: constants, splats, and the shape ops that
    // hoisting moved there (a scale's broadcast), which cost nothing to
    // follow. A small tensor computed elsewhere (a scale loaded before the
    // loop, a loop-carried value) is a leaf read from registers through
    // workgroup memory: at most an eighth of the operand's elements.
    bool outside = op && op->getBlock() != block;
    bool freeOutside =
        isa_and_nonnull<arith::ConstantOp, kite::SplatOp>(op) ||
        (isa_and_nonnull<ConvertLayoutOp, kite::BroadcastOp, kite::ExpandDimsOp,
                         kite::TransOp, kite::ReshapeOp>(op) &&
         isChainOp(op));
    bool elsewhere = !op || (outside && !freeOutside) ||
                     (!isLeaf(op) && !isChainOp(op));
    if (elsewhere) {
      auto type = dyn_cast<RankedTensorType>(value.getType());
      if (!type || !getLayout(type) || 8 * type.getNumElements() > elements ||
          isa<kite::PointerType>(type.getElementType()))
        return std::nullopt;
      if (!llvm::is_contained(registerLeaves, value))
        registerLeaves.push_back(value);
      continue;
    }
    if (!chain.insert(op))
      continue;
    if (isLeaf(op)) {
      if (auto load = dyn_cast<LocalLoadOp>(op))
        loads.push_back(load); // in the block: one outside is "elsewhere"
      continue;
    }
    if (!isChainOp(op))
      return std::nullopt;
    decodes |= !isa<ConvertLayoutOp, kite::TransOp, kite::ExpandDimsOp,
                    kite::BroadcastOp, kite::JoinOp, kite::ReshapeOp>(op);
    for (Value input : op->getOperands())
      if (isa<RankedTensorType>(input.getType()))
        work.push_back(input);
  }
  // Decoding from narrow codes: at least one leaf of 8 bits or fewer, and
  // some op that computes.
  if (!decodes || llvm::none_of(loads, [](LocalLoadOp load) {
        return load.getType().getElementTypeBitWidth() <= 8;
      }))
    return std::nullopt;
  // Used only within the chain (splats aside, which are free), so that the
  // load-layout lowering of the chain is dead once the dot reads it here.
  for (Operation *op : chain) {
    if (isa<arith::ConstantOp, kite::SplatOp>(op) || op->getBlock() != block)
      continue;
    for (Operation *user : op->getUsers())
      if (user != dot.getOperation() && !chain.contains(user))
        return std::nullopt;
  }
  // The slots hold the same codes where the dot reads them as where they
  // were loaded.
  for (LocalLoadOp load : loads)
    for (Operation *op = load->getNextNode(); op != dot.getOperation();
         op = op->getNextNode())
      if (!chain.contains(op) && !isReadOnly(op))
        return std::nullopt;
  DecodedOperand decoded(operand);
  decoded.registerLeaves = std::move(registerLeaves);
  decoded.chain.assign(chain.begin(), chain.end());
  return decoded;
}

int64_t DecodedOperand::getCostPerElement(const ThreadGrid &grid) const {
  // The codes: the largest slot the chain loads.
  LocalLoadOp codes;
  for (Operation *op : chain)
    if (auto load = dyn_cast<LocalLoadOp>(op))
      if (!codes || load.getType().getNumElements() >
                        codes.getType().getNumElements())
        codes = load;
  auto fp8Cost = [&](Type type) -> int64_t {
    bool hardware = grid.hasFp8Conversions() &&
                    isa<Float8E4M3FNType, Float8E5M2Type>(type);
    return hardware ? 1 : 8;
  };
  llvm::DenseSet<Value> fromCodes;
  int64_t cost = 0;
  if (codes) {
    fromCodes.insert(codes.getResult());
    // A slot of fp8 values is decoded as it is loaded.
    if (kite::getFloat8Format(codes.getType().getElementType()))
      cost += fp8Cost(codes.getType().getElementType());
  }
  // The ops that read the codes, in any order of `chain`: until no more.
  llvm::DenseSet<Operation *> counted;
  for (bool grew = true; grew;) {
    grew = false;
    for (Operation *op : chain) {
      if (isa<LocalLoadOp>(op) || counted.contains(op) ||
          llvm::none_of(op->getOperands(),
                        [&](Value v) { return fromCodes.contains(v); }))
        continue;
      counted.insert(op);
      fromCodes.insert(op->getResult(0));
      grew = true;
      if (isa<ConvertLayoutOp, kite::TransOp, kite::ExpandDimsOp,
              kite::BroadcastOp, kite::JoinOp, kite::ReshapeOp>(op))
        continue;
      // e2m1 codes decode two to a bf16x2 word (Fp4ToThreads.cpp).
      if (isa<kite::Fp4ToFpOp>(op)) {
        cost += 3;
        continue;
      }
      Type from = getElementTypeOrSelf(op->getOperand(0).getType());
      Type to = getElementTypeOrSelf(op->getResult(0).getType());
      // bf16 and fp8 values are f32 registers: widening one to f32 is
      // free; an fp8 result decodes (from bits) or rounds, in hardware
      // from sm_89.
      if (isa<kite::FpToFpOp, arith::ExtFOp>(op) && isEmulatedFloat(from) &&
          to.isF32())
        continue;
      cost += kite::getFloat8Format(to) ? fp8Cost(to) : 1;
    }
  }
  return cost;
}

bool DecodedOperand::canReadLeaves(ConversionPatternRewriter &rewriter,
                                   const ThreadGrid &grid) {
  // The conversion hands a pattern the registers of its own op's operands;
  // for another value it gives one register, the first where there are
  // several: a leaf must be one register per thread (a [BLOCK_N] scale on
  // at least BLOCK_N threads).
  for (Value leaf : registerLeaves) {
    auto type = cast<RankedTensorType>(leaf.getType());
    SmallVector<Value> regs;
    bool ok = succeeded(rewriter.getRemappedValues(leaf, regs));
    if (!ok ||
        int64_t(regs.size()) !=
            getLayout(type).getTotalElemsPerThread(type.getShape()))
      return false;
    leafRegisters[leaf] = regs;
  }
  return true;
}

bool DecodedOperand::storeRegisterLeaves(ConversionPatternRewriter &rewriter,
                                         const ThreadGrid &grid) {
  // Every thread's registers to a row-major buffer; the caller's barrier
  // follows.
  for (Value leaf : registerLeaves) {
    Location loc = leaf.getLoc();
    auto type = cast<RankedTensorType>(leaf.getType());
    Type element = type.getElementType();
    Value buffer = allocWorkgroup(rewriter, loc, element, type.getNumElements());
    views[leaf.getAsOpaquePointer()] = buffer;
    for (auto [value, at] : llvm::zip_equal(
             leafRegisters[leaf], emitRegisterCoords(rewriter, loc, type, grid)))
      storeWorkgroup(rewriter, loc, element, value, buffer,
                     emitLinearIndex(rewriter, loc, at, type.getShape()));
  }
  return !registerLeaves.empty();
}

SmallVector<Value>
DecodedOperand::emitRegisterLeaf(ConversionPatternRewriter &rewriter,
                                 const ThreadGrid &grid, Value leaf,
                                 ArrayRef<LaneCoords> coords) {
  Location loc = leaf.getLoc();
  CoordBuilder c{rewriter, loc, laneOps};
  auto type = cast<RankedTensorType>(leaf.getType());
  Value buffer = views.lookup(leaf.getAsOpaquePointer());
  assert(buffer && "storeRegisterLeaves comes first");
  return loadWorkgroup(
      rewriter, loc, type.getElementType(), buffer, coords.size(),
      [&](size_t i) {
        return emitLinearIndex(rewriter, loc, c.materialize(coords[i]),
                               type.getShape());
      },
      grid);
}

SmallVector<Value>
DecodedOperand::emitAt(ConversionPatternRewriter &rewriter,
                       const ThreadGrid &grid, Value of,
                       ArrayRef<LaneCoords> coords) {
  auto keyOf = [&](const LaneCoords &at) {
    std::vector<int64_t> key;
    for (const LaneCoord &c : at) {
      key.push_back(int64_t(reinterpret_cast<intptr_t>(
          c.lane ? c.lane.getAsOpaquePointer() : nullptr)));
      key.push_back(int64_t(c.mask));
      key.push_back(c.constant);
    }
    return std::make_pair(of.getAsOpaquePointer(), std::move(key));
  };
  SmallVector<LaneCoords> missing;
  std::map<std::pair<void *, std::vector<int64_t>>, bool> asked;
  for (const LaneCoords &at : coords) {
    auto key = keyOf(at);
    if (!memo.count(key) && asked.emplace(key, true).second)
      missing.push_back(at);
  }
  if (!missing.empty()) {
    SmallVector<Value> values =
        llvm::is_contained(registerLeaves, of)
            ? emitRegisterLeaf(rewriter, grid, of, missing)
            : emitOp(rewriter, grid, of.getDefiningOp(), missing);
    for (auto [at, value] : llvm::zip_equal(missing, values))
      memo[keyOf(at)] = value;
  }
  SmallVector<Value> results;
  for (const LaneCoords &at : coords)
    results.push_back(memo[keyOf(at)]);
  return results;
}

SmallVector<Value>
DecodedOperand::emitOp(ConversionPatternRewriter &rewriter,
                       const ThreadGrid &grid, Operation *op,
                       ArrayRef<LaneCoords> coords) {
  Location loc = op->getLoc();
  CoordBuilder c{rewriter, loc, laneOps};
  size_t count = coords.size();
  auto mapped = [&](Value input, auto &&map) {
    SmallVector<LaneCoords> inner;
    for (const LaneCoords &at : coords)
      inner.push_back(map(at));
    return emitAt(rewriter, grid, input, inner);
  };
  if (auto constant = dyn_cast<arith::ConstantOp>(op))
    return SmallVector<Value>(
        count,
        emitScalarConstant(
            rewriter, loc,
            cast<DenseElementsAttr>(constant.getValue()).getSplatValue<Attribute>()));
  if (auto splat = dyn_cast<kite::SplatOp>(op))
    return SmallVector<Value>(count, rewriter.getRemappedValue(splat.getSrc()));
  if (auto load = dyn_cast<LocalLoadOp>(op))
    return emitLoad(rewriter, grid, load, coords);
  if (auto convert = dyn_cast<ConvertLayoutOp>(op))
    return emitAt(rewriter, grid, convert.getSrc(), coords);
  if (auto trans = dyn_cast<kite::TransOp>(op))
    return mapped(trans.getSrc(), [&](const LaneCoords &at) {
      LaneCoords inner(at.size());
      for (auto [i, from] : llvm::enumerate(trans.getOrder()))
        inner[from] = at[i];
      return inner;
    });
  if (auto expand = dyn_cast<kite::ExpandDimsOp>(op))
    return mapped(expand.getSrc(), [&](const LaneCoords &at) {
      LaneCoords inner(at);
      inner.erase(inner.begin() + expand.getAxis());
      return inner;
    });
  if (auto broadcast = dyn_cast<kite::BroadcastOp>(op))
    return mapped(broadcast.getSrc(), [&](const LaneCoords &at) {
      LaneCoords inner(at);
      for (auto [i, size] :
           llvm::enumerate(broadcast.getSrc().getType().getShape()))
        if (size == 1)
          inner[i] = LaneCoord();
      return inner;
    });
  if (auto reshape = dyn_cast<kite::ReshapeOp>(op)) {
    ArrayRef<int64_t> from = reshape.getSrc().getType().getShape();
    ArrayRef<int64_t> to = reshape.getType().getShape();
    return mapped(reshape.getSrc(), [&](const LaneCoords &at) {
      // Row-major: the linear index's bits, then the source's fields.
      LaneCoord linear;
      for (auto [coord, size] : llvm::zip_equal(at, to))
        linear = c.combine(c.shiftLeft(linear, log2(size)), coord);
      LaneCoords inner(from.size());
      unsigned below = 0;
      for (int64_t i = int64_t(from.size()) - 1; i >= 0; --i) {
        inner[i] = c.low(c.shiftRight(linear, below), log2(from[i]));
        below += log2(from[i]);
      }
      return inner;
    });
  }
  if (auto join = dyn_cast<kite::JoinOp>(op)) {
    // The last coordinate picks lhs (0) or rhs (1); where it is a lane's,
    // both are evaluated and a select picks.
    SmallVector<LaneCoords> inner;
    for (const LaneCoords &at : coords)
      inner.push_back(LaneCoords(at.begin(), at.end() - 1));
    bool constant = llvm::all_of(
        coords, [](const LaneCoords &at) { return !at.back().lane; });
    auto side = [&](bool rhs) {
      SmallVector<LaneCoords> picked;
      for (auto [at, in] : llvm::zip_equal(coords, inner))
        if (!constant || (at.back().constant == 1) == rhs)
          picked.push_back(in);
      return picked.empty() ? SmallVector<Value>()
                            : emitAt(rewriter, grid,
                                     rhs ? join.getRhs() : join.getLhs(),
                                     picked);
    };
    SmallVector<Value> lhs = side(false), rhs = side(true);
    SmallVector<Value> results;
    size_t nextLhs = 0, nextRhs = 0;
    for (const LaneCoords &at : coords) {
      if (constant) {
        results.push_back(at.back().constant ? rhs[nextRhs++]
                                             : lhs[nextLhs++]);
        continue;
      }
      Value isRhs = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ne,
                                          c.materialize(at.back()), c.i32(0));
      results.push_back(arith::SelectOp::create(rewriter, loc, isRhs,
                                                rhs[nextRhs++], lhs[nextLhs++]));
    }
    return results;
  }
  Type element = getElementTypeOrSelf(op->getResult(0).getType());
  SmallVector<Type> types(count, registerType(element));
  if (auto decode = dyn_cast<kite::Fp4ToFpOp>(op)) {
    SmallVector<Value> codes = emitAt(rewriter, grid, decode.getCodes(), coords);
    SmallVector<Value> results;
    for (auto [code, type] : llvm::zip_equal(codes, types)) {
      Value value =
          emitFp4Register(rewriter, loc, code, decode.getHigh(), type, grid);
      fp4Codes[value] = {code, decode.getHigh()};
      results.push_back(value);
    }
    return results;
  }
  if (auto convert = dyn_cast<kite::FpToFpOp>(op))
    return emitFpToFpRegisters(rewriter, convert,
                               emitAt(rewriter, grid, convert.getSrc(), coords),
                               types, grid);
  // Element-wise: tensor operands at the same coordinates, scalars as they
  // are.
  SmallVector<SmallVector<Value>> operands;
  for (Value input : op->getOperands())
    operands.push_back(isa<RankedTensorType>(input.getType())
                           ? emitAt(rewriter, grid, input, coords)
                           : SmallVector<Value>{rewriter.getRemappedValue(input)});
  SmallVector<ValueRange> ranges(operands.begin(), operands.end());
  return emitElementwiseRegisters(rewriter, op, ranges, types, grid);
}

SmallVector<Value>
DecodedOperand::emitLoad(ConversionPatternRewriter &rewriter,
                         const ThreadGrid &grid, LocalLoadOp load,
                         ArrayRef<LaneCoords> coords) {
  Location loc = load.getLoc();
  CoordBuilder c{rewriter, loc, laneOps};
  MemDescType type = load.getSrc().getType();
  Value &view = views[load.getOperation()];
  if (!view)
    view = emitSlotView(rewriter, loc, rewriter.getRemappedValue(load.getSrc()),
                        type, rewriter.getRemappedValue(load.getSlot()));
  ArrayRef<int64_t> shape = type.getShape().drop_front();
  SharedLayoutAttr layout = type.getEncoding();
  Type element = load.getType().getElementType();
  auto indexOf = [&](const LaneCoords &at) {
    return emitSharedIndex(rewriter, loc, layout, shape, c.materialize(at));
  };
  if (!isa<IntegerType>(element) || element.isInteger(1))
    return loadWorkgroup(
        rewriter, loc, element, view, coords.size(),
        [&](size_t i) { return indexOf(coords[i]); }, grid);
  // Integer codes: elements a lane reads at consecutive constants of the
  // contiguous dimension, an aligned run within one swizzled group of
  // `vec`, are one vector load (up to 16 bytes).
  unsigned fast = layout.getOrder()[0];
  int64_t bytes = getElementBytes(element);
  int64_t widest = std::min<int64_t>(layout.getVec(), 16 / bytes);
  auto keyOf = [&](const LaneCoords &at, int64_t fastConstant) {
    std::vector<int64_t> key;
    for (auto [dim, coord] : llvm::enumerate(at)) {
      key.push_back(int64_t(reinterpret_cast<intptr_t>(
          coord.lane ? coord.lane.getAsOpaquePointer() : nullptr)));
      key.push_back(dim == fast ? fastConstant : coord.constant);
    }
    return key;
  };
  std::map<std::vector<int64_t>, size_t> position;
  for (auto [i, at] : llvm::enumerate(coords))
    position.emplace(keyOf(at, at[fast].constant), i);
  SmallVector<Value> results(coords.size());
  for (auto [i, at] : llvm::enumerate(coords)) {
    if (results[i])
      continue;
    const LaneCoord &along = at[fast];
    int64_t width = widest;
    SmallVector<size_t> run;
    for (; width > 1; width /= 2) {
      if (along.mask & uint64_t(width - 1))
        continue;
      int64_t base = along.constant & ~(width - 1);
      run.clear();
      for (int64_t j = 0; j < width; ++j) {
        auto found = position.find(keyOf(at, base + j));
        if (found == position.end() || results[found->second])
          break;
        run.push_back(found->second);
      }
      if (int64_t(run.size()) == width)
        break;
    }
    if (width == 1) {
      results[i] = loadWorkgroup(rewriter, loc, element, view, indexOf(at));
      continue;
    }
    LaneCoords first(at);
    first[fast].constant = along.constant & ~(width - 1);
    Value index = arith::IndexCastOp::create(rewriter, loc,
                                             rewriter.getIndexType(),
                                             indexOf(first));
    Value vector = vector::LoadOp::create(
        rewriter, loc, VectorType::get({width}, element), view,
        ValueRange{index}, /*nontemporal=*/false,
        llvm::MaybeAlign(width * bytes));
    for (auto [j, slot] : llvm::enumerate(run))
      results[slot] = vector::ExtractOp::create(rewriter, loc, vector,
                                                int64_t(j));
  }
  return results;
}

SmallVector<Value>
DecodedOperand::emitFragmentWords(ConversionPatternRewriter &rewriter,
                                  const ThreadGrid &grid,
                                  ArrayRef<LaneCoords> coords) {
  Location loc = value.getLoc();
  Type element = cast<RankedTensorType>(value.getType()).getElementType();
  Type i32 = rewriter.getI32Type();
  // An f32 chain rounded at its end: the rounding is the fragment's packing
  // (two values per cvt).
  Value rounded = value;
  auto trunc = value.getDefiningOp<arith::TruncFOp>();
  if (trunc && getElementTypeOrSelf(trunc.getIn().getType()).isF32() &&
      !trunc.getRoundingmodeAttr())
    rounded = trunc.getIn();
  if (element.isBF16())
    if (auto words = emitFp4FragmentWords(rewriter, grid, rounded, coords))
      return *words;
  SmallVector<Value> values = emitAt(rewriter, grid, rounded, coords);
  SmallVector<Value> words;
  for (size_t i = 0; i + 1 < values.size(); i += 2) {
    Value low = values[i], high = values[i + 1];
    if (element.isF16()) {
      Type pairType = VectorType::get({2}, low.getType());
      Value pair = vector::FromElementsOp::create(rewriter, loc, pairType,
                                                  ValueRange{low, high});
      if (low.getType() != element)
        pair = arith::TruncFOp::create(
            rewriter, loc, VectorType::get({2}, element), pair);
      Value word = vector::BitCastOp::create(
          rewriter, loc, VectorType::get({1}, i32), pair);
      words.push_back(vector::ExtractOp::create(rewriter, loc, word, 0));
      continue;
    }
    // bf16: f32 registers, rounded here where the chain ends in truncf,
    // else bf16 values already (exact). Every target with mma.sync has
    // cvt.rn.bf16x2.f32; a NaN's payload, which the software encoder
    // would fix, does not matter to the mma.
    assert(grid.hasBF16Conversions() && "mma.sync targets convert bf16");
    words.push_back(kitethread::CvtPackOp::create(
        rewriter, loc, i32, TypeAttr::get(element), low, high));
  }
  return words;
}

/// Whether every element of `value` is a bf16 value: of bf16 (an f32
/// register holding one), widened from bf16 or fp8, or moved there by
/// shape ops.
static bool holdsBF16(Value value) {
  Type element = getElementTypeOrSelf(value.getType());
  if (element.isBF16())
    return true;
  Operation *op = value.getDefiningOp();
  if (auto extend = dyn_cast_or_null<arith::ExtFOp>(op)) {
    Type from = getElementTypeOrSelf(extend.getIn().getType());
    return from.isBF16() || kite::getFloat8Format(from);
  }
  if (isa_and_nonnull<ConvertLayoutOp, kite::BroadcastOp, kite::ExpandDimsOp,
                      kite::TransOp, kite::ReshapeOp>(op))
    return holdsBF16(op->getOperand(0));
  return false;
}

std::optional<SmallVector<Value>> DecodedOperand::emitFp4FragmentWords(
    ConversionPatternRewriter &rewriter, const ThreadGrid &grid,
    Value product, ArrayRef<LaneCoords> coords) {
  // e2m1 codes (kite.fp4_to_fp), alone or times a bf16 value the same for
  // both halves of each word (an e8m0 scale): two codes to a word, when
  // every element's register is a decode (shape ops between them and the
  // product pass registers through).
  Location loc = value.getLoc();
  Value decoded = product, scale;
  if (auto mul = product.getDefiningOp<arith::MulFOp>()) {
    if (!llvm::is_contained(chain, mul.getOperation()))
      return std::nullopt;
    // The side whose registers are decodes; the other holds bf16 values.
    SmallVector<Value> lhs = emitAt(rewriter, grid, mul.getLhs(), coords);
    bool lhsDecodes = llvm::all_of(
        lhs, [&](Value v) { return fp4Codes.count(v) != 0; });
    decoded = lhsDecodes ? mul.getLhs() : mul.getRhs();
    scale = lhsDecodes ? mul.getRhs() : mul.getLhs();
    if (!holdsBF16(scale))
      return std::nullopt;
  }
  SmallVector<Value> codes = emitAt(rewriter, grid, decoded, coords);
  if (!llvm::all_of(codes, [&](Value v) { return fp4Codes.count(v) != 0; }))
    return std::nullopt;
  SmallVector<Value> scales;
  if (scale) {
    scales = emitAt(rewriter, grid, scale, coords);
    for (size_t i = 0; i + 1 < scales.size(); i += 2)
      if (scales[i] != scales[i + 1])
        return std::nullopt;
  }
  SmallVector<Value> words;
  for (size_t i = 0; i + 1 < codes.size(); i += 2) {
    auto [low, lowHigh] = fp4Codes.lookup(codes[i]);
    auto [high, highHigh] = fp4Codes.lookup(codes[i + 1]);
    Value pair;
    if (scale) {
      Value &made = bf16Pairs[scales[i]];
      if (!made)
        made = emitBF16Pair(rewriter, loc, scales[i]);
      pair = made;
    }
    words.push_back(
        emitFp4PairWord(rewriter, loc, low, lowHigh, high, highHigh, pair));
  }
  return words;
}
