//===- InlinePtxTensorCore.cpp - mma.sync and ldmatrix in inline PTX ------===//
#include "backends/nvptx/sim/InlinePtx.h"
#include "backends/nvptx/sim/SimScheduler.h"
#include "backends/nvptx/sim/TensorCore.h"

#include "llvm/ADT/StringMap.h"

#include <string>

using namespace kite::sim;

namespace {

using Ins = PtxInstruction;

/// The registers of a vector operand (or one register).
std::vector<uint32_t> registers(PtxExec &e, const PtxOperand &op) {
  std::vector<uint32_t> values;
  if (op.kind == PtxOperand::Kind::Vector)
    for (const PtxOperand &element : op.elements)
      values.push_back(uint32_t(e.get(element, 32)));
  else
    values.push_back(uint32_t(e.get(op, 32)));
  return values;
}

void setRegisters(PtxExec &e, const PtxOperand &op, const uint32_t *values,
                  unsigned count) {
  if (op.kind == PtxOperand::Kind::Vector) {
    for (unsigned i = 0; i < count && i < op.elements.size(); ++i)
      e.set(op.elements[i], values[i], 32);
    return;
  }
  e.set(op, values[0], 32);
}

void mma(PtxExec &e, const Ins &in) {
  if (in.operands.size() != 4)
    e.fail(in, "expects d, a, b, c");
  const MmaShape &shape = *static_cast<const MmaShape *>(in.decoded.get());
  std::vector<uint32_t> a = registers(e, in.operands[1]),
                        b = registers(e, in.operands[2]),
                        c = registers(e, in.operands[3]);
  if (a.size() != shape.aRegisters() || b.size() != shape.bRegisters() ||
      c.size() != shape.cRegisters())
    e.fail(in, "its operands have the wrong number of registers");
  uint32_t d[4];
  warpMma(e.thread, shape, a.data(), b.data(), c.data(), d);
  setRegisters(e, in.operands[0], d, shape.cRegisters());
}

void ldmatrix(PtxExec &e, const Ins &in) {
  // ldmatrix.sync.aligned.m8n8.x{1,2,4}[.trans][.shared{::cta}].b16 d, [a]
  unsigned count = in.has("x4") ? 4 : in.has("x2") ? 2 : 1;
  if (!in.has("m8n8") || !in.has("b16") || in.operands.size() != 2)
    e.fail(in, "only ldmatrix .m8n8 of .b16 is implemented");
  uint32_t d[4];
  warpLdmatrix(e.thread, count, in.has("trans"), e.address(in.operands[1]), d);
  setRegisters(e, in.operands[0], d, count);
}

} // namespace

bool kite::sim::prepareTensorCoreInstruction(PtxInstruction &instruction,
                                             unsigned smVersion,
                                             std::string &why) {
  if (instruction.modifiers.empty() || instruction.modifiers[0] != "mma")
    return true;
  std::string opcode;
  for (const std::string &m : instruction.modifiers)
    opcode += (opcode.empty() ? "" : ".") + m;
  auto shape = std::make_shared<MmaShape>();
  if (!parseMmaShape(opcode, *shape, why))
    return false;
  // The PTX ISA gives mma on e4m3/e5m2 to sm_89 and later.
  if (smVersion < 89 && (instruction.has("e4m3") || instruction.has("e5m2"))) {
    why = "e4m3 and e5m2 mma need sm_89 or later, not sm_" +
          std::to_string(smVersion);
    return false;
  }
  instruction.decoded = shape;
  return true;
}

PtxHandler kite::sim::findTensorCoreHandler(llvm::StringRef opcode) {
  static const llvm::StringMap<PtxHandler> handlers = {{"mma", mma},
                                                       {"ldmatrix", ldmatrix}};
  auto found = handlers.find(opcode);
  return found == handlers.end() ? nullptr : found->second;
}
