//===- SimRuntime.cpp - host functions that simulated code calls ----------===//
#include "backends/nvptx/sim/SimRuntime.h"
#include "backends/nvptx/sim/InlinePtx.h"
#include "backends/nvptx/sim/PtxFloat.h"
#include "backends/nvptx/sim/SimScheduler.h"
#include "backends/nvptx/sim/TensorCore.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

using namespace kite::sim;

namespace {
SimThread &self() { return *SimThread::current(); }

std::string ids(const std::array<uint32_t, 3> &v) {
  return "(" + std::to_string(v[0]) + ", " + std::to_string(v[1]) + ", " +
         std::to_string(v[2]) + ")";
}

/// The bytes vprintf's argument buffer holds for one conversion (CUDA
/// aligns each argument to its own size: 8 for doubles, pointers and 64-bit
/// integers, 4 for the rest, which C promotes to int).
size_t argumentBytes(const std::string &spec) {
  char conversion = spec.back();
  if (conversion == 'f' || conversion == 'e' || conversion == 'g' ||
      conversion == 'F' || conversion == 'E' || conversion == 'G' ||
      conversion == 'a' || conversion == 'A' || conversion == 's' ||
      conversion == 'p')
    return 8;
  if (spec.find("ll") != std::string::npos ||
      spec.find('l') != std::string::npos ||
      spec.find('j') != std::string::npos ||
      spec.find('z') != std::string::npos)
    return 8;
  return 4;
}

std::string formatPrintf(const char *format, const char *args) {
  std::string out;
  size_t offset = 0;
  for (const char *p = format; *p; ++p) {
    if (*p != '%') {
      out += *p;
      continue;
    }
    if (p[1] == '%') {
      out += '%';
      ++p;
      continue;
    }
    const char *start = p++;
    while (*p && !std::strchr("diouxXeEfFgGaAcspn", *p))
      ++p;
    if (!*p)
      break;
    std::string spec(start, p + 1);
    size_t bytes = argumentBytes(spec);
    offset = (offset + bytes - 1) / bytes * bytes;
    char buffer[512];
    const char *arg = args + offset;
    offset += bytes;
    char conversion = *p;
    if (std::strchr("eEfFgGaA", conversion)) {
      double v;
      std::memcpy(&v, arg, 8);
      snprintf(buffer, sizeof buffer, spec.c_str(), v);
    } else if (conversion == 's') {
      const char *s;
      std::memcpy(&s, arg, 8);
      snprintf(buffer, sizeof buffer, spec.c_str(), s ? s : "(null)");
    } else if (conversion == 'p') {
      void *v;
      std::memcpy(&v, arg, 8);
      snprintf(buffer, sizeof buffer, spec.c_str(), v);
    } else if (conversion == 'n') {
      continue;
    } else if (bytes == 8) {
      long long v;
      std::memcpy(&v, arg, 8);
      snprintf(buffer, sizeof buffer, spec.c_str(), v);
    } else {
      int v;
      std::memcpy(&v, arg, 4);
      snprintf(buffer, sizeof buffer, spec.c_str(), v);
    }
    out += buffer;
  }
  return out;
}
} // namespace

extern "C" {

static uint32_t kite_sim_sreg(uint32_t which) {
  SimThread &t = self();
  const LaunchConfig &c = t.cta->launch->config;
  switch (SpecialRegister(which)) {
  case SpecialRegister::TidX:
  case SpecialRegister::TidY:
  case SpecialRegister::TidZ:
    return t.tid[which - uint32_t(SpecialRegister::TidX)];
  case SpecialRegister::NtidX:
  case SpecialRegister::NtidY:
  case SpecialRegister::NtidZ:
    return c.block[which - uint32_t(SpecialRegister::NtidX)];
  case SpecialRegister::CtaidX:
  case SpecialRegister::CtaidY:
  case SpecialRegister::CtaidZ:
    return t.cta->ctaid[which - uint32_t(SpecialRegister::CtaidX)];
  case SpecialRegister::NctaidX:
  case SpecialRegister::NctaidY:
  case SpecialRegister::NctaidZ:
    return c.grid[which - uint32_t(SpecialRegister::NctaidX)];
  case SpecialRegister::LaneId:
    return t.lane;
  case SpecialRegister::WarpId:
    return t.warp;
  case SpecialRegister::NwarpId:
    return uint32_t(t.cta->warps.size());
  case SpecialRegister::SmId:
  case SpecialRegister::GridId:
  case SpecialRegister::ClusterCtaRank:
    return 0;
  case SpecialRegister::NsmId:
  case SpecialRegister::ClusterNctaRank:
    return 1;
  case SpecialRegister::LanemaskEq:
    return 1u << t.lane;
  case SpecialRegister::LanemaskLt:
    return (1u << t.lane) - 1;
  case SpecialRegister::LanemaskLe:
    return uint32_t((uint64_t(2) << t.lane) - 1);
  case SpecialRegister::LanemaskGt:
    return ~uint32_t((uint64_t(2) << t.lane) - 1);
  case SpecialRegister::LanemaskGe:
    return ~((1u << t.lane) - 1);
  case SpecialRegister::Clock:
    return uint32_t(
        std::chrono::steady_clock::now().time_since_epoch().count());
  }
  t.fail("unknown special register " + std::to_string(which));
}

static uint64_t kite_sim_clock64() {
  return uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
}

static void kite_sim_barrier(uint32_t id, uint32_t count) {
  self().barrier(id, count);
}

static uint32_t kite_sim_shfl(uint32_t mode, uint32_t mask, uint32_t value,
                              uint32_t b, uint32_t c, uint32_t *predicate) {
  SimThread &t = self();
  t.warpOp(WarpOpKind(uint32_t(WarpOpKind::ShflIdx) + mode), mask, value, b, c);
  if (predicate)
    *predicate = t.warpPredicate;
  return uint32_t(t.warpResult);
}

static uint32_t kite_sim_vote(uint32_t mode, uint32_t mask,
                              uint32_t predicate) {
  SimThread &t = self();
  t.warpOp(WarpOpKind(uint32_t(WarpOpKind::VoteAll) + mode), mask,
           predicate != 0, 0, 0);
  return uint32_t(t.warpResult);
}

static uint32_t kite_sim_redux(uint32_t mode, uint32_t mask, uint32_t value) {
  SimThread &t = self();
  t.warpOp(WarpOpKind(uint32_t(WarpOpKind::ReduxAdd) + mode), mask, value, 0,
           0);
  return uint32_t(t.warpResult);
}

static uint32_t kite_sim_match(uint32_t mode, uint32_t mask, uint64_t value,
                               uint32_t *predicate) {
  SimThread &t = self();
  t.warpOp(mode ? WarpOpKind::MatchAll : WarpOpKind::MatchAny, mask, value, 0,
           0);
  if (predicate)
    *predicate = t.warpPredicate;
  return uint32_t(t.warpResult);
}

static void kite_sim_warp_sync(uint32_t mask) {
  self().warpOp(WarpOpKind::Sync, mask, 0, 0, 0);
}

static void kite_sim_yield() { self().yield(); }

/// On every loop back edge: a thread yields every 1024 iterations, so that a
/// spin on a plain load lets the writer run and a loop that never ends
/// reaches the scheduler's timeout.
static void kite_sim_backedge() {
  SimThread &t = self();
  if (++t.preemptionBudget >= 1024) {
    t.preemptionBudget = 0;
    t.yield();
  }
}

static uint64_t *kite_sim_counters() { return self().counters.values.data(); }

static uint8_t *kite_sim_shared_base() { return self().cta->shared; }

static int32_t kite_sim_vprintf(const char *format, const char *args) {
  std::string text = formatPrintf(format, args);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return int32_t(text.size());
}

static void kite_sim_assertfail(const char *message, const char *file,
                                uint32_t line, const char *function, uint64_t) {
  SimThread &t = self();
  t.fail(std::string("device-side assertion failed: ") + file + ":" +
         std::to_string(line) + ": " + function + ": block " +
         ids(t.cta->ctaid) + ", thread " + ids(t.tid) + ": Assertion `" +
         message + "` failed.");
}

static void kite_sim_trap() {
  SimThread &t = self();
  t.fail("kernel '" + t.cta->launch->config.kernelName +
         "' executed a trap instruction (thread " + ids(t.tid) + " of block " +
         ids(t.cta->ctaid) + ")");
}

static void kite_sim_unimplemented(const char *what) {
  self().fail(std::string("the simulator does not implement ") + what);
}

static void kite_sim_async_copy(uint64_t dst, uint64_t src, uint32_t bytes,
                                uint32_t sourceBytes) {
  SimThread &t = self();
  sourceBytes = std::min(sourceBytes, bytes); // the rest is zero-filled
  t.asyncUncommitted.push_back({dst, src, bytes, sourceBytes});
  t.counters.add(Counter::cp_async);
  t.counters.add(Counter::cp_async_bytes, bytes);
  t.counters.add(Counter::global_load_bytes, sourceBytes);
  t.counters.add(Counter::shared_store_bytes, bytes);
}
static void kite_sim_async_commit() { self().commitAsyncCopies(); }
static void kite_sim_async_wait(uint32_t pending) {
  self().waitAsyncCopies(pending);
}
static void kite_sim_async_wait_all() {
  self().commitAsyncCopies();
  self().waitAsyncCopies(0);
}

static void kite_sim_ldmatrix(uint32_t count, uint32_t transposed,
                              uint64_t address, uint32_t *out) {
  warpLdmatrix(self(), count, transposed != 0, address, out);
}

static void kite_sim_asm(const AsmProgram *program, uint64_t *operands) {
  runInlinePtx(*program, operands, self());
}

// The conversions the host backend calls for half and bfloat16 (compiler-rt's
// names). x86-64 passes and returns half and bfloat16 in the low 16 bits of
// an XMM register: as a float argument's or result's low bits here.
static float kite_sim_extendhfsf2(float xmm) {
  return halfToFloat(uint16_t(floatToBits(xmm)));
}
static float kite_sim_truncsfhf2(float f) {
  return bitsToFloat(floatToHalf(f));
}
static float kite_sim_truncdfhf2(double d) {
  return bitsToFloat(floatToHalf(roundToOddFloat(d)));
}
static double kite_sim_extendhfdf2(float xmm) {
  return halfToFloat(uint16_t(floatToBits(xmm)));
}
static float kite_sim_truncsfbf2(float f) {
  return bitsToFloat(floatToBf16(f));
}
static float kite_sim_truncdfbf2(double d) {
  return bitsToFloat(floatToBf16(roundToOddFloat(d)));
}

} // extern "C"

const std::vector<std::pair<const char *, void *>> &
kite::sim::runtimeSymbols() {
  static const std::vector<std::pair<const char *, void *>> symbols = {
#define SYMBOL(name) {#name, reinterpret_cast<void *>(&name)}
      SYMBOL(kite_sim_sreg),
      SYMBOL(kite_sim_clock64),
      SYMBOL(kite_sim_barrier),
      SYMBOL(kite_sim_shfl),
      SYMBOL(kite_sim_vote),
      SYMBOL(kite_sim_redux),
      SYMBOL(kite_sim_match),
      SYMBOL(kite_sim_warp_sync),
      SYMBOL(kite_sim_yield),
      SYMBOL(kite_sim_counters),
      SYMBOL(kite_sim_backedge),
      SYMBOL(kite_sim_shared_base),
      SYMBOL(kite_sim_vprintf),
      SYMBOL(kite_sim_assertfail),
      SYMBOL(kite_sim_trap),
      SYMBOL(kite_sim_unimplemented),
      SYMBOL(kite_sim_asm),
      SYMBOL(kite_sim_ldmatrix),
      SYMBOL(kite_sim_async_copy),
      SYMBOL(kite_sim_async_commit),
      SYMBOL(kite_sim_async_wait),
      SYMBOL(kite_sim_async_wait_all),
#undef SYMBOL
      {"__extendhfsf2", reinterpret_cast<void *>(&kite_sim_extendhfsf2)},
      {"__gnu_h2f_ieee", reinterpret_cast<void *>(&kite_sim_extendhfsf2)},
      {"__truncsfhf2", reinterpret_cast<void *>(&kite_sim_truncsfhf2)},
      {"__gnu_f2h_ieee", reinterpret_cast<void *>(&kite_sim_truncsfhf2)},
      {"__truncdfhf2", reinterpret_cast<void *>(&kite_sim_truncdfhf2)},
      {"__extendhfdf2", reinterpret_cast<void *>(&kite_sim_extendhfdf2)},
      {"__truncsfbf2", reinterpret_cast<void *>(&kite_sim_truncsfbf2)},
      {"__truncdfbf2", reinterpret_cast<void *>(&kite_sim_truncdfbf2)},
  };
  return symbols;
}
