//===- HopperIntrinsics.cpp - sm_90's llvm.nvvm.* calls made host calls ---===//
//
// The NVVM intrinsics of sm_90's asynchronous instructions (wgmma's fence
// and groups, elect.sync, stmatrix, TMA's tensor loads, the bulk groups,
// mbarrier in its older and its scoped forms, setmaxnreg) become calls of the runtime functions
// here, which run Hopper.h's semantics for the calling thread. Rewritten
// before NvvmIntrinsics.cpp sees the call; what is not here goes on there.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/sim/Hopper.h"
#include "backends/nvptx/sim/SimRewriter.h"
#include "backends/nvptx/sim/SimScheduler.h"

using namespace llvm;
using namespace kite::sim;

namespace {

SimThread &self() { return *SimThread::current(); }

// The runtime functions (their addresses go to the JIT by name).
static void kite_sim_wgmma_fence() { wgmmaFence(self()); }
static void kite_sim_wgmma_commit() { wgmmaCommit(self()); }
static void kite_sim_wgmma_wait(uint64_t pending) {
  wgmmaWait(self(), pending);
}

static uint32_t kite_sim_elect(uint32_t mask, uint32_t *leader) {
  bool isLeader;
  uint32_t lane = warpElect(self(), mask, isLeader);
  *leader = isLeader;
  return lane;
}

static void kite_sim_stmatrix(uint32_t count, uint32_t transposed,
                              uint64_t address, const uint32_t *values) {
  warpStmatrix(self(), count, transposed != 0, address, values);
}

/// cp.async.bulk.tensor.<rank>d, global to shared, tile mode.
static void kite_sim_bulk_tensor_load(uint32_t rank, uint64_t shared,
                                      uint64_t map, const int32_t *coordinates,
                                      uint64_t mbarrier) {
  bulkTensorLoad(self(), rank, shared, map, coordinates, mbarrier);
}

/// cp.async.bulk.tensor.<rank>d, shared to global, tile mode.
static void kite_sim_bulk_tensor_store(uint32_t rank, uint64_t map,
                                       const int32_t *coordinates,
                                       uint64_t shared) {
  bulkTensorStore(self(), rank, map, coordinates, shared);
}

static void kite_sim_bulk_commit() { bulkCommit(self()); }
static void kite_sim_bulk_wait(uint32_t pending) { bulkWait(self(), pending); }

static void kite_sim_mbarrier_init(uint64_t address, uint32_t count) {
  mbarrierInit(self(), address, count);
}
static void kite_sim_mbarrier_inval(uint64_t address) {
  mbarrierInval(self(), address);
}
/// flags: 1 arrive_drop, 2 noComplete.
static uint64_t kite_sim_mbarrier_arrive(uint64_t address, uint32_t count,
                                         uint32_t transactions,
                                         uint32_t flags) {
  return mbarrierArrive(self(), address, count, transactions, flags & 1,
                        flags & 2);
}
static void kite_sim_mbarrier_tx(uint64_t address, uint32_t transactions,
                                 uint32_t complete) {
  if (complete)
    mbarrierCompleteTx(self(), address, transactions);
  else
    mbarrierExpectTx(self(), address, transactions);
}
static uint32_t kite_sim_mbarrier_wait(uint64_t address, uint32_t parity,
                                       uint32_t block) {
  return mbarrierWait(self(), address, parity, block != 0);
}
static uint32_t kite_sim_mbarrier_parity(uint64_t state) {
  return mbarrierStateParity(state);
}
static uint32_t kite_sim_mbarrier_pending(uint64_t state) {
  return mbarrierPendingCount(state);
}

} // namespace

bool Rewriter::rewriteHopperNvvm(CallBase *call, StringRef name) {
  Type *voidTy = Type::getVoidTy(ctx);
  // A runtime function of this file, which the JIT must resolve.
  auto host = [&](const char *symbol, void *address, Type *ret,
                  ArrayRef<Type *> params) {
    result.symbols[symbol] = address;
    return runtime(symbol, ret, params);
  };
#define HOST(fn) #fn, reinterpret_cast < void *>(&fn)
  IRBuilder<> b(call);
  auto address = [&](unsigned i) {
    return b.CreatePtrToInt(call->getArgOperand(i), i64);
  };
  auto done = [&](Value *value) {
    if (value)
      call->replaceAllUsesWith(value);
    call->eraseFromParent();
    return true;
  };
  if (name == "wgmma.fence.sync.aligned") {
    b.CreateCall(host(HOST(kite_sim_wgmma_fence), voidTy, {}), {});
    return done(nullptr);
  }
  if (name == "wgmma.commit_group.sync.aligned") {
    b.CreateCall(host(HOST(kite_sim_wgmma_commit), voidTy, {}), {});
    return done(nullptr);
  }
  if (name == "wgmma.wait_group.sync.aligned") {
    b.CreateCall(host(HOST(kite_sim_wgmma_wait), voidTy, {i64}),
                 {b.CreateZExtOrTrunc(call->getArgOperand(0), i64)});
    return done(nullptr);
  }
  if (name.starts_with("setmaxnreg."))
    return done(nullptr);
  if (name == "elect.sync") {
    Value *leader = entryAlloca(b, i32);
    Value *lane = b.CreateCall(host(HOST(kite_sim_elect), i32, {i32, ptr}),
                               {call->getArgOperand(0), leader});
    return done(withPredicate(b, call->getType(), lane, leader));
  }
  if (name.starts_with("stmatrix.sync.aligned.m8n8.") &&
      name.contains(".b16")) {
    unsigned count = name.contains(".x4") ? 4 : name.contains(".x2") ? 2 : 1;
    Value *values = entryAlloca(b, i32, 4);
    for (unsigned j = 0; j < count; ++j)
      b.CreateStore(b.CreateBitCast(call->getArgOperand(1 + j), i32),
                    b.CreateConstGEP1_32(i32, values, j));
    b.CreateCall(host(HOST(kite_sim_stmatrix), voidTy, {i32, i32, i64, ptr}),
                 {b.getInt32(count), b.getInt32(name.contains(".trans")),
                  address(0), values});
    return done(nullptr);
  }
  // llvm.nvvm.cp.async.bulk.tensor.g2s.tile.<N>d(dst, mbarrier, map,
  // coordinates..., multicast mask, cache hint, use multicast, use hint[,
  // cta group]): neither multicast nor a cache hint changes what one CTA sees.
  if (name.starts_with("cp.async.bulk.tensor.g2s.tile.") &&
      name.ends_with("d")) {
    unsigned rank = name.drop_back().back() - '0';
    Value *coordinates = entryAlloca(b, i32, 5);
    for (unsigned j = 0; j < rank; ++j)
      b.CreateStore(call->getArgOperand(3 + j),
                    b.CreateConstGEP1_32(i32, coordinates, j));
    b.CreateCall(host(HOST(kite_sim_bulk_tensor_load), voidTy,
                      {i32, i64, i64, ptr, i64}),
                 {b.getInt32(rank), address(0), address(2), coordinates,
                  address(1)});
    return done(nullptr);
  }
  // llvm.nvvm.cp.async.bulk.tensor.s2g.tile.<N>d(src, map, coordinates...,
  // cache hint, use hint).
  if (name.starts_with("cp.async.bulk.tensor.s2g.tile.") &&
      name.ends_with("d")) {
    unsigned rank = name.drop_back().back() - '0';
    Value *coordinates = entryAlloca(b, i32, 5);
    for (unsigned j = 0; j < rank; ++j)
      b.CreateStore(call->getArgOperand(2 + j),
                    b.CreateConstGEP1_32(i32, coordinates, j));
    b.CreateCall(host(HOST(kite_sim_bulk_tensor_store), voidTy,
                      {i32, i64, ptr, i64}),
                 {b.getInt32(rank), address(1), coordinates, address(0)});
    return done(nullptr);
  }
  if (name == "cp.async.bulk.commit.group") {
    b.CreateCall(host(HOST(kite_sim_bulk_commit), voidTy, {}), {});
    return done(nullptr);
  }
  if (name == "cp.async.bulk.wait.group" ||
      name == "cp.async.bulk.wait.group.read") {
    b.CreateCall(host(HOST(kite_sim_bulk_wait), voidTy, {i32}),
                 {call->getArgOperand(0)});
    return done(nullptr);
  }
  if (!name.consume_front("mbarrier."))
    return false;
  // The mbarrier intrinsics: llvm.nvvm.mbarrier.<op>[.shared] and the scoped
  // forms <op>[.relaxed].scope.<s>.space.<s>.
  if (name.starts_with("init")) {
    b.CreateCall(host(HOST(kite_sim_mbarrier_init), voidTy, {i64, i32}),
                 {address(0), call->getArgOperand(1)});
    return done(nullptr);
  }
  if (name.starts_with("inval")) {
    b.CreateCall(host(HOST(kite_sim_mbarrier_inval), voidTy, {i64}),
                 {address(0)});
    return done(nullptr);
  }
  if (name.starts_with("pending.count"))
    return done(b.CreateCall(host(HOST(kite_sim_mbarrier_pending), i32, {i64}),
                             {call->getArgOperand(0)}));
  if (name.starts_with("expect.tx") || name.starts_with("complete.tx")) {
    b.CreateCall(host(HOST(kite_sim_mbarrier_tx), voidTy, {i64, i32, i32}),
                 {address(0), call->getArgOperand(1),
                  b.getInt32(name.starts_with("complete"))});
    return done(nullptr);
  }
  if (name.starts_with("arrive")) {
    bool drop = name.starts_with("arrive.drop");
    bool expectTx = name.contains("expect.tx");
    bool noComplete = name.contains("noComplete");
    Value *count = b.getInt32(1), *tx = b.getInt32(0);
    if (call->arg_size() > 1)
      (expectTx ? tx : count) = call->getArgOperand(1);
    Value *state = b.CreateCall(
        host(HOST(kite_sim_mbarrier_arrive), i64, {i64, i32, i32, i32}),
        {address(0), count, tx, b.getInt32(drop | noComplete << 1)});
    return done(call->getType()->isVoidTy() ? nullptr : state);
  }
  if (name.starts_with("test.wait") || name.starts_with("try.wait")) {
    bool parity = name.contains(".parity");
    Value *phase = call->getArgOperand(1);
    phase = parity
                ? b.CreateZExtOrTrunc(phase, i32)
                : b.CreateCall(host(HOST(kite_sim_mbarrier_parity), i32, {i64}),
                               {phase});
    Value *complete = b.CreateCall(
        host(HOST(kite_sim_mbarrier_wait), i32, {i64, i32, i32}),
        {address(0), phase, b.getInt32(name.starts_with("try.wait"))});
    return done(b.CreateICmpNE(complete, b.getInt32(0)));
  }
  return false;
#undef HOST
}
