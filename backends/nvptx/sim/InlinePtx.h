//===- InlinePtx.h - inline PTX, parsed once, run per thread ----*- C++ -*-===//
//
// Kernels put PTX in `asm` strings (Kite's ordered atomics, libdevice's
// carry arithmetic, Triton's loads, stores, conversions and tensor-core
// instructions). The simulator parses each string once, when the kernel is
// loaded, into an AsmProgram: instructions with their operands resolved to
// registers ($N are the asm statement's operands, in its constraint order;
// `.reg` declarations add locals). runInlinePtx executes a program for one
// thread with the semantics of the PTX ISA. Labels and `bra` (Triton's
// mbarrier wait loop) jump within the program. Instructions are implemented
// by handlers grouped by kind (InlinePtxArith.cpp, InlinePtxMemory.cpp,
// InlinePtxHopper.cpp, ...);
// an instruction no handler knows makes parsing fail with its text, and the
// call then fails the launch that reaches it ("the simulator does not
// implement `...`").
//
//===----------------------------------------------------------------------===//
#ifndef KITE_BACKENDS_NVPTX_SIM_INLINEPTX_H
#define KITE_BACKENDS_NVPTX_SIM_INLINEPTX_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kite::sim {

class SimThread;
struct PtxInstruction;
class PtxExec;

/// An operand of a PTX instruction.
struct PtxOperand {
  /// Pair: `d|p`, an instruction's second destination beside its first
  /// (shfl's in-range predicate, setp's complement), in `elements`.
  /// Tensor: `[map, {c0, c1}]` (cp.async.bulk.tensor): the map's address
  /// operand, then the vector of coordinates, in `elements`.
  enum class Kind { Register, Immediate, Vector, Address, Pair, Tensor } kind;
  int reg = -1;     ///< Register: its index; Address: the base's (or -1).
  uint64_t imm = 0; ///< Immediate bits; Address: the offset.
  bool floatImmediate = false;      ///< 0fXXXXXXXX / 0dXXXXXXXXXXXXXXXX.
  std::vector<PtxOperand> elements; ///< Vector: its registers.
};

using PtxHandler = void (*)(PtxExec &, const PtxInstruction &);

struct PtxInstruction {
  std::string text;                   ///< As written, for messages.
  std::vector<std::string> modifiers; ///< "mad.lo.cc.u32": {mad, lo, cc, u32}
  int guard = -1;                     ///< The predicate register, or -1.
  bool guardNegated = false;
  std::vector<PtxOperand> operands;
  PtxHandler handler = nullptr;
  /// What a handler decoded from the modifiers once, at parse time (the
  /// shape of an mma).
  std::shared_ptr<const void> decoded;
  /// Decoded at parse time for the handlers every load runs (masked loads
  /// are `mov`s and a predicated `ld`): the bits of type() (0 if none), the
  /// lanes of a vector access (.v2, .v4, .v8; else 1), whether the state
  /// space is shared. Looking them up in the strings per execution made a
  /// masked load cost ten times a plain one.
  unsigned typeBits = 0, lanes = 1;
  bool shared = false;
  /// bra: the index of the instruction it jumps to.
  int target = -1;

  bool has(llvm::StringRef modifier) const;
  /// The last type modifier (u32, f16x2, b64, ...), "" if none.
  llvm::StringRef type() const;
};

struct AsmProgram {
  std::string text;
  unsigned operandCount = 0; ///< $0 .. $(operandCount - 1)
  unsigned registerCount = 0;
  std::vector<PtxInstruction> code;
};

/// Executes one thread's instructions: registers, the carry flag and the
/// thread (for memory counters, warp-synchronous instructions, failures).
class PtxExec {
public:
  PtxExec(const AsmProgram &program, uint64_t *registers, SimThread &thread)
      : program(program), regs(registers), thread(thread) {}

  /// The operand's value as `bits` wide bits (registers are truncated,
  /// immediates taken as written).
  uint64_t get(const PtxOperand &operand, unsigned bits) const;
  void set(const PtxOperand &operand, uint64_t value, unsigned bits);
  /// The address an Address operand (or a register/immediate) designates.
  uint64_t address(const PtxOperand &operand) const;
  [[noreturn]] void fail(const PtxInstruction &instruction,
                         const std::string &why);

  const AsmProgram &program;
  uint64_t *regs;
  SimThread &thread;
  bool carry = false;
  /// Set by a taken branch: the next instruction's index.
  int jump = -1;
};

/// The handler of instructions whose first modifier is `opcode`, or null.
PtxHandler findPtxHandler(llvm::StringRef opcode);

/// Parses `text`, an asm statement with `operandCount` operands, for
/// sm_`smVersion`; null with `unsupported` set to a message naming the
/// instruction when it cannot (or the architecture lacks it).
std::unique_ptr<AsmProgram> parseInlinePtx(llvm::StringRef text,
                                           unsigned operandCount,
                                           unsigned smVersion,
                                           std::string &unsupported);

/// Runs `program` for `thread` over its operands (64-bit slots, in and out).
void runInlinePtx(const AsmProgram &program, uint64_t *operands,
                  SimThread &thread);

/// Decodes what tensor-core instructions need from their modifiers into
/// `decoded`; false with `why` for a form the simulator or sm_`smVersion`
/// lacks.
bool prepareTensorCoreInstruction(PtxInstruction &instruction,
                                  unsigned smVersion, std::string &why);
/// The same for sm_90's instructions (wgmma's shape, cp.async.bulk's
/// handler; InlinePtxHopper.cpp).
bool prepareHopperInstruction(PtxInstruction &instruction, unsigned smVersion,
                              std::string &why);

// Handlers by kind, each file registering its own opcodes.
PtxHandler findArithmeticHandler(llvm::StringRef opcode);
PtxHandler findMemoryHandler(llvm::StringRef opcode);
PtxHandler findTensorCoreHandler(llvm::StringRef opcode);
PtxHandler findHopperHandler(llvm::StringRef opcode);

/// Helpers for handlers: the bit width of a PTX type ("u32" -> 32,
/// "f16x2" -> 32, "pred" -> 1), 0 if unknown.
unsigned ptxTypeBits(llvm::StringRef type);
bool isFloatType(llvm::StringRef type);
bool isSignedType(llvm::StringRef type);

} // namespace kite::sim

#endif // KITE_BACKENDS_NVPTX_SIM_INLINEPTX_H
