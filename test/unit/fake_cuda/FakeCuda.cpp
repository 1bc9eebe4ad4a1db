//===- FakeCuda.cpp - initialisation, devices, contexts, memory, the log --===//
#include "FakeCuda.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <string>

using namespace fake_cuda;

namespace {

struct NamedResult {
  CUresult code;
  const char *name;
};

// What cuGetErrorName answers, and the names KITE_FAKE_CUDA_FAIL accepts.
constexpr NamedResult kNames[] = {
    {0, "CUDA_SUCCESS"},
    {1, "CUDA_ERROR_INVALID_VALUE"},
    {2, "CUDA_ERROR_OUT_OF_MEMORY"},
    {3, "CUDA_ERROR_NOT_INITIALIZED"},
    {4, "CUDA_ERROR_DEINITIALIZED"},
    {100, "CUDA_ERROR_NO_DEVICE"},
    {101, "CUDA_ERROR_INVALID_DEVICE"},
    {200, "CUDA_ERROR_INVALID_IMAGE"},
    {201, "CUDA_ERROR_INVALID_CONTEXT"},
    {209, "CUDA_ERROR_NO_BINARY_FOR_GPU"},
    {218, "CUDA_ERROR_INVALID_PTX"},
    {222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"},
    {400, "CUDA_ERROR_INVALID_HANDLE"},
    {500, "CUDA_ERROR_NOT_FOUND"},
    {700, "CUDA_ERROR_ILLEGAL_ADDRESS"},
    {710, "CUDA_ERROR_ASSERT"},
    {701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"},
    {719, "CUDA_ERROR_LAUNCH_FAILED"},
    {801, "CUDA_ERROR_NOT_SUPPORTED"},
    {999, "CUDA_ERROR_UNKNOWN"},
};

thread_local std::vector<int> contextStack; // Devices of pushed contexts.

/// A context handle is the address of its device's slot in this array.
char contextSlots[8];

int deviceOfContext(void *context) {
  auto *slot = static_cast<char *>(context);
  if (slot < contextSlots || slot >= contextSlots + sizeof(contextSlots))
    return -1;
  return static_cast<int>(slot - contextSlots);
}

} // namespace

State &fake_cuda::state() {
  static State *instance = new State(); // Outlives static destructors.
  return *instance;
}

CUresult fake_cuda::injectedFailure(const char *call) {
  const char *spec = std::getenv("KITE_FAKE_CUDA_FAIL");
  if (!spec)
    return SUCCESS;
  std::string text = spec, wanted = std::string(call) + "=";
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find(',', start);
    std::string entry = text.substr(start, end - start);
    start = end == std::string::npos ? text.size() : end + 1;
    if (entry.compare(0, wanted.size(), wanted) != 0)
      continue;
    std::string error = entry.substr(wanted.size());
    for (const NamedResult &named : kNames)
      if (error == named.name)
        return named.code;
    return std::atoi(error.c_str());
  }
  return SUCCESS;
}

int fake_cuda::deviceCount() {
  const char *count = std::getenv("KITE_FAKE_CUDA_DEVICES");
  int n = count ? std::atoi(count) : 1;
  return n < 0 ? 0 : n > 8 ? 8 : n;
}

int fake_cuda::currentDevice() {
  return contextStack.empty() ? -1 : contextStack.back();
}

void fake_cuda::record(const char *call, const std::string &fields) {
  state().log += "{\"call\": \"" + std::string(call) + "\"" + fields + "}\n";
}

CUresult fake_cuda::done(const char *call, CUresult result,
                         const std::string &fields) {
  record(call, ", \"result\": " + std::to_string(result) + fields);
  return result;
}

std::string fake_cuda::hex(const void *bytes, size_t size) {
  static const char digits[] = "0123456789abcdef";
  std::string text;
  for (size_t i = 0; i < size; ++i) {
    unsigned char b = static_cast<const unsigned char *>(bytes)[i];
    text += digits[b >> 4];
    text += digits[b & 15];
  }
  return text;
}

bool fake_cuda::validRange(uintptr_t address, size_t size) {
  auto &allocations = state().allocations;
  auto it = allocations.upper_bound(address);
  if (it == allocations.begin())
    return false;
  --it;
  return address + size <= it->first + it->second.first;
}

FAKE_CUDA_EXPORT CUresult cuGetErrorName(CUresult error, const char **name) {
  for (const NamedResult &named : kNames)
    if (named.code == error) {
      *name = named.name;
      return SUCCESS;
    }
  *name = nullptr;
  return INVALID_VALUE;
}

FAKE_CUDA_EXPORT CUresult cuInit(unsigned flags) {
  FAKE_ENTER("cuInit");
  if (flags != 0)
    return done("cuInit", INVALID_VALUE);
  if (deviceCount() == 0)
    return done("cuInit", NO_DEVICE);
  state().initialized = true;
  return done("cuInit", SUCCESS);
}

FAKE_CUDA_EXPORT CUresult cuDriverGetVersion(int *version) {
  FAKE_ENTER("cuDriverGetVersion");
  *version = 12040;
  return done("cuDriverGetVersion", SUCCESS);
}

FAKE_CUDA_EXPORT CUresult cuDeviceGetCount(int *count) {
  FAKE_ENTER("cuDeviceGetCount");
  FAKE_NEEDS_INIT("cuDeviceGetCount");
  *count = deviceCount();
  return done("cuDeviceGetCount", SUCCESS);
}

FAKE_CUDA_EXPORT CUresult cuDeviceGet(int *device, int ordinal) {
  FAKE_ENTER("cuDeviceGet");
  FAKE_NEEDS_INIT("cuDeviceGet");
  if (ordinal < 0 || ordinal >= deviceCount())
    return done("cuDeviceGet", INVALID_DEVICE);
  *device = ordinal;
  return done("cuDeviceGet", SUCCESS);
}

FAKE_CUDA_EXPORT CUresult cuDeviceGetName(char *name, int length, int device) {
  FAKE_ENTER("cuDeviceGetName");
  if (device < 0 || device >= deviceCount())
    return done("cuDeviceGetName", INVALID_DEVICE);
  std::snprintf(name, length, "Fake GPU %d", device);
  return done("cuDeviceGetName", SUCCESS);
}

FAKE_CUDA_EXPORT CUresult cuDeviceGetUuid_v2(char *uuid, int device) {
  FAKE_ENTER("cuDeviceGetUuid_v2");
  if (device < 0 || device >= deviceCount())
    return done("cuDeviceGetUuid_v2", INVALID_DEVICE);
  for (int i = 0; i < 16; ++i)
    uuid[i] = static_cast<char>(0xf0 + i);
  uuid[15] = static_cast<char>(device);
  return done("cuDeviceGetUuid_v2", SUCCESS);
}

FAKE_CUDA_EXPORT CUresult cuDeviceTotalMem_v2(size_t *bytes, int device) {
  FAKE_ENTER("cuDeviceTotalMem_v2");
  if (device < 0 || device >= deviceCount())
    return done("cuDeviceTotalMem_v2", INVALID_DEVICE);
  *bytes = size_t(16) << 30;
  return done("cuDeviceTotalMem_v2", SUCCESS);
}

FAKE_CUDA_EXPORT CUresult cuDeviceGetAttribute(int *value, int attribute,
                                               int device) {
  FAKE_ENTER("cuDeviceGetAttribute");
  if (device < 0 || device >= deviceCount())
    return done("cuDeviceGetAttribute", INVALID_DEVICE);
  switch (attribute) {
  case 1: // MAX_THREADS_PER_BLOCK
  case 2: // MAX_BLOCK_DIM_X
  case 3: // MAX_BLOCK_DIM_Y
    *value = kMaxThreadsPerBlock;
    break;
  case 4: // MAX_BLOCK_DIM_Z
    *value = 64;
    break;
  case 5: // MAX_GRID_DIM_X
    *value = 2147483647;
    break;
  case 6: // MAX_GRID_DIM_Y
  case 7: // MAX_GRID_DIM_Z
    *value = 65535;
    break;
  case 10: // WARP_SIZE
    *value = 32;
    break;
  case 16: // MULTIPROCESSOR_COUNT
    *value = 132;
    break;
  case 18: // INTEGRATED
    *value = 0;
    break;
  case 75: // COMPUTE_CAPABILITY_MAJOR
    *value = kComputeCapability / 10;
    break;
  case 76: // COMPUTE_CAPABILITY_MINOR
    *value = kComputeCapability % 10;
    break;
  case 97: // MAX_SHARED_MEMORY_PER_BLOCK_OPTIN
    *value = kMaxSharedOptin;
    break;
  default:
    return done("cuDeviceGetAttribute", INVALID_VALUE);
  }
  return done("cuDeviceGetAttribute", SUCCESS);
}

FAKE_CUDA_EXPORT CUresult cuDevicePrimaryCtxRetain(void **context, int device) {
  FAKE_ENTER("cuDevicePrimaryCtxRetain");
  FAKE_NEEDS_INIT("cuDevicePrimaryCtxRetain");
  if (device < 0 || device >= deviceCount())
    return done("cuDevicePrimaryCtxRetain", INVALID_DEVICE);
  ++state().retained[device];
  *context = &contextSlots[device];
  return done("cuDevicePrimaryCtxRetain", SUCCESS);
}

FAKE_CUDA_EXPORT CUresult cuDevicePrimaryCtxRelease_v2(int device) {
  FAKE_ENTER("cuDevicePrimaryCtxRelease_v2");
  if (device < 0 || device >= deviceCount() || state().retained[device] == 0)
    return done("cuDevicePrimaryCtxRelease_v2", INVALID_CONTEXT);
  --state().retained[device];
  return done("cuDevicePrimaryCtxRelease_v2", SUCCESS);
}

FAKE_CUDA_EXPORT CUresult cuCtxPushCurrent_v2(void *context) {
  FAKE_ENTER("cuCtxPushCurrent_v2");
  int device = deviceOfContext(context);
  if (device < 0 || state().retained[device] == 0)
    return done("cuCtxPushCurrent_v2", INVALID_CONTEXT);
  contextStack.push_back(device);
  return done("cuCtxPushCurrent_v2", SUCCESS);
}

FAKE_CUDA_EXPORT CUresult cuCtxPopCurrent_v2(void **context) {
  FAKE_ENTER("cuCtxPopCurrent_v2");
  if (contextStack.empty())
    return done("cuCtxPopCurrent_v2", INVALID_CONTEXT);
  if (context)
    *context = &contextSlots[contextStack.back()];
  contextStack.pop_back();
  return done("cuCtxPopCurrent_v2", SUCCESS);
}

FAKE_CUDA_EXPORT CUresult cuCtxSynchronize() {
  FAKE_ENTER("cuCtxSynchronize");
  FAKE_NEEDS_CONTEXT("cuCtxSynchronize");
  return done("cuCtxSynchronize", SUCCESS);
}

FAKE_CUDA_EXPORT CUresult cuMemAlloc_v2(unsigned long long *pointer,
                                        size_t bytes) {
  FAKE_ENTER("cuMemAlloc_v2");
  FAKE_NEEDS_CONTEXT("cuMemAlloc_v2");
  if (bytes == 0)
    return done("cuMemAlloc_v2", INVALID_VALUE);
  void *memory = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
  if (!memory)
    return done("cuMemAlloc_v2", OUT_OF_MEMORY);
  *pointer = reinterpret_cast<uintptr_t>(memory);
  state().allocations[*pointer] = {bytes, currentDevice()};
  return done("cuMemAlloc_v2", SUCCESS,
              ", \"bytes\": " + std::to_string(bytes));
}

FAKE_CUDA_EXPORT CUresult cuMemFree_v2(unsigned long long pointer) {
  FAKE_ENTER("cuMemFree_v2");
  FAKE_NEEDS_CONTEXT("cuMemFree_v2");
  auto found = state().allocations.find(pointer);
  if (found == state().allocations.end())
    return done("cuMemFree_v2", INVALID_VALUE);
  std::free(reinterpret_cast<void *>(pointer));
  state().allocations.erase(found);
  return done("cuMemFree_v2", SUCCESS);
}

FAKE_CUDA_EXPORT CUresult cuMemcpyHtoD_v2(unsigned long long target,
                                          const void *source, size_t bytes) {
  FAKE_ENTER("cuMemcpyHtoD_v2");
  FAKE_NEEDS_CONTEXT("cuMemcpyHtoD_v2");
  if (!validRange(target, bytes))
    return done("cuMemcpyHtoD_v2", INVALID_VALUE);
  std::memcpy(reinterpret_cast<void *>(target), source, bytes);
  return done("cuMemcpyHtoD_v2", SUCCESS);
}

FAKE_CUDA_EXPORT CUresult cuMemcpyDtoH_v2(void *target,
                                          unsigned long long source,
                                          size_t bytes) {
  FAKE_ENTER("cuMemcpyDtoH_v2");
  FAKE_NEEDS_CONTEXT("cuMemcpyDtoH_v2");
  if (!validRange(source, bytes))
    return done("cuMemcpyDtoH_v2", INVALID_VALUE);
  std::memcpy(target, reinterpret_cast<void *>(source), bytes);
  return done("cuMemcpyDtoH_v2", SUCCESS);
}

FAKE_CUDA_EXPORT CUresult cuMemsetD32_v2(unsigned long long target,
                                         unsigned value, size_t count) {
  FAKE_ENTER("cuMemsetD32_v2");
  FAKE_NEEDS_CONTEXT("cuMemsetD32_v2");
  if (target % 4 || !validRange(target, count * 4))
    return done("cuMemsetD32_v2", INVALID_VALUE);
  auto *words = reinterpret_cast<uint32_t *>(target);
  for (size_t i = 0; i < count; ++i)
    words[i] = value;
  return done("cuMemsetD32_v2", SUCCESS);
}

/// Checks what cuTensorMapEncodeTiled checks (the address 16-byte aligned,
/// strides multiples of 16 below 2^40, boxes of 1 to 256 with an inner
/// dimension of whole 16 bytes within the swizzle's span), logs the
/// arguments and writes them into the map: the address, then the
/// dimensions, strides and box as 32-bit words.
FAKE_CUDA_EXPORT CUresult cuTensorMapEncodeTiled(
    void *map, int dataType, unsigned rank, void *address,
    const unsigned long long *dims, const unsigned long long *strides,
    const unsigned *box, const unsigned *elementStrides, int interleave,
    int swizzle, int l2Promotion, int oobFill) {
  FAKE_ENTER("cuTensorMapEncodeTiled");
  static const unsigned kBytes[] = {1, 2, 4, 4, 8, 8, 2, 4, 8, 2, 4, 4, 4};
  if (!map || rank < 1 || rank > 5 || dataType < 0 || dataType > 12 ||
      reinterpret_cast<uintptr_t>(address) % 16 || interleave ||
      swizzle < 0 || swizzle > 3)
    return done("cuTensorMapEncodeTiled", INVALID_VALUE);
  unsigned bytes = kBytes[dataType];
  std::string fields = ", \"rank\": " + std::to_string(rank) +
                       ", \"type\": " + std::to_string(dataType) +
                       ", \"swizzle\": " + std::to_string(swizzle) +
                       ", \"oob\": " + std::to_string(oobFill) +
                       ", \"l2\": " + std::to_string(l2Promotion) +
                       ", \"dims\": [";
  for (unsigned i = 0; i < rank; ++i) {
    if (dims[i] == 0 || dims[i] > (1ull << 32) || box[i] == 0 ||
        box[i] > 256 || elementStrides[i] != 1)
      return done("cuTensorMapEncodeTiled", INVALID_VALUE);
    fields += (i ? ", " : "") + std::to_string(dims[i]);
  }
  fields += "], \"strides\": [";
  for (unsigned i = 0; i + 1 < rank; ++i) {
    if (strides[i] % 16 || strides[i] >= (1ull << 40))
      return done("cuTensorMapEncodeTiled", INVALID_VALUE);
    fields += (i ? ", " : "") + std::to_string(strides[i]);
  }
  fields += "], \"box\": [";
  for (unsigned i = 0; i < rank; ++i)
    fields += (i ? ", " : "") + std::to_string(box[i]);
  fields += "]";
  unsigned inner = box[0] * bytes;
  if (inner % 16 || (swizzle && inner > (16u << swizzle)))
    return done("cuTensorMapEncodeTiled", INVALID_VALUE, fields);
  auto *words = static_cast<uint32_t *>(map);
  std::memset(map, 0, 128);
  uint64_t where = reinterpret_cast<uintptr_t>(address);
  std::memcpy(words, &where, 8);
  for (unsigned i = 0; i < rank; ++i) {
    words[2 + i] = uint32_t(dims[i]);
    words[12 + i] = box[i];
    if (i + 1 < rank)
      words[7 + i] = uint32_t(strides[i]);
  }
  return done("cuTensorMapEncodeTiled", SUCCESS, fields);
}

FAKE_CUDA_EXPORT CUresult cuPointerGetAttribute(void *data, int attribute,
                                                unsigned long long pointer) {
  FAKE_ENTER("cuPointerGetAttribute");
  FAKE_NEEDS_INIT("cuPointerGetAttribute");
  if (attribute != 9) // CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL
    return done("cuPointerGetAttribute", INVALID_VALUE);
  auto &allocations = state().allocations;
  auto it = allocations.upper_bound(pointer);
  if (it == allocations.begin() ||
      pointer >= std::prev(it)->first + std::prev(it)->second.first)
    return done("cuPointerGetAttribute", INVALID_VALUE);
  *static_cast<int *>(data) = std::prev(it)->second.second;
  return done("cuPointerGetAttribute", SUCCESS);
}

/// The log so far: one JSON object per line, for the tests.
FAKE_CUDA_EXPORT const char *kiteFakeCudaLog() {
  std::lock_guard<std::mutex> lock(state().mutex);
  static std::string copy;
  copy = state().log;
  return copy.c_str();
}

FAKE_CUDA_EXPORT void kiteFakeCudaClearLog() {
  std::lock_guard<std::mutex> lock(state().mutex);
  state().log.clear();
}

/// What is live now, as JSON: allocations, modules, retained contexts per
/// device, and the depth of this thread's context stack.
FAKE_CUDA_EXPORT const char *kiteFakeCudaLive() {
  std::lock_guard<std::mutex> lock(state().mutex);
  static std::string copy;
  copy = "{\"allocations\": " + std::to_string(state().allocations.size()) +
         ", \"modules\": " + std::to_string(state().modules.size()) +
         ", \"retained\": [";
  for (int i = 0; i < deviceCount(); ++i)
    copy += (i ? ", " : "") + std::to_string(state().retained[i]);
  copy += "], \"context_depth\": " + std::to_string(contextStack.size()) + "}";
  return copy.c_str();
}
