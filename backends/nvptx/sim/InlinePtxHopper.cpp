//===- InlinePtxHopper.cpp - sm_90's instructions in inline PTX -----------===//
//
// mbarrier, cp.async.bulk{.tensor} with their bulk groups, wgmma, stmatrix,
// elect.sync and setmaxnreg as Triton writes them in `asm` strings; the
// semantics are Hopper.h's. What needs sm_90 fails to parse on an earlier
// architecture, as an instruction the simulator lacks does.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/sim/Hopper.h"
#include "backends/nvptx/sim/InlinePtx.h"
#include "backends/nvptx/sim/SimScheduler.h"

#include "llvm/ADT/StringMap.h"

#include <cstring>
#include <string>

using namespace kite::sim;
using llvm::StringRef;

namespace {

using Ins = PtxInstruction;

void mbarrier(PtxExec &e, const Ins &in) {
  SimThread &t = e.thread;
  const std::string &op = in.modifiers.size() > 1 ? in.modifiers[1] : "";
  const auto &ops = in.operands;
  auto need = [&](size_t n) {
    if (ops.size() < n)
      e.fail(in, "too few operands");
  };
  if (op == "init") {
    need(2);
    mbarrierInit(t, e.address(ops[0]), uint32_t(e.get(ops[1], 32)));
  } else if (op == "inval") {
    need(1);
    mbarrierInval(t, e.address(ops[0]));
  } else if (op == "expect_tx" || op == "complete_tx") {
    need(2);
    uint32_t tx = uint32_t(e.get(ops[1], 32));
    if (op == "expect_tx")
      mbarrierExpectTx(t, e.address(ops[0]), tx);
    else
      mbarrierCompleteTx(t, e.address(ops[0]), tx);
  } else if (op == "arrive" || op == "arrive_drop") {
    // state, [addr]{, count | txCount}; the state may be the sink `_`.
    need(2);
    bool expectTx = in.has("expect_tx");
    uint32_t count = 1, tx = 0;
    if (ops.size() > 2) {
      uint32_t v = uint32_t(e.get(ops[2], 32));
      (expectTx ? tx : count) = v;
    }
    uint64_t state = mbarrierArrive(t, e.address(ops[1]), count, tx,
                                    op == "arrive_drop", in.has("noComplete"));
    e.set(ops[0], state, 64);
  } else if (op == "test_wait" || op == "try_wait") {
    // waitComplete, [addr], state | phaseParity{, suspendTimeHint}
    need(3);
    uint64_t v = e.get(ops[2], 64);
    uint32_t parity =
        in.has("parity") ? uint32_t(v & 1) : mbarrierStateParity(v);
    bool done = mbarrierWait(t, e.address(ops[1]), parity, op == "try_wait");
    e.set(ops[0], done, 1);
  } else if (op == "pending_count") {
    need(2);
    e.set(ops[0], mbarrierPendingCount(e.get(ops[1], 64)), 32);
  } else {
    e.fail(in, "this mbarrier operation is not implemented");
  }
}

unsigned dimensions(const Ins &in) {
  for (const std::string &m : in.modifiers)
    if (m.size() == 2 && m[1] == 'd' && m[0] >= '1' && m[0] <= '5')
      return unsigned(m[0] - '0');
  return 0;
}

/// Whether the destination is shared memory: the first state space named.
bool toShared(const Ins &in) {
  for (const std::string &m : in.modifiers) {
    if (StringRef(m).starts_with("shared"))
      return true;
    if (m == "global")
      return false;
  }
  return false;
}

void bulkCopy(PtxExec &e, const Ins &in) {
  SimThread &t = e.thread;
  const auto &ops = in.operands;
  if (in.has("commit_group"))
    return bulkCommit(t);
  if (in.has("wait_group")) {
    if (ops.empty())
      e.fail(in, "expects the number of pending groups");
    return bulkWait(t, uint32_t(e.get(ops[0], 32)));
  }
  if (in.has("prefetch"))
    return;
  bool shared = toShared(in);
  if (in.has("tensor")) {
    unsigned rank = dimensions(in);
    size_t tensor = shared ? 1 : 0;
    if (!rank || ops.size() < (shared ? 3u : 2u) ||
        ops[tensor].kind != PtxOperand::Kind::Tensor)
      e.fail(in, "expects [dst], [map, {coordinates}], [mbar] or [map, "
                 "{coordinates}], [src]");
    const PtxOperand &coordinates = ops[tensor].elements[1];
    if (coordinates.elements.size() != rank)
      e.fail(in, "the number of coordinates is not the tensor's rank");
    int32_t c[5];
    for (unsigned i = 0; i < rank; ++i)
      c[i] = int32_t(e.get(coordinates.elements[i], 32));
    uint64_t map = e.address(ops[tensor].elements[0]);
    if (shared)
      bulkTensorLoad(t, rank, e.address(ops[0]), map, c, e.address(ops[2]));
    else
      bulkTensorStore(t, rank, map, c, e.address(ops[1]));
    return;
  }
  // [dst], [src], size{, [mbar]}
  if (ops.size() < (shared ? 4u : 3u))
    e.fail(in, "expects [dst], [src], size and, into shared memory, [mbar]");
  uint32_t bytes = uint32_t(e.get(ops[2], 32));
  if (shared)
    bulkLoad(t, e.address(ops[0]), e.address(ops[1]), bytes, e.address(ops[3]));
  else
    bulkStore(t, e.address(ops[0]), e.address(ops[1]), bytes);
}

void wgmma(PtxExec &e, const Ins &in) {
  SimThread &t = e.thread;
  const std::string &op = in.modifiers.size() > 1 ? in.modifiers[1] : "";
  const auto &ops = in.operands;
  if (op == "fence")
    return wgmmaFence(t);
  if (op == "commit_group")
    return wgmmaCommit(t);
  if (op == "wait_group") {
    if (ops.empty())
      e.fail(in, "expects the number of pending groups");
    return wgmmaWait(t, e.get(ops[0], 64));
  }
  const WgmmaShape &shape = *static_cast<const WgmmaShape *>(in.decoded.get());
  // d, a-desc | {a}, b-desc, scale-d{, imm-scale-a, imm-scale-b
  // {, imm-trans-a}, imm-trans-b}: the immediates depend on the types.
  bool aInRegisters = ops.size() > 1 && ops[1].kind == PtxOperand::Kind::Vector;
  unsigned expected = shape.dType == "s32"        ? 4
                      : shape.elementBytes() != 2 ? 6
                      : aInRegisters              ? 7
                                                  : 8;
  if (ops.size() != expected || ops[0].kind != PtxOperand::Kind::Vector ||
      ops[0].elements.size() != shape.dRegisters() ||
      (aInRegisters && ops[1].elements.size() != 4))
    e.fail(in, "expects " + std::to_string(expected) + " operands, d of " +
                   std::to_string(shape.dRegisters()) +
                   " registers and A of 4 when in registers");
  uint32_t d[128], a[4];
  for (unsigned i = 0; i < shape.dRegisters(); ++i)
    d[i] = uint32_t(e.get(ops[0].elements[i], 32));
  WgmmaOperands o;
  if (aInRegisters) {
    for (unsigned i = 0; i < 4; ++i)
      a[i] = uint32_t(e.get(ops[1].elements[i], 32));
    o.aRegisters = a;
  } else {
    o.aDescriptor = e.get(ops[1], 64);
  }
  o.bDescriptor = e.get(ops[2], 64);
  o.scaleD = e.get(ops[3], 1) != 0;
  if (expected >= 6) {
    o.scaleA = int32_t(uint32_t(e.get(ops[4], 32)));
    o.scaleB = int32_t(uint32_t(e.get(ops[5], 32)));
  }
  if (expected == 8)
    o.transA = e.get(ops[6], 32) != 0;
  if (expected >= 7)
    o.transB = e.get(ops[expected - 1], 32) != 0;
  o.d = d;
  warpgroupMma(t, shape, o);
  for (unsigned i = 0; i < shape.dRegisters(); ++i)
    e.set(ops[0].elements[i], d[i], 32);
}

void stmatrix(PtxExec &e, const Ins &in) {
  // stmatrix.sync.aligned.m8n8.x{1,2,4}{.trans}.shared{::cta}.b16 [p], {r}
  unsigned count = in.has("x4") ? 4 : in.has("x2") ? 2 : 1;
  const auto &ops = in.operands;
  if (!in.has("m8n8") || !in.has("b16") || ops.size() != 2)
    e.fail(in, "only stmatrix .m8n8 of .b16 is implemented");
  uint32_t values[4];
  for (unsigned j = 0; j < count; ++j)
    values[j] = uint32_t(e.get(ops[1].kind == PtxOperand::Kind::Vector
                                   ? ops[1].elements.at(j)
                                   : ops[1],
                               32));
  warpStmatrix(e.thread, count, in.has("trans"), e.address(ops[0]), values);
}

void elect(PtxExec &e, const Ins &in) {
  // elect.sync d|p, membermask
  const auto &ops = in.operands;
  if (ops.size() != 2)
    e.fail(in, "expects d|p, membermask");
  bool leader;
  uint32_t lane = warpElect(e.thread, uint32_t(e.get(ops[1], 32)), leader);
  if (ops[0].kind == PtxOperand::Kind::Pair) {
    e.set(ops[0].elements[0], lane, 32);
    e.set(ops[0].elements[1], leader, 1);
  } else {
    e.set(ops[0], lane, 32);
  }
}

void tensormap(PtxExec &e, const Ins &in) {
  const auto &ops = in.operands;
  if (in.has("cp_fenceproxy")) {
    // tensormap.cp_fenceproxy.global.shared::cta...sync.aligned [dst],
    // [src], 128: the map's bytes from shared to global memory.
    if (ops.size() != 3 || e.get(ops[2], 32) != 128)
      e.fail(in, "expects [dst], [src], 128");
    std::memcpy(reinterpret_cast<void *>(e.address(ops[0])),
                reinterpret_cast<const void *>(e.address(ops[1])), 128);
    return;
  }
  // tensormap.replace.tile.<field>.<space>.b1024.<type> [map], {ord,} value
  if (!in.has("replace") || !in.has("tile") || in.modifiers.size() < 4 ||
      ops.size() < 2)
    e.fail(in, "only tensormap.replace.tile and tensormap.cp_fenceproxy are "
               "implemented");
  const std::string &field = in.modifiers[3];
  bool ordinal = ops.size() == 3;
  tensorMapReplace(e.thread, e.address(ops[0]), field,
                   ordinal ? uint32_t(e.get(ops[1], 32)) : 0,
                   e.get(ops[ordinal ? 2 : 1], in.typeBits ? in.typeBits : 64));
}

void noop(PtxExec &, const Ins &) {}

} // namespace

bool kite::sim::prepareHopperInstruction(PtxInstruction &in, unsigned smVersion,
                                         std::string &why) {
  const std::string &opcode = in.modifiers[0];
  bool bulk = opcode == "cp" && in.modifiers.size() > 2 &&
              in.modifiers[1] == "async" && in.modifiers[2] == "bulk";
  bool hopper =
      bulk || opcode == "wgmma" || opcode == "elect" || opcode == "stmatrix" ||
      opcode == "setmaxnreg" ||
      (opcode == "mbarrier" &&
       (in.has("expect_tx") || in.has("complete_tx") || in.has("try_wait")));
  if (opcode == "cp" && in.modifiers.size() > 1 &&
      in.modifiers[1] == "reduce") {
    why = "cp.reduce.async.bulk is not implemented";
    return false;
  }
  if (!hopper)
    return true;
  if (smVersion < 90) {
    why = opcode + " needs sm_90 or later, not sm_" + std::to_string(smVersion);
    return false;
  }
  if (bulk) {
    for (const char *m : {"multicast::cluster", "im2col", "gather4",
                          "im2col_no_offs", "tile::gather4"})
      if (in.has(m)) {
        why = std::string(".") + m + " is not implemented";
        return false;
      }
    in.handler = bulkCopy;
  }
  if (opcode == "wgmma" && in.has("mma_async")) {
    std::string text;
    for (const std::string &m : in.modifiers)
      text += (text.empty() ? "" : ".") + m;
    auto shape = std::make_shared<WgmmaShape>();
    if (!parseWgmmaShape(text, *shape, why))
      return false;
    in.decoded = shape;
  }
  return true;
}

PtxHandler kite::sim::findHopperHandler(StringRef opcode) {
  static const llvm::StringMap<PtxHandler> handlers = {
      {"mbarrier", mbarrier}, {"wgmma", wgmma},     {"stmatrix", stmatrix},
      {"elect", elect},       {"setmaxnreg", noop}, {"tensormap", tensormap},
  };
  auto found = handlers.find(opcode);
  return found == handlers.end() ? nullptr : found->second;
}
