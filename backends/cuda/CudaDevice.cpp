//===- CudaDevice.cpp - the primary context, memory, synchronisation ------===//
//
// Launches are asynchronous (CudaLaunch.cpp), on streams Kite does not see,
// so every memory operation first waits for the whole device: an upload must
// not overwrite what a pending kernel reads, and a download must see what it
// wrote. Uploads and fills also wait until they are complete, so that a
// launch on any stream (a non-blocking one included) sees their bytes.
//
//===----------------------------------------------------------------------===//
#include "backends/cuda/CudaDevice.h"
#include "backends/cuda/CudaKernel.h"

#include <algorithm>

using namespace kite;
using namespace kite::cuda;

Result<std::shared_ptr<CudaDevice>> CudaDevice::open(unsigned ordinal) {
  std::string why;
  CudaDriver *driver = CudaDriver::get(&why);
  if (!driver)
    return Status::error("cannot open cuda:" + std::to_string(ordinal) + ": " +
                         why);
  std::vector<DeviceProperties> devices = listCudaDevices();
  if (ordinal >= devices.size())
    return Status::error("no device cuda:" + std::to_string(ordinal) + " (" +
                         std::to_string(devices.size()) +
                         " CUDA devices found)");
  const DeviceProperties &properties = devices[ordinal];
  if (!properties.unsupportedReason.empty())
    return Status::error("cannot use " + properties.name + " (" +
                         properties.deviceName +
                         "): " + properties.unsupportedReason);
  CUdevice handle = 0;
  if (CUresult r = driver->cuDeviceGet(&handle, static_cast<int>(ordinal)))
    return Status::error(driver->callFailed("cuDeviceGet", r));
  std::shared_ptr<CudaDevice> device(
      new CudaDevice(*driver, handle, properties));
  if (CUresult r = driver->cuDevicePrimaryCtxRetain(&device->context, handle))
    return Status::error(driver->callFailed("cuDevicePrimaryCtxRetain", r));
  return device;
}

CudaDevice::~CudaDevice() {
  if (!context)
    return;
  {
    // Unloads the modules, which needs the context.
    std::lock_guard<std::mutex> guard(mutex);
    kernels.clear();
  }
  driver.cuDevicePrimaryCtxRelease(device);
}

Status CudaDevice::check(const char *call, CUresult result) const {
  return result == CUDA_SUCCESS
             ? Status::success()
             : Status::error(driver.callFailed(call, result));
}

CurrentContext::CurrentContext(const CudaDevice &device)
    : driver(device.driver),
      pushed(device.check("cuCtxPushCurrent",
                          device.driver.cuCtxPushCurrent(device.context))) {}

CurrentContext::~CurrentContext() {
  if (pushed) {
    CUcontext popped = nullptr;
    driver.cuCtxPopCurrent(&popped);
  }
}

/// What a kernel's fault, reported at the next wait, means to the user.
static std::string kernelFaultHint(CUresult result) {
  std::string earlier = "launches are asynchronous: this may be the error of "
                        "an earlier launch";
  std::string sticky = "; the process cannot use this GPU any more";
  switch (result) {
  case 710: // CUDA_ERROR_ASSERT
    return " (a kl.device_assert failed: the driver printed its message, "
           "file and line on stderr" + sticky + ")";
  case 700: // CUDA_ERROR_ILLEGAL_ADDRESS
  case 716: // CUDA_ERROR_MISALIGNED_ADDRESS
    return " (a kernel accessed memory outside its tensors, or misaligned: "
           "check the masks of its loads and stores; KITE_INTERPRET=1 checks "
           "every access; " + earlier + sticky + ")";
  default:
    return " (" + earlier + ")";
  }
}

Status CudaDevice::synchronizeFor(const char *why) {
  CUresult r = driver.cuCtxSynchronize();
  if (r == CUDA_SUCCESS)
    return Status::success();
  // Kernel faults surface at the next wait, not at their launch.
  return Status::error(std::string(why) + ": " +
                       driver.callFailed("cuCtxSynchronize", r) +
                       kernelFaultHint(r));
}

Status CudaDevice::synchronize() {
  CurrentContext current(*this);
  if (!current.status())
    return current.status();
  return synchronizeFor("synchronize");
}

Result<std::shared_ptr<detail::BufferImpl>>
CudaDevice::allocate(uint64_t bytes) {
  CurrentContext current(*this);
  if (!current.status())
    return current.status();
  // cuMemAlloc refuses 0 bytes; an empty buffer still gets an address.
  CUdeviceptr pointer = 0;
  if (Status status =
          check("cuMemAlloc",
                driver.cuMemAlloc(&pointer, std::max<uint64_t>(bytes, 1)));
      !status)
    return status;
  return std::shared_ptr<detail::BufferImpl>(
      std::make_shared<CudaBuffer>(*this, pointer, bytes));
}

void CudaBuffer::release() {
  if (!pointer)
    return;
  // Nothing can report a failure here; a lost context frees the memory too.
  CurrentContext current(device);
  if (current.status())
    device.driver.cuMemFree(pointer);
  pointer = 0;
}

Status CudaDevice::upload(detail::BufferImpl &buffer, const void *data,
                          uint64_t bytes, uint64_t offset) {
  CurrentContext current(*this);
  if (!current.status())
    return current.status();
  if (Status status = synchronizeFor("upload"); !status)
    return status;
  if (Status status =
          check("cuMemcpyHtoD",
                driver.cuMemcpyHtoD(buffer.address() + offset, data, bytes));
      !status)
    return status;
  return synchronizeFor("upload");
}

Status CudaDevice::download(detail::BufferImpl &buffer, void *data,
                            uint64_t bytes, uint64_t offset) {
  CurrentContext current(*this);
  if (!current.status())
    return current.status();
  if (Status status = synchronizeFor("download"); !status)
    return status;
  // Synchronous for pageable host memory: complete when it returns.
  return check("cuMemcpyDtoH",
               driver.cuMemcpyDtoH(data, buffer.address() + offset, bytes));
}

Status CudaDevice::fill(detail::BufferImpl &buffer, uint32_t pattern,
                        uint64_t offset, uint64_t bytes) {
  CurrentContext current(*this);
  if (!current.status())
    return current.status();
  if (Status status = synchronizeFor("fill"); !status)
    return status;
  if (Status status =
          check("cuMemsetD32", driver.cuMemsetD32(buffer.address() + offset,
                                                  pattern, bytes / 4));
      !status)
    return status;
  return synchronizeFor("fill");
}
