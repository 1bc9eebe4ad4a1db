//===- Libdevice.cpp - math through NVIDIA's libdevice --------------------===//
//
// The NVPTX backend has no instructions for transcendental functions. f64
// ones call libdevice, the bitcode math library of the CUDA toolkit, which
// is linked into the LLVM module before it is optimized; so do f32 (and
// f16, through f32) sin, cos and tan when libdevice is there, since MLIR's
// polynomial approximations reduce their argument in f32 (wrong by 1e-3
// at 1e4, and inf from 1e12; libdevice reduces exactly, as CUDA's sinf).
// The other f32 functions stay polynomials (within a few ulp). Which
// libdevice was linked, or that none was, is part of the JIT cache key
// (python/kite/compiler.py hashes the file findLibdevice() names).
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/emitter/Libdevice.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/Module.h"
#include "llvm/Linker/Linker.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstdlib>

using namespace mlir;

std::string kitenvptx::findLibdevice() {
  if (const char *path = std::getenv("KITE_LIBDEVICE"); path && *path)
    return llvm::sys::fs::exists(path) ? std::string(path) : std::string();
  for (const char *variable : {"CUDA_HOME", "CUDA_PATH"}) {
    const char *root = std::getenv(variable);
    if (!root || !*root)
      continue;
    llvm::SmallString<256> path(root);
    llvm::sys::path::append(path, "nvvm", "libdevice", "libdevice.10.bc");
    if (llvm::sys::fs::exists(path))
      return std::string(path);
  }
  const char *fallback = "/usr/local/cuda/nvvm/libdevice/libdevice.10.bc";
  return llvm::sys::fs::exists(fallback) ? fallback : "";
}

/// math op name -> libdevice's f64 function.
static const llvm::StringMap<StringRef> &libdeviceNames() {
  static const llvm::StringMap<StringRef> names = {
      {"math.exp", "__nv_exp"},     {"math.exp2", "__nv_exp2"},
      {"math.expm1", "__nv_expm1"}, {"math.log", "__nv_log"},
      {"math.log2", "__nv_log2"},   {"math.log10", "__nv_log10"},
      {"math.log1p", "__nv_log1p"}, {"math.sin", "__nv_sin"},
      {"math.cos", "__nv_cos"},     {"math.tan", "__nv_tan"},
      {"math.asin", "__nv_asin"},   {"math.acos", "__nv_acos"},
      {"math.atan", "__nv_atan"},   {"math.atan2", "__nv_atan2"},
      {"math.sinh", "__nv_sinh"},   {"math.cosh", "__nv_cosh"},
      {"math.tanh", "__nv_tanh"},   {"math.asinh", "__nv_asinh"},
      {"math.acosh", "__nv_acosh"}, {"math.atanh", "__nv_atanh"},
      {"math.erf", "__nv_erf"},     {"math.erfc", "__nv_erfc"},
      {"math.cbrt", "__nv_cbrt"},   {"math.powf", "__nv_pow"}};
  return names;
}

/// math op name -> libdevice's f32 function: sin, cos and tan, whose
/// polynomial approximations are not accurate over the whole f32 range, and
/// the functions only libdevice's names reach (libdevice.tanh, ...), which
/// MLIR expands by textbook formulas (sinh as (e^x - e^-x)/2, pow as
/// exp(y·log x)) that lose small arguments and signs; Triton calls libdevice
/// for all of them. exp, exp2, log, log2, sqrt and erf stay as they are.
static const llvm::StringMap<StringRef> &libdeviceF32Names() {
  static const llvm::StringMap<StringRef> names = {
      {"math.sin", "__nv_sinf"},     {"math.cos", "__nv_cosf"},
      {"math.tan", "__nv_tanf"},     {"math.tanh", "__nv_tanhf"},
      {"math.sinh", "__nv_sinhf"},   {"math.cosh", "__nv_coshf"},
      {"math.asin", "__nv_asinf"},   {"math.acos", "__nv_acosf"},
      {"math.atan", "__nv_atanf"},   {"math.atan2", "__nv_atan2f"},
      {"math.asinh", "__nv_asinhf"}, {"math.acosh", "__nv_acoshf"},
      {"math.atanh", "__nv_atanhf"}, {"math.log1p", "__nv_log1pf"},
      {"math.expm1", "__nv_expm1f"}, {"math.log10", "__nv_log10f"},
      {"math.cbrt", "__nv_cbrtf"},   {"math.erfc", "__nv_erfcf"},
      {"math.powf", "__nv_powf"}};
  return names;
}

/// The libdevice function computing `op`, and the float type it computes
/// in; none when `op` stays as it is.
static std::pair<StringRef, FloatType> libdeviceFunction(Operation *op,
                                                         bool f32Libdevice) {
  if (!isa<math::MathDialect>(op->getDialect()) || op->getNumResults() != 1)
    return {};
  auto type = dyn_cast<FloatType>(op->getResult(0).getType());
  if (!type)
    return {};
  StringRef opName = op->getName().getStringRef();
  if (type.isF64())
    return {libdeviceNames().lookup(opName), type};
  if (f32Libdevice && (type.isF32() || type.isF16() || type.isBF16()))
    return {libdeviceF32Names().lookup(opName),
            Float32Type::get(op->getContext())};
  return {};
}

void kitenvptx::callLibdeviceForMath(ModuleOp module, bool f32Libdevice) {
  SmallVector<Operation *> ops;
  module.walk([&](Operation *op) {
    if (!libdeviceFunction(op, f32Libdevice).first.empty())
      ops.push_back(op);
  });
  OpBuilder b(module.getContext());
  for (Operation *op : ops) {
    auto [name, computeType] = libdeviceFunction(op, f32Libdevice);
    Type resultType = op->getResult(0).getType();
    SmallVector<Type> argTypes(op->getNumOperands(), computeType);
    auto type = FunctionType::get(module.getContext(), argTypes, computeType);
    auto callee = module.lookupSymbol<func::FuncOp>(name);
    if (!callee) {
      b.setInsertionPointToStart(module.getBody());
      callee = func::FuncOp::create(b, module.getLoc(), name, type);
      callee.setPrivate();
    }
    b.setInsertionPoint(op);
    Location loc = op->getLoc();
    // f16 and bf16 compute in f32.
    SmallVector<Value> args;
    for (Value operand : op->getOperands())
      args.push_back(operand.getType() == computeType
                         ? operand
                         : arith::ExtFOp::create(b, loc, computeType, operand)
                               .getResult());
    Value result = func::CallOp::create(b, loc, callee, args).getResult(0);
    if (resultType != computeType)
      result = arith::TruncFOp::create(b, loc, resultType, result);
    op->getResult(0).replaceAllUsesWith(result);
    op->erase();
  }
}

LogicalResult kitenvptx::linkLibdevice(llvm::Module &module,
                                       ModuleOp diagnostics, StringRef given) {
  bool needed = false;
  for (llvm::Function &function : module)
    needed |= function.isDeclaration() && function.getName().starts_with("__nv_");
  if (!needed)
    return success();
  std::string path = given.empty() ? findLibdevice() : given.str();
  if (path.empty())
    return diagnostics.emitError()
           << "f64 math functions need libdevice (nvvm/libdevice/"
              "libdevice.10.bc of the CUDA toolkit), which was not found: "
              "set KITE_LIBDEVICE to its path, or CUDA_HOME";
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return diagnostics.emitError() << "cannot read libdevice '" << path
                                   << "': " << buffer.getError().message();
  llvm::Expected<std::unique_ptr<llvm::Module>> library =
      llvm::parseBitcodeFile((*buffer)->getMemBufferRef(), module.getContext());
  if (!library)
    return diagnostics.emitError()
           << "cannot parse libdevice '" << path
           << "': " << llvm::toString(library.takeError());
  (*library)->setTargetTriple(module.getTargetTriple());
  (*library)->setDataLayout(module.getDataLayout());
  if (llvm::Linker::linkModules(module, std::move(*library),
                                llvm::Linker::Flags::LinkOnlyNeeded))
    return diagnostics.emitError() << "cannot link libdevice '" << path << "'";
  // Only the kernel stays visible, so that O3 inlines and drops the rest.
  for (llvm::Function &function : module)
    if (!function.isDeclaration() &&
        function.getCallingConv() != llvm::CallingConv::PTX_Kernel)
      function.setLinkage(llvm::GlobalValue::InternalLinkage);
  // libdevice asks __nvvm_reflect whether to flush denormals: it must not.
  module.addModuleFlag(llvm::Module::Override, "nvvm-reflect-ftz",
                       static_cast<uint32_t>(0));
  return success();
}
