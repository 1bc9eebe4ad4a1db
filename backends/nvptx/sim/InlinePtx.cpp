//===- InlinePtx.cpp - parsing and running inline PTX ---------------------===//
#include "backends/nvptx/sim/InlinePtx.h"
#include "backends/nvptx/sim/SimScheduler.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"

#include <cstring>

using namespace kite::sim;
using llvm::StringRef;

bool PtxInstruction::has(StringRef modifier) const {
  for (const std::string &m : modifiers)
    if (m == modifier)
      return true;
  return false;
}

StringRef PtxInstruction::type() const {
  for (auto it = modifiers.rbegin(); it != modifiers.rend(); ++it)
    if (ptxTypeBits(*it))
      return *it;
  return "";
}

unsigned kite::sim::ptxTypeBits(StringRef t) {
  static const llvm::StringMap<unsigned> bits = {
      {"pred", 1},  {"b8", 8},   {"u8", 8},      {"s8", 8},      {"b16", 16},
      {"u16", 16},  {"s16", 16}, {"f16", 16},    {"bf16", 16},   {"b32", 32},
      {"u32", 32},  {"s32", 32}, {"f32", 32},    {"f16x2", 32},  {"bf16x2", 32},
      {"tf32", 32}, {"b64", 64}, {"u64", 64},    {"s64", 64},    {"f64", 64},
      {"e4m3", 8},  {"e5m2", 8}, {"e4m3x2", 16}, {"e5m2x2", 16}, {"b128", 128},
      {"s4", 4},    {"u4", 4},
  };
  auto found = bits.find(t);
  return found == bits.end() ? 0 : found->second;
}

bool kite::sim::isFloatType(StringRef t) {
  return t.starts_with("f") || t.starts_with("bf") || t == "tf32" ||
         t.starts_with("e4m3") || t.starts_with("e5m2");
}

bool kite::sim::isSignedType(StringRef t) { return t.starts_with("s"); }

static uint64_t maskBits(uint64_t v, unsigned bits) {
  return bits >= 64 ? v : v & ((uint64_t(1) << bits) - 1);
}

uint64_t PtxExec::get(const PtxOperand &op, unsigned bits) const {
  switch (op.kind) {
  case PtxOperand::Kind::Register:
    return op.reg < 0 ? 0 : maskBits(regs[op.reg], bits);
  case PtxOperand::Kind::Immediate:
    if (op.floatImmediate && bits == 32 && op.imm > 0xffffffffu) {
      // A 0d double immediate where a float is expected.
      double d;
      std::memcpy(&d, &op.imm, 8);
      float f = float(d);
      uint32_t b;
      std::memcpy(&b, &f, 4);
      return b;
    }
    return maskBits(op.imm, bits);
  case PtxOperand::Kind::Address:
    return address(op);
  case PtxOperand::Kind::Pair:   // read by the handlers that write one
  case PtxOperand::Kind::Tensor: // read by cp.async.bulk.tensor
    return 0;
  case PtxOperand::Kind::Vector: {
    // {a, b} as one value: element 0 in the low bits.
    unsigned width = bits / unsigned(op.elements.size());
    uint64_t v = 0;
    for (size_t i = op.elements.size(); i-- > 0;)
      v = (width >= 64 ? 0 : v << width) | get(op.elements[i], width);
    return v;
  }
  }
  return 0;
}

void PtxExec::set(const PtxOperand &op, uint64_t value, unsigned bits) {
  if (op.kind == PtxOperand::Kind::Register) {
    if (op.reg >= 0)
      regs[op.reg] = maskBits(value, bits);
    return;
  }
  if (op.kind == PtxOperand::Kind::Vector) {
    unsigned width = bits / unsigned(op.elements.size());
    for (const PtxOperand &e : op.elements) {
      set(e, value, width);
      value = width >= 64 ? 0 : value >> width;
    }
  }
}

uint64_t PtxExec::address(const PtxOperand &op) const {
  if (op.kind == PtxOperand::Kind::Address)
    return (op.reg >= 0 ? regs[op.reg] : 0) + op.imm;
  return get(op, 64);
}

void PtxExec::fail(const PtxInstruction &instruction, const std::string &why) {
  thread.fail("inline PTX `" + instruction.text + "`: " + why);
}

/// bra{.uni} label: the parser resolved the label to `target`.
static void branch(PtxExec &e, const PtxInstruction &in) { e.jump = in.target; }

PtxHandler kite::sim::findPtxHandler(StringRef opcode) {
  if (opcode == "bra")
    return branch;
  if (PtxHandler h = findArithmeticHandler(opcode))
    return h;
  if (PtxHandler h = findMemoryHandler(opcode))
    return h;
  if (PtxHandler h = findHopperHandler(opcode))
    return h;
  return findTensorCoreHandler(opcode);
}

namespace {

/// The parser's state: names of registers declared with `.reg`.
struct Parser {
  unsigned operandCount;
  unsigned smVersion;
  AsmProgram &program;
  llvm::StringMap<int> names;
  /// Labels, by the index of the instruction they name; branches to resolve.
  llvm::StringMap<int> labels;
  std::vector<std::pair<size_t, std::string>> branches;
  std::string error;

  int declare(StringRef name) {
    int index = int(program.registerCount++);
    names[name] = index;
    return index;
  }

  bool parseRegisterName(StringRef token, int &reg) {
    token = token.trim();
    if (token == "_") {
      reg = -1;
      return true;
    }
    if (token.starts_with("$")) {
      unsigned n;
      if (token.drop_front().getAsInteger(10, n) || n >= operandCount)
        return false;
      reg = int(n);
      return true;
    }
    auto found = names.find(token);
    if (found == names.end())
      return false;
    reg = found->second;
    return true;
  }

  bool parseImmediate(StringRef token, PtxOperand &op) {
    token = token.trim();
    op.kind = PtxOperand::Kind::Immediate;
    if (token.starts_with_insensitive("0f") && token.size() == 10) {
      op.floatImmediate = true;
      return !token.drop_front(2).getAsInteger(16, op.imm);
    }
    if (token.starts_with_insensitive("0d") && token.size() == 18) {
      op.floatImmediate = true;
      return !token.drop_front(2).getAsInteger(16, op.imm);
    }
    bool negative = token.consume_front("-");
    StringRef digits = token;
    if (digits.ends_with("U") || digits.ends_with("u"))
      digits = digits.drop_back();
    uint64_t v;
    if (digits.starts_with_insensitive("0x")) {
      if (digits.drop_front(2).getAsInteger(16, v))
        return false;
    } else if (digits.getAsInteger(10, v)) {
      // A decimal float immediate (e.g. 1.0 in createpolicy).
      double d;
      if (digits.getAsDouble(d))
        return false;
      op.floatImmediate = true;
      float f = float(negative ? -d : d);
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      op.imm = bits;
      return true;
    }
    op.imm = negative ? uint64_t(-int64_t(v)) : v;
    return true;
  }

  bool parseOperand(StringRef token, PtxOperand &op) {
    token = token.trim();
    if (token.starts_with("{") && token.ends_with("}")) {
      op.kind = PtxOperand::Kind::Vector;
      llvm::SmallVector<StringRef> parts;
      token.drop_front().drop_back().split(parts, ',');
      for (StringRef p : parts) {
        PtxOperand e;
        if (!parseOperand(p, e))
          return false;
        op.elements.push_back(e);
      }
      return true;
    }
    if (token.starts_with("[") && token.ends_with("]") &&
        splitOperands(token.drop_front().drop_back()).size() == 2) {
      // [map, {c0, c1, ...}]
      std::vector<StringRef> parts =
          splitOperands(token.drop_front().drop_back());
      op.kind = PtxOperand::Kind::Tensor;
      op.elements.resize(2);
      return parseOperand(parts[0], op.elements[0]) &&
             parts[1].starts_with("{") &&
             parseOperand(parts[1], op.elements[1]);
    }
    if (token.starts_with("[") && token.ends_with("]")) {
      op.kind = PtxOperand::Kind::Address;
      StringRef inner = token.drop_front().drop_back().trim();
      StringRef base = inner, offset;
      size_t plus = inner.find('+');
      if (plus != StringRef::npos) {
        base = inner.substr(0, plus).trim();
        offset = inner.substr(plus + 1).trim();
      }
      if (!parseRegisterName(base, op.reg)) {
        PtxOperand constant;
        if (!parseImmediate(base, constant))
          return false;
        op.reg = -1;
        op.imm = constant.imm;
      }
      if (!offset.empty()) {
        PtxOperand o;
        if (!parseImmediate(offset, o))
          return false;
        op.imm += o.imm;
      }
      return true;
    }
    auto [first, second] = token.split('|');
    if (!second.empty()) {
      op.kind = PtxOperand::Kind::Pair;
      op.elements.resize(2);
      return parseOperand(first, op.elements[0]) &&
             parseOperand(second, op.elements[1]);
    }
    op.kind = PtxOperand::Kind::Register;
    if (parseRegisterName(token, op.reg))
      return true;
    return parseImmediate(token, op);
  }

  /// Splits operands at top-level commas.
  static std::vector<StringRef> splitOperands(StringRef text) {
    std::vector<StringRef> parts;
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (c == '{' || c == '[')
        ++depth;
      else if (c == '}' || c == ']')
        --depth;
      else if (c == ',' && depth == 0) {
        parts.push_back(text.substr(start, i - start).trim());
        start = i + 1;
      }
    }
    if (!text.substr(start).trim().empty())
      parts.push_back(text.substr(start).trim());
    return parts;
  }

  bool parseDeclaration(StringRef statement) {
    // .reg .type a, b, c   |   .reg .type %r<4>
    statement = statement.drop_front(4).trim();
    size_t space = statement.find_first_of(" \t");
    if (space == StringRef::npos)
      return false;
    StringRef list = statement.substr(space).trim();
    for (StringRef name : splitOperands(list)) {
      size_t open = name.find('<');
      if (open != StringRef::npos && name.ends_with(">")) {
        unsigned count;
        if (name.substr(open + 1).drop_back().getAsInteger(10, count))
          return false;
        for (unsigned i = 0; i < count; ++i)
          declare((name.substr(0, open) + llvm::Twine(i)).str());
      } else {
        declare(name);
      }
    }
    return true;
  }

  bool parseStatement(StringRef statement) {
    statement = statement.trim();
    while (!statement.empty() &&
           (statement.front() == '{' || statement.front() == '}'))
      statement = statement.drop_front().trim();
    while (!statement.empty() && statement.back() == '}' &&
           statement.count('{') < statement.count('}'))
      statement = statement.drop_back().trim();
    // Labels: `name:` (not `shared::cta`), naming the next instruction.
    while (true) {
      size_t colon = statement.find(':');
      if (colon == StringRef::npos || colon == 0 ||
          statement.substr(colon).starts_with("::"))
        break;
      StringRef label = statement.substr(0, colon).trim();
      if (label.empty() || label.find_first_of(" \t{}") != StringRef::npos)
        break;
      labels[label] = int(program.code.size());
      statement = statement.substr(colon + 1).trim();
      while (!statement.empty() &&
             (statement.front() == '{' || statement.front() == '}'))
        statement = statement.drop_front().trim();
    }
    if (statement.empty())
      return true;
    if (statement.starts_with(".reg")) {
      if (!parseDeclaration(statement)) {
        error = "the declaration `" + statement.str() + "`";
        return false;
      }
      return true;
    }
    PtxInstruction instruction;
    instruction.text = statement.str();
    if (statement.starts_with("@")) {
      size_t space = statement.find_first_of(" \t");
      StringRef guard = statement.substr(1, space - 1);
      instruction.guardNegated = guard.consume_front("!");
      if (!parseRegisterName(guard, instruction.guard)) {
        error = "`" + instruction.text + "` (its guard)";
        return false;
      }
      statement = statement.substr(space).trim();
    }
    size_t space = statement.find_first_of(" \t");
    StringRef opcode = statement.substr(0, space);
    StringRef rest = space == StringRef::npos ? "" : statement.substr(space);
    llvm::SmallVector<StringRef> mods;
    opcode.split(mods, '.', -1, false);
    for (StringRef m : mods) {
      instruction.modifiers.push_back(m.str());
      if (m == "v2" || m == "v4" || m == "v8")
        instruction.lanes = unsigned(m.back() - '0');
      instruction.shared |= m == "shared" || m.starts_with("shared::");
    }
    instruction.typeBits = ptxTypeBits(instruction.type());
    if (instruction.modifiers.empty() ||
        !(instruction.handler = findPtxHandler(instruction.modifiers[0]))) {
      error = "`" + instruction.text + "`";
      return false;
    }
    std::string why;
    if (!prepareTensorCoreInstruction(instruction, smVersion, why) ||
        !prepareHopperInstruction(instruction, smVersion, why)) {
      error = "`" + instruction.text + "` (" + why + ")";
      return false;
    }
    if (instruction.modifiers[0] == "bra") {
      branches.push_back({program.code.size(), rest.trim().str()});
      program.code.push_back(std::move(instruction));
      return true;
    }
    for (StringRef token : splitOperands(rest)) {
      PtxOperand op;
      // Only shfl, setp and elect have a second destination (`d|p`).
      bool pairAllowed = instruction.modifiers[0] == "shfl" ||
                         instruction.modifiers[0] == "setp" ||
                         instruction.modifiers[0] == "elect";
      if (!parseOperand(token, op) ||
          (op.kind == PtxOperand::Kind::Pair && !pairAllowed)) {
        error =
            "`" + instruction.text + "` (the operand `" + token.str() + "`)";
        return false;
      }
      instruction.operands.push_back(std::move(op));
    }
    program.code.push_back(std::move(instruction));
    return true;
  }
};

} // namespace

std::unique_ptr<AsmProgram>
kite::sim::parseInlinePtx(StringRef text, unsigned operandCount,
                          unsigned smVersion, std::string &unsupported) {
  auto program = std::make_unique<AsmProgram>();
  program->text = text.str();
  program->operandCount = operandCount;
  program->registerCount = operandCount;
  // "$$" is LLVM's escape of a literal '$' (PTX names like __$temp3).
  std::string source;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '$') {
      source += "__dollar_";
      ++i;
      continue;
    }
    source += text[i];
  }
  // Comments.
  std::string cleaned;
  for (size_t i = 0; i < source.size(); ++i) {
    if (source.compare(i, 2, "//") == 0) {
      while (i < source.size() && source[i] != '\n')
        ++i;
    }
    if (i < source.size())
      cleaned += source[i];
  }
  Parser parser{operandCount, smVersion, *program, {}, {}};
  llvm::SmallVector<StringRef> statements;
  StringRef(cleaned).split(statements, ';');
  for (StringRef s : statements) {
    if (!parser.parseStatement(s)) {
      unsupported = parser.error;
      return nullptr;
    }
  }
  for (auto &[index, label] : parser.branches) {
    auto found = parser.labels.find(label);
    if (found == parser.labels.end()) {
      unsupported = "`" + program->code[index].text + "` (no label `" + label +
                    "` in the asm statement)";
      return nullptr;
    }
    program->code[index].target = found->second;
  }
  return program;
}

void kite::sim::runInlinePtx(const AsmProgram &program, uint64_t *operands,
                             SimThread &thread) {
  uint64_t local[64];
  std::vector<uint64_t> heap;
  uint64_t *regs = local;
  if (program.registerCount > 64) {
    heap.resize(program.registerCount);
    regs = heap.data();
  }
  // Loops, not memcpy/memset: a few registers each, and the library calls
  // were a fifth of the time of a masked load.
  for (unsigned i = 0; i < program.operandCount; ++i)
    regs[i] = operands[i];
  for (unsigned i = program.operandCount; i < program.registerCount; ++i)
    regs[i] = 0;
  PtxExec exec(program, regs, thread);
  for (size_t pc = 0; pc < program.code.size();) {
    const PtxInstruction &instruction = program.code[pc];
    if (instruction.guard >= 0 &&
        bool(regs[instruction.guard] & 1) == instruction.guardNegated) {
      ++pc;
      continue;
    }
    instruction.handler(exec, instruction);
    if (exec.jump < 0) {
      ++pc;
      continue;
    }
    // A backward branch is a loop: it lets other threads run as the
    // kernel's own loops do (Preemption.cpp).
    if (size_t(exec.jump) <= pc && ++thread.preemptionBudget >= 1024) {
      thread.preemptionBudget = 0;
      thread.yield();
    }
    pc = size_t(exec.jump);
    exec.jump = -1;
  }
  for (unsigned i = 0; i < program.operandCount; ++i)
    operands[i] = regs[i];
}
