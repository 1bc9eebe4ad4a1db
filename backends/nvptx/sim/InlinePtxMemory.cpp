//===- InlinePtxMemory.cpp - PTX loads, stores, atomics, async copies -----===//
//
// Addresses are host addresses whatever the state space (a shared address is
// one inside the CTA's block). Atomics run plainly, since the threads of a
// launch take turns on one OS thread, and then yield so that a spinning
// thread lets others go on. cp.async copies wait in the issuing thread's
// queue until cp.async.wait_group completes their group, so that a kernel
// reading the destination too early sees stale bytes, as it could on a GPU.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/sim/InlinePtx.h"
#include "backends/nvptx/sim/PtxFloat.h"
#include "backends/nvptx/sim/SimScheduler.h"

#include "llvm/ADT/StringMap.h"

#include <cmath>
#include <cstring>

using namespace kite::sim;
using llvm::StringRef;

namespace {

using Ins = PtxInstruction;

void count(PtxExec &e, const Ins &in, bool store, unsigned bytes) {
  SimCounters &c = e.thread.counters;
  if (in.shared) {
    c.add(store ? Counter::shared_store_bytes : Counter::shared_load_bytes,
          bytes);
    c.add(store ? Counter::shared_stores : Counter::shared_loads);
    return;
  }
  c.add(store ? Counter::global_store_bytes : Counter::global_load_bytes,
        bytes);
  static const Counter loads[] = {
      Counter::global_loads_8, Counter::global_loads_16,
      Counter::global_loads_32, Counter::global_loads_64,
      Counter::global_loads_128};
  static const Counter stores[] = {
      Counter::global_stores_8, Counter::global_stores_16,
      Counter::global_stores_32, Counter::global_stores_64,
      Counter::global_stores_128};
  unsigned index = bytes >= 16  ? 4
                   : bytes >= 8 ? 3
                   : bytes >= 4 ? 2
                   : bytes >= 2 ? 1
                                : 0;
  c.add(store ? stores[index] : loads[index]);
}

// Copies of a fixed size, which the compiler inlines (a memcpy of a
// variable size is a library call per element).
uint64_t readBits(uint64_t address, unsigned bytes) {
  const void *p = reinterpret_cast<const void *>(address);
  switch (bytes) {
  case 1:
    return *static_cast<const uint8_t *>(p);
  case 2: {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
  }
  case 4: {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  default: {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  }
}

void writeBits(uint64_t address, uint64_t value, unsigned bytes) {
  void *p = reinterpret_cast<void *>(address);
  switch (bytes) {
  case 1:
    *static_cast<uint8_t *>(p) = uint8_t(value);
    return;
  case 2: {
    uint16_t v = uint16_t(value);
    std::memcpy(p, &v, 2);
    return;
  }
  case 4: {
    uint32_t v = uint32_t(value);
    std::memcpy(p, &v, 4);
    return;
  }
  default:
    std::memcpy(p, &value, 8);
  }
}

void load(PtxExec &e, const Ins &in) {
  unsigned bits = in.typeBits, lanes = in.lanes;
  if (!bits || in.operands.size() < 2)
    e.fail(in, "expects a typed destination and an address");
  unsigned bytes = (bits + 7) / 8;
  uint64_t address = e.address(in.operands[1]);
  const PtxOperand &d = in.operands[0];
  count(e, in, false, bytes * lanes);
  for (unsigned i = 0; i < lanes; ++i) {
    uint64_t v = readBits(address + i * bytes, bytes);
    if (lanes == 1)
      e.set(d, v, bits);
    else if (d.kind == PtxOperand::Kind::Vector && i < d.elements.size())
      e.set(d.elements[i], v, bits);
    else
      e.fail(in, "a vector load needs a vector of registers");
  }
}

void store(PtxExec &e, const Ins &in) {
  unsigned bits = in.typeBits, lanes = in.lanes;
  if (!bits || in.operands.size() < 2)
    e.fail(in, "expects an address and a typed value");
  unsigned bytes = (bits + 7) / 8;
  uint64_t address = e.address(in.operands[0]);
  const PtxOperand &v = in.operands[1];
  count(e, in, true, bytes * lanes);
  for (unsigned i = 0; i < lanes; ++i) {
    uint64_t value;
    if (lanes == 1)
      value = e.get(v, bits);
    else if (v.kind == PtxOperand::Kind::Vector && i < v.elements.size())
      value = e.get(v.elements[i], bits);
    else
      e.fail(in, "a vector store needs a vector of values");
    writeBits(address + i * bytes, value, bytes);
  }
}

uint64_t atomicResult(PtxExec &e, const Ins &in, StringRef op, StringRef type,
                      uint64_t old, uint64_t b, uint64_t c) {
  unsigned bits = ptxTypeBits(type);
  auto sext = [&](uint64_t v) {
    return bits >= 64 ? int64_t(v) : int64_t(v << (64 - bits)) >> (64 - bits);
  };
  if (op == "exch")
    return b;
  if (op == "cas")
    return old == b ? c : old;
  if (op == "and")
    return old & b;
  if (op == "or")
    return old | b;
  if (op == "xor")
    return old ^ b;
  if (op == "inc")
    return old >= b ? 0 : old + 1;
  if (op == "dec")
    return (old == 0 || old > b) ? b : old - 1;
  if (type == "f32" || type == "f64" || type == "f16" || type == "bf16") {
    double x, y;
    if (type == "f32")
      x = bitsToFloat(uint32_t(old)), y = bitsToFloat(uint32_t(b));
    else if (type == "f64")
      x = bitsToDouble(old), y = bitsToDouble(b);
    else if (type == "f16")
      x = halfToFloat(uint16_t(old)), y = halfToFloat(uint16_t(b));
    else
      x = bf16ToFloat(uint16_t(old)), y = bf16ToFloat(uint16_t(b));
    double r;
    if (op == "add")
      r = type == "f32" ? double(float(x) + float(y)) : x + y;
    else if (op == "min")
      r = std::isnan(x) ? y : std::isnan(y) ? x : std::fmin(x, y);
    else if (op == "max")
      r = std::isnan(x) ? y : std::isnan(y) ? x : std::fmax(x, y);
    else
      e.fail(in, "unknown float atomic");
    if (type == "f32")
      return floatToBits(float(r));
    if (type == "f64")
      return doubleToBits(r);
    return type == "f16" ? floatToHalf(float(r)) : floatToBf16(float(r));
  }
  if (op == "add")
    return old + b;
  if (op == "min")
    return isSignedType(type) ? uint64_t(std::min(sext(old), sext(b)))
                              : std::min(old, b);
  if (op == "max")
    return isSignedType(type) ? uint64_t(std::max(sext(old), sext(b)))
                              : std::max(old, b);
  e.fail(in, "unknown atomic operation");
}

void atomic(PtxExec &e, const Ins &in) {
  // atom[.sem][.scope][.space].op.type d, [a], b[, c]; red has no d.
  bool reduction = in.modifiers[0] == "red";
  static const char *ops[] = {"add", "min", "max", "inc",  "dec",
                              "and", "or",  "xor", "exch", "cas"};
  StringRef op;
  for (const char *candidate : ops)
    if (in.has(candidate))
      op = candidate;
  StringRef type = in.type();
  unsigned bits = ptxTypeBits(type);
  if (op.empty() || !bits)
    e.fail(in, "unknown atomic operation or type");
  unsigned first = reduction ? 0 : 1;
  uint64_t address = e.address(in.operands[first]);
  uint64_t b = e.get(in.operands[first + 1], bits);
  uint64_t c = op == "cas" ? e.get(in.operands[first + 2], bits) : 0;
  unsigned bytes = bits / 8;
  uint64_t old = 0;
  std::memcpy(&old, reinterpret_cast<const void *>(address), bytes);
  uint64_t updated = atomicResult(e, in, op, type, old, b, c);
  std::memcpy(reinterpret_cast<void *>(address), &updated, bytes);
  e.thread.counters.add(Counter::atomics);
  if (!reduction)
    e.set(in.operands[0], old, bits);
  e.thread.yield();
}

void asyncCopy(PtxExec &e, const Ins &in) {
  SimThread &t = e.thread;
  if (in.has("commit_group")) {
    t.commitAsyncCopies();
    return;
  }
  if (in.has("wait_group")) {
    t.waitAsyncCopies(size_t(e.get(in.operands[0], 32)));
    return;
  }
  if (in.has("wait_all")) { // commits, then waits for everything
    t.commitAsyncCopies();
    t.waitAsyncCopies(0);
    return;
  }
  if (!in.has("async") || !(in.has("ca") || in.has("cg")))
    e.fail(in, "only cp.async.ca/cg, commit_group and wait_group are "
               "implemented");
  // cp.async.ca.shared.global [dst], [src], cp-size[, src-size][, policy]
  uint32_t bytes = uint32_t(e.get(in.operands[2], 32));
  uint32_t sourceBytes = bytes;
  if (in.operands.size() > 3 && !in.has("L2::cache_hint"))
    sourceBytes = uint32_t(e.get(in.operands[3], 32));
  else if (in.operands.size() > 4)
    sourceBytes = uint32_t(e.get(in.operands[3], 32));
  if (bytes != 4 && bytes != 8 && bytes != 16)
    e.fail(in, "cp-size must be 4, 8 or 16");
  t.asyncUncommitted.push_back({e.address(in.operands[0]),
                                e.address(in.operands[1]), bytes,
                                std::min(sourceBytes, bytes)});
  t.counters.add(Counter::cp_async);
  t.counters.add(Counter::cp_async_bytes, bytes);
  t.counters.add(Counter::global_load_bytes, sourceBytes);
  t.counters.add(Counter::shared_store_bytes, bytes);
}

void barrier(PtxExec &e, const Ins &in) {
  // bar.sync a[, b] / barrier.sync[.aligned] a[, b] / bar.warp.sync mask
  if (in.has("warp")) {
    e.thread.warpOp(WarpOpKind::Sync, uint32_t(e.get(in.operands[0], 32)), 0, 0,
                    0);
    return;
  }
  if (in.has("arrive") || in.has("red"))
    e.fail(in, "only bar.sync / barrier.sync are implemented");
  uint32_t id = in.operands.empty() ? 0 : uint32_t(e.get(in.operands[0], 32));
  uint32_t count =
      in.operands.size() > 1 ? uint32_t(e.get(in.operands[1], 32)) : 0;
  e.thread.barrier(id, count);
}

void shuffle(PtxExec &e, const Ins &in) {
  // shfl.sync.mode.b32 d[|p], a, b, c, membermask
  static const char *modes[] = {"idx", "up", "down", "bfly"};
  uint32_t mode = 0;
  for (uint32_t i = 0; i < 4; ++i)
    if (in.has(modes[i]))
      mode = i;
  if (in.operands.size() != 5)
    e.fail(in, "expects d, a, b, c, membermask");
  e.thread.warpOp(WarpOpKind(uint32_t(WarpOpKind::ShflIdx) + mode),
                  uint32_t(e.get(in.operands[4], 32)),
                  e.get(in.operands[1], 32), e.get(in.operands[2], 32),
                  e.get(in.operands[3], 32));
  const PtxOperand &d = in.operands[0];
  if (d.kind != PtxOperand::Kind::Pair) {
    e.set(d, e.thread.warpResult, 32);
    return;
  }
  e.set(d.elements[0], e.thread.warpResult, 32);
  e.set(d.elements[1], e.thread.warpPredicate, 1);
}

void vote(PtxExec &e, const Ins &in) {
  // vote.sync.{all,any,uni}.pred d, p, mask / vote.sync.ballot.b32 d, p, mask
  static const char *modes[] = {"all", "any", "uni", "ballot"};
  uint32_t mode = 0;
  for (uint32_t i = 0; i < 4; ++i)
    if (in.has(modes[i]))
      mode = i;
  bool predicate = e.get(in.operands[1], 1);
  e.thread.warpOp(WarpOpKind(uint32_t(WarpOpKind::VoteAll) + mode),
                  uint32_t(e.get(in.operands[2], 32)), predicate, 0, 0);
  e.set(in.operands[0], e.thread.warpResult, mode == 3 ? 32 : 1);
}

void redux(PtxExec &e, const Ins &in) {
  // redux.sync.op.{u32,s32,b32} d, a, membermask; min and max on .u32 are
  // the unsigned orders (umin, umax).
  static const char *ops[] = {"add",  "min", "max", "umin",
                              "umax", "and", "or",  "xor"};
  StringRef type = in.type();
  if (type != "u32" && type != "s32" && type != "b32")
    e.fail(in, "only 32-bit integer redux.sync is implemented");
  uint32_t mode = 8;
  for (uint32_t i = 0; i < 8; ++i)
    if (in.has(ops[i]))
      mode = i;
  if (mode == 8)
    e.fail(in, "unknown reduction");
  if ((mode == 1 || mode == 2) && type == "u32")
    mode += 2;
  e.thread.warpOp(WarpOpKind(uint32_t(WarpOpKind::ReduxAdd) + mode),
                  uint32_t(e.get(in.operands[2], 32)),
                  e.get(in.operands[1], 32), 0, 0);
  e.set(in.operands[0], e.thread.warpResult, 32);
}

void noop(PtxExec &, const Ins &) {}

} // namespace

PtxHandler kite::sim::findMemoryHandler(StringRef opcode) {
  static const llvm::StringMap<PtxHandler> handlers = {
      {"ld", load},         {"st", store},
      {"atom", atomic},     {"red", atomic},
      {"cp", asyncCopy},    {"bar", barrier},
      {"barrier", barrier}, {"shfl", shuffle},
      {"vote", vote},       {"redux", redux},
      {"fence", noop},      {"membar", noop},
      {"prefetch", noop},   {"griddepcontrol", noop},
  };
  auto found = handlers.find(opcode);
  return found == handlers.end() ? nullptr : found->second;
}
