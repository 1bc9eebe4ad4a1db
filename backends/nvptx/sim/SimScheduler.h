//===- SimScheduler.h - running a grid of simulated CTAs --------*- C++ -*-===//
//
// A launch on cuda-sim runs every thread of a CTA as a fiber (Fiber.h) on the
// launching OS thread. A fiber runs until it reaches a point where it must
// wait for others (a barrier, a warp-synchronous instruction) or where others
// may need to run (an atomic, so that spin locks make progress), then the
// scheduler resumes the next runnable fiber. Up to `residentCtas` CTAs are
// resident at once, admitted in grid order, as an SM holds several: a CTA
// may wait for an earlier one (a lock, a flag) but, as on hardware, not for
// a later one that is not resident.
//
// Code running on a fiber reaches the scheduler through SimThread::current()
// (the runtime functions of SimRuntime.cpp).
//
// sm_90's warpgroup instructions (wgmma) wait for the 128 threads of their
// warpgroup as warp instructions wait for a warp; a thread waiting on an
// mbarrier sleeps until an arrival or a transaction completes the phase it
// waits for (Hopper.h).
//
//===----------------------------------------------------------------------===//
#ifndef KITE_BACKENDS_NVPTX_SIM_SIMSCHEDULER_H
#define KITE_BACKENDS_NVPTX_SIM_SIMSCHEDULER_H

#include "backends/nvptx/sim/Fiber.h"
#include "backends/nvptx/sim/SimCounters.h"

#include <array>
#include <csetjmp>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace kite::sim {

class Cta;
class Launch;
class SimThread;
struct Warp;
struct WgmmaRead;

/// A computation of a whole warp (Warp::collective).
using WarpCollective = void (*)(Warp &warp, const void *argument);
/// A computation of a whole warpgroup: its 128 threads in order.
using WarpgroupCollective = void (*)(SimThread *const *threads,
                                     const void *argument);

/// What a warp-synchronous instruction asks of its warp.
enum class WarpOpKind : uint32_t {
  ShflIdx,
  ShflUp,
  ShflDown,
  ShflBfly,
  VoteAll,
  VoteAny,
  VoteUni,
  VoteBallot,
  ReduxAdd,
  ReduxMin,
  ReduxMax,
  ReduxUmin,
  ReduxUmax,
  ReduxAnd,
  ReduxOr,
  ReduxXor,
  MatchAny,
  MatchAll,
  /// elect.sync: the lowest lane of the membermask is the leader.
  Elect,
  /// Warp-wide, no data (bar.warp.sync).
  Sync,
  /// Warp-wide with a computation: the last lane to arrive calls
  /// Warp::collective, which reads every lane's `exchange` and writes each
  /// lane's results back there (tensor-core instructions, ldmatrix).
  Collective,
};

/// A cp.async.bulk copy not yet performed (HopperTma.cpp): a tensor copy
/// (`tensor`) with the tensor map's bytes as they were when it was issued
/// and its coordinates, or a linear copy of `bytes` at `global`. A copy to
/// shared memory completes `bytes` transactions on `mbarrier`.
struct BulkCopy {
  bool tensor = false, toShared = true;
  uint64_t shared = 0, global = 0, mbarrier = 0;
  uint32_t bytes = 0;
  std::array<int32_t, 5> coordinates{};
  std::array<uint8_t, 128> map{};
};

/// One simulated thread: its fiber, its ids, and its place in a warp op.
class SimThread {
public:
  enum class State {
    Runnable,
    AtBarrier,
    AtWarpOp,
    AtWarpgroupOp,
    AtMbarrier,
    Exited
  };

  Fiber fiber;
  Cta *cta = nullptr;
  std::array<uint32_t, 3> tid{};
  uint32_t linearId = 0, lane = 0, warp = 0;
  State state = State::Runnable;
  uint32_t barrierId = 0;
  /// AtMbarrier: the mbarrier waited on, and the parity of the phase that
  /// must complete.
  uint64_t mbarrier = 0;
  uint32_t mbarrierParity = 0;
  /// Loop iterations left before the thread yields (Preemption.cpp).
  uint32_t preemptionBudget = 0;
  /// This lane's operands of the warp op it waits in, and its result.
  uint64_t warpValue = 0, warpB = 0, warpC = 0;
  uint64_t warpResult = 0;
  bool warpPredicate = false;
  /// Per-thread data of multi-lane instructions (mma fragments, ldmatrix
  /// addresses): what this lane hands its warp.
  std::array<uint64_t, 16> exchange{};
  SimCounters counters;
  /// cp.async copies not yet committed, and committed groups not yet
  /// waited for (oldest first).
  struct AsyncCopy {
    uint64_t destination, source;
    uint32_t bytes, sourceBytes;
  };
  std::vector<AsyncCopy> asyncUncommitted;
  std::vector<std::vector<AsyncCopy>> asyncGroups;
  /// cp.async.commit_group.
  void commitAsyncCopies();
  /// cp.async.wait_group `pending`: completes the oldest groups until at
  /// most `pending` remain.
  void waitAsyncCopies(size_t pending);
  /// cp.async.bulk copies from shared memory (bulk groups), as cp.async's.
  std::vector<BulkCopy> bulkUncommitted;
  std::vector<std::vector<BulkCopy>> bulkGroups;
  /// What the wgmma.mma_async not yet waited for read through descriptors
  /// (TensorCoreHopper.cpp): of the open group, and of each committed group
  /// (empty ones too), oldest first. Shared by the warpgroup's 128 threads.
  std::vector<std::shared_ptr<WgmmaRead>> wgmmaOpenReads;
  std::deque<std::vector<std::shared_ptr<WgmmaRead>>> wgmmaPendingReads;

  explicit SimThread(size_t stackBytes) : fiber(stackBytes) {}

  /// The thread running on this OS thread's current fiber; null outside
  /// simulated code.
  static SimThread *current();
  static void setCurrent(SimThread *thread);

  /// Stops here until the scheduler resumes this thread.
  void yield();
  /// Waits at barrier `id` until `count` threads (0: the whole CTA) arrive.
  void barrier(uint32_t id, uint32_t count);
  /// Takes part in a warp op of the lanes in `mask`; returns once every lane
  /// of `mask` has arrived and the op is done (warpResult holds the result).
  void warpOp(WarpOpKind kind, uint32_t mask, uint64_t value, uint64_t b,
              uint64_t c);
  /// Takes part in a collective of the whole warp (Warp::collective): this
  /// lane's inputs are in `exchange`, its results are there on return.
  void warpCollective(WarpCollective collective, const void *argument);
  /// Takes part in a collective of this thread's warpgroup (warps 4g to
  /// 4g + 3): the last of its 128 threads to arrive calls `collective`.
  /// `what` names the instruction in errors.
  void warpgroupCollective(WarpgroupCollective collective, const void *argument,
                           const char *what);
  /// Sleeps until the phase of the mbarrier at `address` with parity
  /// `parity` completes (wakeMbarrierWaiters).
  void waitOnMbarrier(uint64_t address, uint32_t parity);
  /// Ends the launch with `message` (it becomes the launch's error) and never
  /// returns.
  [[noreturn]] void fail(const std::string &message);
};

/// The per-warp state of the warp op being gathered.
struct Warp {
  bool pending = false;
  WarpCollective collective = nullptr;
  const void *collectiveArgument = nullptr;
  WarpOpKind kind = WarpOpKind::Sync;
  uint32_t mask = 0, arrived = 0;
  /// The lanes' threads, by lane (null past the block's end).
  std::array<SimThread *, 32> lanes{};
};

/// The per-warpgroup state of the warpgroup collective being gathered.
struct Warpgroup {
  bool pending = false;
  WarpgroupCollective collective = nullptr;
  const void *argument = nullptr;
  const char *what = "";
  uint32_t arrived = 0;
};

/// A resident CTA: its threads, shared memory and barriers.
class Cta {
public:
  std::array<uint32_t, 3> ctaid{};
  uint8_t *shared = nullptr;
  uint64_t sharedBytes = 0;
  std::vector<std::unique_ptr<SimThread>> threads;
  std::vector<Warp> warps;
  std::vector<Warpgroup> warpgroups;
  /// cp.async.bulk copies into shared memory, performed when a thread waits
  /// on their mbarrier (HopperTma.cpp), oldest first.
  std::vector<BulkCopy> pendingBulkLoads;
  /// Makes the threads waiting on the mbarrier at `address` runnable.
  void wakeMbarrierWaiters(uint64_t address);
  std::array<uint32_t, 16> barrierArrived{}; ///< Arrivals per barrier id.
  std::array<uint32_t, 16> barrierCount{};   ///< Its expected count.
  uint32_t exited = 0;
  bool active = false;
  Launch *launch = nullptr;
};

/// What a kernel's launch needs from the scheduler.
struct LaunchConfig {
  std::string kernelName;
  void (*entry)(void **params) = nullptr; ///< Runs one thread.
  void **params = nullptr;
  std::array<uint32_t, 3> grid{1, 1, 1}, block{1, 1, 1};
  uint64_t sharedBytes = 0; ///< Static + dynamic shared memory per CTA.
  unsigned residentCtas = 4;
  /// Stops a launch that runs longer (seconds; 0: never).
  double timeoutSeconds = 0;
};

class Launch {
public:
  explicit Launch(const LaunchConfig &config) : config(config) {}
  /// Runs the whole grid; the error of the first failure, else "".
  std::string run();

  const LaunchConfig config;
  std::string error;
  SimCounters totals; ///< Summed over every thread of the launch.
  Fiber scheduler;    ///< The OS thread's context while fibers run.
  sigjmp_buf faultReturn;

private:
  bool startCta(Cta &cta, uint64_t linearCta);
  bool releaseBarriers(Cta &cta);
  std::string describeDeadlock(const std::vector<std::unique_ptr<Cta>> &);
};

} // namespace kite::sim

#endif // KITE_BACKENDS_NVPTX_SIM_SIMSCHEDULER_H
