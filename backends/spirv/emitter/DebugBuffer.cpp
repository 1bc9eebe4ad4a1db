//===- DebugBuffer.cpp - print and assert through a debug buffer ----------===//
//
// Vulkan has no printf the Kite runtime can collect (NonSemantic.DebugPrintf
// needs a validation layer), so kitethread.print and kitethread.assert write
// records into a buffer that the runtime appends as a last launch argument
// and reads when the launch is done (python/kite/runtime/debug_buffer.py):
//
//   word 0  cursor: words reserved so far (atomic add)
//   word 1  capacity: words of records the buffer holds (set by the host)
//   word 2  written: the end of the records written (atomic max), which the
//           host decodes up to (a record that did not fit leaves a gap)
//   word 3  failed assert: its op index + 1 (atomic max), also when its
//           record did not fit
//   word 4  a failed memory check (check-memory-accesses): its op index + 1
//   word 5… records: [op index, program id x, y, z, thread id, values...]
//
// A memory check runs at every global access, so it writes no record but
// one masked store of its op index, with no branch and no atomic: on a CPU
// device (lavapipe) a branch per access tripled the time of a vector add,
// and two masked 16-byte stores of where and what doubled it
// (benchmarks/memory_checks.py). The host adds what it knows.
//
// A value is one 32-bit word (i1, i8, i16 sign-extended, unsigned ones and
// hex ones zero-extended; f16 widened to f32, or its bits for hex) or two
// (i64, f64: low word first). A record that does not fit is
// not written (the cursor still counts it: the host reports the overflow).
// An assert writes its record (with its values, if any) where its condition
// is false.
// `kitespirv.debug-records` lists, per op index, fields separated by \x1f:
// kind (print|assert|memcheck), prefix or message, value types, file, line.
//
//===----------------------------------------------------------------------===//
#include "backends/spirv/emitter/Passes.h"
#include "dialects/KiteThread/KiteThreadDialect.h"
#include "dialects/KiteThread/KiteThreadModule.h"
#include "dialects/KiteThread/KiteThreadOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace mlir::kitespirv {
#define GEN_PASS_DEF_LOWERDEBUGOPSTOBUFFER
#include "backends/spirv/emitter/Passes.h.inc"
} // namespace mlir::kitespirv

using namespace mlir;

namespace {

constexpr int64_t kHeaderBytes = 20;
constexpr int64_t kMemoryCheckBytes = 16;

struct Recorder {
  OpBuilder &b;
  Location loc;
  Value buffer; // i64 address

  Value i32(int64_t v) { return arith::ConstantIntOp::create(b, loc, v, 32); }
  Value address(Value byteOffset) {
    Value wide = arith::ExtUIOp::create(b, loc, b.getI64Type(), byteOffset);
    return arith::AddIOp::create(b, loc, buffer, wide);
  }

  /// The words of `value`, and its type's name for the host: i1, i32, i64,
  /// f32, f64; u32, u64 for unsigned integers; x32, x64 to print in hex
  /// (integers, and the bits of floats).
  void words(Value value, bool isUnsigned, bool hex,
             SmallVectorImpl<Value> &out, std::string &type) {
    Type t = value.getType();
    Type i32Type = b.getI32Type(), i64Type = b.getI64Type();
    if (hex || isUnsigned) {
      unsigned width = t.getIntOrFloatBitWidth();
      if (isa<FloatType>(t))
        value =
            arith::BitcastOp::create(b, loc, b.getIntegerType(width), value);
      if (width < 32)
        value = arith::ExtUIOp::create(b, loc, i32Type, value);
      type = std::string(hex ? "x" : "u") + (width > 32 ? "64" : "32");
      if (width <= 32) {
        out.push_back(value);
        return;
      }
      out.push_back(arith::TruncIOp::create(b, loc, i32Type, value));
      Value high = arith::ShRUIOp::create(
          b, loc, value, arith::ConstantIntOp::create(b, loc, 32, 64));
      out.push_back(arith::TruncIOp::create(b, loc, i32Type, high));
      return;
    }
    if (auto f = dyn_cast<FloatType>(t)) {
      if (f.getWidth() == 64) {
        value = arith::BitcastOp::create(b, loc, i64Type, value);
        type = "f64";
      } else {
        if (f.getWidth() < 32)
          value = arith::ExtFOp::create(b, loc, b.getF32Type(), value);
        out.push_back(arith::BitcastOp::create(b, loc, i32Type, value));
        type = "f32";
        return;
      }
    } else {
      unsigned width = t.getIntOrFloatBitWidth();
      if (width < 32) {
        value =
            width == 1
                ? arith::ExtUIOp::create(b, loc, i32Type, value).getResult()
                : arith::ExtSIOp::create(b, loc, i32Type, value).getResult();
        type = width == 1 ? "i1" : "i32";
      } else {
        type = width == 32 ? "i32" : "i64";
      }
      if (width <= 32) {
        out.push_back(value);
        return;
      }
    }
    // 64 bits: low word, then high word.
    out.push_back(arith::TruncIOp::create(b, loc, i32Type, value));
    Value high = arith::ShRUIOp::create(
        b, loc, value, arith::ConstantIntOp::create(b, loc, 32, 64));
    out.push_back(arith::TruncIOp::create(b, loc, i32Type, high));
  }

  /// Reserves the record's words with an atomic add on the cursor and writes
  /// them where they fit.
  void write(ArrayRef<Value> record) {
    Value n = i32(record.size());
    Value start = kitethread::AtomicRMWOp::create(
        b, loc, b.getI32Type(), ::mlir::kite::RMWOp::Add, buffer, n, Value());
    Value capacity = kitethread::LoadOp::create(
        b, loc, b.getI32Type(), address(i32(4)), Value(), Value(), 4);
    Value end = arith::AddIOp::create(b, loc, start, n);
    Value fits =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, end, capacity);
    auto ifOp = scf::IfOp::create(b, loc, fits, /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    kitethread::AtomicRMWOp::create(b, loc, b.getI32Type(),
                                    ::mlir::kite::RMWOp::UMax, address(i32(8)),
                                    end, Value());
    for (auto [j, word] : llvm::enumerate(record)) {
      Value index = arith::AddIOp::create(b, loc, start, i32(j));
      Value bytes = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, index, i32(4)),
          i32(kHeaderBytes));
      kitethread::StoreOp::create(b, loc, address(bytes), word, Value(), 4);
    }
  }

  /// A failed memory check (`cond` false): its op index + 1 in word 4, by
  /// a masked store (failures that race leave one of theirs).
  void memoryCheck(kitethread::AssertOp check, int64_t index) {
    Value failed = arith::XOrIOp::create(
        b, loc, check.getCond(), arith::ConstantIntOp::create(b, loc, 1, 1));
    kitethread::StoreOp::create(b, loc, address(i32(kMemoryCheckBytes)),
                                i32(index + 1), failed, 4);
  }

  /// [op index, program id x, y, z, thread id].
  SmallVector<Value> header(int64_t index) {
    SmallVector<Value> record{i32(index)};
    for (int axis = 0; axis < 3; ++axis)
      record.push_back(
          kitethread::ProgramIdOp::create(b, loc, b.getI32Type(), axis));
    Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
    record.push_back(arith::IndexCastUIOp::create(b, loc, b.getI32Type(), tid));
    return record;
  }
};

std::string escapeField(StringRef text) {
  std::string out = text.str();
  for (char &c : out)
    if (c == '\x1f')
      c = ' ';
  return out;
}

struct LowerDebugOpsToBufferPass
    : kitespirv::impl::LowerDebugOpsToBufferBase<LowerDebugOpsToBufferPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Operation *> ops;
    module.walk([&](Operation *op) {
      if (isa<kitethread::PrintOp, kitethread::AssertOp>(op))
        ops.push_back(op);
    });
    if (ops.empty())
      return;
    FailureOr<func::FuncOp> kernel = kitethread::getKernel(module, "SPIR-V");
    FailureOr<SmallVector<Type>> argTypes =
        kitethread::getLaunchArgTypes(module);
    if (failed(kernel) || failed(argTypes))
      return signalPassFailure();

    // The buffer: one more launch argument.
    OpBuilder b(module.getContext());
    SmallVector<Attribute> typeAttrs;
    for (Type type : *argTypes)
      typeAttrs.push_back(TypeAttr::get(type));
    typeAttrs.push_back(TypeAttr::get(b.getI64Type()));
    module->setAttr(kitethread::KiteThreadDialect::getArgTypesAttrName(),
                    b.getArrayAttr(typeAttrs));
    b.setInsertionPointToStart(&kernel->getBody().front());
    Value buffer = kitethread::KernelArgOp::create(
        b, kernel->getLoc(), b.getI64Type(), argTypes->size());

    SmallVector<Attribute> table;
    for (auto [index, op] : llvm::enumerate(ops)) {
      b.setInsertionPoint(op);
      Recorder r{b, op->getLoc(), buffer};
      auto [file, line] = kitethread::getFileAndLine(op->getLoc());
      std::string sep = "\x1f", types;
      if (auto print = dyn_cast<kitethread::PrintOp>(op)) {
        SmallVector<Value> record = r.header(index);
        std::optional<ArrayRef<bool>> isUnsigned = print.getIsUnsigned();
        for (auto [i, value] : llvm::enumerate(print.getArgs())) {
          std::string type;
          r.words(value, isUnsigned && (*isUnsigned)[i], print.getHex(), record,
                  type);
          types += (types.empty() ? "" : ",") + type;
        }
        r.write(record);
        table.push_back(b.getStringAttr(
            "print" + sep + escapeField(print.getPrefix()) + sep + types + sep +
            escapeField(file) + sep + std::to_string(line)));
      } else if (op->hasAttr(kitethread::kMemoryCheckAttr)) {
        // The host reports the allocation's size: which hidden argument
        // holds it (the values: byte offset, that size, element size).
        auto check = cast<kitethread::AssertOp>(op);
        r.memoryCheck(check, index);
        std::string what;
        if (check.getValues().size() == 3)
          if (auto size =
                  check.getValues()[1].getDefiningOp<kitethread::KernelArgOp>())
            what = "size=" + std::to_string(size.getIndex());
        table.push_back(b.getStringAttr(
            "memcheck" + sep + escapeField(check.getMessage()) + sep + what +
            sep + escapeField(file) + sep + std::to_string(line)));
      } else {
        auto assertOp = cast<kitethread::AssertOp>(op);
        Value failed = arith::XOrIOp::create(
            b, op->getLoc(), assertOp.getCond(),
            arith::ConstantIntOp::create(b, op->getLoc(), 1, 1));
        auto ifOp = scf::IfOp::create(b, op->getLoc(), failed, false);
        b.setInsertionPointToStart(&ifOp.getThenRegion().front());
        kitethread::AtomicRMWOp::create(
            b, op->getLoc(), b.getI32Type(), ::mlir::kite::RMWOp::UMax,
            r.address(r.i32(12)), r.i32(index + 1), Value());
        // The record, built where the assert failed only.
        SmallVector<Value> record = r.header(index);
        for (Value value : assertOp.getValues()) {
          std::string type;
          r.words(value, /*isUnsigned=*/false, /*hex=*/false, record, type);
          types += (types.empty() ? "" : ",") + type;
        }
        r.write(record);
        // A loop the driver stopped (LoopIterationLimit.cpp) is reported as
        // such, not as the user's device_assert.
        StringRef kind =
            op->hasAttr("kitespirv.driver-limit") ? "limit" : "assert";
        table.push_back(b.getStringAttr(
            kind.str() + sep + escapeField(assertOp.getMessage()) + sep + types +
            sep + escapeField(file) + sep + std::to_string(line)));
      }
      op->erase();
    }
    module->setAttr("kitespirv.debug-records", b.getArrayAttr(table));
  }
};

} // namespace
