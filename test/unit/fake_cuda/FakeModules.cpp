//===- FakeModules.cpp - PTX modules, kernel attributes, launches ---------===//
//
// Of PTX the fake reads each .entry, the sizes of its .param declarations,
// its .maxntid or .reqntid and the module's .shared arrays, which is what a
// launch's checks and parameter copies need; of a cubin the same facts
// (FakeCubin.cpp). It does not compile or run anything.
//
//===----------------------------------------------------------------------===//
#include "FakeCuda.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>
#include <sstream>

using namespace fake_cuda;

namespace {

size_t typeBytes(const std::string &type) {
  static const char *const sizes[][2] = {
      {".b8", "1"},  {".u8", "1"},  {".s8", "1"},  {".b16", "2"},
      {".u16", "2"}, {".s16", "2"}, {".f16", "2"}, {".bf16", "2"},
      {".b32", "4"}, {".u32", "4"}, {".s32", "4"}, {".f32", "4"},
      {".b64", "8"}, {".u64", "8"}, {".s64", "8"}, {".f64", "8"}};
  for (const auto &entry : sizes)
    if (type == entry[0])
      return static_cast<size_t>(entry[1][0] - '0');
  return 0;
}

std::vector<std::string> tokens(const std::string &text) {
  std::vector<std::string> out;
  std::istringstream stream(text);
  for (std::string token; stream >> token;)
    out.push_back(token);
  return out;
}

/// Bytes of one declaration's tokens (".param .align 2 .b8 x[2]"); 0 when
/// it has no known type.
size_t declarationBytes(const std::vector<std::string> &words) {
  size_t element = 0, count = 1;
  for (const std::string &word : words)
    if (size_t bytes = typeBytes(word))
      element = bytes;
  const std::string &name = words.back();
  if (size_t open = name.find('['); open != std::string::npos)
    count = std::strtoull(name.c_str() + open + 1, nullptr, 10);
  return element * count;
}

std::string withoutComments(const std::string &text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "//") == 0) {
      i = text.find('\n', i);
      if (i == std::string::npos)
        break;
    } else if (text.compare(i, 2, "/*") == 0) {
      size_t end = text.find("*/", i + 2);
      // Keep the newlines so that line numbers stay right.
      for (size_t j = i; j < std::min(end, text.size()); ++j)
        if (text[j] == '\n')
          out += '\n';
      i = end == std::string::npos ? text.size() : end + 1;
      continue;
    }
    out += text[i];
  }
  return out;
}

std::string ptxError(const std::string &text, size_t at,
                     const std::string &what) {
  size_t line = 1 + std::count(text.begin(), text.begin() + at, '\n');
  return "ptxas application ptx input, line " + std::to_string(line) +
         "; error   : " + what;
}

bool isDirective(const std::string &text, size_t at, const char *name) {
  size_t n = std::strlen(name);
  return text.compare(at, n, name) == 0 &&
         (at + n == text.size() ||
          !std::isalnum(static_cast<unsigned char>(text[at + n])));
}

} // namespace

std::string fake_cuda::parsePtx(const std::string &source, Module &module) {
  std::string text = withoutComments(source);
  size_t version = text.find(".version");
  if (version == std::string::npos)
    return "ptxas fatal   : the PTX has no .version directive";
  size_t target = text.find(".target");
  if (target == std::string::npos)
    return ptxError(text, version, "the PTX has no .target directive");
  std::vector<std::string> targetWords =
      tokens(text.substr(target + 7, text.find('\n', target) - target - 7));
  int sm = targetWords.empty() || targetWords[0].compare(0, 3, "sm_") != 0
               ? -1
               : std::atoi(targetWords[0].c_str() + 3);
  if (sm < 0)
    return ptxError(text, target, "unknown .target");
  if (sm > kComputeCapability)
    return ptxError(text, target,
                    "the .target " + targetWords[0] +
                        " is newer than the device (sm_" +
                        std::to_string(kComputeCapability) + ")");

  int staticShared = 0;
  for (size_t at = text.find(".shared"); at != std::string::npos;
       at = text.find(".shared", at + 1)) {
    size_t end = text.find(';', at);
    std::vector<std::string> words = tokens(text.substr(at, end - at));
    if (words.size() >= 3) // ".shared .align 16 .b8 name[1024]" declares.
      staticShared += static_cast<int>(declarationBytes(words));
  }

  for (size_t at = text.find(".entry"); at != std::string::npos;
       at = text.find(".entry", at + 1)) {
    if (!isDirective(text, at, ".entry"))
      continue;
    size_t nameStart = text.find_first_not_of(" \t\n", at + 6);
    size_t nameEnd = text.find_first_of(" \t\n(", nameStart);
    Function function;
    function.name = text.substr(nameStart, nameEnd - nameStart);
    function.staticShared = staticShared;
    size_t body = text.find('{', nameEnd);
    if (body == std::string::npos)
      return ptxError(text, at, "'" + function.name + "' has no body");
    size_t open = text.find('(', nameEnd);
    if (open != std::string::npos && open < body) {
      size_t close = text.find(')', open);
      std::string params = text.substr(open + 1, close - open - 1);
      std::istringstream list(params);
      for (std::string one; std::getline(list, one, ',');) {
        std::vector<std::string> words = tokens(one);
        if (words.empty())
          continue;
        size_t bytes = words[0] == ".param" ? declarationBytes(words) : 0;
        if (bytes == 0)
          return ptxError(text, open,
                          "cannot read the parameter '" + one + "' of '" +
                              function.name + "'");
        function.paramSizes.push_back(bytes);
      }
      nameEnd = close;
    }
    for (const char *directive : {".maxntid", ".reqntid"}) {
      size_t at = text.find(directive, nameEnd);
      if (at == std::string::npos || at > body)
        continue;
      std::string dims = text.substr(at + 8, text.find('\n', at) - at - 8);
      std::istringstream list(dims);
      function.maxThreads = 1;
      int i = 0;
      for (std::string one; std::getline(list, one, ',') && i < 3; ++i) {
        uint32_t n = std::max(1, std::atoi(one.c_str()));
        function.maxThreads *= static_cast<int>(n);
        if (directive[1] == 'r')
          function.requiredBlock[i] = n;
      }
      for (; directive[1] == 'r' && i < 3; ++i)
        function.requiredBlock[i] = 1;
    }
    module.functions[function.name] = function;
  }
  return "";
}

namespace {

/// The function `handle` points at, if it belongs to a live module.
Function *liveFunction(void *handle) {
  for (auto &entry : state().modules)
    for (auto &named : entry.first->functions)
      if (&named.second == handle)
        return &named.second;
  return nullptr;
}

} // namespace

FAKE_CUDA_EXPORT CUresult cuModuleLoadDataEx(void **handle, const void *image,
                                             unsigned count, int *options,
                                             void **values) {
  FAKE_ENTER("cuModuleLoadDataEx");
  FAKE_NEEDS_CONTEXT("cuModuleLoadDataEx");
  const auto *bytes = static_cast<const unsigned char *>(image);
  bool elf = bytes[0] == 0x7f && std::memcmp(bytes,
                                             "\x7f"
                                             "ELF",
                                             4) == 0;
  size_t size =
      elf ? elfBytes(bytes) : std::strlen(static_cast<const char *>(image));
  std::string fields =
      ", \"image\": \"" + hex(image, size) + "\", \"options\": [";
  char *errorLog = nullptr;
  size_t errorLogBytes = 0;
  for (unsigned i = 0; i < count; ++i) {
    fields += (i ? ", " : "") + std::to_string(options[i]);
    if (options[i] == 5) // CU_JIT_ERROR_LOG_BUFFER
      errorLog = static_cast<char *>(values[i]);
    if (options[i] == 6) // CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES
      errorLogBytes = reinterpret_cast<uintptr_t>(values[i]);
  }
  fields += "]";
  auto module = std::make_unique<Module>();
  std::string error =
      elf ? parseCubin(bytes, size, *module)
          : parsePtx(std::string(static_cast<const char *>(image), size),
                     *module);
  if (!error.empty()) {
    if (errorLog && errorLogBytes) {
      std::strncpy(errorLog, error.c_str(), errorLogBytes - 1);
      errorLog[errorLogBytes - 1] = '\0';
    }
    return done("cuModuleLoadDataEx", elf ? INVALID_IMAGE : INVALID_PTX,
                fields);
  }
  *handle = module.get();
  state().modules[module.release()] = true;
  return done("cuModuleLoadDataEx", SUCCESS, fields);
}

FAKE_CUDA_EXPORT CUresult cuModuleUnload(void *handle) {
  FAKE_ENTER("cuModuleUnload");
  FAKE_NEEDS_CONTEXT("cuModuleUnload");
  auto found = state().modules.find(static_cast<Module *>(handle));
  if (found == state().modules.end())
    return done("cuModuleUnload", INVALID_HANDLE);
  delete found->first;
  state().modules.erase(found);
  return done("cuModuleUnload", SUCCESS);
}

FAKE_CUDA_EXPORT CUresult cuModuleGetFunction(void **function, void *handle,
                                              const char *name) {
  FAKE_ENTER("cuModuleGetFunction");
  auto found = state().modules.find(static_cast<Module *>(handle));
  if (found == state().modules.end())
    return done("cuModuleGetFunction", INVALID_HANDLE);
  auto named = found->first->functions.find(name);
  std::string fields = ", \"name\": \"" + std::string(name) + "\"";
  if (named == found->first->functions.end())
    return done("cuModuleGetFunction", NOT_FOUND, fields);
  *function = &named->second;
  return done("cuModuleGetFunction", SUCCESS, fields);
}

FAKE_CUDA_EXPORT CUresult cuFuncGetAttribute(int *value, int attribute,
                                             void *handle) {
  FAKE_ENTER("cuFuncGetAttribute");
  Function *function = liveFunction(handle);
  if (!function)
    return done("cuFuncGetAttribute", INVALID_HANDLE);
  if (attribute == 0) // MAX_THREADS_PER_BLOCK
    *value = function->maxThreads;
  else if (attribute == 1) // SHARED_SIZE_BYTES
    *value = function->staticShared;
  else if (attribute == 8) // MAX_DYNAMIC_SHARED_SIZE_BYTES
    *value = function->maxDynamicShared;
  else
    return done("cuFuncGetAttribute", INVALID_VALUE);
  return done("cuFuncGetAttribute", SUCCESS);
}

FAKE_CUDA_EXPORT CUresult cuFuncSetAttribute(void *handle, int attribute,
                                             int value) {
  FAKE_ENTER("cuFuncSetAttribute");
  Function *function = liveFunction(handle);
  if (!function)
    return done("cuFuncSetAttribute", INVALID_HANDLE);
  std::string fields = ", \"function\": \"" + function->name +
                       "\", \"attribute\": " + std::to_string(attribute) +
                       ", \"value\": " + std::to_string(value);
  if (attribute != 8 || value < 0 ||
      value > kMaxSharedOptin - function->staticShared)
    return done("cuFuncSetAttribute", INVALID_VALUE, fields);
  function->maxDynamicShared = value;
  return done("cuFuncSetAttribute", SUCCESS, fields);
}

namespace {
/// cuLaunchKernel's checks and record, for it and cuLaunchKernelEx (whose
/// launch attributes come as `more` fields). The lock is held.
CUresult launchKernel(const char *call, void *handle, unsigned gx, unsigned gy,
                      unsigned gz, unsigned bx, unsigned by, unsigned bz,
                      unsigned shared, void *stream, void **params,
                      void **extra, const std::string &more) {
  FAKE_NEEDS_CONTEXT(call);
  Function *function = liveFunction(handle);
  if (!function)
    return done(call, INVALID_HANDLE);
  uint64_t threads = uint64_t(bx) * by * bz;
  if (!gx || !gy || !gz || gx > 2147483647u || gy > 65535 || gz > 65535 ||
      !threads || bz > 64 || threads > unsigned(function->maxThreads) ||
      (function->requiredBlock[0] &&
       (bx != function->requiredBlock[0] || by != function->requiredBlock[1] ||
        bz != function->requiredBlock[2])) ||
      shared > unsigned(function->maxDynamicShared) || extra ||
      (!params && !function->paramSizes.empty()))
    return done(call, INVALID_VALUE);
  std::string fields =
      ", \"function\": \"" + function->name + "\"" + ", \"grid\": [" +
      std::to_string(gx) + ", " + std::to_string(gy) + ", " +
      std::to_string(gz) + "]" + ", \"block\": [" + std::to_string(bx) + ", " +
      std::to_string(by) + ", " + std::to_string(bz) + "]" +
      ", \"shared\": " + std::to_string(shared) +
      ", \"stream\": " + std::to_string(reinterpret_cast<uintptr_t>(stream)) +
      ", \"params\": [";
  // What the driver does: copy each parameter's declared size.
  for (size_t i = 0; i < function->paramSizes.size(); ++i)
    fields += std::string(i ? ", " : "") + "\"" +
              hex(params[i], function->paramSizes[i]) + "\"";
  return done(call, SUCCESS, fields + "]" + more);
}
} // namespace

FAKE_CUDA_EXPORT CUresult cuLaunchKernel(void *handle, unsigned gx, unsigned gy,
                                         unsigned gz, unsigned bx, unsigned by,
                                         unsigned bz, unsigned shared,
                                         void *stream, void **params,
                                         void **extra) {
  FAKE_ENTER("cuLaunchKernel");
  return launchKernel("cuLaunchKernel", handle, gx, gy, gz, bx, by, bz, shared,
                      stream, params, extra, "");
}

/// cuda.h's CUlaunchAttribute and CUlaunchConfig.
struct FakeLaunchAttribute {
  int id;
  char pad[4];
  union {
    char bytes[64];
    int value;
  } value;
};
struct FakeLaunchConfig {
  unsigned grid[3], block[3], shared;
  void *stream;
  FakeLaunchAttribute *attrs;
  unsigned numAttrs;
};

/// Records each attribute as "attributes": [[id, first int of its value]].
FAKE_CUDA_EXPORT CUresult cuLaunchKernelEx(const FakeLaunchConfig *config,
                                           void *handle, void **params,
                                           void **extra) {
  FAKE_ENTER("cuLaunchKernelEx");
  if (!config || (config->numAttrs && !config->attrs))
    return done("cuLaunchKernelEx", INVALID_VALUE);
  std::string attributes = ", \"attributes\": [";
  for (unsigned i = 0; i < config->numAttrs; ++i)
    attributes += std::string(i ? ", " : "") + "[" +
                  std::to_string(config->attrs[i].id) + ", " +
                  std::to_string(config->attrs[i].value.value) + "]";
  return launchKernel("cuLaunchKernelEx", handle, config->grid[0],
                      config->grid[1], config->grid[2], config->block[0],
                      config->block[1], config->block[2], config->shared,
                      config->stream, params, extra, attributes + "]");
}
