//===- ThreadLowering.h - shared pieces of convert-kitegpu-to-threads -----===//
//
// The registers of a tensor, the coordinates they hold, register
// permutations, workgroup memory, and the pattern families (one .cpp each).
//
//===----------------------------------------------------------------------===//
#ifndef KITE_LIB_CONVERSION_KITEGPUTOTHREADS_THREADLOWERING_H
#define KITE_LIB_CONVERSION_KITEGPUTOTHREADS_THREADLOWERING_H

#include "dialects/Kite/KiteOps.h"
#include "dialects/KiteGPU/KiteGPUDialect.h"
#include "dialects/KiteGPU/KiteGPUOps.h"
#include "dialects/KiteGPU/MmaTiling.h"
#include "dialects/KiteGPU/WorkgroupStorage.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/DenseMap.h"

#include <map>
#include <tuple>
#include <vector>

namespace mlir::kitegpu {

/// Which tensor-core dot operands decoded from narrow codes in workgroup
/// memory are evaluated at their fragments (DecodedOperand) instead of
/// being staged a second time.
enum class FuseDequantize {
  /// None.
  Never,
  /// A decoded operand that no other warp decodes again (one warp along N
  /// for a, along M for b), or both where both decode cheaply
  /// (DecodedOperand::getCostPerElement: MXFP8 from sm_89): where
  /// evaluating at the fragments measured cheaper than staging
  /// (docs/quantization.md).
  Unshared,
  /// Every one the chain allows (to compare).
  Always,
};

/// The threads of one program (num-warps x threads-per-warp) and the
/// workgroup memory they share: the bytes the target gives one program.
struct ThreadGrid {
  unsigned numWarps = 0;
  unsigned threadsPerWarp = 0;
  int64_t maxWorkgroupBytes = 0;
  /// The compute capability (80 for sm_80) of an NVIDIA target with
  /// mma.sync (sm_80 and later); 0 where there are no tensor cores. It also
  /// says which float conversions the target has in hardware.
  int64_t tensorCores = 0;
  FuseDequantize fuseDequantize = FuseDequantize::Unshared;
  /// Hopper's warpgroup MMA (sm_90a): kitethread.wgmma for dots whose
  /// tiling allows it, operands staged in 128-byte slabs.
  bool warpgroupMma = false;
  unsigned getNumThreads() const { return numWarps * threadsPerWarp; }
  /// PTX cvt between f32 and e4m3/e5m2 (sm_89 and later; kitethread.cvt_pack
  /// and cvt_unpack).
  bool hasFp8Conversions() const { return tensorCores >= 89; }
  /// PTX cvt.rn.bf16x2.f32 (sm_80 and later; kitethread.cvt_pack).
  bool hasBF16Conversions() const { return tensorCores >= 80; }
};

/// A tensor becomes the registers its layout gives one thread (in the
/// layout's register order); `!kite.ptr<T>` becomes an i64 address.
class ThreadTypeConverter : public TypeConverter {
public:
  explicit ThreadTypeConverter(MLIRContext *context);
};

/// Elements per vector access of each load/store, planned from AxisInfo
/// before the conversion (absent: one element per access).
using AccessWidths = llvm::DenseMap<Operation *, unsigned>;

/// For element-wise ops with an i1 result (masks), the size of the groups of
/// consecutive registers AxisInfo proves hold one value (`cols < n` with n
/// divisible by 16): the op is computed for the first register of each
/// group only. Absent: every register.
AccessWidths planConstantGroups(ModuleOp module);

/// Patterns that know the thread grid.
template <typename SourceOp>
struct ThreadPattern : OpConversionPattern<SourceOp> {
  ThreadPattern(const TypeConverter &converter, MLIRContext *context,
                const ThreadGrid &grid)
      : OpConversionPattern<SourceOp>(converter, context), grid(grid) {}
  ThreadGrid grid;
};

//===- ThreadLayout.cpp ---------------------------------------------------===//

Value createI32(OpBuilder &b, Location loc, int64_t value);
Value createIndex(OpBuilder &b, Location loc, int64_t value);

/// i32 arithmetic on indices that are non-negative and small (threads,
/// registers, elements of workgroup memory): its adds and multiplies say
/// they do not wrap, so that LLVM folds their constant parts into the
/// address offsets of the loads and stores.
struct IndexBuilder {
  OpBuilder &b;
  Location loc;

  static constexpr arith::IntegerOverflowFlags kNoWrap =
      arith::IntegerOverflowFlags::nsw | arith::IntegerOverflowFlags::nuw;
  Value i32(int64_t value) { return createI32(b, loc, value); }
  Value add(Value x, int64_t y) { return y ? add(x, i32(y)) : x; }
  Value add(Value x, Value y) {
    return arith::AddIOp::create(b, loc, x, y, kNoWrap);
  }
  Value mul(Value x, int64_t y) {
    return y == 1 ? x : arith::MulIOp::create(b, loc, x, i32(y), kNoWrap);
  }
  Value div(Value x, int64_t y) {
    return y == 1 ? x : arith::DivUIOp::create(b, loc, x, i32(y));
  }
  Value rem(Value x, int64_t y) {
    return arith::RemUIOp::create(b, loc, x, i32(y));
  }
  Value bitXor(Value x, Value y) { return arith::XOrIOp::create(b, loc, x, y); }
};

/// Bytes of one element behind a pointer (pointers: 8; i1: 1).
int64_t getElementBytes(Type pointee);

/// The linear thread id in the program, as i32.
Value emitThreadId(OpBuilder &b, Location loc);

/// Per dimension, the first coordinate the calling thread holds in one tile:
/// (warp_d * threadsPerWarp_d + lane_d) * sizePerThread_d.
SmallVector<Value> emitThreadOffsets(OpBuilder &b, Location loc,
                                     DistributedLayoutAttr layout,
                                     const ThreadGrid &grid);

/// For every register of a tensor of `type`, its coordinates (i32, one per
/// dimension) in the calling thread.
SmallVector<SmallVector<Value>> emitRegisterCoords(OpBuilder &b, Location loc,
                                                   RankedTensorType type,
                                                   const ThreadGrid &grid);

/// For every register of a tensor of `type`, whether the calling thread is
/// the one owner of its element (i1), or null where no thread holds a copy
/// of it. Replicated layouts hold copies; atomics must happen once.
SmallVector<Value> emitRegisterOwners(OpBuilder &b, Location loc,
                                      RankedTensorType type,
                                      const ThreadGrid &grid);

/// The coordinates every thread of the program holds in each register of a
/// tensor of `type`, computed from its layout at compile time:
/// [warp * threadsPerWarp + lane][register][dimension]. What lowerings that
/// rely on a pattern of registers check it against, for every thread.
using ThreadCoords = SmallVector<SmallVector<SmallVector<int64_t>>>;
ThreadCoords getThreadCoords(RankedTensorType type, const ThreadGrid &grid);

/// How many consecutive registers of `type` every thread holds at
/// consecutive coordinates of `dim`, starting at a multiple of the count,
/// up to `vec`: the width of vector accesses to a copy of it in workgroup
/// memory that is contiguous along `dim`. Checked against the layout's own
/// coordinates for every thread; 1 where its layout is not blocked along
/// `dim` first.
int64_t getRegisterRunWidth(RankedTensorType type, int64_t vec,
                            const ThreadGrid &grid, unsigned dim);

/// Row-major linear index of `coords` in `shape`, as i32.
Value emitLinearIndex(OpBuilder &b, Location loc, ValueRange coords,
                      ArrayRef<int64_t> shape);

/// For each register of `dst`, the register of `src` that the same thread
/// holds at coordinate `dstToSrc(dst coordinate)`, the same for every
/// thread; failure when some thread does not hold it.
FailureOr<SmallVector<unsigned>>
mapRegisters(RankedTensorType src, RankedTensorType dst,
             function_ref<SmallVector<int64_t>(ArrayRef<int64_t>)> dstToSrc,
             const ThreadGrid &grid);

//===- WorkgroupMemory.cpp ------------------------------------------------===//

/// A buffer of `count` elements of a tensor of `element` in workgroup
/// memory, each in its own width: bf16 and fp8 as their bits (i16, i8), i1
/// as i32, everything else as it is.
Value allocWorkgroup(OpBuilder &b, Location loc, Type element, int64_t count);
/// Its type: memref<count x storage type, workgroup>.
MemRefType getWorkgroupBufferType(Type element, int64_t count);
/// Bytes of such a buffer.
int64_t getWorkgroupBytes(Type element, int64_t count);
/// Register `value` of a tensor of `element` as it is stored: bf16 and fp8
/// registers (f32) as their bits, i1 as i32, everything else as it is.
Value toWorkgroupStorage(OpBuilder &b, Location loc, Type element, Value value);
/// The register of a tensor of `element` that stored `value` holds.
Value fromWorkgroupStorage(OpBuilder &b, Location loc, Type element,
                           Value value);
/// Stores (loads) register `value` of a tensor of `element`: bf16 and fp8
/// registers (f32) become their bits on the way in and f32 on the way out.
void storeWorkgroup(OpBuilder &b, Location loc, Type element, Value value,
                    Value buffer, Value index);
Value loadWorkgroup(OpBuilder &b, Location loc, Type element, Value buffer,
                    Value index);
/// loadWorkgroup at `index(r)` for each r < count, in order, the bits of
/// bf16 and fp8 decoded after the last load, together: two per instruction
/// where `grid`'s target converts in hardware.
SmallVector<Value> loadWorkgroup(OpBuilder &b, Location loc, Type element,
                                 Value buffer, size_t count,
                                 function_ref<Value(size_t)> index,
                                 const ThreadGrid &grid);
/// Failure, reported at `op`, when its buffers need more than the
/// `grid.maxWorkgroupBytes` of workgroup memory a program has (0: any):
/// "'kite.dot' needs <bytes> bytes of workgroup memory for <what>, more
/// than the <limit> a program has on this target; <remedy>".
LogicalResult checkWorkgroupBytes(Operation *op, int64_t bytes,
                                  const ThreadGrid &grid, const Twine &what,
                                  StringRef remedy);

/// Whether a conversion must give a NaN the software conversion's bits
/// (Kept, everywhere by default) or may leave them to the hardware's cvt
/// (Free: nothing reads them; UnobservedNaNBits.cpp).
enum class NaNBits { Kept, Free };
/// The mark of an op whose result's NaN bits nothing reads; removed at the
/// end of the thread lowering.
inline constexpr llvm::StringLiteral kNaNBitsFreeAttrName =
    "kitethread.nan_bits_free";
/// Marks the ops under `root` with a bf16 or fp8 result whose NaN bits reach
/// only compares and dot operands (through arithmetic, conversions, splats
/// and shape ops).
void markFreeNaNBits(Operation *root);
/// Free where markFreeNaNBits marked `op`, else Kept.
NaNBits getNaNBits(Operation *op);

// isEmulatedFloat and getEmulatedBitsType: dialects/KiteGPU/WorkgroupStorage.h.
/// The bits of f32 `x` rounded to `type` (nearest-even; fp8 saturates).
Value emitEmulatedBits(OpBuilder &b, Location loc, Value x, Type type);
/// The attribute emitEmulatedToF32 marks its result with (the bits' type),
/// so that emitEmulatedBits of that value is the bits it decoded; removed
/// at the end of the thread lowering.
inline constexpr llvm::StringLiteral kDecodedAttrName = "kitethread.decoded";
/// The f32 value of the bits of a `type` value.
Value emitEmulatedToF32(OpBuilder &b, Location loc, Value bits, Type type);
/// f32 `x` rounded to a value of `type`, as an f32: to nearest-even, or
/// toward zero.
Value emitRoundToEmulated(OpBuilder &b, Location loc, Value x, Type type,
                          bool towardZero = false);
/// The same for the registers of one op together: where `grid`'s target
/// converts in hardware (ThreadGrid::hasFp8Conversions, hasBF16Conversions),
/// two registers per instruction, with the same results bit for bit; the
/// functions above are the software conversions alone.
/// With NaNBits::Free a NaN's bits are the hardware's (still a NaN).
SmallVector<Value> emitEmulatedBits(OpBuilder &b, Location loc, ValueRange xs,
                                    Type type, const ThreadGrid &grid,
                                    NaNBits nan = NaNBits::Kept);
SmallVector<Value> emitEmulatedToF32(OpBuilder &b, Location loc,
                                     ValueRange bits, Type type,
                                     const ThreadGrid &grid,
                                     NaNBits nan = NaNBits::Kept);
SmallVector<Value> emitRoundToEmulated(OpBuilder &b, Location loc,
                                       ValueRange xs, Type type,
                                       const ThreadGrid &grid,
                                       bool towardZero = false,
                                       NaNBits nan = NaNBits::Kept);

/// The per-dimension indices of register `linear` in a grid of `counts`
/// registers numbered fastest dimension (`order[0]`) first, and back.
SmallVector<int64_t> delinearize(int64_t linear, ArrayRef<int64_t> counts,
                                 ArrayRef<unsigned> order);
int64_t linearize(ArrayRef<int64_t> indices, ArrayRef<int64_t> counts,
                  ArrayRef<unsigned> order);

/// gpu.shuffle xor of `value` over `width` lanes (i1 travels as i32).
Value emitShuffleXor(OpBuilder &b, Location loc, Value value, int64_t offset,
                     unsigned width);

/// Runs the scalar combine region of a reduce or scan on `acc` and `cur`.
SmallVector<Value> emitCombine(OpBuilder &b, Location loc, Region &combine,
                               ValueRange acc, ValueRange cur);

/// After the conversion: a loop whose wgmma group stays in flight across
/// iterations (wgmma_wait 1, a `kitegpu.async_mma` dot) gets a
/// wgmma_wait 0 after it, which the loop's accumulators go through;
/// where the accumulators go anywhere but the next iteration, the wait is
/// made 0 instead (MmaDotToThreads.cpp).
void drainAsyncWgmma(ModuleOp module);

//===- SharedMemoryToThreads.cpp ------------------------------------------===//

/// The element index (i32) of `coords` in a buffer of `shape` laid out by
/// `layout` (2-D: rows along order[1], their vec-element groups swizzled).
Value emitSharedIndex(OpBuilder &b, Location loc, SharedLayoutAttr layout,
                      ArrayRef<int64_t> shape, ValueRange coords);
/// The same for a 2-D buffer given as `numRows` rows of `rowLength`
/// elements (its shape along order[1] and order[0]): the index of element
/// `column` of row `row`.
Value emitSharedIndex(IndexBuilder &e, SharedLayoutAttr layout,
                      int64_t numRows, int64_t rowLength, Value row,
                      Value column);

/// Where row `row` of an operand is stored when its rows are placed for a
/// wgmma descriptor with `warpsM` warps along M (SharedLayoutAttr's
/// warpsM): 8-row block b = w + warpsM (2 t + h) as block
/// 8 (w / 4 + warpsM / 4 t) + 2 (w % 4) + h, rows within a block kept.
Value emitPlacedRow(IndexBuilder &e, Value row, int64_t warpsM);

/// The workgroup allocation `buffer` is (or is a view of), aligned to
/// `alignment` bytes (wgmma's and TMA's swizzles repeat every 1024); false
/// where `buffer` is not an allocation's.
bool alignWorkgroupBuffer(Value buffer, int64_t alignment);

/// Slot `slot` (i32) of `buffer`, the workgroup buffer of a memdesc of
/// `type` whose first dimension numbers slots: a view of its elements (a
/// dynamic offset, so that accesses at constant indices in it share one
/// address computation per slot).
Value emitSlotView(OpBuilder &b, Location loc, Value buffer, MemDescType type,
                   Value slot);

/// A dot operand that is already in workgroup memory: a slot of a buffer
/// of the software pipeliner (emitSlotView), laid out by `layout`. MmaDot
/// reads it with ldmatrix where the layout is getMmaOperandSharedLayout's.
struct SharedOperand {
  Value buffer;
  SharedLayoutAttr layout;
};

//===- ElementwiseToThreads.cpp -------------------------------------------===//

/// Whether `op` is an element-wise arith or math op of one result, which
/// emitElementwiseRegisters computes.
bool isElementwiseForThreads(Operation *op);
/// The registers (of `types`) of element-wise `op`'s result from its
/// operands' registers (one range per operand; a range of one value is
/// used by every register): one op per register, bf16 and fp8 results
/// rounded together (two per instruction where the target converts in
/// hardware). With `group` > 1 only each group's first register is
/// computed, the others repeat it (planConstantGroups).
SmallVector<Value> emitElementwiseRegisters(OpBuilder &b, Operation *op,
                                            ArrayRef<ValueRange> operands,
                                            TypeRange types,
                                            const ThreadGrid &grid,
                                            unsigned group = 1);
/// The registers of kite.fp_to_fp `op`'s result from its source's.
SmallVector<Value> emitFpToFpRegisters(OpBuilder &b, kite::FpToFpOp op,
                                       ValueRange src, TypeRange types,
                                       const ThreadGrid &grid);

//===- Fp4ToThreads.cpp ---------------------------------------------------===//

/// The value of the e2m1 code in the low (or, with `high`, the high) nibble
/// of byte `code`, as f32.
Value emitFp4ToF32(OpBuilder &b, Location loc, Value code, bool high,
                   const ThreadGrid &grid);
/// The same as a register of `type` (f32, f16, or bf16 held in f32).
Value emitFp4Register(OpBuilder &b, Location loc, Value code, bool high,
                      Type type, const ThreadGrid &grid);
/// The bf16x2 word (as i32) of two e2m1 codes, the low half from nibble
/// `lowHigh` of byte `low`, the high half from nibble `highHigh` of
/// `high`, each times the bf16 in both halves of `scalePair` where given
/// (rounded as bf16's multiply rounds).
Value emitFp4PairWord(OpBuilder &b, Location loc, Value low, bool lowHigh,
                      Value high, bool highHigh, Value scalePair);
/// An f32 register holding a bf16 value as that bf16 in both halves of an
/// i32.
Value emitBF16Pair(OpBuilder &b, Location loc, Value value);

//===- DecodedOperands.cpp ------------------------------------------------===//

/// A coordinate of a tensor element as a thread computes it: a per-lane
/// part `lane` (absent: 0) whose set bits lie within `mask`, plus a
/// constant with no bit in `mask`, so that division and remainder by powers
/// of two apply to each part alone.
struct LaneCoord {
  Value lane;
  uint64_t mask = 0;
  int64_t constant = 0;
};
using LaneCoords = SmallVector<LaneCoord, 3>;

/// A dot operand that is decoded from narrow elements in workgroup memory
/// (a slot the software pipeliner filled) by element-wise ops, layout
/// conversions and shape ops (trans, reshape, join, expand_dims,
/// broadcast), with constants, splats and other such slots (scales) as its
/// other leaves. emitMmaDot evaluates the chain at its fragments'
/// coordinates instead of staging the decoded operand through workgroup
/// memory a second time: the narrow elements are read where they are.
class DecodedOperand {
public:
  /// The chain of `operand` of `dot` where it is one, with every op of it
  /// used only within it (so that its own lowering becomes dead), or none.
  static std::optional<DecodedOperand> match(Value operand, kite::DotOp dot);
  /// Whether the registers of the chain's small tensors computed elsewhere
  /// (a scale loaded before the loop) are at hand (one register per
  /// thread); remembers them.
  bool canReadLeaves(ConversionPatternRewriter &rewriter,
                     const ThreadGrid &grid);
  /// Stores those registers in workgroup buffers, before any fragment is
  /// evaluated (the caller adds one barrier after all operands'); whether
  /// there were any.
  bool storeRegisterLeaves(ConversionPatternRewriter &rewriter,
                           const ThreadGrid &grid);
  /// The 32-bit words of an mma.sync fragment of the operand (f16 or
  /// bf16): element 2i of `coords` in the low half of word i, 2i + 1 in the
  /// high half. Evaluations are remembered across calls, so that an element
  /// or a scale read for one fragment is not read again.
  SmallVector<Value> emitFragmentWords(ConversionPatternRewriter &rewriter,
                                       const ThreadGrid &grid,
                                       ArrayRef<LaneCoords> coords);
  /// About how many instructions decoding one element of the operand
  /// costs on `grid`'s target: the chain's ops that read the codes (the
  /// largest slot; a scale read once per group costs little), a software
  /// fp8 decode as eight, a hardware one or an op as one, shape ops as
  /// none.
  int64_t getCostPerElement(const ThreadGrid &grid) const;

private:
  explicit DecodedOperand(Value value) : value(value) {}
  SmallVector<Value> emitAt(ConversionPatternRewriter &rewriter,
                            const ThreadGrid &grid, Value value,
                            ArrayRef<LaneCoords> coords);
  SmallVector<Value> emitRegisterLeaf(ConversionPatternRewriter &rewriter,
                                      const ThreadGrid &grid, Value leaf,
                                      ArrayRef<LaneCoords> coords);
  SmallVector<Value> emitLoad(ConversionPatternRewriter &rewriter,
                              const ThreadGrid &grid, LocalLoadOp load,
                              ArrayRef<LaneCoords> coords);
  SmallVector<Value> emitOp(ConversionPatternRewriter &rewriter,
                            const ThreadGrid &grid, Operation *op,
                            ArrayRef<LaneCoords> coords);
  Value value;
  /// The chain's ops (DecodedOperand::match).
  SmallVector<Operation *> chain;
  /// (value, its coordinates' lane values, masks and constants) -> the
  /// register emitted for it.
  std::map<std::pair<void *, std::vector<int64_t>>, Value> memo;
  /// The slot views of the leaves' local_loads, and the buffers of the
  /// register leaves.
  llvm::DenseMap<void *, Value> views;
  /// Small tensors computed elsewhere, read from their registers through a
  /// workgroup buffer, and their registers.
  SmallVector<Value> registerLeaves;
  llvm::DenseMap<Value, SmallVector<Value>> leafRegisters;
  /// The coordinates' lane computations (CoordBuilder).
  std::map<std::tuple<void *, int, int64_t>, Value> laneOps;
  /// The registers emitted for kite.fp4_to_fp: their byte and nibble.
  llvm::DenseMap<Value, std::pair<Value, bool>> fp4Codes;
  /// bf16 registers in both halves of a word (emitBF16Pair), by register.
  llvm::DenseMap<Value, Value> bf16Pairs;
  std::optional<SmallVector<Value>>
  emitFp4FragmentWords(ConversionPatternRewriter &rewriter,
                       const ThreadGrid &grid, Value product,
                       ArrayRef<LaneCoords> coords);
};

//===- MmaDotToThreads.cpp ------------------------------------------------===//

/// The tiling of `op` on tensor cores (chooseMmaTiling), or none.
std::optional<MmaTiling> chooseMma(kite::DotOp op, const ThreadGrid &grid);
/// The workgroup memory emitMmaDot needs at its peak.
int64_t getMmaWorkgroupBytes(kite::DotOp op, const MmaTiling &plan,
                             const ThreadGrid &grid);
/// The result registers (the layout of c) of `op`, from the registers of
/// its operands.
/// `sharedA`/`sharedB`, where given, are the operands' slots in workgroup
/// memory; an operand whose slot ldmatrix cannot read in place is staged
/// from its registers as usual.
/// `decodedA`/`decodedB`, where given, are operands decoded from narrow
/// codes in workgroup memory, evaluated at the fragments' coordinates where
/// the instruction is m16n8k16 (else staged from their registers).
SmallVector<Value>
emitMmaDot(ConversionPatternRewriter &b, Location loc, kite::DotOp op,
           const MmaTiling &plan, ValueRange aRegs, ValueRange bRegs,
           ValueRange cRegs, const ThreadGrid &grid,
           std::optional<SharedOperand> sharedA = {},
           std::optional<SharedOperand> sharedB = {},
           DecodedOperand *decodedA = nullptr,
           DecodedOperand *decodedB = nullptr);

//===- Pattern families ---------------------------------------------------===//

void populateElementwiseToThreads(const TypeConverter &converter,
                                  const ThreadGrid &grid,
                                  const AccessWidths &constantGroups,
                                  RewritePatternSet &patterns);
void populateFp4ToThreads(const TypeConverter &converter,
                          const ThreadGrid &grid, RewritePatternSet &patterns);
void populateMemoryOpsToThreads(const TypeConverter &converter,
                                const ThreadGrid &grid,
                                const AccessWidths &widths,
                                RewritePatternSet &patterns);
void populateShapeOpsToThreads(const TypeConverter &converter,
                               const ThreadGrid &grid,
                               RewritePatternSet &patterns);
void populateReduceToThreads(const TypeConverter &converter,
                             const ThreadGrid &grid,
                             RewritePatternSet &patterns);
void populateScanToThreads(const TypeConverter &converter,
                           const ThreadGrid &grid, RewritePatternSet &patterns);
void populateDotToThreads(const TypeConverter &converter,
                          const ThreadGrid &grid, RewritePatternSet &patterns);
void populateGatherToThreads(const TypeConverter &converter,
                             const ThreadGrid &grid,
                             RewritePatternSet &patterns);
void populateConvertLayoutToThreads(const TypeConverter &converter,
                                    const ThreadGrid &grid,
                                    RewritePatternSet &patterns);
void populateDebugOpsToThreads(const TypeConverter &converter,
                               const ThreadGrid &grid,
                               RewritePatternSet &patterns);
void populateSharedMemoryToThreads(const TypeConverter &converter,
                                   const ThreadGrid &grid,
                                   const AccessWidths &widths,
                                   RewritePatternSet &patterns);
/// TmaToThreads.cpp: init_barriers, inval_barriers, async_tma_copy and
/// wait_barrier (Hopper's TMA copies and their mbarriers).
void populateTmaToThreads(const TypeConverter &converter,
                          const ThreadGrid &grid, RewritePatternSet &patterns);

} // namespace mlir::kitegpu

#endif // KITE_LIB_CONVERSION_KITEGPUTOTHREADS_THREADLOWERING_H
