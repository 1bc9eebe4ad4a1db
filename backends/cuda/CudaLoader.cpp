//===- CudaLoader.cpp - dlopen libcuda, resolve its functions, cuInit -----===//
#include "backends/cuda/CudaLoader.h"

#include <cstdlib>
#include <dlfcn.h>
#include <mutex>

using namespace kite::cuda;

std::unique_ptr<CudaDriver> CudaDriver::load(const std::string &path,
                                             std::string &error) {
  // RTLD_LOCAL: the driver's symbols must not satisfy anyone else's lookups
  // (a fake driver exports the same names as the real one).
  void *library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char *why = dlerror();
    error = "cannot open the CUDA driver " + path + ": " +
            (why ? why : "unknown error");
    return nullptr;
  }
  std::unique_ptr<CudaDriver> driver(new CudaDriver());
  driver->library = library;
  driver->libraryPath = path;
#define KITE_RESOLVE_CUDA_FUNCTION(name, symbol, params)                       \
  driver->name =                                                               \
      reinterpret_cast<decltype(driver->name)>(dlsym(library, symbol));        \
  if (!driver->name) {                                                         \
    error = "the CUDA driver " + path +                                        \
            " has no " symbol " (Kite needs a driver for CUDA 11.8 or newer)"; \
    return nullptr;                                                            \
  }
  KITE_CUDA_FUNCTIONS(KITE_RESOLVE_CUDA_FUNCTION)
#undef KITE_RESOLVE_CUDA_FUNCTION
  driver->cuDeviceGetUuid =
      reinterpret_cast<CuDeviceGetUuidFn>(dlsym(library, "cuDeviceGetUuid_v2"));
  if (!driver->cuDeviceGetUuid)
    driver->cuDeviceGetUuid =
        reinterpret_cast<CuDeviceGetUuidFn>(dlsym(library, "cuDeviceGetUuid"));
  if (!driver->cuDeviceGetUuid) {
    error = "the CUDA driver " + path + " has no cuDeviceGetUuid";
    return nullptr;
  }
  driver->cuLaunchKernelEx =
      reinterpret_cast<CuLaunchKernelExFn>(dlsym(library, "cuLaunchKernelEx"));
  if (CUresult r = driver->cuInit(0); r != CUDA_SUCCESS) {
    error = driver->callFailed("cuInit", r);
    return nullptr;
  }
  return driver;
}

CudaDriver::~CudaDriver() {
  if (library)
    dlclose(library);
}

CudaDriver *CudaDriver::get(std::string *error) {
  // Loaded once; the process's driver is never closed, since device memory
  // and modules may be freed as late as static destructors.
  static std::once_flag once;
  static CudaDriver *driver = nullptr;
  static std::string why;
  std::call_once(once, [] {
    const char *override = std::getenv("KITE_LIBCUDA");
    std::string path =
        override && *override ? std::string(override) : "libcuda.so.1";
    driver = load(path, why).release();
  });
  if (!driver && error)
    *error = why;
  return driver;
}

std::string CudaDriver::errorName(CUresult result) const {
  const char *name = nullptr;
  if (cuGetErrorName && cuGetErrorName(result, &name) == CUDA_SUCCESS && name)
    return name;
  if (const char *known = knownErrorName(result); *known)
    return known;
  return "CUresult(" + std::to_string(result) + ")";
}

std::string CudaDriver::callFailed(const char *call, CUresult result) const {
  std::string message = std::string(call) + " failed: " + errorName(result);
  if (result == CUDA_ERROR_STUB_LIBRARY)
    message += " (" + libraryPath +
               " is the CUDA toolkit's stub library, which only satisfies "
               "the linker: install the NVIDIA driver, or point KITE_LIBCUDA "
               "at its libcuda.so.1)";
  return message;
}
