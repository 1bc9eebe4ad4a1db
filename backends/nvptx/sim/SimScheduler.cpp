//===- SimScheduler.cpp - CTAs of fibers, barriers and warp ops -----------===//
#include "backends/nvptx/sim/SimScheduler.h"
#include "backends/nvptx/sim/Hopper.h"
#include "backends/nvptx/sim/SimFaults.h"

#include <chrono>
#include <cstring>
#include <sys/mman.h>

using namespace kite::sim;

namespace {
thread_local SimThread *currentThread = nullptr;

/// Each thread's stack: the x86 code of a large kernel keeps its registers'
/// worth of values in spill slots, so be generous; pages are only committed
/// when touched.
constexpr size_t kStackBytes = 512 * 1024;

[[noreturn]] void threadMain(void *arg) {
  auto *thread = static_cast<SimThread *>(arg);
  Launch &launch = *thread->cta->launch;
  launch.config.entry(launch.config.params);
  // Bulk copies to global memory still pending complete, as the hardware's
  // would after the thread ends.
  finishBulkCopies(*thread);
  thread->state = SimThread::State::Exited;
  thread->cta->exited += 1;
  launch.scheduler.switchFrom(thread->fiber);
  __builtin_trap(); // an exited fiber is never resumed
}

std::string ids(const std::array<uint32_t, 3> &v) {
  return "(" + std::to_string(v[0]) + ", " + std::to_string(v[1]) + ", " +
         std::to_string(v[2]) + ")";
}

/// The result of `kind` for `lane` of a warp whose lanes gave their values.
void completeWarpOp(Warp &warp) {
  uint32_t mask = warp.mask;
  auto each = [&](auto &&fn) {
    for (uint32_t lane = 0; lane < 32; ++lane)
      if (mask >> lane & 1)
        fn(lane, *warp.lanes[lane]);
  };
  auto valueOf = [&](uint32_t lane) -> uint64_t {
    SimThread *t = lane < 32 ? warp.lanes[lane] : nullptr;
    return t ? t->warpValue : 0;
  };
  switch (warp.kind) {
  case WarpOpKind::ShflIdx:
  case WarpOpKind::ShflUp:
  case WarpOpKind::ShflDown:
  case WarpOpKind::ShflBfly:
    // The PTX ISA's shfl.sync: c packs the clamp (bits 0-4) and the segment
    // mask (bits 8-12).
    each([&](uint32_t lane, SimThread &t) {
      int32_t b = int32_t(t.warpB & 31), c = int32_t(t.warpC & 31);
      int32_t segmask = int32_t((t.warpC >> 8) & 31);
      int32_t maxLane = (int32_t(lane) & segmask) | (c & ~segmask);
      int32_t minLane = int32_t(lane) & segmask;
      int32_t j = 0;
      bool p = false;
      switch (warp.kind) {
      case WarpOpKind::ShflUp:
        j = int32_t(lane) - b;
        p = j >= maxLane;
        break;
      case WarpOpKind::ShflDown:
        j = int32_t(lane) + b;
        p = j <= maxLane;
        break;
      case WarpOpKind::ShflBfly:
        j = int32_t(lane) ^ b;
        p = j <= maxLane;
        break;
      default:
        j = minLane | (b & ~segmask);
        p = j <= maxLane;
        break;
      }
      if (!p)
        j = int32_t(lane);
      t.warpResult = valueOf(uint32_t(j)) & 0xffffffffu;
      t.warpPredicate = p;
      t.counters.add(Counter::shuffles);
    });
    break;
  case WarpOpKind::VoteAll:
  case WarpOpKind::VoteAny:
  case WarpOpKind::VoteUni:
  case WarpOpKind::VoteBallot: {
    uint32_t ballot = 0;
    each([&](uint32_t lane, SimThread &t) {
      if (t.warpValue & 1)
        ballot |= 1u << lane;
    });
    bool all = ballot == mask, any = ballot != 0;
    each([&](uint32_t, SimThread &t) {
      t.counters.add(Counter::votes);
      switch (warp.kind) {
      case WarpOpKind::VoteAll:
        t.warpResult = all;
        break;
      case WarpOpKind::VoteAny:
        t.warpResult = any;
        break;
      case WarpOpKind::VoteUni:
        t.warpResult = all || !any;
        break;
      default:
        t.warpResult = ballot;
      }
    });
    break;
  }
  case WarpOpKind::MatchAny:
  case WarpOpKind::MatchAll: {
    uint32_t allEqual = mask;
    each([&](uint32_t, SimThread &t) {
      if (t.warpValue != warp.lanes[__builtin_ctz(mask)]->warpValue)
        allEqual = 0;
    });
    each([&](uint32_t, SimThread &t) {
      uint32_t same = 0;
      for (uint32_t other = 0; other < 32; ++other)
        if ((mask >> other & 1) && warp.lanes[other]->warpValue == t.warpValue)
          same |= 1u << other;
      t.warpResult = warp.kind == WarpOpKind::MatchAny ? same : allEqual;
      t.warpPredicate = allEqual != 0;
    });
    break;
  }
  case WarpOpKind::Elect: {
    uint32_t leader = uint32_t(__builtin_ctz(mask));
    each([&](uint32_t lane, SimThread &t) {
      t.warpResult = leader;
      t.warpPredicate = lane == leader;
    });
    break;
  }
  case WarpOpKind::Sync:
    break;
  case WarpOpKind::Collective:
    warp.collective(warp, warp.collectiveArgument);
    break;
  default: { // redux.sync on 32-bit values
    uint32_t acc = 0;
    bool first = true;
    each([&](uint32_t, SimThread &t) {
      uint32_t v = uint32_t(t.warpValue);
      if (first) {
        acc = v;
        first = false;
        return;
      }
      switch (warp.kind) {
      case WarpOpKind::ReduxAdd:
        acc += v;
        break;
      case WarpOpKind::ReduxMin:
        acc = uint32_t(std::min(int32_t(acc), int32_t(v)));
        break;
      case WarpOpKind::ReduxMax:
        acc = uint32_t(std::max(int32_t(acc), int32_t(v)));
        break;
      case WarpOpKind::ReduxUmin:
        acc = std::min(acc, v);
        break;
      case WarpOpKind::ReduxUmax:
        acc = std::max(acc, v);
        break;
      case WarpOpKind::ReduxAnd:
        acc &= v;
        break;
      case WarpOpKind::ReduxOr:
        acc |= v;
        break;
      default:
        acc ^= v;
      }
    });
    each([&](uint32_t, SimThread &t) { t.warpResult = acc; });
  }
  }
  each([&](uint32_t, SimThread &t) { t.state = SimThread::State::Runnable; });
  warp.pending = false;
  warp.arrived = 0;
}
} // namespace

SimThread *SimThread::current() { return currentThread; }
void SimThread::setCurrent(SimThread *thread) { currentThread = thread; }

void SimThread::yield() { cta->launch->scheduler.switchFrom(fiber); }

void SimThread::fail(const std::string &message) {
  Launch &launch = *cta->launch;
  if (launch.error.empty())
    launch.error = message;
  launch.scheduler.switchFrom(fiber);
  __builtin_trap(); // a failed launch never resumes its fibers
}

void SimThread::barrier(uint32_t id, uint32_t count) {
  if (id >= cta->barrierArrived.size())
    fail("bar.sync " + std::to_string(id) + ": barrier ids go from 0 to 15");
  uint32_t expected = count ? count : uint32_t(cta->threads.size());
  if (cta->barrierArrived[id] == 0)
    cta->barrierCount[id] = expected;
  else if (cta->barrierCount[id] != expected)
    fail("barrier " + std::to_string(id) + " reached with a thread count of " +
         std::to_string(expected) + " by thread " + ids(tid) +
         ", but other threads wait there for " +
         std::to_string(cta->barrierCount[id]));
  counters.add(Counter::barriers);
  state = State::AtBarrier;
  barrierId = id;
  if (++cta->barrierArrived[id] == expected) {
    for (auto &thread : cta->threads)
      if (thread->state == State::AtBarrier && thread->barrierId == id)
        thread->state = State::Runnable;
    cta->barrierArrived[id] = 0;
    return;
  }
  yield();
}

void SimThread::warpOp(WarpOpKind kind, uint32_t mask, uint64_t value,
                       uint64_t b, uint64_t c) {
  Warp &w = cta->warps[warp];
  if (!(mask >> lane & 1))
    fail("a warp-synchronous instruction of thread " + ids(tid) + " (lane " +
         std::to_string(lane) + ") has a membermask without its own lane");
  for (uint32_t other = 0; other < 32; ++other)
    if ((mask >> other & 1) && !w.lanes[other])
      fail("a warp-synchronous instruction names lane " +
           std::to_string(other) + ", which the block does not have");
  if (w.pending && (w.mask != mask || w.kind != kind))
    fail("lanes of warp " + std::to_string(warp) +
         " reached different warp-synchronous instructions (or the same with "
         "different membermasks): divergent code");
  if (!w.pending) {
    w.pending = true;
    w.kind = kind;
    w.mask = mask;
    w.arrived = 0;
  }
  warpValue = value;
  warpB = b;
  warpC = c;
  state = State::AtWarpOp;
  w.arrived |= 1u << lane;
  if (w.arrived == mask) {
    completeWarpOp(w);
    return;
  }
  yield();
}

void SimThread::commitAsyncCopies() {
  asyncGroups.push_back(std::move(asyncUncommitted));
  asyncUncommitted.clear();
}

void SimThread::waitAsyncCopies(size_t pending) {
  while (asyncGroups.size() > pending) {
    for (const AsyncCopy &copy : asyncGroups.front()) {
      auto *destination = reinterpret_cast<uint8_t *>(copy.destination);
      std::memcpy(destination, reinterpret_cast<const void *>(copy.source),
                  std::min(copy.bytes, copy.sourceBytes));
      if (copy.sourceBytes < copy.bytes) // the rest is filled with zeros
        std::memset(destination + copy.sourceBytes, 0,
                    copy.bytes - copy.sourceBytes);
    }
    asyncGroups.erase(asyncGroups.begin());
  }
}

void SimThread::warpCollective(WarpCollective collective,
                               const void *argument) {
  Warp &w = cta->warps[warp];
  if (w.pending && w.kind == WarpOpKind::Collective &&
      (w.collective != collective || w.collectiveArgument != argument))
    fail("lanes of warp " + std::to_string(warp) +
         " reached different warp-wide instructions (mma, ldmatrix): "
         "divergent code");
  if (!w.pending) {
    w.collective = collective;
    w.collectiveArgument = argument;
  }
  warpOp(WarpOpKind::Collective, 0xffffffffu, 0, 0, 0);
}

void SimThread::warpgroupCollective(WarpgroupCollective collective,
                                    const void *argument, const char *what) {
  uint32_t group = warp / 4;
  if ((group + 1) * 128 > cta->threads.size())
    fail(std::string(what) + " is a warpgroup instruction, but thread " +
         ids(tid) + " is in warpgroup " + std::to_string(group) +
         ", of which the block (" + std::to_string(cta->threads.size()) +
         " threads) has only " +
         std::to_string(cta->threads.size() - group * 128) +
         " threads: the block needs a multiple of 128 threads");
  Warpgroup &g = cta->warpgroups[group];
  if (g.pending && (g.collective != collective || g.argument != argument))
    fail("threads of warpgroup " + std::to_string(group) +
         " reached different warpgroup instructions (" + g.what + " and " +
         what + "): divergent code");
  if (!g.pending) {
    g.pending = true;
    g.collective = collective;
    g.argument = argument;
    g.what = what;
    g.arrived = 0;
  }
  state = State::AtWarpgroupOp;
  if (++g.arrived == 128) {
    SimThread *members[128];
    for (uint32_t i = 0; i < 128; ++i)
      members[i] = cta->threads[group * 128 + i].get();
    g.pending = false;
    g.arrived = 0;
    collective(members, argument);
    for (SimThread *t : members)
      t->state = State::Runnable;
    return;
  }
  yield();
}

void SimThread::waitOnMbarrier(uint64_t address, uint32_t parity) {
  state = State::AtMbarrier;
  mbarrier = address;
  mbarrierParity = parity;
  yield();
}

void Cta::wakeMbarrierWaiters(uint64_t address) {
  for (auto &t : threads)
    if (t->state == SimThread::State::AtMbarrier && t->mbarrier == address)
      t->state = SimThread::State::Runnable;
}

bool Launch::startCta(Cta &cta, uint64_t linear) {
  cta.ctaid = {uint32_t(linear % config.grid[0]),
               uint32_t(linear / config.grid[0] % config.grid[1]),
               uint32_t(linear / (uint64_t(config.grid[0]) * config.grid[1]))};
  cta.exited = 0;
  cta.barrierArrived.fill(0);
  for (Warp &w : cta.warps)
    w.pending = false, w.arrived = 0;
  for (Warpgroup &g : cta.warpgroups)
    g.pending = false, g.arrived = 0;
  cta.pendingBulkLoads.clear();
  // Uninitialised shared memory reads as NaN / -1, not as a convenient 0.
  if (config.sharedBytes)
    std::memset(cta.shared, 0xff, config.sharedBytes);
  for (auto &thread : cta.threads) {
    thread->state = SimThread::State::Runnable;
    thread->asyncUncommitted.clear();
    thread->asyncGroups.clear();
    thread->bulkUncommitted.clear();
    thread->bulkGroups.clear();
    thread->wgmmaOpenReads.clear();
    thread->wgmmaPendingReads.clear();
    thread->fiber.start(threadMain, thread.get());
  }
  cta.active = true;
  return true;
}

bool Launch::releaseBarriers(Cta &cta) {
  // A barrier that waits for threads which have exited can never complete:
  // the barrier was reached divergently.
  for (uint32_t id = 0; id < cta.barrierArrived.size(); ++id) {
    uint32_t waiting = cta.barrierArrived[id];
    if (!waiting || !cta.exited)
      continue;
    uint32_t live = uint32_t(cta.threads.size()) - cta.exited;
    if (waiting == live || cta.barrierCount[id] > live) {
      error = "kernel '" + config.kernelName + "', block " + ids(cta.ctaid) +
              ": " + std::to_string(waiting) + " threads wait at barrier " +
              std::to_string(id) + " for " +
              std::to_string(cta.barrierCount[id]) + ", but " +
              std::to_string(cta.exited) +
              " threads of the block have exited: a barrier reached in "
              "divergent code";
      return false;
    }
  }
  for (Warp &w : cta.warps)
    if (w.pending)
      for (uint32_t lane = 0; lane < 32; ++lane)
        if ((w.mask >> lane & 1) && w.lanes[lane] &&
            w.lanes[lane]->state == SimThread::State::Exited) {
          error = "kernel '" + config.kernelName + "', block " +
                  ids(cta.ctaid) + ": lanes of warp " +
                  std::to_string(&w - cta.warps.data()) +
                  " wait in a warp-synchronous instruction whose membermask "
                  "names lane " +
                  std::to_string(lane) + ", which has exited";
          return false;
        }
  for (Warpgroup &g : cta.warpgroups) {
    if (!g.pending)
      continue;
    uint32_t group = uint32_t(&g - cta.warpgroups.data());
    for (uint32_t i = 0; i < 128; ++i) {
      SimThread &t = *cta.threads[group * 128 + i];
      if (t.state != SimThread::State::Exited)
        continue;
      error = "kernel '" + config.kernelName + "', block " + ids(cta.ctaid) +
              ": threads of warpgroup " + std::to_string(group) + " wait in " +
              g.what + ", which thread " + ids(t.tid) +
              " of the warpgroup never reaches: it has exited (a warpgroup "
              "instruction in divergent code)";
      return false;
    }
  }
  return true;
}

std::string
Launch::describeDeadlock(const std::vector<std::unique_ptr<Cta>> &ctas) {
  std::string message =
      "kernel '" + config.kernelName + "' deadlocked: no thread can go on (";
  for (auto &cta : ctas) {
    if (!cta->active)
      continue;
    unsigned atBarrier = 0, atWarp = 0, atWarpgroup = 0, atMbarrier = 0;
    SimThread *mbarrierWaiter = nullptr;
    for (auto &t : cta->threads) {
      atBarrier += t->state == SimThread::State::AtBarrier;
      atWarp += t->state == SimThread::State::AtWarpOp;
      atWarpgroup += t->state == SimThread::State::AtWarpgroupOp;
      if (t->state == SimThread::State::AtMbarrier && !atMbarrier++)
        mbarrierWaiter = t.get();
    }
    message += "block " + ids(cta->ctaid) + ": " + std::to_string(atBarrier) +
               " threads at a barrier, " + std::to_string(atWarp) +
               " in a warp-synchronous instruction, ";
    if (atWarpgroup)
      message += std::to_string(atWarpgroup) + " in a warpgroup instruction, ";
    if (atMbarrier)
      message += std::to_string(atMbarrier) + " waiting on an mbarrier (" +
                 describeMbarrierWait(*mbarrierWaiter) + "), ";
    message += std::to_string(cta->exited) + " exited; ";
  }
  message.resize(message.size() - 2);
  return message + ")";
}

std::string Launch::run() {
  uint64_t total = uint64_t(config.grid[0]) * config.grid[1] * config.grid[2];
  uint64_t threads =
      uint64_t(config.block[0]) * config.block[1] * config.block[2];
  if (!total)
    return "";
  unsigned resident = unsigned(
      std::max<uint64_t>(1, std::min<uint64_t>(config.residentCtas, total)));
  std::vector<std::unique_ptr<Cta>> ctas;
  std::vector<SharedBlock> sharedBlocks;
  for (unsigned i = 0; i < resident; ++i) {
    auto cta = std::make_unique<Cta>();
    cta->launch = this;
    sharedBlocks.emplace_back(config.sharedBytes);
    if (config.sharedBytes && !sharedBlocks.back().data)
      return "cannot map " + std::to_string(config.sharedBytes) +
             " bytes of shared memory for a block";
    cta->shared = sharedBlocks.back().data;
    cta->sharedBytes = config.sharedBytes;
    cta->warps.resize((threads + 31) / 32);
    cta->warpgroups.resize((threads + 127) / 128);
    for (uint64_t t = 0; t < threads; ++t) {
      auto thread = std::make_unique<SimThread>(kStackBytes);
      if (!thread->fiber.valid())
        return "cannot map the stacks of " + std::to_string(threads) +
               " simulated threads";
      thread->cta = cta.get();
      thread->linearId = uint32_t(t);
      thread->tid = {uint32_t(t % config.block[0]),
                     uint32_t(t / config.block[0] % config.block[1]),
                     uint32_t(t / (config.block[0] * config.block[1]))};
      thread->lane = uint32_t(t % 32);
      thread->warp = uint32_t(t / 32);
      cta->warps[t / 32].lanes[t % 32] = thread.get();
      cta->threads.push_back(std::move(thread));
    }
    ctas.push_back(std::move(cta));
  }

  auto collect = [&] {
    for (auto &cta : ctas)
      for (auto &t : cta->threads) {
        totals += t->counters;
        t->counters = SimCounters();
      }
  };
  FaultScope faults(*this);
  if (sigsetjmp(faultReturn, 1)) {
    // A fault in simulated code (SimFaults.cpp) jumped back here.
    SimThread::setCurrent(nullptr);
    collect();
    return error;
  }
  auto start = std::chrono::steady_clock::now();
  uint64_t next = 0, switches = 0;
  while (true) {
    bool any = false, progress = false;
    for (auto &cta : ctas) {
      if (!cta->active && next < total)
        startCta(*cta, next++);
      if (!cta->active)
        continue;
      any = true;
      for (auto &thread : cta->threads) {
        if (thread->state != SimThread::State::Runnable)
          continue;
        SimThread::setCurrent(thread.get());
        thread->fiber.switchFrom(scheduler);
        SimThread::setCurrent(nullptr);
        ++switches;
        progress = true;
        if (!error.empty()) {
          collect();
          return error;
        }
      }
      if (!releaseBarriers(*cta)) {
        collect();
        return error;
      }
      if (cta->exited == cta->threads.size()) {
        for (auto &t : cta->threads) {
          totals += t->counters;
          t->counters = SimCounters();
        }
        cta->active = false;
        progress = true;
      }
    }
    if (!any)
      break;
    if (!progress) {
      collect();
      return error = describeDeadlock(ctas);
    }
    if (config.timeoutSeconds > 0 && (switches & 0xff) == 0) {
      double seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      if (seconds > config.timeoutSeconds) {
        collect();
        return error = "kernel '" + config.kernelName + "' still runs after " +
                       std::to_string(int(seconds)) +
                       " s on cuda-sim (KITE_SIM_TIMEOUT): a loop that never "
                       "ends, or a spin-wait for a block that is not resident";
      }
    }
  }
  return error;
}
