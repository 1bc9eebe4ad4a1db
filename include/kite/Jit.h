//===- Jit.h - compile kite IR for a device and launch it -------*- C++ -*-===//
//
// Part of Kite's public C++ API (docs/cpp-jit.md): plain standard-library types,
// no MLIR types, no exceptions. A kernel given as kite IR text goes through
// the named stages ("kite", "kitegpu", "threads") and then the SPIR-V emitter
// for one Vulkan device, or the NVPTX emitter for one NVIDIA architecture,
// through the same cache the Python side uses (docs/jit-cache.md), and is
// launched with typed C++ arguments packed as docs/vulkan-abi.md and
// docs/cuda-abi.md say.
//
//   kite::Device device = *kite::Device::open("vulkan:0");   // or "cuda:0"
//   kite::Result<kite::CompiledKernel> kernel = kite::compile(ir, device);
//   kite::Status status =
//       kite::launch(device, *kernel, {blocks, 1, 1}, x, y, out, int32_t(n));
//
//   // PTX for an architecture, without a GPU:
//   kite::Result<kite::CompiledKernel> ptx = kite::compile(ir, "cuda:sm_90");
//
//===----------------------------------------------------------------------===//
#ifndef KITE_JIT_H
#define KITE_JIT_H

#include "kite/Device.h"
#include "kite/Export.h"
#include "kite/Status.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

namespace kite {

struct CompileOptions {
  int numWarps = 4; ///< Warps per program; a power of two.
  /// NVIDIA sm_80 and later: how deep loops whose loads feed dots are
  /// pipelined with asynchronous copies (Triton's num_stages; 1: not at
  /// all). Vulkan ignores it.
  int numStages = 3;
  /// NVIDIA: a multiply and the add using it may become one fused
  /// multiply-add (Triton's enable_fp_fusion). Vulkan ignores it.
  bool fpFusion = true;
};

/// A kernel compiled for one Vulkan device or one NVIDIA architecture. Plain
/// data: copy it, keep it, launch it as often as needed on the device it was
/// compiled for (Vulkan), or on any CUDA device of its architecture.
struct CompiledKernel {
  /// The kernel function's name: the SPIR-V entry point, the PTX .entry.
  std::string name;
  /// "vulkan" or "cuda".
  std::string backend;
  /// Each stage's text by name (compiledStageNames(backend)): "kite",
  /// "kitegpu", "threads" (MLIR), then "spirv" (the binary's disassembly)
  /// or "llir" (the LLVM IR the NVPTX backend compiled) and "ptx".
  std::map<std::string, std::string> stages;
  /// Vulkan: the SPIR-V module, as 32-bit words.
  std::vector<uint32_t> spirv;
  /// CUDA: the PTX module, which the driver compiles for the device.
  std::string ptx;
  /// CUDA: the architecture the PTX is for, "sm_90".
  std::string arch;
  /// CUDA: the dynamic shared memory a launch gives each block, in bytes.
  uint64_t sharedBytes = 0;
  /// Threads per program, the workgroup size: numWarps × threadsPerWarp.
  uint32_t numThreads = 0;
  /// The runtime arguments in order, as kite IR spells their types:
  /// "!kite.ptr<f32>", "i1", "i8", "i16", "i32", "i64", "f16", "bf16", "f32",
  /// "f64".
  std::vector<std::string> argTypes;
  /// Each argument's `kite.divisibility` (1 where the IR promises none): what
  /// the code assumes of the value (an integer) or the address (a pointer),
  /// so launch refuses arguments that break the promise.
  std::vector<uint32_t> argDivisibility;
  int numWarps = 0;
  int threadsPerWarp = 0; ///< The device's subgroup size; 32 on CUDA.
  /// What it was compiled for: the Vulkan device ("vulkan:0") or the CUDA
  /// architecture ("cuda:sm_90"; also when compiled for a CUDA device).
  std::string target;
  std::string cacheKey;   ///< Its key in the JIT cache.
};

/// Compiles kite IR text (the tile-level dialect, one `func.func` marked
/// `kite.kernel`, custom or generic form) for `device`, or returns it from
/// kite::Cache::global() if it was compiled before with the same IR, options,
/// Kite build and exact device and driver. Errors carry the compiler's
/// diagnostics with their source positions.
KITE_API Result<CompiledKernel> compile(const std::string &kiteIR,
                                        const Device &device,
                                        const CompileOptions &options = {});

/// Compiles kite IR text for a target named without a device: an NVIDIA
/// architecture, "cuda:sm_80", "cuda:sm_90a" (PTX through LLVM's NVPTX
/// backend; no GPU and no CUDA toolkit needed). compile(ir, device) for a
/// CUDA device is this for the device's architecture. A Vulkan target needs
/// its device (the emitter asks it what it supports).
KITE_API Result<CompiledKernel> compile(const std::string &kiteIR,
                                        const std::string &target,
                                        const CompileOptions &options = {});

/// The stages compile() records in CompiledKernel::stages for a Vulkan
/// device, in order.
KITE_API std::vector<std::string> compiledStageNames();
/// The same for "vulkan" or "cuda".
KITE_API std::vector<std::string>
compiledStageNames(const std::string &backend);

/// An IEEE half-precision float given by its bits: the C++ type of an f16
/// argument.
struct Half {
  uint16_t bits = 0;
};
/// A bfloat16 given by its bits: the C++ type of a bf16 argument.
struct BFloat16 {
  uint16_t bits = 0;
};

namespace detail {
/// One launch argument: which IR type it packs as, and its bytes.
struct LaunchArg {
  const char *type = "";    ///< "ptr", "i1", "i8", ..., "f64", "bf16".
  const char *cppType = ""; ///< For messages: "kite::Buffer", "int32_t", ...
  uint64_t bits = 0;        ///< The value, zero-extended (i1: 0 or 1).
  bool valid = true;        ///< False for an empty or released Buffer.
  bool isSigned = false;    ///< A signed C++ integer type.
};

template <typename T> LaunchArg launchArg(const T &value) {
  LaunchArg arg;
  if constexpr (std::is_same_v<T, Buffer>) {
    arg = {"ptr", "kite::Buffer", value.address(), value.valid()};
  } else if constexpr (std::is_same_v<T, bool>) {
    arg = {"i1", "bool", value ? 1u : 0u};
  } else if constexpr (std::is_integral_v<T> && sizeof(T) <= 8) {
    constexpr bool isSigned = std::is_signed_v<T>;
    static const char *const names[2][4] = {
        {"uint8_t", "uint16_t", "uint32_t", "uint64_t"},
        {"int8_t", "int16_t", "int32_t", "int64_t"}};
    static const char *const types[4] = {"i8", "i16", "i32", "i64"};
    constexpr int log = sizeof(T) == 1   ? 0
                        : sizeof(T) == 2 ? 1
                        : sizeof(T) == 4 ? 2
                                         : 3;
    arg = {types[log], names[isSigned][log],
           uint64_t(static_cast<std::make_unsigned_t<T>>(value)), true,
           isSigned};
  } else if constexpr (std::is_same_v<T, float>) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    arg = {"f32", "float", bits};
  } else if constexpr (std::is_same_v<T, double>) {
    uint64_t bits;
    std::memcpy(&bits, &value, 8);
    arg = {"f64", "double", bits};
  } else if constexpr (std::is_same_v<T, Half>) {
    arg = {"f16", "kite::Half", value.bits};
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    arg = {"bf16", "kite::BFloat16", value.bits};
  } else {
    static_assert(sizeof(T) == 0,
                  "kite::launch takes kite::Buffer, bool, integers, float, "
                  "double, kite::Half and kite::BFloat16 arguments");
  }
  return arg;
}

KITE_API Result<std::vector<uint8_t>>
packArguments(const CompiledKernel &kernel, const LaunchArg *args,
              size_t count);
KITE_API Status launchPacked(const Device &device, const CompiledKernel &kernel,
                             std::array<uint32_t, 3> grid,
                             const LaunchArg *args, size_t count);
} // namespace detail

/// The bytes the kernel reads its arguments from (docs/vulkan-abi.md,
/// docs/cuda-abi.md): in
/// order, each at the next offset aligned to its size; a Buffer as its u64
/// device address, bool as a u32. Each argument's C++ type must be the
/// kernel's argument type (signed or unsigned integers of the width), and
/// satisfy its `kite.divisibility`; else the error names the argument's index
/// and both types (or the value and the promise).
template <typename... Args>
Result<std::vector<uint8_t>> packArguments(const CompiledKernel &kernel,
                                           const Args &...args) {
  const detail::LaunchArg packed[] = {detail::launchArg(args)...,
                                      detail::LaunchArg{}};
  return detail::packArguments(kernel, packed, sizeof...(Args));
}

/// Runs `grid` programs of `kernel` on `device` with these arguments (as
/// packArguments checks and packs them). Vulkan waits for them; CUDA queues
/// them on the default stream and returns (device.synchronize() waits and
/// reports a failure).
template <typename... Args>
Status launch(const Device &device, const CompiledKernel &kernel,
              std::array<uint32_t, 3> grid, const Args &...args) {
  const detail::LaunchArg packed[] = {detail::launchArg(args)...,
                                      detail::LaunchArg{}};
  return detail::launchPacked(device, kernel, grid, packed, sizeof...(Args));
}

} // namespace kite

#endif // KITE_JIT_H
