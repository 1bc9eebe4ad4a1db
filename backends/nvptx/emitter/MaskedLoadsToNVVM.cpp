//===- MaskedLoadsToNVVM.cpp - masked loads as predicated ld.global -------===//
//
// A masked kitethread.load becomes one inline PTX statement, in the form
// Triton emits:
//
//   mov.b32 $0, 0x0;  mov.b32 $1, $7;  ...        // `other` (or zero)
//   @$4 ld.global.v4.b32 {$0, $1, $2, $3}, [$5];  // only where the mask holds
//
// A masked-off thread executes no load, so it touches no memory whatever
// its address, and no branch splits the block around each load (LLVM's
// NVPTX backend neither predicates loads nor if-converts them): ptxas sees
// the loads of a loop body side by side and can schedule them together.
// The asm has side effects, so LLVM keeps it in place relative to stores.
//
// The access is cut into words of 4 bytes (2 or 1 for narrower or less
// aligned ones; a byte lives in a 16-bit register, as PTX requires), and
// the words into loads of 1, 2 or 4 lanes each aligned to its own size (PTX
// faults on a vector access aligned less than the whole vector). Constant
// `other` bytes become immediates, the rest registers.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/emitter/MaskedLoadsToNVVM.h"
#include "dialects/KiteThread/KiteThreadOps.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/Format.h"

#include <optional>

using namespace mlir;

namespace {

/// One ld.global of the statement: `lanes` words from word `first`.
struct Piece {
  unsigned first, lanes;
};

/// How an access of `bytes` bytes aligned to `alignment` is loaded.
struct Plan {
  unsigned wordBytes, numWords;
  SmallVector<Piece> pieces;
};

Plan planPieces(unsigned bytes, unsigned alignment) {
  Plan plan;
  plan.wordBytes = std::min({4u, alignment, bytes & (~bytes + 1)});
  plan.numWords = bytes / plan.wordBytes;
  // Vectors of bytes would need .v2.b8 into 16-bit registers: one per load.
  unsigned maxLanes = plan.wordBytes == 1 ? 1 : 4;
  for (unsigned word = 0; word < plan.numWords;) {
    unsigned offset = word * plan.wordBytes;
    unsigned aligned =
        offset ? std::min(alignment, offset & (~offset + 1)) : alignment;
    unsigned lanes = llvm::bit_floor(
        std::min({maxLanes, plan.numWords - word, aligned / plan.wordBytes}));
    plan.pieces.push_back({word, lanes});
    word += lanes;
  }
  return plan;
}

/// The bits of a constant element, or nothing.
std::optional<APInt> constantBits(Attribute attr) {
  if (auto integer = dyn_cast_or_null<IntegerAttr>(attr))
    return integer.getValue();
  if (auto real = dyn_cast_or_null<FloatAttr>(attr))
    return real.getValue().bitcastToAPInt();
  return std::nullopt;
}

/// The bytes of `other` known at compile time, in memory order (little
/// endian); no `other` is all zeros.
SmallVector<std::optional<uint8_t>> constantBytes(Value other, unsigned bytes) {
  if (!other)
    return SmallVector<std::optional<uint8_t>>(bytes, uint8_t(0));
  SmallVector<std::optional<APInt>> elements;
  Attribute attr;
  if (matchPattern(other, m_Constant(&attr))) {
    if (auto dense = dyn_cast<DenseElementsAttr>(attr))
      for (Attribute element : dense.getValues<Attribute>())
        elements.push_back(constantBits(element));
    else
      elements.push_back(constantBits(attr));
  } else if (auto fromElements =
                 other.getDefiningOp<vector::FromElementsOp>()) {
    for (Value element : fromElements.getElements()) {
      Attribute elementAttr;
      elements.push_back(matchPattern(element, m_Constant(&elementAttr))
                             ? constantBits(elementAttr)
                             : std::nullopt);
    }
  }
  SmallVector<std::optional<uint8_t>> result(bytes);
  unsigned elementBytes = elements.empty() ? 0 : bytes / elements.size();
  for (auto [index, element] : llvm::enumerate(elements))
    if (element && element->getBitWidth() == elementBytes * 8)
      for (unsigned i = 0; i < elementBytes; ++i)
        result[index * elementBytes + i] =
            uint8_t(element->extractBitsAsZExtValue(8, 8 * i));
  return result;
}

Value bitcastIfNeeded(OpBuilder &b, Location loc, Type type, Value value) {
  if (value.getType() == type)
    return value;
  return LLVM::BitcastOp::create(b, loc, type, value);
}

/// `@$guard ld.global[.vN].bW {words}, [$address + offset];` per piece.
void printLoads(llvm::raw_ostream &os, const Plan &plan, unsigned guard,
                unsigned address) {
  for (const Piece &piece : plan.pieces) {
    os << "@$" << guard << " ld.global";
    if (piece.lanes > 1)
      os << ".v" << piece.lanes;
    os << ".b" << plan.wordBytes * 8 << " ";
    if (piece.lanes > 1)
      os << "{";
    for (unsigned lane = 0; lane < piece.lanes; ++lane)
      os << (lane ? ", $" : "$") << piece.first + lane;
    if (piece.lanes > 1)
      os << "}";
    os << ", [$" << address << " + " << piece.first * plan.wordBytes << "];\n";
  }
}

void predicateLoad(kitethread::LoadOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Type type = op.getType();
  auto vector = dyn_cast<VectorType>(type);
  unsigned bytes =
      unsigned((vector ? vector.getNumElements() : 1) *
               getElementTypeOrSelf(type).getIntOrFloatBitWidth() / 8);
  Plan plan = planPieces(bytes, op.getAlignment());
  unsigned n = plan.numWords, wordBits = plan.wordBytes * 8;
  // PTX has no 8-bit registers: a byte is loaded into a .b16 one.
  unsigned registerBits = std::max(wordBits, 16u);
  Type memoryWord = b.getIntegerType(wordBits);
  Type registerWord = b.getIntegerType(registerBits);
  Type words = n == 1 ? memoryWord : VectorType::get({n}, memoryWord);

  // Operands: $0..$n-1 the words, $n the mask, $n+1 the address, then the
  // words of `other` that are not constants.
  SmallVector<std::optional<uint8_t>> known =
      constantBytes(op.getOther(), bytes);
  SmallVector<Value> operands = {op.getMask(), op.getAddr()};
  std::string constraints, text;
  llvm::raw_string_ostream asmText(text);
  const char *regClass = registerBits == 32 ? "r" : "h";
  for (unsigned i = 0; i < n; ++i)
    constraints += std::string(i ? ",=" : "=") + regClass;
  constraints += ",b,l";
  Value otherWords;
  for (unsigned i = 0; i < n; ++i) {
    uint64_t bits = 0;
    bool constant = true;
    for (unsigned j = 0; j < plan.wordBytes; ++j) {
      std::optional<uint8_t> byte = known[i * plan.wordBytes + j];
      constant &= byte.has_value();
      bits |= uint64_t(byte.value_or(0)) << (8 * j);
    }
    asmText << "mov.b" << registerBits << " $" << i << ", ";
    if (constant) {
      asmText << llvm::format_hex(bits, 2) << ";\n";
      continue;
    }
    if (!otherWords)
      otherWords = bitcastIfNeeded(b, loc, words, op.getOther());
    Value word = n == 1
                     ? otherWords
                     : vector::ExtractOp::create(b, loc, otherWords, int64_t(i))
                           .getResult();
    if (registerBits != wordBits)
      word = LLVM::ZExtOp::create(b, loc, registerWord, word);
    asmText << "$" << n + operands.size() << ";\n";
    operands.push_back(word);
    constraints += std::string(",") + regClass;
  }
  printLoads(asmText, plan, /*guard=*/n, /*address=*/n + 1);

  MLIRContext *context = b.getContext();
  Type resultType = n == 1 ? registerWord
                           : LLVM::LLVMStructType::getLiteral(
                                 context, SmallVector<Type>(n, registerWord));
  auto load = LLVM::InlineAsmOp::create(
      b, loc, resultType, operands, text, constraints,
      /*has_side_effects=*/true, /*is_align_stack=*/false,
      LLVM::tailcallkind::TailCallKind::None,
      LLVM::AsmDialectAttr::get(context, LLVM::AsmDialect::AD_ATT),
      /*operand_attrs=*/ArrayAttr());
  SmallVector<Value> loaded;
  for (unsigned i = 0; i < n; ++i) {
    Value word = n == 1 ? load.getResult(0)
                        : LLVM::ExtractValueOp::create(
                              b, loc, load.getResult(0), int64_t(i))
                              .getResult();
    if (registerBits != wordBits)
      word = LLVM::TruncOp::create(b, loc, memoryWord, word);
    loaded.push_back(word);
  }
  Value result = n == 1 ? loaded[0]
                        : vector::FromElementsOp::create(
                              b, loc, cast<VectorType>(words), loaded)
                              .getResult();
  op.replaceAllUsesWith(bitcastIfNeeded(b, loc, type, result));
  op.erase();
}

} // namespace

void mlir::kitenvptx::predicateMaskedLoads(ModuleOp module) {
  SmallVector<kitethread::LoadOp> masked;
  module.walk([&](kitethread::LoadOp op) {
    if (op.getMask())
      masked.push_back(op);
  });
  for (kitethread::LoadOp op : masked)
    predicateLoad(op);
}
