//===- SoftwarePipelinePass.cpp - async copies ahead of dots -------------===//
//
// Software pipelining of the loads that feed a dot, num_stages deep, as
// Triton does on sm_80 (docs/lowering.md, "Software pipelining"). With
// D = num_stages - 1 slots per operand:
//
//   prologue:  for s in 0..D-1: copy the loads of iteration s (masked off
//              where s is past the loop's end) into slot s; commit
//   loop i:    async_wait (D - 1 groups may stay in flight); a = local_load
//              slot i % D; ... dot ...; barrier; copy the loads of
//              iteration i + D into slot i % D (masked off past the end);
//              commit
//   after:     async_wait 0
//
// On Hopper, where the loop's one dot reads every slot in place through
// wgmma descriptors and accumulates into a loop-carried value, the loads
// get D + 1 slots: iteration i reads slot i % (D + 1) and refills the slot
// iteration i - 1 read, so that the dot may leave iteration i's wgmma in
// flight (wait_group 1) and the next iteration's copies and math overlap
// it (`kitegpu.async_mma` on the dot; MmaDotToThreads.cpp).
//
// The loads' addresses and masks for iteration i + D come from a copy of
// the ops that compute them (their backward slice in the body), fed by
// loop-carried "ahead" values: the loop-carried values that slice reads
// (the pointers), D iterations ahead. The original values keep going as
// they were, for every other use; those left without one die in LLVM.
//
// A load qualifies when it is in the loop's body (not nested deeper), its
// value reaches a dot's a or b and that dot runs on tensor cores (an FMA
// dot stages its operands itself), `other` is absent or zero, it is not
// volatile, and its addresses and masks depend on no memory access or op
// with regions in the loop. Through layout conversions only, the dot reads
// the slot in place (ldmatrix); through other pure ops of the body (a
// rank-2 load: the decode and scaling of quantized operands, casts), the
// slot holds the raw bytes and is read in the load's own layout, and those
// ops run on what it read, as Triton pipelines mixed-precision operands.
// A loop that stores or does atomics is left alone (its loads, issued
// ahead, could read what an iteration in between writes). A loop with a
// dot that is not pipelined says why in `kitegpu.pipeline`.
//
//===----------------------------------------------------------------------===//
#include "dialects/Kite/KiteOps.h"
#include "dialects/KiteGPU/KiteGPUOps.h"
#include "dialects/KiteGPU/MmaTiling.h"
#include "dialects/KiteGPU/TensorMapRecords.h"
#include "dialects/KiteGPU/TmaBoxes.h"
#include "dialects/KiteGPU/WorkgroupStorage.h"
#include "lib/Conversion/KiteToKiteGPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <map>

namespace mlir::kitegpu {
#define GEN_PASS_DEF_KITEGPUSOFTWAREPIPELINE
#include "lib/Conversion/KiteToKiteGPU/Passes.h.inc"
} // namespace mlir::kitegpu

using namespace mlir;
using namespace mlir::kitegpu;

namespace {

constexpr StringLiteral kPipelineAttr = "kitegpu.pipeline";
/// kl.range(..., num_stages=N) on the loop (the frontend's).
constexpr StringLiteral kLoopStagesAttr = "kite.num_stages";
/// On a dot whose wgmma may stay in flight across iterations (its slots
/// one more than the distance): MmaDotToThreads waits down to one group.
constexpr StringLiteral kAsyncMmaAttr = "kitegpu.async_mma";

/// A load to pipeline and the value the dot reads (the load, or the last
/// of the layout conversions after it).
struct PipelinedLoad {
  kite::LoadOp load;
  Value operand;
  /// Where this is an 8- or 16-bit A, K contiguous, of a dot whose warps tile M
  /// in whole warpgroups (each with all of N): its warps along M, so that
  /// on Hopper the slot's rows are placed for wgmma to read A through a
  /// descriptor (SharedLayoutAttr's warpsM); else 0.
  unsigned wgmmaWarpsM = 0;
  /// Copied by TMA (Hopper): a host descriptor's load whose tensor map can
  /// fill the slot's layout (kite.load's tensor_map).
  bool tma = false;
};

/// The layout of a load's slots: swizzled for ldmatrix along the pointers'
/// contiguous dimension; on Hopper (`slabbed`) in 128-byte slabs, and a
/// wgmma's 8- or 16-bit A with its rows placed for its descriptor.
SharedLayoutAttr getSlotLayout(RankedTensorType type, bool slabbed,
                               unsigned wgmmaWarpsM) {
  auto layout = cast<BlockedLayoutAttr>(getLayout(type));
  ArrayRef<unsigned> order = layout.getOrder_();
  return getMmaOperandSharedLayout(
      type.getContext(), type.getDimSize(order[0]),
      getWorkgroupElementBytes(type.getElementType()), order, slabbed,
      slabbed ? wgmmaWarpsM : 0);
}

/// The value a dot reads of `load`, following single-use layout
/// conversions, and that dot; none where it does not reach a dot's a or b.
std::pair<Value, kite::DotOp> getDotOperand(kite::LoadOp load) {
  Value value = load.getResult();
  while (value.hasOneUse()) {
    Operation *user = *value.getUsers().begin();
    if (auto convert = dyn_cast<ConvertLayoutOp>(user)) {
      value = convert.getResult();
      continue;
    }
    auto dot = dyn_cast<kite::DotOp>(user);
    if (dot && (dot.getA() == value || dot.getB() == value))
      return {value, dot};
    break;
  }
  return {};
}

/// The first dot that reads, as its a (0) or b (1), a value computed from
/// `load`'s through pure ops of the loop's body (a decode, dequantization,
/// scale or cast), and which; none where there is no such dot. The load is
/// then pipelined as its raw bytes and those ops run on the slot's
/// contents.
std::pair<kite::DotOp, unsigned>
getDotThroughElementwise(kite::LoadOp load) {
  // Dequantization chains are a few ops long; a bound keeps the walk cheap.
  constexpr unsigned kMaxOps = 64;
  Block *body = load->getBlock();
  SmallVector<Value> work{load.getResult()};
  llvm::SmallPtrSet<Operation *, 16> seen;
  while (!work.empty()) {
    Value value = work.pop_back_val();
    for (Operation *user : value.getUsers()) {
      if (auto dot = dyn_cast<kite::DotOp>(user)) {
        if (dot.getA() == value || dot.getB() == value)
          return {dot, dot.getA() == value ? 0u : 1u};
        continue;
      }
      if (user->getBlock() != body || !isPure(user) || user->getNumRegions() ||
          !seen.insert(user).second)
        continue;
      if (seen.size() > kMaxOps)
        return {kite::DotOp(), 0};
      for (Value result : user->getResults())
        if (isa<RankedTensorType>(result.getType()))
          work.push_back(result);
    }
  }
  return {kite::DotOp(), 0};
}

/// How `dot` runs on tensor cores of compute capability `arch`, or none
/// where it does not (then it reads its operands' slots in place; an FMA
/// dot stages its operands itself, so copies into slots would only add a
/// round trip).
std::optional<MmaTiling> getTensorCoreTiling(kite::DotOp dot, int64_t arch) {
  RankedTensorType a = dot.getA().getType(), c = dot.getC().getType();
  return chooseMmaTiling(a.getElementType(), dot.getInputPrecision(),
                         c.getElementType(), c.getDimSize(0), c.getDimSize(1),
                         a.getDimSize(1), getNumWarps(dot),
                         getThreadsPerWarp(dot), arch, /*chained=*/false,
                         getMmaAccumulatorWarpsM(c.getEncoding()));
}

bool isZero(Value value) {
  return matchPattern(value, m_AnyZeroFloat()) || matchPattern(value, m_Zero());
}

/// Whether a loop can be pipelined and, where it can, what the pipelined
/// loop needs: the loads and the ops their addresses and masks come from.
/// Their slots' bytes decide the depth before the loop is rewritten.
class PipelineAnalysis {
public:
  /// `tmaCopies`: the target has TMA and wgmma (Hopper), where slots are
  /// laid out in 128-byte slabs.
  PipelineAnalysis(scf::ForOp loop, int64_t arch, bool tmaCopies)
      : loop(loop), arch(arch), tmaCopies(tmaCopies) {}

  /// Why the loop cannot be pipelined, or "" where it can.
  std::string analyze();
  /// Bytes of shared memory one slot of every load takes.
  int64_t getSlotBytes() const;
  /// Bytes of shared memory the dots stage operands in while the slots are
  /// live: those computed from what a slot held (not read in place).
  int64_t getStagingBytes() const { return stagingBytes; }
  /// The loop's one dot where, on Hopper, it may run asynchronously across
  /// iterations (wgmma.wait_group 1): it reads every slot in place, A of
  /// 8 or 16 bits K contiguous (placed for its descriptor), its warps
  /// whole warpgroups along M, and it accumulates into a loop-carried value
  /// nothing else reads. Null otherwise.
  kite::DotOp getAsyncDot();

  scf::ForOp loop;
  SmallVector<PipelinedLoad> loads;
  /// The ops of the body the copies' addresses and masks (or a TMA copy's
  /// coordinates) need, and the loop-carried values they read (by
  /// iter_arg number).
  llvm::SetVector<Operation *> slice;
  llvm::SetVector<unsigned> carried;
  /// The tensor maps this loop's TMA copies read (by argument number), as
  /// kTensorMapsAttr entries.
  std::map<unsigned, std::string> tensorMaps;

private:
  /// Adds the ops of the body that `value` depends on to `slice`; false
  /// where one of them cannot be recomputed ahead.
  bool addSlice(Value value);

  /// Whether `load`'s slots can be filled by TMA through its tensor map,
  /// in boxes no other read of that map contradicts.
  bool canCopyWithTma(kite::LoadOp load, unsigned wgmmaWarpsM);

  int64_t arch;
  bool tmaCopies;
  int64_t stagingBytes = 0;
  /// The dot operands staged from registers (dot, 0 for a or 1 for b).
  llvm::SmallSetVector<std::pair<Operation *, unsigned>, 4> staged;
};

/// Rewrites a loop that PipelineAnalysis found pipelinable, `stages` deep
/// (2 or more).
class LoopPipeliner {
public:
  /// `asyncDot` (or null): the dot that runs asynchronously across
  /// iterations, for which the loads get one slot more.
  LoopPipeliner(PipelineAnalysis &&analysis, unsigned stages, bool slabbed,
                kite::DotOp asyncDot)
      : loop(analysis.loop), distance(stages - 1),
        numSlots(distance + (asyncDot ? 1 : 0)), slabbed(slabbed),
        asyncDot(asyncDot), loads(std::move(analysis.loads)),
        slice(std::move(analysis.slice)),
        carried(std::move(analysis.carried)),
        tensorMaps(std::move(analysis.tensorMaps)) {
    hasTma = llvm::any_of(loads, [](const PipelinedLoad &p) { return p.tma; });
    hasCpAsync =
        llvm::any_of(loads, [](const PipelinedLoad &p) { return !p.tma; });
  }

  /// Pipelines the loop; the new loop.
  scf::ForOp rewrite();

private:
  /// Copies the loads of the iteration whose induction variable is `iv`
  /// into slot `slot`, masked off unless `active`; commits; returns the
  /// ahead values of the next iteration.
  SmallVector<Value> emitCopies(OpBuilder &b, Value iv, ValueRange ahead,
                                Value slot, Value active);

  scf::ForOp loop;
  const unsigned distance;
  /// Slots per load: distance, or one more where the dot reading them may
  /// still be reading the previous iteration's when its slot is refilled.
  const unsigned numSlots;
  /// The slots in 128-byte slabs, as Hopper's wgmma reads them.
  const bool slabbed;
  kite::DotOp asyncDot;
  SmallVector<PipelinedLoad> loads;
  llvm::SetVector<Operation *> slice;
  llvm::SetVector<unsigned> carried;
  std::map<unsigned, std::string> tensorMaps;
  SmallVector<Value> buffers;
  /// Whether some loads are copied by TMA (their slots' mbarriers:
  /// `barriers`, one per slot), and whether some by cp.async.
  bool hasTma = false, hasCpAsync = false;
  Value barriers;
};

bool PipelineAnalysis::addSlice(Value value) {
  Block *body = loop.getBody();
  if (auto arg = dyn_cast<BlockArgument>(value)) {
    if (arg.getOwner() != body || arg.getArgNumber() == 0)
      return true; // defined outside, or the induction variable
    unsigned index = arg.getArgNumber() - 1;
    if (!carried.insert(index))
      return true;
    // The next iteration's value, computed ahead too.
    return addSlice(body->getTerminator()->getOperand(index));
  }
  Operation *op = value.getDefiningOp();
  if (op->getBlock() != body || slice.contains(op))
    return op->getBlock() == body || !loop->isAncestor(op);
  if (!isPure(op) || op->getNumRegions())
    return false;
  slice.insert(op);
  for (Value operand : op->getOperands())
    if (!addSlice(operand))
      return false;
  return true;
}

std::string PipelineAnalysis::analyze() {
  Block *body = loop.getBody();
  bool hasDot = false, feedsFmaDot = false;
  for (Operation &op : body->without_terminator()) {
    hasDot |= isa<kite::DotOp>(op);
    auto load = dyn_cast<kite::LoadOp>(op);
    if (!load || !isa<RankedTensorType>(load.getType()))
      continue;
    auto [operand, dot] = getDotOperand(load);
    bool inPlace = bool(operand);
    unsigned operandIndex = 0;
    if (!operand && cast<RankedTensorType>(load.getType()).getRank() == 2) {
      // Reaching the dot through other ops: the slot is read in the load's
      // own layout and those ops stay.
      std::tie(dot, operandIndex) = getDotThroughElementwise(load);
      if (dot)
        operand = load.getResult();
    }
    if (!operand)
      continue;
    std::optional<MmaTiling> tiling = getTensorCoreTiling(dot, arch);
    if (!tiling) {
      feedsFmaDot = true;
      continue;
    }
    // A slot the dot cannot read where it is (MmaDotToThreads.cpp: K
    // contiguous, or either way for 16-bit elements, and staged as loaded)
    // is staged again, like an operand computed from it.
    bool readable = true;
    if (inPlace) {
      operandIndex = operand == dot.getB() ? 1 : 0;
      auto layout = dyn_cast_or_null<BlockedLayoutAttr>(
          getLayout(cast<RankedTensorType>(load.getType())));
      unsigned kDim = operandIndex ? 0 : 1;
      Type element = cast<RankedTensorType>(load.getType()).getElementType();
      readable = layout && element == tiling->staged &&
                 (layout.getOrder_()[0] == kDim ||
                  getWorkgroupElementBytes(tiling->staged) == 2);
    }
    if ((!inPlace || !readable) && staged.insert({dot, operandIndex})) {
      // The dot stages the operand computed from the slot's contents, in
      // memory of its own while the slots are live.
      Value staged = operandIndex ? dot.getB() : dot.getA();
      stagingBytes += cast<RankedTensorType>(staged.getType()).getNumElements() *
                      getWorkgroupElementBytes(tiling->staged);
    }
    Type element = cast<RankedTensorType>(load.getType()).getElementType();
    bool copyable = !load.getIsVolatile() &&
                    (!load.getOther() || isZero(load.getOther())) &&
                    element.isIntOrFloat() && !element.isInteger(1);
    if (!inPlace && !copyable)
      continue; // stays a load, as before; the loop's other loads pipeline
    if (load.getIsVolatile())
      return "a dot operand's load is volatile";
    if (load.getOther() && !isZero(load.getOther()))
      return "a dot operand's load has an `other` that is not zero (async "
             "copies fill masked-off elements with zeros)";
    if (!element.isIntOrFloat() || element.isInteger(1))
      return "a dot operand's load is of booleans";
    unsigned wgmmaWarpsM = 0;
    if (inPlace && readable && operandIndex == 0 &&
        getWorkgroupElementBytes(element) <= 2 && tiling->warpsN == 1 &&
        tiling->warpsM % 4 == 0 && tiling->abType == tiling->staged &&
        getThreadsPerWarp(dot) == 32) {
      auto layout = cast<BlockedLayoutAttr>(
          getLayout(cast<RankedTensorType>(load.getType())));
      if (layout.getOrder_()[0] == 1)
        wgmmaWarpsM = tiling->warpsM;
    }
    bool tma = tmaCopies && canCopyWithTma(load, wgmmaWarpsM);
    loads.push_back({load, operand, wgmmaWarpsM, tma});
  }
  if (!hasDot)
    return "";
  if (loads.empty() && feedsFmaDot)
    return "its dots run as FMA loops (no tensor-core instruction for their "
           "operand types, input_precision or shape), which stage their "
           "operands themselves";
  if (loads.empty())
    return "no load in the loop's body feeds a dot";
  // A copy issued iterations ahead would read memory before a store of the
  // iterations between could write it.
  WalkResult writes = loop.getBody()->walk([](Operation *op) {
    if (isa<kite::StoreOp, kite::AtomicRMWOp, kite::AtomicCASOp,
            kite::DebugBarrierOp, kite::GdcWaitOp>(op))
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  if (writes.wasInterrupted())
    return "the loop writes memory or waits for it (a store, an atomic, a "
           "debug_barrier or gdc_wait), which loads issued iterations ahead "
           "would not see";
  for (PipelinedLoad &p : loads) {
    if (p.tma) {
      if (!addSlice(p.load.getTensorMap()) ||
          !llvm::all_of(p.load.getBox(), [&](Value c) { return addSlice(c); }))
        return "the box of a dot operand's load depends on a memory access "
               "or a region in the loop";
      continue;
    }
    if (!addSlice(p.load.getPtr()) ||
        (p.load.getMask() && !addSlice(p.load.getMask())))
      return "the address or mask of a dot operand's load depends on a "
             "memory access or a region in the loop";
  }
  for (PipelinedLoad &p : loads)
    if (slice.contains(p.load))
      return "a dot operand's load is itself part of an address";
  return "";
}

bool PipelineAnalysis::canCopyWithTma(kite::LoadOp load, unsigned wgmmaWarpsM) {
  if (!load.getTensorMap() || load.getBox().size() != 2)
    return false;
  std::optional<unsigned> arg = getTensorMapArgument(load.getTensorMap());
  if (!arg)
    return false;
  auto type = cast<RankedTensorType>(load.getType());
  SmallVector<int64_t> shape{1};
  llvm::append_range(shape, type.getShape());
  std::optional<TmaPlan> plan = getTmaPlan(MemDescType::get(
      type.getContext(), shape, type.getElementType(),
      getSlotLayout(type, /*slabbed=*/true, wgmmaWarpsM)));
  if (!plan)
    return false;
  std::string entry = describeTensorMap(*arg, *plan);
  auto known = tensorMaps.find(*arg);
  if (known != tensorMaps.end())
    return known->second == entry;
  if (conflictsWithRecord(loop->getParentOfType<FunctionOpInterface>(), *arg,
                          entry))
    return false;
  tensorMaps[*arg] = entry;
  return true;
}

kite::DotOp PipelineAnalysis::getAsyncDot() {
  kite::DotOp dot;
  for (Operation &op : loop.getBody()->without_terminator())
    if (auto d = dyn_cast<kite::DotOp>(op)) {
      if (dot)
        return {};
      dot = d;
    }
  if (!dot || !staged.empty())
    return {};
  // Both operands from slots (an operand the dot staged from registers
  // would be staged again, over the buffer a pending group reads).
  bool placedA = false, slotB = false;
  for (const PipelinedLoad &p : loads) {
    if (p.operand != dot.getA() && p.operand != dot.getB())
      return {};
    placedA |= p.operand == dot.getA() && p.wgmmaWarpsM;
    slotB |= p.operand == dot.getB();
  }
  if (!slotB)
    return {};
  // The accumulator: an iter_arg only the dot reads, the dot's result only
  // yielded back into it.
  auto carried = dyn_cast<BlockArgument>(dot.getC());
  if (!placedA || !carried || carried.getOwner() != loop.getBody() ||
      !carried.hasOneUse() || !dot->hasOneUse())
    return {};
  auto yield = dyn_cast<scf::YieldOp>(*dot->getUsers().begin());
  if (!yield)
    return {};
  unsigned index = carried.getArgNumber() - loop.getNumInductionVars();
  if (yield.getOperand(index) != dot.getResult() ||
      llvm::count(yield.getOperands(), dot.getResult()) != 1)
    return {};
  return dot;
}

int64_t PipelineAnalysis::getSlotBytes() const {
  int64_t bytes = 0;
  for (PipelinedLoad p : loads) {
    auto type = cast<RankedTensorType>(p.load.getType());
    bytes +=
        type.getNumElements() * getWorkgroupElementBytes(type.getElementType());
  }
  return bytes;
}

SmallVector<Value> LoopPipeliner::emitCopies(OpBuilder &b, Value iv,
                                             ValueRange ahead, Value slot,
                                             Value active) {
  Block *body = loop.getBody();
  Location loc = loop.getLoc();
  IRMapping map;
  map.map(body->getArgument(0), iv);
  for (auto [index, value] : llvm::zip_equal(carried, ahead))
    map.map(body->getArgument(index + 1), value);
  // The slice in the body's order (operands before users).
  for (Operation &op : body->without_terminator())
    if (slice.contains(&op))
      b.clone(op, map);
  for (auto [p, buffer] : llvm::zip_equal(loads, buffers)) {
    // At the load's line: what memory checks report.
    Location at = p.load.getLoc();
    if (p.tma) {
      SmallVector<Value> box;
      for (Value c : p.load.getBox())
        box.push_back(map.lookupOrDefault(c));
      AsyncTmaCopyOp::create(b, at, map.lookupOrDefault(p.load.getTensorMap()),
                             box, buffer, slot, barriers, active);
      continue;
    }
    auto ptrs = cast<RankedTensorType>(p.load.getPtr().getType());
    auto maskType = ptrs.clone(b.getI1Type());
    Value mask = kite::SplatOp::create(b, at, maskType, active);
    if (Value original = p.load.getMask())
      mask = arith::AndIOp::create(b, at, map.lookupOrDefault(original), mask);
    AsyncCopyOp::create(b, at, map.lookupOrDefault(p.load.getPtr()), buffer, slot,
                        mask);
  }
  if (hasCpAsync)
    AsyncCommitGroupOp::create(b, loc);
  SmallVector<Value> next;
  Operation *yield = body->getTerminator();
  for (unsigned index : carried)
    next.push_back(map.lookupOrDefault(yield->getOperand(index)));
  return next;
}

scf::ForOp LoopPipeliner::rewrite() {
  MLIRContext *context = loop.getContext();
  Location loc = loop.getLoc();
  IRRewriter b(context);
  b.setInsertionPoint(loop);

  // The buffers: distance slots of each load's tile, swizzled for ldmatrix
  // along the pointers' contiguous dimension; on Hopper, a wgmma's 8- or
  // 16-bit A with its rows placed for its descriptor.
  for (PipelinedLoad &p : loads) {
    auto type = cast<RankedTensorType>(p.load.getType());
    SmallVector<int64_t> shape{int64_t(numSlots)};
    llvm::append_range(shape, type.getShape());
    buffers.push_back(LocalAllocOp::create(
        b, loc,
        MemDescType::get(context, shape, type.getElementType(),
                         getSlotLayout(type, slabbed, p.wgmmaWarpsM)),
        Value()));
  }
  // TMA's copies complete on an mbarrier per slot, which each of them
  // arrives on once per fill; the kernel records the boxes it reads each
  // tensor map in, for the launch to encode.
  if (hasTma) {
    auto layout = SharedLayoutAttr::get(context, 1, 1, 1, {0}, 0, 0);
    barriers = LocalAllocOp::create(
        b, loc,
        MemDescType::get(context, {int64_t(numSlots)}, b.getI64Type(), layout),
        Value());
    InitBarriersOp::create(
        b, loc, barriers,
        llvm::count_if(loads, [](const PipelinedLoad &p) { return p.tma; }));
    SmallVector<std::string> entries;
    for (const auto &[arg, entry] : tensorMaps)
      entries.push_back(entry);
    recordTensorMaps(loop->getParentOfType<FunctionOpInterface>(), entries);
  }

  // The prologue: iterations 0 .. distance - 1.
  Value lb = loop.getLowerBound(), ub = loop.getUpperBound(),
        step = loop.getStep();
  Type ivType = lb.getType();
  auto constant = [&](OpBuilder &builder, Type type, int64_t value) {
    return arith::ConstantOp::create(builder, loc, type,
                                     builder.getIntegerAttr(type, value))
        .getResult();
  };
  Type i32 = b.getI32Type();
  SmallVector<Value> ahead;
  for (unsigned index : carried)
    ahead.push_back(loop.getInitArgs()[index]);
  Value iv = lb;
  for (unsigned s = 0; s < distance; ++s) {
    if (s)
      iv = arith::AddIOp::create(b, loc, iv, step);
    Value active =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, iv, ub);
    ahead = emitCopies(b, iv, ahead, constant(b, i32, s), active);
  }

  // The loop: reads slot i % numSlots, then refills for i + distance the
  // slot it read (numSlots = distance), or the one iteration i - 1 read,
  // which the asynchronous dot has finished with once iteration i's is
  // issued and waited down to one group (numSlots = distance + 1).
  // After the ahead values: the slot iteration i reads (i % numSlots) and,
  // with TMA, the parity of its mbarrier's phase for that fill
  // ((i / numSlots) % 2).
  SmallVector<Value> inits(ahead);
  inits.push_back(constant(b, i32, 0));
  if (hasTma)
    inits.push_back(constant(b, i32, 0));
  unsigned numCarried = carried.size();
  auto newLoop = cast<scf::ForOp>(*loop.replaceWithAdditionalYields(
      b, inits, /*replaceInitOperandUsesInLoop=*/false,
      [&](OpBuilder &builder, Location, ArrayRef<BlockArgument> args) {
        ValueRange aheadArgs = ValueRange(args).take_front(numCarried);
        Value slot = args[numCarried];
        Block *body = args.front().getOwner();
        Value loopIv = body->getArgument(0);
        // Every thread has read the slot before it is refilled.
        gpu::BarrierOp::create(builder, loc);
        Value aheadIv = arith::AddIOp::create(
            builder, loc, loopIv,
            arith::MulIOp::create(builder, loc, step,
                                  constant(builder, ivType, distance)));
        Value active = arith::CmpIOp::create(
            builder, loc, arith::CmpIPredicate::slt, aheadIv, ub);
        Value one = constant(builder, i32, 1);
        Value refilled = slot;
        if (asyncDot) {
          Value first = arith::CmpIOp::create(
              builder, loc, arith::CmpIPredicate::eq, slot,
              constant(builder, i32, 0));
          refilled = arith::SelectOp::create(
              builder, loc, first, constant(builder, i32, numSlots - 1),
              arith::SubIOp::create(builder, loc, slot, one));
        }
        SmallVector<Value> next =
            emitCopies(builder, aheadIv, aheadArgs, refilled, active);
        Value bumped = arith::AddIOp::create(builder, loc, slot, one);
        Value wrapped = arith::CmpIOp::create(
            builder, loc, arith::CmpIPredicate::eq, bumped,
            constant(builder, i32, numSlots));
        next.push_back(arith::SelectOp::create(
            builder, loc, wrapped, constant(builder, i32, 0), bumped));
        if (hasTma) {
          Value parity = args[numCarried + 1];
          next.push_back(arith::SelectOp::create(
              builder, loc, wrapped,
              arith::XOrIOp::create(builder, loc, parity, one), parity));
        }
        return next;
      }));
  loop = newLoop;

  // The loads become reads of the slot, after the wait for its group.
  auto iterArgs = loop.getRegionIterArgs();
  Value slot = iterArgs[iterArgs.size() - (hasTma ? 2 : 1)];
  Value parity = hasTma ? iterArgs.back() : Value();
  b.setInsertionPoint(loads.front().load);
  if (hasCpAsync)
    AsyncWaitOp::create(b, loc, distance - 1);
  if (hasTma)
    WaitBarrierOp::create(b, loc, barriers, slot, parity);
  for (auto [p, buffer] : llvm::zip_equal(loads, buffers)) {
    b.setInsertionPoint(p.load);
    auto type = cast<RankedTensorType>(p.operand.getType());
    Value read = LocalLoadOp::create(b, p.load.getLoc(), type, buffer, slot);
    b.replaceAllUsesWith(p.operand, read);
    // The conversions between the load and the operand, then the load.
    SmallVector<Operation *> dead;
    for (Value v = p.operand; v != p.load.getResult();
         v = v.getDefiningOp()->getOperand(0))
      dead.push_back(v.getDefiningOp());
    for (Operation *op : dead)
      b.eraseOp(op);
    if (p.load.getResult().use_empty())
      b.eraseOp(p.load);
  }
  // No copy is in flight once the loop is done.
  b.setInsertionPointAfter(loop);
  if (hasCpAsync)
    AsyncWaitOp::create(b, loc, 0);
  // The barriers may be initialised again (the loop inside another).
  if (hasTma)
    InvalBarriersOp::create(b, loc, barriers);
  if (asyncDot)
    asyncDot->setAttr(kAsyncMmaAttr, b.getUnitAttr());
  return loop;
}

struct KiteGPUPipelinePass
    : kitegpu::impl::KiteGPUSoftwarePipelineBase<KiteGPUPipelinePass> {
  using KiteGPUSoftwarePipelineBase::KiteGPUSoftwarePipelineBase;

  void runOnOperation() override {
    SmallVector<scf::ForOp> loops;
    getOperation().walk([&](scf::ForOp loop) { loops.push_back(loop); });
    Builder b(&getContext());
    for (scf::ForOp loop : loops) {
      bool hasDot = llvm::any_of(loop.getBody()->getOperations(),
                                 [](Operation &op) {
                                   return isa<kite::DotOp>(op);
                                 });
      if (!hasDot)
        continue;
      // kl.range(..., num_stages=) over the launch's.
      unsigned asked = numStages;
      if (auto attr = loop->getAttrOfType<IntegerAttr>(kLoopStagesAttr))
        asked = std::max<int64_t>(1, attr.getInt());
      std::string reason;
      if (tensorCores < 80)
        reason = "the target has no asynchronous copies (cp.async: NVIDIA "
                 "sm_80 and later)";
      else if (asked <= 1)
        reason = "num_stages=" + std::to_string(asked);
      PipelineAnalysis analysis(loop, tensorCores, warpgroupMma);
      if (reason.empty())
        reason = analysis.analyze();
      // As deep as the target's shared memory allows: D = stages - 1 slots.
      unsigned stages = asked;
      int64_t slotBytes = reason.empty() ? analysis.getSlotBytes() : 0;
      // What the slots may take: the dots' staging of operands computed
      // from them needs its own memory while the slots are live.
      int64_t slotBudget =
          std::max<int64_t>(0, maxWorkgroupBytes - analysis.getStagingBytes());
      if (reason.empty() && maxWorkgroupBytes && slotBytes)
        stages = std::min<int64_t>(asked, 1 + slotBudget / slotBytes);
      // On Hopper a dot that can run asynchronously across iterations gets
      // one slot more where that costs no depth.
      kite::DotOp asyncDot = reason.empty() && warpgroupMma && stages >= 2
                                 ? analysis.getAsyncDot()
                                 : kite::DotOp();
      if (asyncDot && maxWorkgroupBytes &&
          int64_t(stages) * slotBytes > slotBudget)
        asyncDot = {};
      std::string staging =
          analysis.getStagingBytes()
              ? ", with the " + std::to_string(analysis.getStagingBytes()) +
                    " bytes its dots stage their operands in,"
              : "";
      std::string note;
      if (reason.empty() && stages < asked)
        note = " (" + std::to_string(asked) + " asked: their " +
               std::to_string((asked - 1) * slotBytes) + " bytes of slots" +
               staging + " are more than the " +
               std::to_string(maxWorkgroupBytes) +
               " of shared memory a program has on this target)";
      if (reason.empty() && stages < 2)
        reason = "one slot of the loads takes " + std::to_string(slotBytes) +
                 " bytes" +
                 (staging.empty() ? ", more" : staging + " is more") +
                 " than the " + std::to_string(maxWorkgroupBytes) +
                 " of shared memory a program has on this target";
      if (!reason.empty()) {
        loop->setAttr(kPipelineAttr,
                      b.getStringAttr("not pipelined: " + reason));
        continue;
      }
      scf::ForOp pipelined =
          LoopPipeliner(std::move(analysis), stages, warpgroupMma, asyncDot)
              .rewrite();
      pipelined->setAttr(kPipelineAttr,
                         b.getStringAttr(
                             "pipelined: " + std::to_string(stages) +
                             " stages" + note +
                             (asyncDot ? ", the dot asynchronous (a slot more)"
                                       : "")));
    }
  }
};
} // namespace
