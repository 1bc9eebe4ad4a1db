//===- Device.h - devices, buffers, kernels and launches --------*- C++ -*-===//
//
// Part of Kite's public C++ API: no Vulkan or CUDA types (the backends sit
// behind pimpl handles), no exceptions; failures come back as a Status whose
// message names the failing call, e.g.
// "vkAllocateMemory failed: VK_ERROR_OUT_OF_DEVICE_MEMORY" or
// "cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY".
//
// Handles (Device, Buffer, Kernel) are cheap to copy and share ownership: a
// buffer or kernel keeps its device alive. Operations may be called from any
// thread. On Vulkan every operation is synchronous (it waits for the
// device). On CUDA a launch is asynchronous: it is queued on a stream and
// returns; allocate, upload, download and fill first wait for every launch
// on the device, and synchronize() waits explicitly. The argument ABI of
// launch() is described in docs/vulkan-abi.md and docs/cuda-abi.md.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_DEVICE_H
#define KITE_DEVICE_H

#include "kite/Export.h"
#include "kite/Status.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kite {

namespace detail {
class DeviceImpl;
class BufferImpl;
class KernelImpl;
} // namespace detail

/// What a device is and what it can do.
struct DeviceProperties {
  std::string name;       ///< "cuda:0", "vulkan:0": what Device::open accepts.
  std::string backend;    ///< "cuda" or "vulkan".
  std::string deviceName; ///< The driver's name, "llvmpipe (LLVM 15.0.6, ...)".
  std::string deviceType; ///< "discrete-gpu", "integrated-gpu", "cpu", ...
  std::string vendor;     ///< "NVIDIA", "AMD", "Intel", "Mesa", or "0x1234".
  uint32_t vendorId = 0;
  uint32_t deviceId = 0;
  std::string driverName;     ///< "llvmpipe", "NVIDIA", "radv", ...
  std::string driverInfo;     ///< "Mesa 22.3.6 (LLVM 15.0.6)", "CUDA 12.4".
  uint32_t driverVersion = 0; ///< As the driver encodes it (CUDA: 12040).
  std::string apiVersion;     ///< "1.3.230" (Vulkan), "12.4" (CUDA).
  /// The device UUID as 8-4-4-4-12 hex digits (VkPhysicalDeviceIDProperties,
  /// cuDeviceGetUuid). With driverVersion it identifies the exact target in
  /// cache keys.
  std::string uuid;
  /// CUDA: the compute capability as an architecture, "sm_90"; else empty.
  std::string arch;
  uint32_t multiprocessorCount = 0; ///< CUDA: streaming multiprocessors.
  uint64_t memoryBytes = 0;         ///< CUDA: the device's total memory.

  uint32_t subgroupSize = 0; ///< The warp size on CUDA.
  uint32_t minSubgroupSize = 0;
  uint32_t maxSubgroupSize = 0;
  /// Per workgroup (block); on CUDA the opt-in limit, static + dynamic.
  uint32_t maxSharedMemoryBytes = 0;
  uint32_t maxPushConstantBytes = 0; ///< Vulkan only (0 on CUDA).
  std::array<uint32_t, 3> maxWorkGroupCount{};
  std::array<uint32_t, 3> maxWorkGroupSize{};
  uint32_t maxWorkGroupInvocations = 0;
  uint64_t maxAllocationBytes = 0;

  /// Arithmetic types the device's shaders may use.
  bool int8 = false, int16 = false, int64 = false;
  bool fp16 = false, fp64 = false;
  /// 8- and 16-bit loads and stores through storage-buffer pointers.
  bool storage8 = false, storage16 = false;
  /// Atomic add of 32-bit floats on buffers (VK_EXT_shader_atomic_float).
  bool fp32AtomicAdd = false;
  /// The float widths (16, 32, 64, OR'ed together) whose signed zeros,
  /// infinities and NaNs a kernel can ask the driver to preserve
  /// (shaderSignedZeroInfNanPreserveFloat16/32/64).
  uint32_t signedZeroInfNanPreserveWidths = 0;

  /// Empty when Device::open can use the device, else why it cannot (e.g. it
  /// lacks Vulkan 1.2 or bufferDeviceAddress).
  std::string unsupportedReason;
};

/// Every device this process can see, usable or not: CUDA devices first,
/// then Vulkan ones; empty when there is no CUDA driver and no Vulkan loader
/// or driver. Never fails.
KITE_API std::vector<DeviceProperties> listDevices();

/// "cuda:N" when `address` is memory of CUDA device N (e.g. a PyTorch
/// tensor's data pointer), else "" (host memory, or no CUDA driver).
KITE_API std::string deviceOfAddress(uint64_t address);

/// Settings of Device::open. The defaults are what users want; the others
/// exist so that tests can reach code paths this machine would not take. The
/// lowered limits show in the opened device's properties().
struct DeviceOptions {
  /// Pretend maxComputeWorkGroupCount is at most this (0 = the device's), so
  /// that small grids are split into several dispatches.
  std::array<uint32_t, 3> maxWorkGroupCount{0, 0, 0};
  /// Copy through staging buffers even when device memory is host-visible.
  bool stagingCopies = false;
  /// Pretend maxPushConstantsSize is at most this (0 = the device's).
  uint32_t maxPushConstantBytes = 0;
};

/// A block of device memory with a 64-bit device address.
class KITE_API Buffer {
public:
  Buffer() = default;
  /// False for an empty handle and once the memory is released.
  bool valid() const;
  /// The address a kernel dereferences (a PhysicalStorageBuffer pointer).
  uint64_t address() const;
  uint64_t size() const;
  /// Frees the memory now (other copies of this handle become invalid); the
  /// last handle's destructor does it otherwise. Safe to call twice.
  void release();

private:
  friend class Device;
  Buffer(std::shared_ptr<detail::DeviceImpl> device,
         std::shared_ptr<detail::BufferImpl> impl);
  // The device is declared first so that it outlives the buffer's memory.
  std::shared_ptr<detail::DeviceImpl> device;
  std::shared_ptr<detail::BufferImpl> impl;
};

/// How the packed argument bytes of a kernel reach it (docs/vulkan-abi.md).
enum class ArgumentPassing {
  PushConstants, ///< Inline after the launch header.
  Buffer,        ///< In a buffer whose address follows the launch header.
};

/// What a KernelSpec's code is; a Vulkan device runs SPIR-V, a CUDA device
/// PTX or cubins, cuda-sim LLVM IR.
enum class KernelFormat {
  Spirv, ///< KernelSpec::spirv.
  Ptx,   ///< KernelSpec::image holds PTX text (JIT-compiled by the driver).
  Cubin, ///< KernelSpec::image holds a cubin (ELF) for the device's arch.
  /// KernelSpec::image holds the LLVM IR of a kernel for the NVPTX backend
  /// (Kite's `llir` stage, or Triton's); cuda-sim runs it (docs/cuda-sim.md).
  LlvmIr,
};

/// A kernel and how to run it.
struct KernelSpec {
  KernelFormat format = KernelFormat::Spirv;
  std::vector<uint32_t> spirv; ///< A SPIR-V module, as 32-bit words.
  std::string image;           ///< PTX text or cubin bytes.
  /// The compute shader's entry point; the kernel's name in PTX or a cubin.
  std::string entryPoint = "main";
  /// The workgroup (block) size. Vulkan: given to the shader as
  /// specialization constants 0, 1 and 2 (a shader with a fixed LocalSize
  /// ignores them).
  std::array<uint32_t, 3> localSize{1, 1, 1};
  /// Vulkan: size of the push-constant block the shader declares (multiple
  /// of 4).
  uint32_t pushConstantBytes = 0;
  ArgumentPassing argumentPassing = ArgumentPassing::PushConstants;
  /// CUDA: the byte size of each kernel parameter, in order: 8 for pointers,
  /// 4 for i1 (packed as a 32-bit word), else the type's size. The packed
  /// argument bytes hold each at the next offset aligned to its size.
  std::vector<uint32_t> argSizes;
  /// CUDA: dynamic shared memory per block; above 48 KiB the kernel is
  /// opted in to more (up to the device's maxSharedMemoryBytes).
  uint32_t dynamicSharedBytes = 0;
  /// CUDA (sm_90 and later, a driver with cuLaunchKernelEx): launches may
  /// start while the previous kernel on the stream still runs, until they
  /// reach griddepcontrol.wait (Triton's launch_pdl). Elsewhere launches
  /// run one after another, as without it.
  bool programmaticDependentLaunch = false;
};

/// A kernel loaded on one device: its compute pipeline, built once.
class KITE_API Kernel {
public:
  Kernel() = default;
  bool valid() const { return impl != nullptr; }
  KernelFormat format() const;
  const std::string &entryPoint() const;
  std::array<uint32_t, 3> localSize() const;
  uint32_t pushConstantBytes() const;
  ArgumentPassing argumentPassing() const;

private:
  friend class Device;
  Kernel(std::shared_ptr<detail::DeviceImpl> device,
         std::shared_ptr<detail::KernelImpl> impl);
  std::shared_ptr<detail::DeviceImpl> device;
  std::shared_ptr<detail::KernelImpl> impl;
};

/// Bytes of the launch header that starts the push-constant block: program
/// id offset of the dispatch (u32[3]) and the whole grid (u32[3]).
inline constexpr uint32_t kLaunchHeaderBytes = 24;

/// How a kernel with `argBytes` of packed arguments receives them on a device
/// allowing `maxPushConstantBytes`; the compiler and launch agree through it.
KITE_API ArgumentPassing chooseArgumentPassing(uint64_t argBytes,
                                               uint32_t maxPushConstantBytes);

class KITE_API Device {
public:
  Device() = default;
  /// Opens "cuda:N" or "vulkan:N"; "cuda" and "vulkan" are the first usable
  /// device of that backend, and "" the first usable one of all (CUDA
  /// first). Opening the same device twice with default options returns the
  /// same device. DeviceOptions apply to Vulkan devices only.
  static Result<Device> open(const std::string &name = "",
                             const DeviceOptions &options = {});

  bool valid() const { return impl != nullptr; }
  /// As listDevices() reports it, with the limits of DeviceOptions applied.
  const DeviceProperties &properties() const;
  /// The most workgroups one dispatch may have (properties().
  /// maxWorkGroupCount); launch() splits larger grids.
  std::array<uint32_t, 3> dispatchLimit() const;

  Result<Buffer> allocate(uint64_t bytes);
  Status upload(const Buffer &buffer, const void *data, uint64_t bytes,
                uint64_t offset = 0);
  Status download(const Buffer &buffer, void *data, uint64_t bytes,
                  uint64_t offset = 0);
  /// Sets `bytes` bytes (all the rest when ~0) from `offset` to a repeated
  /// 32-bit pattern; offset and bytes are multiples of 4.
  Status fill(const Buffer &buffer, uint32_t pattern, uint64_t offset = 0,
              uint64_t bytes = ~uint64_t(0));

  /// Loads a kernel and caches it: the same spec loads the same kernel again
  /// at once. Vulkan validates the SPIR-V and builds its compute pipeline;
  /// CUDA loads the module (the driver compiles PTX; its error log is in the
  /// message when that fails) and raises the kernel's shared-memory limit.
  Result<Kernel> loadKernel(const KernelSpec &spec);
  /// Runs `grid` workgroups (programs). `args` are the packed argument bytes.
  /// Vulkan waits for them; grids beyond dispatchLimit() are split into
  /// several dispatches, each told its program id offset; `stream` must be 0.
  /// CUDA queues them on `stream` (a CUstream; 0 is the legacy default
  /// stream) and returns; a grid beyond dispatchLimit() is an error.
  Status launch(const Kernel &kernel, std::array<uint32_t, 3> grid,
                const void *args, uint64_t argBytes, uint64_t stream = 0);
  /// Waits for every launch on the device (CUDA: on every stream); reports
  /// an asynchronous launch's failure. Vulkan has nothing to wait for.
  Status synchronize();
  /// Number of vkCmdDispatch / cuLaunchKernel calls the last launch made
  /// (for tests).
  uint64_t lastLaunchDispatches() const;
  /// What the last launch executed, by counter name (cuda-sim only: global
  /// and shared bytes, memory instructions by width, barriers, shuffles,
  /// tensor-core instructions, ...; docs/cuda-sim.md); empty elsewhere.
  std::vector<std::pair<std::string, uint64_t>> lastLaunchStatistics() const;

private:
  explicit Device(std::shared_ptr<detail::DeviceImpl> impl);
  std::shared_ptr<detail::DeviceImpl> impl;
};

} // namespace kite

#endif // KITE_DEVICE_H
