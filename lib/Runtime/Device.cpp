//===- Device.cpp - kite::Device over the backends ------------------------===//
//
// Picks the backend from the device name and checks every argument before a
// backend sees it, so that misuse comes back as a message, never a crash.
//
//===----------------------------------------------------------------------===//
#include "kite/Device.h"
#include "backends/cuda/CudaDevice.h"
#include "backends/nvptx/sim/SimDevice.h"
#include "lib/Runtime/DeviceImpl.h"

#ifdef KITE_HAVE_VULKAN
#include "backends/spirv/VulkanDevice.h"
#endif

#include <cstdlib>
#include <map>
#include <mutex>

using namespace kite;

std::vector<DeviceProperties> kite::listDevices() {
  // CUDA first: the order of preference of docs/runtime.md.
  std::vector<DeviceProperties> devices = cuda::listCudaDevices();
#ifdef KITE_HAVE_VULKAN
  if (vulkan::VulkanInstance *instance = vulkan::VulkanInstance::get())
    for (const vulkan::PhysicalDevice &device : instance->devices())
      devices.push_back(device.properties);
#endif
  // cuda-sim last: it is never the device a plain open("") picks.
  for (const std::string &arch : sim::simulatedArchitectures())
    devices.push_back(sim::simDeviceProperties(arch));
  return devices;
}

std::string kite::deviceOfAddress(uint64_t address) {
  return cuda::cudaDeviceOfAddress(address);
}

ArgumentPassing kite::chooseArgumentPassing(uint64_t argBytes,
                                            uint32_t maxPushConstantBytes) {
  return kLaunchHeaderBytes + argBytes <= maxPushConstantBytes
             ? ArgumentPassing::PushConstants
             : ArgumentPassing::Buffer;
}

namespace {

/// "cuda:3" -> {"cuda", 3}; "cuda", "vulkan" -> index -1 (the first usable
/// one); "" -> {"", -1}; false if malformed.
bool parseDeviceName(const std::string &name, std::string &backend,
                     long &index) {
  index = -1;
  size_t colon = name.find(':');
  backend = name.substr(0, colon);
  if (backend != "cuda" && backend != "vulkan" && !name.empty())
    return false;
  if (colon == std::string::npos)
    return true;
  std::string digits = name.substr(colon + 1);
  if (digits.empty() || digits.size() > 6 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return false;
  index = std::strtol(digits.c_str(), nullptr, 10);
  return true;
}

/// Why `backend` ("cuda" or "vulkan") has no usable device here.
std::string whyNoUsableDevice(const std::string &backend,
                              const std::vector<DeviceProperties> &devices) {
  std::string why;
  if (backend == "cuda")
    cuda::CudaDriver::get(&why);
#ifdef KITE_HAVE_VULKAN
  else
    vulkan::VulkanInstance::get(&why);
#else
  else
    why = "this Kite was built without Vulkan";
#endif
  if (!why.empty())
    return why;
  std::string unusable;
  for (const DeviceProperties &p : devices)
    if (p.backend == backend)
      unusable += (unusable.empty() ? "" : "; ") + p.name + " (" +
                  p.deviceName + "): " + p.unsupportedReason;
  if (!unusable.empty())
    return unusable;
  return backend == "cuda" ? "the CUDA driver reports no devices"
                           : "the Vulkan loader reports no devices";
}

Result<std::shared_ptr<detail::DeviceImpl>>
openBackend(const std::string &backend, long index,
            const DeviceOptions &options) {
  if (backend == "cuda") {
    auto device = cuda::CudaDevice::open(static_cast<unsigned>(index));
    if (!device)
      return device.status();
    return std::shared_ptr<detail::DeviceImpl>(std::move(*device));
  }
#ifdef KITE_HAVE_VULKAN
  auto device =
      vulkan::VulkanDevice::open(static_cast<unsigned>(index), options);
  if (!device)
    return device.status();
  return std::shared_ptr<detail::DeviceImpl>(std::move(*device));
#else
  return Status::error("cannot open 'vulkan:" + std::to_string(index) +
                       "': this Kite was built without Vulkan");
#endif
}

} // namespace

Result<Device> Device::open(const std::string &name,
                            const DeviceOptions &options) {
  if (name == "cuda-sim" || name.rfind("cuda-sim:", 0) == 0) {
    std::string arch = name == "cuda-sim" ? sim::simulatedArchitectures()[0]
                                          : name.substr(9);
    static std::mutex mutex;
    static std::map<std::string, std::weak_ptr<detail::DeviceImpl>> opened;
    std::lock_guard<std::mutex> guard(mutex);
    if (std::shared_ptr<detail::DeviceImpl> device = opened[arch].lock())
      return Device(device);
    auto device = sim::openSimDevice(arch);
    if (!device)
      return device.status();
    opened[arch] = *device;
    return Device(*device);
  }
  std::string backend;
  long index;
  if (!parseDeviceName(name, backend, index))
    return Status::error("unknown device '" + name +
                         "': expected 'cuda', 'cuda:N', 'vulkan' or "
                         "'vulkan:N'");
  bool defaults = options.maxWorkGroupCount == std::array<uint32_t, 3>{} &&
                  !options.stagingCopies && options.maxPushConstantBytes == 0;
  if (index < 0) {
    std::vector<DeviceProperties> devices = listDevices();
    for (const DeviceProperties &p : devices)
      if (p.unsupportedReason.empty() && p.backend != "cuda-sim" &&
          (backend.empty() || p.backend == backend) &&
          (defaults || p.backend == "vulkan"))
        return open(p.name, options);
    if (!backend.empty())
      return Status::error("no usable " +
                           std::string(backend == "cuda" ? "CUDA" : "Vulkan") +
                           " device: " + whyNoUsableDevice(backend, devices));
    return Status::error(
        "no usable device: CUDA: " + whyNoUsableDevice("cuda", devices) +
        "; Vulkan: " + whyNoUsableDevice("vulkan", devices));
  }
  if (backend == "cuda" && !defaults)
    return Status::error("cannot open '" + name +
                         "' with DeviceOptions: they apply to Vulkan devices");
  // Users open "vulkan:0" in many places; they all get one device, so that
  // buffers and kernels from one work with the others.
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<detail::DeviceImpl>> opened;
  std::lock_guard<std::mutex> guard(mutex);
  if (defaults)
    if (std::shared_ptr<detail::DeviceImpl> device = opened[name].lock())
      return Device(device);
  auto device = openBackend(backend, index, options);
  if (!device)
    return device.status();
  if (defaults)
    opened[name] = *device;
  return Device(*device);
}

Device::Device(std::shared_ptr<detail::DeviceImpl> impl)
    : impl(std::move(impl)) {}

const DeviceProperties &Device::properties() const {
  static const DeviceProperties none;
  return impl ? impl->properties() : none;
}

std::array<uint32_t, 3> Device::dispatchLimit() const {
  return impl ? impl->dispatchLimit() : std::array<uint32_t, 3>{};
}

uint64_t Device::lastLaunchDispatches() const {
  return impl ? impl->lastLaunchDispatches() : 0;
}

std::vector<std::pair<std::string, uint64_t>>
Device::lastLaunchStatistics() const {
  return impl ? impl->lastLaunchStatistics()
              : std::vector<std::pair<std::string, uint64_t>>{};
}

Result<Buffer> Device::allocate(uint64_t bytes) {
  if (!impl)
    return Status::error("allocate: the device is not open");
  uint64_t most = impl->properties().maxAllocationBytes;
  if (most && bytes > most)
    return Status::error("allocate: " + std::to_string(bytes) +
                         " bytes exceed the device's largest allocation (" +
                         std::to_string(most) + " bytes)");
  Result<std::shared_ptr<detail::BufferImpl>> buffer = impl->allocate(bytes);
  if (!buffer)
    return buffer.status();
  return Buffer(impl, std::move(*buffer));
}

/// Checks that [offset, offset + bytes) lies in a live buffer of this device.
static Status checkRange(const char *call, const detail::DeviceImpl *device,
                         const detail::DeviceImpl *owner,
                         const detail::BufferImpl *buffer, uint64_t offset,
                         uint64_t bytes) {
  std::string name(call);
  if (!device)
    return Status::error(name + ": the device is not open");
  if (!buffer)
    return Status::error(name + ": the buffer is empty");
  if (owner != device)
    return Status::error(name + ": the buffer belongs to another device");
  if (buffer->released())
    return Status::error(name + ": the buffer was released");
  if (offset > buffer->size() || bytes > buffer->size() - offset)
    return Status::error(name + ": bytes [" + std::to_string(offset) + ", " +
                         std::to_string(offset) + " + " +
                         std::to_string(bytes) +
                         ") are outside the buffer of " +
                         std::to_string(buffer->size()) + " bytes");
  return Status::success();
}

Status Device::upload(const Buffer &buffer, const void *data, uint64_t bytes,
                      uint64_t offset) {
  if (Status status = checkRange("upload", impl.get(), buffer.device.get(),
                                 buffer.impl.get(), offset, bytes);
      !status)
    return status;
  if (bytes == 0)
    return Status::success();
  if (!data)
    return Status::error("upload: no data");
  return impl->upload(*buffer.impl, data, bytes, offset);
}

Status Device::download(const Buffer &buffer, void *data, uint64_t bytes,
                        uint64_t offset) {
  if (Status status = checkRange("download", impl.get(), buffer.device.get(),
                                 buffer.impl.get(), offset, bytes);
      !status)
    return status;
  if (bytes == 0)
    return Status::success();
  if (!data)
    return Status::error("download: no destination");
  return impl->download(*buffer.impl, data, bytes, offset);
}

Status Device::fill(const Buffer &buffer, uint32_t pattern, uint64_t offset,
                    uint64_t bytes) {
  if (buffer.impl && bytes == ~uint64_t(0))
    bytes = buffer.impl->size() >= offset ? buffer.impl->size() - offset : 0;
  if (Status status = checkRange("fill", impl.get(), buffer.device.get(),
                                 buffer.impl.get(), offset, bytes);
      !status)
    return status;
  if (offset % 4 || bytes % 4)
    return Status::error("fill: offset and size must be multiples of 4");
  if (bytes == 0)
    return Status::success();
  return impl->fill(*buffer.impl, pattern, offset, bytes);
}

static const char *formatName(KernelFormat format) {
  switch (format) {
  case KernelFormat::Spirv:
    return "SPIR-V";
  case KernelFormat::Ptx:
    return "PTX";
  case KernelFormat::Cubin:
    return "a cubin";
  case KernelFormat::LlvmIr:
    return "LLVM IR";
  }
  return "an unknown format";
}

Result<Kernel> Device::loadKernel(const KernelSpec &spec) {
  if (!impl)
    return Status::error("loadKernel: the device is not open");
  const DeviceProperties &p = impl->properties();
  bool spirv = spec.format == KernelFormat::Spirv;
  const char *runs = p.backend == "vulkan"     ? "SPIR-V"
                     : p.backend == "cuda-sim" ? "LLVM IR for NVPTX"
                                               : "PTX or cubins";
  bool accepted = p.backend == "vulkan"     ? spirv
                  : p.backend == "cuda-sim" ? spec.format == KernelFormat::LlvmIr
                                            : (spec.format == KernelFormat::Ptx ||
                                               spec.format == KernelFormat::Cubin);
  if (!accepted)
    return Status::error(std::string("loadKernel: ") + p.name + " runs " +
                         runs + ", not " + formatName(spec.format));
  if (!spirv && spec.image.empty())
    return Status::error(std::string("loadKernel: KernelSpec::image is "
                                     "empty; it should hold ") +
                         formatName(spec.format));
  uint32_t invocations = 1;
  for (int i = 0; i < 3; ++i) {
    if (spec.localSize[i] == 0 || spec.localSize[i] > p.maxWorkGroupSize[i])
      return Status::error(
          "loadKernel: local size " + std::to_string(spec.localSize[i]) +
          " in dimension " + std::to_string(i) + " is outside [1, " +
          std::to_string(p.maxWorkGroupSize[i]) + "]");
    invocations *= spec.localSize[i];
  }
  if (invocations > p.maxWorkGroupInvocations)
    return Status::error("loadKernel: a workgroup of " +
                         std::to_string(invocations) +
                         " invocations exceeds the device's " +
                         std::to_string(p.maxWorkGroupInvocations));
  uint32_t least = kLaunchHeaderBytes +
                   (spec.argumentPassing == ArgumentPassing::Buffer ? 8 : 0);
  if (spirv && (spec.pushConstantBytes < least || spec.pushConstantBytes % 4))
    return Status::error(
        "loadKernel: pushConstantBytes must be a multiple of 4 and at least " +
        std::to_string(least) + " (the launch header" +
        (spec.argumentPassing == ArgumentPassing::Buffer
             ? " and the argument buffer's address)"
             : ")"));
  Result<std::shared_ptr<detail::KernelImpl>> kernel = impl->loadKernel(spec);
  if (!kernel)
    return kernel.status();
  return Kernel(impl, std::move(*kernel));
}

Status Device::launch(const Kernel &kernel, std::array<uint32_t, 3> grid,
                      const void *args, uint64_t argBytes, uint64_t stream) {
  if (!impl)
    return Status::error("launch: the device is not open");
  if (!kernel.impl)
    return Status::error("launch: the kernel is empty");
  if (kernel.device != impl)
    return Status::error("launch: the kernel was loaded on another device");
  if (argBytes && !args)
    return Status::error("launch: no argument bytes");
  const KernelSpec &spec = kernel.impl->spec;
  if (stream && spec.format == KernelFormat::Spirv)
    return Status::error("launch: " + impl->properties().name +
                         " has no streams: pass stream 0");
  if (spec.format == KernelFormat::Spirv &&
      spec.argumentPassing == ArgumentPassing::PushConstants &&
      kLaunchHeaderBytes + argBytes > spec.pushConstantBytes)
    return Status::error(
        "launch: " + std::to_string(argBytes) +
        " argument bytes do not fit the kernel's push constants (" +
        std::to_string(spec.pushConstantBytes - kLaunchHeaderBytes) +
        " bytes after the launch header); compile it with arguments in a "
        "buffer");
  return impl->launch(*kernel.impl, grid, args, argBytes, stream);
}

Status Device::synchronize() {
  if (!impl)
    return Status::error("synchronize: the device is not open");
  return impl->synchronize();
}

Buffer::Buffer(std::shared_ptr<detail::DeviceImpl> device,
               std::shared_ptr<detail::BufferImpl> impl)
    : device(std::move(device)), impl(std::move(impl)) {}

bool Buffer::valid() const { return impl && !impl->released(); }
uint64_t Buffer::address() const {
  return impl && !impl->released() ? impl->address() : 0;
}
uint64_t Buffer::size() const { return impl ? impl->size() : 0; }
void Buffer::release() {
  if (impl)
    impl->release();
}

Kernel::Kernel(std::shared_ptr<detail::DeviceImpl> device,
               std::shared_ptr<detail::KernelImpl> impl)
    : device(std::move(device)), impl(std::move(impl)) {}

KernelFormat Kernel::format() const {
  return impl ? impl->spec.format : KernelFormat::Spirv;
}
const std::string &Kernel::entryPoint() const {
  static const std::string none;
  return impl ? impl->spec.entryPoint : none;
}
std::array<uint32_t, 3> Kernel::localSize() const {
  return impl ? impl->spec.localSize : std::array<uint32_t, 3>{};
}
uint32_t Kernel::pushConstantBytes() const {
  return impl ? impl->spec.pushConstantBytes : 0;
}
ArgumentPassing Kernel::argumentPassing() const {
  return impl ? impl->spec.argumentPassing : ArgumentPassing::PushConstants;
}
