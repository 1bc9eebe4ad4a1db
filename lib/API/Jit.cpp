//===- Jit.cpp - kite::compile: kite IR to a Vulkan or CUDA kernel, cached ===//
//
// The stages run through the public runStage/emitSpirv/emitPtx, so the JIT
// is a thin layer over the same API as the tools. Each cache entry holds
// every stage's text, the binary (SPIR-V, or PTX for CUDA: JitCuda.cpp) and
// metadata.json (what launch needs: name, workgroup size, argument types,
// and on CUDA the architecture and shared memory).
//
//===----------------------------------------------------------------------===//
#include "kite/Jit.h"
#include "kite/Ptx.h"
#include "kite/Cache.h"
#include "kite/Spirv.h"
#include "kite/Version.h"
#include "lib/API/JitLoad.h"
#include "lib/API/JitPipeline.h"
#include "lib/JIT/Pipeline.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>

#include <sys/stat.h>

using namespace kite;
using kite::detail::KernelInfo;

// Bump when the entry's files or their meaning change.
static constexpr const char *kEntryFormat = "kite-cpp-jit 2";
static constexpr const char *kMetadataFile = "metadata.json";

/// The binary's file in a cache entry; on CUDA it is also the "ptx" stage.
static std::string binaryFile(const std::string &backend) {
  return backend == "cuda" ? "kernel.ptx" : "kernel.spv";
}

std::string kite::detail::formatDiagnostics(const std::vector<Diagnostic> &list) {
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
  if (stage == "spirv")
    return "kernel.spvasm";
  if (stage == "llir")
    return "kernel.ll";
  if (stage == "ptx")
    return "kernel.ptx";
  return stage + ".mlir";
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

Status kite::detail::runStages(const std::string &ir,
                               const StageOptions &options, CacheFiles &files,
                               KernelInfo &info) {
  // Each stage starts from the input: a stage runs all those before it.
  for (const char *stage : {"kite", "kitegpu", "threads"}) {
    IRResult result = runStage(ir, stage, {}, options);
    if (!result.ok)
      return Status::error(std::string("compile: stage '") + stage +
                           "' failed:" + formatDiagnostics(result.diagnostics));
    files[stageFile(stage)] = std::move(result.ir);
    if (stage == std::string("kite"))
      if (Status status = readSignature(files["kite.mlir"], info); !status)
        return status;
  }
  return readNumThreads(files["threads.mlir"], info);
}

std::string kite::detail::metadataJson(const KernelInfo &info,
                                       const std::string &backend,
                                       const std::string &arch,
                                       uint64_t sharedBytes) {
  llvm::json::Array argTypes;
  for (const std::string &type : info.argTypes)
    argTypes.push_back(type);
  llvm::json::Array argDivisibility;
  for (uint32_t divisor : info.argDivisibility)
    argDivisibility.push_back(divisor);
  llvm::json::Object metadata{{"format", kEntryFormat},
                              {"backend", backend},
                              {"name", info.name},
                              {"num_threads", info.numThreads},
                              {"arg_types", std::move(argTypes)},
                              {"arg_divisibility", std::move(argDivisibility)}};
  if (backend == "cuda") {
    metadata["arch"] = arch;
    metadata["shared_bytes"] = int64_t(sharedBytes);
  }
  return llvm::formatv("{0}", llvm::json::Value(std::move(metadata))).str();
}

/// The stages and the SPIR-V emitter for one Vulkan device: the files of a
/// cache entry.
static Result<CacheFiles> runVulkanPipeline(const std::string &ir,
                                            const DeviceProperties &device,
                                            const CompileOptions &options) {
  StageOptions target{options.numWarps, int(device.subgroupSize)};
  target.maxElementsPerThread = maxElementsPerThread("vulkan");
  target.maxWorkgroupBytes = device.maxSharedMemoryBytes;
  CacheFiles files;
  KernelInfo info;
  if (Status status = detail::runStages(ir, target, files, info); !status)
    return status;
  SpirvResult spirv = emitSpirv(files["threads.mlir"], emitterOptions(device));
  if (!spirv.ok)
    return Status::error("compile: the SPIR-V emitter failed:" +
                         detail::formatDiagnostics(spirv.diagnostics));
  files[binaryFile("vulkan")].assign(spirv.binary.begin(), spirv.binary.end());
  files[stageFile("spirv")] = std::move(spirv.disassembly);
  files[kMetadataFile] = detail::metadataJson(info, "vulkan", "", 0);
  return files;
}

/// The CompiledKernel of a cache entry for `backend`; an error if the entry
/// lacks anything.
static Result<CompiledKernel> readEntry(const CacheFiles &files,
                                        const std::string &key,
                                        const std::string &backend,
                                        const std::string &arch) {
  auto unreadable = [&](const std::string &why) {
    return Status::error("compile: the cache entry " + key +
                         " is unreadable: " + why);
  };
  auto metadataFile = files.find(kMetadataFile);
  auto binary = files.find(binaryFile(backend));
  if (metadataFile == files.end() || binary == files.end())
    return unreadable("it has no metadata or binary");
  llvm::Expected<llvm::json::Value> parsed =
      llvm::json::parse(metadataFile->second);
  if (!parsed)
    return unreadable(llvm::toString(parsed.takeError()));
  const llvm::json::Object *metadata = parsed->getAsObject();
  CompiledKernel kernel;
  kernel.backend = backend;
  std::optional<int64_t> numThreads, sharedBytes;
  const llvm::json::Array *argTypes = nullptr, *argDivisibility = nullptr;
  if (metadata) {
    if (auto name = metadata->getString("name"))
      kernel.name = name->str();
    if (auto arch = metadata->getString("arch"))
      kernel.arch = arch->str();
    numThreads = metadata->getInteger("num_threads");
    sharedBytes = metadata->getInteger("shared_bytes");
    argTypes = metadata->getArray("arg_types");
    argDivisibility = metadata->getArray("arg_divisibility");
  }
  bool cuda = backend == "cuda";
  // A CUDA block has at most 1024 threads; the PTX must define the entry
  // the metadata names, for the architecture the key asked for.
  int64_t mostThreads = cuda ? 1024 : int64_t(UINT32_MAX);
  if (!metadata || metadata->getString("format") != kEntryFormat ||
      metadata->getString("backend") != backend || kernel.name.empty() ||
      !numThreads || *numThreads <= 0 || *numThreads > mostThreads ||
      !argTypes || !argDivisibility ||
      argDivisibility->size() != argTypes->size() || binary->second.empty() ||
      (!cuda && binary->second.size() % 4) ||
      (cuda && (!sharedBytes || *sharedBytes < 0 || *sharedBytes > UINT32_MAX ||
                kernel.arch != arch ||
                binary->second.find(".entry " + kernel.name + "(") ==
                    std::string::npos)))
    return unreadable("metadata.json or " + binaryFile(backend) +
                      " is malformed");
  kernel.numThreads = uint32_t(*numThreads);
  for (const llvm::json::Value &type : *argTypes) {
    if (!type.getAsString())
      return unreadable("an argument type is not a string");
    kernel.argTypes.push_back(type.getAsString()->str());
  }
  for (const llvm::json::Value &divisor : *argDivisibility) {
    std::optional<int64_t> value = divisor.getAsInteger();
    if (!value || *value <= 0 || *value > int64_t(UINT32_MAX))
      return unreadable("an argument's divisibility is not a positive integer");
    kernel.argDivisibility.push_back(uint32_t(*value));
  }
  if (cuda) {
    kernel.ptx = binary->second;
    kernel.sharedBytes = uint64_t(*sharedBytes);
  } else {
    kernel.spirv.resize(binary->second.size() / 4);
    std::memcpy(kernel.spirv.data(), binary->second.data(),
                binary->second.size());
  }
  for (const std::string &stage : compiledStageNames(backend)) {
    auto text = files.find(stageFile(stage));
    if (text == files.end())
      return unreadable("it has no " + stageFile(stage));
    kernel.stages[stage] = text->second;
  }
  kernel.cacheKey = key;
  return kernel;
}

/// The entry under `key`, or the one `run` compiles and the cache keeps:
/// what compile() returns. An entry that passed the cache's checks but is
/// incomplete, or that `usable` refuses, is evicted and compiled again.
static Result<CompiledKernel>
compileCached(const std::string &key, const std::string &backend,
              const std::string &arch,
              const std::function<Result<CacheFiles>()> &run,
              const std::function<void(CompiledKernel &)> &finish,
              const std::function<bool(const CompiledKernel &)> &usable) {
  Cache &cache = Cache::global();
  auto read = [&](const CacheFiles &files) {
    Result<CompiledKernel> kernel = readEntry(files, key, backend, arch);
    if (kernel)
      finish(*kernel);
    return kernel;
  };
  if (CacheEntry entry = cache.lookup(key)) {
    Result<CompiledKernel> kernel = read(*entry);
    if (kernel && usable(*kernel))
      return kernel;
    cache.remove(key);
  }
  Result<CacheFiles> files = run();
  if (!files)
    return files.status();
  // Another process may have published the key first: use its entry, so
  // that every process runs identical bytes. A cache that cannot be
  // written costs recompiling next time, not this compilation.
  Result<CacheEntry> stored = cache.store(key, *files);
  return read(stored ? **stored : *files);
}

static Status checkOptions(const CompileOptions &options, bool cuda) {
  if (options.numWarps <= 0 || (options.numWarps & (options.numWarps - 1)))
    return Status::error("compile: numWarps must be a power of two, got " +
                         std::to_string(options.numWarps));
  if (cuda && options.numStages < 1)
    return Status::error("compile: numStages must be at least 1, got " +
                         std::to_string(options.numStages));
  return Status::success();
}

/// What the PTX of a kernel with f64 math depends on besides the IR: the
/// libdevice bitcode it links, by content (a toolkit upgraded in place keeps
/// the path). Hashed once per path, size and modification time.
static std::string libdeviceIdentity() {
  std::string path = libdevicePath();
  if (path.empty())
    return "none";
  struct stat info;
  if (::stat(path.c_str(), &info) != 0)
    return "unreadable " + path;
  std::string stamp = path + " " + std::to_string(info.st_size) + " " +
                      std::to_string(info.st_mtim.tv_sec) + "." +
                      std::to_string(info.st_mtim.tv_nsec);
  static std::mutex mutex;
  static std::map<std::string, std::string> hashes; // stamp -> hash
  std::lock_guard<std::mutex> lock(mutex);
  auto found = hashes.find(stamp);
  if (found != hashes.end())
    return found->second;
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  std::string hash = in.bad() ? "unreadable " + path : cacheKey({bytes});
  return hashes.emplace(stamp, hash).first->second;
}

/// compile() for an NVIDIA architecture; `device` (or null) is where a
/// cached entry must load, as on Vulkan.
static Result<CompiledKernel> compileCuda(const std::string &kiteIR,
                                          const std::string &arch,
                                          const CompileOptions &options,
                                          const Device *device) {
  // PTX depends on the architecture and the libdevice it links; the driver
  // compiles it further when it is loaded.
  std::string key = cacheKey(
      {kEntryFormat, version(), buildId(), kiteIR,
       "num_warps=" + std::to_string(options.numWarps),
       "num_stages=" + std::to_string(options.numStages),
       std::string("fp_fusion=") + (options.fpFusion ? "1" : "0"),
       "cuda arch=" + arch + " libdevice=" + libdeviceIdentity()});
  return compileCached(
      key, "cuda", arch,
      [&] { return detail::runCudaPipeline(kiteIR, arch, options); },
      [&](CompiledKernel &kernel) {
        kernel.numWarps = options.numWarps;
        kernel.threadsPerWarp = 32;
        kernel.target = "cuda:" + arch;
      },
      [&](const CompiledKernel &kernel) {
        return !device || bool(detail::loadCompiled(*device, kernel));
      });
}

namespace kite {

std::vector<std::string> compiledStageNames() {
  return compiledStageNames("vulkan");
}

std::vector<std::string> compiledStageNames(const std::string &backend) {
  if (backend == "cuda")
    return {"kite", "kitegpu", "threads", "llir", "ptx"};
  return {"kite", "kitegpu", "threads", "spirv"};
}

Result<CompiledKernel> compile(const std::string &kiteIR,
                               const std::string &target,
                               const CompileOptions &options) {
  if (target.rfind("vulkan", 0) == 0)
    return Status::error("compile: a Vulkan target needs its device "
                         "(compile(ir, device)); '" +
                         target + "' names none");
  std::string arch = target.rfind("cuda:", 0) == 0 ? target.substr(5) : "";
  if (!detail::archNumber(arch))
    return Status::error("compile: '" + target +
                         "' is no target; name an NVIDIA architecture, "
                         "\"cuda:sm_80\" or \"cuda:sm_90a\" (a device, "
                         "\"cuda:0\", is passed as a kite::Device)");
  if (Status status = checkOptions(options, /*cuda=*/true); !status)
    return status;
  return compileCuda(kiteIR, arch, options, nullptr);
}

Result<CompiledKernel> compile(const std::string &kiteIR, const Device &device,
                               const CompileOptions &options) {
  if (!device.valid())
    return Status::error("compile: the device is not open");
  const DeviceProperties &properties = device.properties();
  bool cuda = properties.backend == "cuda";
  if (Status status = checkOptions(options, cuda); !status)
    return status;
  if (cuda)
    return compileCuda(kiteIR, properties.arch, options, &device);
  std::string key = cacheKey({kEntryFormat, version(), buildId(), kiteIR,
                              "num_warps=" + std::to_string(options.numWarps),
                              targetIdentity(properties)});
  return compileCached(
      key, "vulkan", "",
      [&] { return runVulkanPipeline(kiteIR, properties, options); },
      [&](CompiledKernel &kernel) {
        kernel.numWarps = options.numWarps;
        kernel.threadsPerWarp = int(properties.subgroupSize);
        kernel.target = properties.name;
      },
      [&](const CompiledKernel &kernel) {
        return bool(detail::loadCompiled(device, kernel));
      });
}

} // namespace kite
