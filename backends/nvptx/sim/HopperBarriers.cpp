//===- HopperBarriers.cpp - mbarrier with phases and transaction counts ---===//
//
// The PTX ISA's mbarrier object: a phase completes when its pending arrivals
// and its tx-count both reach zero; it then flips its parity and expects
// mbarrier.init's count (less arrive_drop's) again. The state is kept in
// the object's 8 bytes of shared memory (Hopper.h gives the encoding), so a
// kernel that overwrites or reuses them without mbarrier.inval corrupts it
// as it would on hardware; what the ISA leaves undefined (an uninitialised
// object, more arrivals than pending, an out-of-range tx-count, an arrive
// .noComplete that completes the phase) fails the launch instead. A thread
// waiting for a phase (try_wait) first performs the bulk copies that
// complete on the barrier, then sleeps until an arrival or a transaction
// completes the phase; when every thread sleeps, the scheduler reports the
// deadlock with the barrier's state.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/sim/Hopper.h"
#include "backends/nvptx/sim/SimScheduler.h"

#include <cstring>
#include <sstream>

using namespace kite::sim;

namespace {

constexpr uint64_t kMarker = uint64_t(1) << 62;
constexpr uint32_t kCountMask = (1u << 20) - 1;
constexpr int32_t kTxLimit = (1 << 20) - 1;

struct Barrier {
  uint32_t pending = 0, expected = 0, parity = 0;
  int32_t tx = 0;
};

bool initialised(uint64_t word) { return (word >> 62) == 1; }

Barrier decode(uint64_t word) {
  Barrier b;
  b.pending = uint32_t(word) & kCountMask;
  b.expected = uint32_t(word >> 20) & kCountMask;
  uint32_t tx = uint32_t(word >> 40) & ((1u << 21) - 1);
  b.tx = int32_t(tx << 11) >> 11; // sign-extend 21 bits
  b.parity = uint32_t(word >> 61) & 1;
  return b;
}

uint64_t encode(const Barrier &b) {
  return kMarker | uint64_t(b.parity) << 61 |
         uint64_t(uint32_t(b.tx) & ((1u << 21) - 1)) << 40 |
         uint64_t(b.expected) << 20 | b.pending;
}

std::string hex(uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

/// "shared offset 0x40" (or the address when it is not shared).
std::string where(SimThread &t, uint64_t address) {
  auto base = reinterpret_cast<uint64_t>(t.cta->shared);
  if (address >= base && address < base + t.cta->sharedBytes)
    return "the mbarrier at shared offset " + hex(address - base);
  return "the mbarrier at " + hex(address);
}

/// The object's word, after checking that it is 8-byte aligned shared memory
/// of the block.
uint64_t *object(SimThread &t, uint64_t address, const char *what) {
  auto base = reinterpret_cast<uint64_t>(t.cta->shared);
  if (address < base || address + 8 > base + t.cta->sharedBytes)
    t.fail(std::string(what) + ": the address " + hex(address) +
           " is not in the block's shared memory (" +
           std::to_string(t.cta->sharedBytes) +
           " bytes), where an mbarrier object must be");
  if (address % 8)
    t.fail(std::string(what) + ": " + where(t, address) +
           " is not 8-byte aligned");
  return reinterpret_cast<uint64_t *>(address);
}

/// The barrier's state, failing the launch if it was never initialised.
Barrier load(SimThread &t, uint64_t address, const char *what) {
  uint64_t word = *object(t, address, what);
  if (!initialised(word))
    t.fail(std::string(what) + ": " + where(t, address) +
           " is not initialised (no mbarrier.init, or mbarrier.inval since, "
           "or its bytes were overwritten)");
  return decode(word);
}

void store(SimThread &t, uint64_t address, Barrier &b) {
  // The phase completes when nothing is pending any more.
  bool completes = b.pending == 0 && b.tx == 0;
  if (completes) {
    b.parity ^= 1;
    b.pending = b.expected;
  }
  *reinterpret_cast<uint64_t *>(address) = encode(b);
  if (completes)
    t.cta->wakeMbarrierWaiters(address);
}

void addTransactions(SimThread &t, uint64_t address, Barrier &b, int64_t change,
                     const char *what) {
  int64_t tx = int64_t(b.tx) + change;
  if (tx > kTxLimit || tx < -kTxLimit)
    t.fail(std::string(what) + ": the tx-count of " + where(t, address) +
           " would be " + std::to_string(tx) + ", outside the ISA's range of " +
           "-(2^20 - 1) to 2^20 - 1");
  b.tx = int32_t(tx);
}

} // namespace

void kite::sim::mbarrierInit(SimThread &t, uint64_t address, uint32_t count) {
  uint64_t *word = object(t, address, "mbarrier.init");
  if (count == 0 || count > kCountMask)
    t.fail("mbarrier.init: the count " + std::to_string(count) + " of " +
           where(t, address) + " is outside 1 to 2^20 - 1");
  Barrier b;
  b.pending = b.expected = count;
  *word = encode(b);
  t.counters.add(Counter::mbarriers);
}

void kite::sim::mbarrierInval(SimThread &t, uint64_t address) {
  load(t, address, "mbarrier.inval");
  *reinterpret_cast<uint64_t *>(address) = 0;
  t.counters.add(Counter::mbarriers);
}

uint64_t kite::sim::mbarrierArrive(SimThread &t, uint64_t address,
                                   uint32_t count, uint32_t transactions,
                                   bool drop, bool noComplete) {
  const char *what = transactions ? "mbarrier.arrive.expect_tx"
                     : drop       ? "mbarrier.arrive_drop"
                                  : "mbarrier.arrive";
  Barrier b = load(t, address, what);
  if (transactions)
    addTransactions(t, address, b, transactions, what);
  if (count == 0 || count > kCountMask)
    t.fail(std::string(what) + ": the count " + std::to_string(count) +
           " is outside 1 to 2^20 - 1");
  if (count > b.pending)
    t.fail(std::string(what) + ": " + std::to_string(count) +
           " arrival(s) on " + where(t, address) + ", whose current phase " +
           "has only " + std::to_string(b.pending) +
           " pending (more arrivals than its count of " +
           std::to_string(b.expected) + ")");
  b.pending -= count;
  if (drop)
    b.expected -= std::min(count, b.expected);
  uint64_t state = uint64_t(b.parity) << 61 | b.pending;
  if (noComplete && b.pending == 0 && b.tx == 0)
    t.fail(std::string(what) + ".noComplete completes the current phase of " +
           where(t, address) + ", which the ISA leaves undefined");
  store(t, address, b);
  t.counters.add(Counter::mbarriers);
  return state;
}

void kite::sim::mbarrierExpectTx(SimThread &t, uint64_t address,
                                 uint32_t transactions) {
  Barrier b = load(t, address, "mbarrier.expect_tx");
  addTransactions(t, address, b, transactions, "mbarrier.expect_tx");
  store(t, address, b);
  t.counters.add(Counter::mbarriers);
}

void kite::sim::mbarrierCompleteTx(SimThread &t, uint64_t address,
                                   uint32_t transactions) {
  Barrier b = load(t, address, "mbarrier.complete_tx");
  addTransactions(t, address, b, -int64_t(transactions),
                  "mbarrier.complete_tx");
  store(t, address, b);
}

bool kite::sim::mbarrierWait(SimThread &t, uint64_t address, uint32_t parity,
                             bool block) {
  const char *what = block ? "mbarrier.try_wait" : "mbarrier.test_wait";
  t.counters.add(Counter::mbarriers);
  while (true) {
    // The phase of that parity has completed when the current one has the
    // other parity (the ISA allows only the current and the previous phase).
    if (load(t, address, what).parity != (parity & 1))
      return true;
    completeBulkLoads(t, address);
    if (load(t, address, what).parity != (parity & 1))
      return true;
    if (!block)
      return false;
    t.waitOnMbarrier(address, parity & 1);
  }
}

uint32_t kite::sim::mbarrierStateParity(uint64_t state) {
  return uint32_t(state >> 61) & 1;
}

uint32_t kite::sim::mbarrierPendingCount(uint64_t state) {
  return uint32_t(state) & kCountMask;
}

std::string kite::sim::describeMbarrierWait(SimThread &t) {
  auto base = reinterpret_cast<uint64_t>(t.cta->shared);
  std::string text = "shared offset " + hex(t.mbarrier - base) +
                     ", for the phase of parity " +
                     std::to_string(t.mbarrierParity);
  uint64_t word;
  std::memcpy(&word, reinterpret_cast<const void *>(t.mbarrier), 8);
  if (!initialised(word))
    return text + ", no longer an initialised mbarrier";
  Barrier b = decode(word);
  return text + ", which still waits for " + std::to_string(b.pending) +
         " of " + std::to_string(b.expected) + " arrivals and a tx-count of " +
         std::to_string(b.tx) + " bytes";
}
