//===- CudaLoader.h - the CUDA driver, opened at run time -------*- C++ -*-===//
//
// libkite opens libcuda.so.1 with dlopen instead of linking it, so that it
// builds without the CUDA toolkit and loads on machines without an NVIDIA
// driver (there listDevices() simply has no CUDA devices). KITE_LIBCUDA names
// another library to open instead; the tests point it at a fake driver
// (test/unit/fake_cuda) or at the toolkit's stub.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_BACKENDS_CUDA_CUDALOADER_H
#define KITE_BACKENDS_CUDA_CUDALOADER_H

#include "backends/cuda/CudaDriverApi.h"

#include <memory>
#include <string>

namespace kite::cuda {

/// An opened driver library with every entry point Kite calls, initialised
/// with cuInit(0).
class CudaDriver {
public:
  /// Opens the library at `path`, resolves its functions and calls cuInit.
  /// Null on failure, with `error` saying why ("cuInit failed:
  /// CUDA_ERROR_NO_DEVICE", or that the library cannot be opened).
  static std::unique_ptr<CudaDriver> load(const std::string &path,
                                          std::string &error);
  /// The process's driver (KITE_LIBCUDA, else libcuda.so.1), loaded on first
  /// use and kept until the process exits. Null when there is none usable;
  /// then `error` says why.
  static CudaDriver *get(std::string *error = nullptr);
  ~CudaDriver();

  /// The library file as given to dlopen.
  const std::string &path() const { return libraryPath; }

  /// "CUDA_ERROR_OUT_OF_MEMORY": the driver's name for `result`, else Kite's
  /// own (the toolkit's stub names nothing), else "CUresult(N)".
  std::string errorName(CUresult result) const;
  /// "<call> failed: <error name>", the message of every failing driver call;
  /// CUDA_ERROR_STUB_LIBRARY adds what that means.
  std::string callFailed(const char *call, CUresult result) const;

#define KITE_DECLARE_CUDA_FUNCTION(name, symbol, params)                       \
  CUresult(*name) params = nullptr;
  KITE_CUDA_FUNCTIONS(KITE_DECLARE_CUDA_FUNCTION)
#undef KITE_DECLARE_CUDA_FUNCTION
  CuDeviceGetUuidFn cuDeviceGetUuid = nullptr;
  /// Null on drivers older than CUDA 12.0 (then launches ignore
  /// KernelSpec::programmaticDependentLaunch).
  CuLaunchKernelExFn cuLaunchKernelEx = nullptr;

private:
  CudaDriver() = default;
  void *library = nullptr;
  std::string libraryPath;
};

/// Kite's name for a CUresult (from cuda.h), or "" for one it does not know.
const char *knownErrorName(CUresult result);

} // namespace kite::cuda

#endif // KITE_BACKENDS_CUDA_CUDALOADER_H
