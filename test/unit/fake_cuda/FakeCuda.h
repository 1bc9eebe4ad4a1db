//===- FakeCuda.h - state of the fake CUDA driver ---------------*- C++ -*-===//
//
// libkite_fake_cuda.so exports the CUDA driver entry points Kite resolves
// (backends/cuda/CudaDriverApi.h) and stands for one or more GPUs made of
// host memory, so that the CUDA runtime is tested on machines without one.
// It runs no kernels: it records what it is asked to do (module images,
// launches with their parameters' bytes) in a log the tests read, checks
// what a real driver checks (a current context, valid pointers and limits),
// reads PTX and cubins far enough for that (FakeModules.cpp, FakeCubin.cpp),
// and fails any call on demand:
//
//   KITE_FAKE_CUDA_FAIL="cuMemAlloc_v2=CUDA_ERROR_OUT_OF_MEMORY,cuInit=100"
//   KITE_FAKE_CUDA_DEVICES=2        (default 1)
//
// Both are read at every call, so a test may change them as it goes.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_TEST_UNIT_FAKE_CUDA_FAKECUDA_H
#define KITE_TEST_UNIT_FAKE_CUDA_FAKECUDA_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#define FAKE_CUDA_EXPORT extern "C" __attribute__((visibility("default")))

namespace fake_cuda {

using CUresult = int;

// The CUresult values the fake returns (cuda.h's values).
enum : CUresult {
  SUCCESS = 0,
  INVALID_VALUE = 1,
  OUT_OF_MEMORY = 2,
  NOT_INITIALIZED = 3,
  NO_DEVICE = 100,
  INVALID_DEVICE = 101,
  INVALID_IMAGE = 200,
  INVALID_CONTEXT = 201,
  INVALID_PTX = 218,
  INVALID_HANDLE = 400,
  NOT_FOUND = 500,
};

/// The fake GPU's limits, as cuDeviceGetAttribute reports them.
constexpr int kComputeCapability = 90;
constexpr int kMaxSharedOptin = 232448;
constexpr int kDefaultDynamicShared = 48 * 1024;
constexpr int kMaxThreadsPerBlock = 1024;

/// A kernel of a loaded module: what its PTX declares.
struct Function {
  std::string name;
  std::vector<size_t> paramSizes;
  int maxThreads = kMaxThreadsPerBlock;  ///< Less under .maxntid/.reqntid.
  uint32_t requiredBlock[3] = {0, 0, 0}; ///< .reqntid: launches use exactly it.
  int staticShared = 0;
  int maxDynamicShared = kDefaultDynamicShared;
};

struct Module {
  std::map<std::string, Function> functions;
};

/// Everything the fake driver holds, behind one mutex.
struct State {
  std::mutex mutex;
  bool initialized = false;
  std::vector<int> retained = std::vector<int>(8, 0); ///< Per device.
  /// Live allocations: address -> (bytes, device).
  std::map<uintptr_t, std::pair<size_t, int>> allocations;
  std::map<Module *, bool> modules;
  std::string log; ///< One JSON object per line.
};
State &state();

/// The error KITE_FAKE_CUDA_FAIL asks `call` to return, else SUCCESS.
CUresult injectedFailure(const char *call);
/// The number of fake devices (KITE_FAKE_CUDA_DEVICES).
int deviceCount();
/// The device of the calling thread's current context, or -1.
int currentDevice();
/// Appends `{"call": "<call>"<fields>}` to the log; caller holds the mutex.
void record(const char *call, const std::string &fields = "");
/// Records the call with its result (and `fields`) and returns the result;
/// caller holds the mutex.
CUresult done(const char *call, CUresult result,
              const std::string &fields = "");
/// `bytes` as lowercase hex digits.
std::string hex(const void *bytes, size_t size);
/// Whether [address, address + size) lies in one live allocation; caller
/// holds the mutex.
bool validRange(uintptr_t address, size_t size);

/// Parses PTX text into `module`; on failure returns why, as ptxas would.
std::string parsePtx(const std::string &ptx, Module &module);
/// Reads a cubin's kernels into `module` (FakeCubin.cpp); returns why not.
std::string parseCubin(const unsigned char *image, size_t size, Module &module);
/// The size of an ELF64 image, from its headers.
size_t elfBytes(const unsigned char *image);

} // namespace fake_cuda

// Every entry point: take the lock, fail if asked to, else do the work.
#define FAKE_ENTER(call)                                                       \
  std::lock_guard<std::mutex> lock(fake_cuda::state().mutex);                  \
  if (CUresult injected = fake_cuda::injectedFailure(call))                    \
    return fake_cuda::done(call, injected);
#define FAKE_NEEDS_INIT(call)                                                  \
  if (!fake_cuda::state().initialized)                                         \
    return fake_cuda::done(call, fake_cuda::NOT_INITIALIZED);
#define FAKE_NEEDS_CONTEXT(call)                                               \
  if (fake_cuda::currentDevice() < 0)                                          \
    return fake_cuda::done(call, fake_cuda::INVALID_CONTEXT);

#endif // KITE_TEST_UNIT_FAKE_CUDA_FAKECUDA_H
