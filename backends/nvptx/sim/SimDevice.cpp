//===- SimDevice.cpp - cuda-sim's memory, kernels and launches ------------===//
#include "backends/nvptx/sim/SimDevice.h"
#include "backends/nvptx/sim/HostRetarget.h"
#include "backends/nvptx/sim/SimFaults.h"
#include "backends/nvptx/sim/SimRuntime.h"
#include "backends/nvptx/sim/SimScheduler.h"

#include "llvm/ExecutionEngine/Orc/AbsoluteSymbols.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IRReader/IRReader.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <regex>

using namespace kite;
using namespace kite::sim;

namespace {

/// Shared memory one block may use, by architecture (the CUDA programming
/// guide's per-block opt-in maximum).
uint32_t sharedLimit(const std::string &arch) {
  int number = std::atoi(arch.c_str() + 3);
  if (number >= 90)
    return 227 * 1024;
  if (number == 80 || number == 87)
    return 163 * 1024;
  if (number >= 86)
    return 99 * 1024;
  return 96 * 1024;
}

class SimBuffer : public detail::BufferImpl {
public:
  SimBuffer(GuardedAllocation allocation, uint64_t bytes)
      : allocation(allocation), bytes(bytes) {}
  ~SimBuffer() override { allocation.release(); }
  uint64_t address() const override {
    return reinterpret_cast<uint64_t>(allocation.data);
  }
  uint64_t size() const override { return bytes; }
  bool released() const override { return allocation.data == nullptr; }
  void release() override { allocation.release(); }
  uint8_t *data() { return allocation.data; }

private:
  GuardedAllocation allocation;
  uint64_t bytes;
};

class SimKernel : public detail::KernelImpl {
public:
  using KernelImpl::KernelImpl;
  std::unique_ptr<llvm::orc::LLJIT> jit;
  RetargetResult retargeted;
  void (*entry)(void **) = nullptr;
};

/// What simulated code may call in the process besides the runtime: what
/// LLVM's x86 backend lowers IR to (libm, memcpy and friends, compiler-rt's
/// builtins, named __<op><arity digit> as in __divti3 or __powisf2).
bool hostFunctionAllowed(const std::string &name) {
  static const std::regex builtin("__[a-z]+[0-9]");
  static const std::regex math(
      "(exp|exp2|exp10|expm1|log|log2|log10|log1p|sin|cos|tan|sinh|cosh|tanh|"
      "asin|acos|atan|atan2|asinh|acosh|atanh|pow|sqrt|cbrt|fma|fmod|"
      "remainder|ldexp|frexp|modf|floor|ceil|trunc|round|roundeven|rint|"
      "nearbyint|lround|llround|lrint|llrint|fmin|fmax|fdim|hypot|erf|erfc|"
      "tgamma|lgamma|copysign|nextafter|sincos|ilogb|logb|scalbn)[fl]?");
  if (name == "memcpy" || name == "memmove" || name == "memset" ||
      name == "bzero")
    return true;
  return std::regex_match(name, builtin) || std::regex_match(name, math);
}

std::string errorText(llvm::Error error) {
  std::string message;
  llvm::handleAllErrors(std::move(error), [&](const llvm::ErrorInfoBase &e) {
    message += e.message();
  });
  return message;
}

class SimDevice : public detail::DeviceImpl {
public:
  explicit SimDevice(const std::string &arch)
      : props(simDeviceProperties(arch)) {}

  const DeviceProperties &properties() const override { return props; }
  std::array<uint32_t, 3> dispatchLimit() const override {
    return props.maxWorkGroupCount;
  }

  Result<std::shared_ptr<detail::BufferImpl>>
  allocate(uint64_t bytes) override {
    GuardedAllocation allocation = GuardedAllocation::allocate(bytes);
    if (!allocation.data)
      return Status::error("allocate: cannot map " + std::to_string(bytes) +
                           " bytes for cuda-sim");
    return std::shared_ptr<detail::BufferImpl>(
        std::make_shared<SimBuffer>(allocation, bytes));
  }
  Status upload(detail::BufferImpl &buffer, const void *data, uint64_t bytes,
                uint64_t offset) override {
    std::memcpy(static_cast<SimBuffer &>(buffer).data() + offset, data, bytes);
    return Status::success();
  }
  Status download(detail::BufferImpl &buffer, void *data, uint64_t bytes,
                  uint64_t offset) override {
    std::memcpy(data, static_cast<SimBuffer &>(buffer).data() + offset, bytes);
    return Status::success();
  }
  Status fill(detail::BufferImpl &buffer, uint32_t pattern, uint64_t offset,
              uint64_t bytes) override {
    uint8_t *p = static_cast<SimBuffer &>(buffer).data() + offset;
    for (uint64_t i = 0; i < bytes; i += 4)
      std::memcpy(p + i, &pattern, 4);
    return Status::success();
  }

  Result<std::shared_ptr<detail::KernelImpl>>
  loadKernel(const KernelSpec &spec) override;
  Status launch(detail::KernelImpl &kernel, std::array<uint32_t, 3> grid,
                const void *args, uint64_t argBytes, uint64_t stream) override;
  Status synchronize() override { return Status::success(); }
  uint64_t lastLaunchDispatches() const override { return dispatches; }
  std::vector<std::pair<std::string, uint64_t>>
  lastLaunchStatistics() const override {
    std::lock_guard<std::mutex> guard(mutex);
    return statistics;
  }

private:
  DeviceProperties props;
  uint64_t dispatches = 0;
  mutable std::mutex mutex;
  std::vector<std::pair<std::string, uint64_t>> statistics;
};

Result<std::shared_ptr<detail::KernelImpl>>
SimDevice::loadKernel(const KernelSpec &spec) {
  static std::once_flag initialized;
  std::call_once(initialized, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  auto kernel = std::make_shared<SimKernel>(spec);
  auto context = std::make_unique<llvm::LLVMContext>();
  llvm::SMDiagnostic diagnostic;
  std::unique_ptr<llvm::Module> module = llvm::parseIR(
      llvm::MemoryBufferRef(spec.image, "kernel.ll"), diagnostic, *context);
  if (!module) {
    std::string message;
    llvm::raw_string_ostream os(message);
    diagnostic.print("kernel.ll", os, false);
    return Status::error("loadKernel: cuda-sim cannot read the kernel's LLVM "
                         "IR: " +
                         message);
  }
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return Status::error("loadKernel: " + errorText(builder.takeError()));
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Less);
  // The PTX ISA keeps bf16 subnormals; x86's bf16 conversions
  // (AVX512-BF16's vcvtneps2bf16, AVX-NE-CONVERT's) flush them. Without
  // them the host backend rounds bfloat through __truncsfbf2, which the
  // runtime answers with the ISA's rounding.
  for (const char *flushing : {"avx512bf16", "avxneconvert", "amx-bf16"})
    builder->getFeatures().AddFeature(flushing, false);
  auto layout = builder->getDefaultDataLayoutForTarget();
  if (!layout)
    return Status::error("loadKernel: " + errorText(layout.takeError()));
  std::string error = retargetToHost(
      *module, spec.entryPoint, *layout, builder->getTargetTriple(),
      unsigned(std::atoi(props.arch.c_str() + 3)), kernel->retargeted);
  if (!error.empty())
    return Status::error("loadKernel: " + error);
  // No process symbols by default (LLJIT links them in unless told): the
  // generator below allows only what hostFunctionAllowed names.
  auto jit = llvm::orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(std::move(*builder))
                 .setLinkProcessSymbolsByDefault(false)
                 .setPlatformSetUp(llvm::orc::setUpInactivePlatform)
                 .create();
  if (!jit)
    return Status::error("loadKernel: " + errorText(jit.takeError()));
  kernel->jit = std::move(*jit);
  llvm::orc::JITDylib &dylib = kernel->jit->getMainJITDylib();
  llvm::orc::SymbolMap symbols;
  auto add = [&](const std::string &name, void *address) {
    symbols[kernel->jit->mangleAndIntern(name)] = {
        llvm::orc::ExecutorAddr::fromPtr(address),
        llvm::JITSymbolFlags::Exported};
  };
  for (auto &[name, address] : runtimeSymbols())
    add(name, address);
  for (auto &[name, address] : kernel->retargeted.symbols)
    add(name, address);
  // printf and assert of CUDA's device runtime.
  for (auto &[name, address] : runtimeSymbols()) {
    if (std::strcmp(name, "kite_sim_vprintf") == 0)
      add("vprintf", address);
    if (std::strcmp(name, "kite_sim_assertfail") == 0)
      add("__assertfail", address);
  }
  if (llvm::Error e = dylib.define(llvm::orc::absoluteSymbols(symbols)))
    return Status::error("loadKernel: " + errorText(std::move(e)));
  // The host's math library (exp2f, fmaf, ...) and compiler-rt's helpers
  // (__divti3) for what the host backend lowers to calls, and nothing else
  // of the process: a kernel's code runs as host code, and may not call
  // system() because its IR declares it.
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      kernel->jit->getDataLayout().getGlobalPrefix(),
      [](const llvm::orc::SymbolStringPtr &name) {
        return hostFunctionAllowed((*name).str());
      });
  if (!process)
    return Status::error("loadKernel: " + errorText(process.takeError()));
  dylib.addGenerator(std::move(*process));
  if (llvm::Error e = kernel->jit->addIRModule(
          llvm::orc::ThreadSafeModule(std::move(module), std::move(context))))
    return Status::error("loadKernel: " + errorText(std::move(e)));
  auto entry = kernel->jit->lookup(kEntrySymbol);
  if (!entry)
    return Status::error("loadKernel: cuda-sim cannot compile '" +
                         kernel->retargeted.kernelName +
                         "': " + errorText(entry.takeError()));
  kernel->entry = entry->toPtr<void (*)(void **)>();
  if (!spec.argSizes.empty() &&
      spec.argSizes.size() != kernel->retargeted.paramBytes.size())
    return Status::error("loadKernel: kernel '" +
                         kernel->retargeted.kernelName + "' has " +
                         std::to_string(kernel->retargeted.paramBytes.size()) +
                         " parameters, but KernelSpec::argSizes gives " +
                         std::to_string(spec.argSizes.size()));
  uint64_t shared =
      kernel->retargeted.staticSharedBytes + spec.dynamicSharedBytes;
  if (shared > props.maxSharedMemoryBytes)
    return Status::error(
        "loadKernel: kernel '" + kernel->retargeted.kernelName + "' needs " +
        std::to_string(shared) + " bytes of shared memory, more than " +
        props.arch + " allows a block (" +
        std::to_string(props.maxSharedMemoryBytes) + ")");
  return std::shared_ptr<detail::KernelImpl>(kernel);
}

Status SimDevice::launch(detail::KernelImpl &base, std::array<uint32_t, 3> grid,
                         const void *args, uint64_t argBytes, uint64_t) {
  auto &kernel = static_cast<SimKernel &>(base);
  const KernelSpec &spec = kernel.spec;
  for (int i = 0; i < 3; ++i)
    if (grid[i] > props.maxWorkGroupCount[i])
      return Status::error("launch: grid dimension " + std::to_string(i) +
                           " of " + std::to_string(grid[i]) +
                           " exceeds cuda-sim's limit of " +
                           std::to_string(props.maxWorkGroupCount[i]));
  // Parameters at the offsets the packed bytes use (docs/cuda-abi.md).
  const std::vector<unsigned> &declared = kernel.retargeted.paramBytes;
  std::vector<uint32_t> sizes = spec.argSizes;
  if (sizes.empty())
    sizes.assign(declared.begin(), declared.end());
  std::vector<void *> params;
  uint64_t offset = 0;
  for (uint32_t size : sizes) {
    uint32_t align = std::min<uint32_t>(std::max<uint32_t>(size, 1), 8);
    offset = (offset + align - 1) / align * align;
    params.push_back(const_cast<uint8_t *>(static_cast<const uint8_t *>(args)) +
                     offset);
    offset += size;
  }
  if (offset != argBytes)
    return Status::error("launch: kernel '" + kernel.retargeted.kernelName +
                         "' takes " + std::to_string(offset) +
                         " bytes of packed arguments (" +
                         std::to_string(sizes.size()) + " arguments), not " +
                         std::to_string(argBytes));
  LaunchConfig config;
  config.kernelName = kernel.retargeted.kernelName;
  config.entry = kernel.entry;
  config.params = params.data();
  config.grid = grid;
  config.block = spec.localSize;
  config.sharedBytes =
      kernel.retargeted.staticSharedBytes + spec.dynamicSharedBytes;
  const char *timeout = std::getenv("KITE_SIM_TIMEOUT");
  config.timeoutSeconds = timeout ? std::atof(timeout) : 600;
  Launch run(config);
  std::string error = run.run();
  std::fflush(stdout); // device printf, as cudaDeviceSynchronize flushes it
  {
    std::lock_guard<std::mutex> guard(mutex);
    dispatches = 1;
    statistics.clear();
    for (unsigned i = 0; i < kCounterCount; ++i)
      statistics.push_back({counterName(Counter(i)), run.totals.values[i]});
  }
  if (!error.empty())
    return Status::error("launch: " + error);
  return Status::success();
}

} // namespace

const char *kite::sim::counterName(Counter counter) {
  static const char *names[] = {
#define KITE_SIM_COUNTER_NAME(name) #name,
      KITE_SIM_COUNTERS(KITE_SIM_COUNTER_NAME)
#undef KITE_SIM_COUNTER_NAME
  };
  return names[unsigned(counter)];
}

const std::vector<std::string> &kite::sim::simulatedArchitectures() {
  static const std::vector<std::string> archs = {"sm_80", "sm_90"};
  return archs;
}

DeviceProperties kite::sim::simDeviceProperties(const std::string &arch) {
  DeviceProperties p;
  p.name = "cuda-sim:" + arch;
  p.backend = "cuda-sim";
  p.deviceName = "Kite cuda-sim (" + arch + " on the host CPU)";
  p.deviceType = "cpu";
  p.vendor = "Kite";
  p.driverName = "cuda-sim";
  p.driverInfo = "Kite's NVIDIA simulator";
  p.apiVersion = "cuda-sim";
  p.arch = arch;
  p.multiprocessorCount = 1;
  p.subgroupSize = p.minSubgroupSize = p.maxSubgroupSize = 32;
  p.maxSharedMemoryBytes = sharedLimit(arch);
  p.maxWorkGroupCount = {0x7fffffffu, 65535, 65535};
  p.maxWorkGroupSize = {1024, 1024, 64};
  p.maxWorkGroupInvocations = 1024;
  p.maxAllocationBytes = uint64_t(1) << 40;
  p.int8 = p.int16 = p.int64 = p.fp16 = p.fp64 = true;
  p.storage8 = p.storage16 = p.fp32AtomicAdd = true;
  p.signedZeroInfNanPreserveWidths = 16 | 32 | 64;
  return p;
}

Result<std::shared_ptr<detail::DeviceImpl>>
kite::sim::openSimDevice(const std::string &arch) {
  if (!std::regex_match(arch, std::regex("sm_[0-9]+[af]?")) ||
      std::atoi(arch.c_str() + 3) < 70)
    return Status::error("cannot open 'cuda-sim:" + arch +
                         "': cuda-sim simulates sm_70 and later "
                         "architectures, written sm_XY (e.g. sm_80, sm_90)");
  return std::shared_ptr<detail::DeviceImpl>(std::make_shared<SimDevice>(arch));
}
