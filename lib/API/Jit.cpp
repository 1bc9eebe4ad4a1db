//===- Jit.cpp - kite::compile: kite IR to a Vulkan kernel, cached --------===//
//
// The stages run through the public runStage/emitSpirv, so the JIT is a thin
// layer over the same API as the tools. Each cache entry holds every stage's
// text, the binary and metadata.json (what launch needs: name, workgroup
// size, argument types).
//
//===----------------------------------------------------------------------===//
#include "kite/Jit.h"
#include "kite/Cache.h"
#include "kite/Spirv.h"
#include "kite/Version.h"
#include "lib/API/JitLoad.h"
#include "lib/JIT/Pipeline.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace kite;

// Bump when the entry's files or their meaning change.
static constexpr const char *kEntryFormat = "kite-cpp-jit 1";
static constexpr const char *kMetadataFile = "metadata.json";
static constexpr const char *kBinaryFile = "kernel.spv";

static std::string formatDiagnostics(const std::vector<Diagnostic> &list) {
  std::string text;
  for (const Diagnostic &d : list) {
    text += "\n";
    if (!d.file.empty())
      text += d.file + ":" + std::to_string(d.line) + ":" +
              std::to_string(d.column) + ": ";
    text += d.severity + ": " + d.message;
  }
  return text;
}

/// The file of a stage's text in a cache entry.
static std::string stageFile(const std::string &stage) {
  return stage == "spirv" ? "kernel.spvasm" : stage + ".mlir";
}

/// What compiled code depends on beyond the IR: the exact device and driver
/// (which compiles the SPIR-V further) and what the emitter may use on it.
static std::string targetIdentity(const DeviceProperties &p) {
  return "vulkan uuid=" + p.uuid +
         " driver_version=" + std::to_string(p.driverVersion) +
         " driver=" + p.driverName + " (" + p.driverInfo + ")" +
         " subgroup=" + std::to_string(p.subgroupSize) +
         " features=" + std::to_string(p.int8) + std::to_string(p.int16) +
         std::to_string(p.int64) + std::to_string(p.fp16) +
         std::to_string(p.fp64) + std::to_string(p.storage8) +
         std::to_string(p.storage16) + std::to_string(p.fp32AtomicAdd) +
         " shared=" + std::to_string(p.maxSharedMemoryBytes);
}

static SpirvOptions emitterOptions(const DeviceProperties &p) {
  SpirvOptions options;
  options.subgroupSize = p.subgroupSize;
  options.int8 = p.int8 && p.storage8;
  options.int16 = p.int16 && p.storage16;
  options.int64 = p.int64;
  options.float16 = p.fp16 && p.storage16;
  options.float64 = p.fp64;
  options.atomicFloatAdd = p.fp32AtomicAdd;
  options.signedZeroInfNanPreserveWidths = p.signedZeroInfNanPreserveWidths;
  options.maxComputeSharedMemorySize = p.maxSharedMemoryBytes;
  return options;
}

namespace {
/// What launch needs to know about a kernel, besides its binary.
struct KernelInfo {
  std::string name;
  std::vector<std::string> argTypes;
  std::vector<uint32_t> argDivisibility;
  uint32_t numThreads = 0;
};
} // namespace

/// Parses IR the compiler printed (so errors would be its own bugs).
static mlir::OwningOpRef<mlir::ModuleOp> parse(const std::string &ir,
                                               mlir::MLIRContext &context) {
  context.getDiagEngine().registerHandler([](mlir::Diagnostic &) {});
  return mlir::parseSourceString<mlir::ModuleOp>(ir,
                                                 mlir::ParserConfig(&context));
}

/// The kernel's name and argument types, from the `kite` stage.
static Status readSignature(const std::string &kiteIR, KernelInfo &info) {
  mlir::DialectRegistry registry;
  mlir::kite::registerKiteDialects(registry);
  mlir::MLIRContext context(registry, mlir::MLIRContext::Threading::DISABLED);
  mlir::OwningOpRef<mlir::ModuleOp> module = parse(kiteIR, context);
  if (!module)
    return Status::error("compile: cannot read back the kite stage");
  mlir::func::FuncOp kernel;
  for (auto func : module->getOps<mlir::func::FuncOp>()) {
    if (!func->hasAttr("kite.kernel"))
      continue;
    if (kernel)
      return Status::error("compile: the module has more than one kite.kernel "
                           "function (@" +
                           kernel.getName().str() + ", @" +
                           func.getName().str() + ")");
    kernel = func;
  }
  if (!kernel)
    return Status::error(
        "compile: the module has no func.func marked kite.kernel");
  info.name = kernel.getName().str();
  for (unsigned i = 0; i < kernel.getNumArguments(); ++i) {
    std::string text;
    llvm::raw_string_ostream os(text);
    kernel.getArgumentTypes()[i].print(os);
    info.argTypes.push_back(text);
    auto divisibility =
        kernel.getArgAttrOfType<mlir::IntegerAttr>(i, "kite.divisibility");
    info.argDivisibility.push_back(divisibility && divisibility.getInt() > 0
                                       ? uint32_t(divisibility.getInt())
                                       : 1);
  }
  return Status::success();
}

/// The workgroup size, from the `threads` stage.
static Status readNumThreads(const std::string &threadIR, KernelInfo &info) {
  mlir::DialectRegistry registry;
  mlir::kite::registerKiteDialects(registry);
  mlir::MLIRContext context(registry, mlir::MLIRContext::Threading::DISABLED);
  mlir::OwningOpRef<mlir::ModuleOp> module = parse(threadIR, context);
  if (!module)
    return Status::error("compile: cannot read back the threads stage");
  auto numThreads =
      (*module)->getAttrOfType<mlir::IntegerAttr>("kitethread.num-threads");
  if (!numThreads || numThreads.getInt() <= 0)
    return Status::error("compile: the threads stage did not set "
                         "kitethread.num-threads");
  info.numThreads = uint32_t(numThreads.getInt());
  if (auto listed =
          (*module)->getAttrOfType<mlir::ArrayAttr>("kitethread.arg-types");
      listed && listed.size() != info.argTypes.size())
    return Status::error("compile: the kernel takes " +
                         std::to_string(info.argTypes.size()) +
                         " arguments but its thread-level IR lists " +
                         std::to_string(listed.size()));
  return Status::success();
}

/// Runs the stages and the emitter: the files of a cache entry.
static Result<CacheFiles> runPipeline(const std::string &ir,
                                      const DeviceProperties &device,
                                      const CompileOptions &options) {
  StageOptions target{options.numWarps, int(device.subgroupSize)};
  target.maxElementsPerThread = maxElementsPerThread("vulkan");
  target.maxWorkgroupBytes = device.maxSharedMemoryBytes;
  CacheFiles files;
  KernelInfo info;
  // Each stage starts from the input: a stage runs all those before it.
  for (const char *stage : {"kite", "kitegpu", "threads"}) {
    IRResult result = runStage(ir, stage, {}, target);
    if (!result.ok)
      return Status::error(std::string("compile: stage '") + stage +
                           "' failed:" + formatDiagnostics(result.diagnostics));
    files[stageFile(stage)] = std::move(result.ir);
    if (stage == std::string("kite"))
      if (Status status = readSignature(files["kite.mlir"], info); !status)
        return status;
  }
  if (Status status = readNumThreads(files["threads.mlir"], info); !status)
    return status;
  SpirvResult spirv = emitSpirv(files["threads.mlir"], emitterOptions(device));
  if (!spirv.ok)
    return Status::error("compile: the SPIR-V emitter failed:" +
                         formatDiagnostics(spirv.diagnostics));
  files[kBinaryFile].assign(spirv.binary.begin(), spirv.binary.end());
  files[stageFile("spirv")] = std::move(spirv.disassembly);

  llvm::json::Array argTypes;
  for (const std::string &type : info.argTypes)
    argTypes.push_back(type);
  llvm::json::Array argDivisibility;
  for (uint32_t divisor : info.argDivisibility)
    argDivisibility.push_back(divisor);
  llvm::json::Object metadata{{"format", kEntryFormat},
                              {"name", info.name},
                              {"num_threads", info.numThreads},
                              {"arg_types", std::move(argTypes)},
                              {"arg_divisibility", std::move(argDivisibility)}};
  files[kMetadataFile] =
      llvm::formatv("{0}", llvm::json::Value(std::move(metadata))).str();
  return files;
}

/// The CompiledKernel of a cache entry; an error if the entry lacks anything.
static Result<CompiledKernel> readEntry(const CacheFiles &files,
                                        const std::string &key) {
  auto unreadable = [&](const std::string &why) {
    return Status::error("compile: the cache entry " + key +
                         " is unreadable: " + why);
  };
  auto metadataFile = files.find(kMetadataFile);
  auto binary = files.find(kBinaryFile);
  if (metadataFile == files.end() || binary == files.end())
    return unreadable("it has no metadata or binary");
  llvm::Expected<llvm::json::Value> parsed =
      llvm::json::parse(metadataFile->second);
  if (!parsed)
    return unreadable(llvm::toString(parsed.takeError()));
  const llvm::json::Object *metadata = parsed->getAsObject();
  CompiledKernel kernel;
  std::optional<int64_t> numThreads;
  const llvm::json::Array *argTypes = nullptr, *argDivisibility = nullptr;
  if (metadata) {
    if (auto name = metadata->getString("name"))
      kernel.name = name->str();
    numThreads = metadata->getInteger("num_threads");
    argTypes = metadata->getArray("arg_types");
    argDivisibility = metadata->getArray("arg_divisibility");
  }
  if (!metadata || metadata->getString("format") != kEntryFormat ||
      kernel.name.empty() || !numThreads || *numThreads <= 0 || !argTypes ||
      !argDivisibility || argDivisibility->size() != argTypes->size() ||
      binary->second.empty() || binary->second.size() % 4)
    return unreadable("metadata.json or kernel.spv is malformed");
  kernel.numThreads = uint32_t(*numThreads);
  for (const llvm::json::Value &type : *argTypes) {
    if (!type.getAsString())
      return unreadable("an argument type is not a string");
    kernel.argTypes.push_back(type.getAsString()->str());
  }
  for (const llvm::json::Value &divisor : *argDivisibility) {
    std::optional<int64_t> value = divisor.getAsInteger();
    if (!value || *value <= 0)
      return unreadable("an argument's divisibility is not a positive integer");
    kernel.argDivisibility.push_back(uint32_t(*value));
  }
  kernel.spirv.resize(binary->second.size() / 4);
  std::memcpy(kernel.spirv.data(), binary->second.data(),
              binary->second.size());
  for (const std::string &stage : compiledStageNames()) {
    auto text = files.find(stageFile(stage));
    if (text == files.end())
      return unreadable("it has no " + stageFile(stage));
    kernel.stages[stage] = text->second;
  }
  kernel.cacheKey = key;
  return kernel;
}

namespace kite {

std::vector<std::string> compiledStageNames() {
  return {"kite", "kitegpu", "threads", "spirv"};
}

Result<CompiledKernel> compile(const std::string &kiteIR, const Device &device,
                               const CompileOptions &options) {
  if (!device.valid())
    return Status::error("compile: the device is not open");
  if (options.numWarps <= 0 || (options.numWarps & (options.numWarps - 1)))
    return Status::error("compile: numWarps must be a power of two, got " +
                         std::to_string(options.numWarps));
  const DeviceProperties &properties = device.properties();
  std::string key = cacheKey({kEntryFormat, version(), buildId(), kiteIR,
                              "num_warps=" + std::to_string(options.numWarps),
                              targetIdentity(properties)});
  Cache &cache = Cache::global();
  auto finish = [&](const CacheFiles &files) {
    Result<CompiledKernel> kernel = readEntry(files, key);
    if (kernel) {
      kernel->numWarps = options.numWarps;
      kernel->threadsPerWarp = int(properties.subgroupSize);
      kernel->target = properties.name;
    }
    return kernel;
  };
  if (CacheEntry entry = cache.lookup(key)) {
    // An entry that passed the cache's checks but that is incomplete or
    // that the device refuses is evicted and compiled again.
    Result<CompiledKernel> kernel = finish(*entry);
    if (kernel && detail::loadCompiled(device, *kernel))
      return kernel;
    cache.remove(key);
  }
  Result<CacheFiles> files = runPipeline(kiteIR, properties, options);
  if (!files)
    return files.status();
  // Another process may have published the key first: use its entry, so
  // that every process runs identical bytes. A cache that cannot be
  // written costs recompiling next time, not this compilation.
  Result<CacheEntry> stored = cache.store(key, *files);
  return finish(stored ? **stored : *files);
}

} // namespace kite
