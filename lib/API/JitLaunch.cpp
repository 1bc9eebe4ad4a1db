//===- JitLaunch.cpp - typed arguments of compiled kernels, and launch ----===//
//
// The packing of docs/vulkan-abi.md and docs/cuda-abi.md: arguments in
// order, each at the next offset aligned to its size; pointers as u64 device
// addresses, i1 as a u32. The SPIR-V emitter reads them through the address
// that follows the launch header (ArgumentPassing::Buffer), whatever their
// size; on CUDA each is one kernel parameter of its packed size.
//
//===----------------------------------------------------------------------===//
#include "lib/API/JitLoad.h"

#include <cstring>

using namespace kite;

/// Bytes an argument of IR type `type` takes in the packed block; 0 for a
/// type that cannot be passed.
static unsigned packedBytes(const std::string &type) {
  if (type == "ptr" || type == "i64" || type == "f64")
    return 8;
  if (type == "i1" || type == "i32" || type == "f32")
    return 4;
  if (type == "i16" || type == "f16" || type == "bf16")
    return 2;
  if (type == "i8")
    return 1;
  return 0;
}

/// "ptr" for any kite pointer type, else the type as the IR spells it.
static std::string packedType(const std::string &irType) {
  return irType.rfind("!kite.ptr<", 0) == 0 ? "ptr" : irType;
}

/// The C++ types that may be passed for an argument of IR type `type`.
static std::string cppTypesFor(const std::string &type) {
  if (type == "ptr")
    return "kite::Buffer";
  if (type == "i1")
    return "bool";
  if (type == "f32")
    return "float";
  if (type == "f64")
    return "double";
  if (type == "f16")
    return "kite::Half";
  if (type == "bf16")
    return "kite::BFloat16";
  std::string bits = type.substr(1);
  return "int" + bits + "_t or uint" + bits + "_t";
}

Result<std::vector<uint8_t>>
kite::detail::packArguments(const CompiledKernel &kernel, const LaunchArg *args,
                            size_t count) {
  const std::vector<std::string> &types = kernel.argTypes;
  std::string where = "launch " + kernel.name + ": ";
  if (count != types.size())
    return Status::error(where + "the kernel takes " +
                         std::to_string(types.size()) + " arguments, got " +
                         std::to_string(count));
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i < count; ++i) {
    std::string expected = packedType(types[i]);
    unsigned size = packedBytes(expected);
    std::string argument = "argument " + std::to_string(i) + " ";
    if (!size)
      return Status::error(where + argument + "has the type " + types[i] +
                           ", which cannot be passed to a kernel");
    if (expected != args[i].type)
      return Status::error(where + argument + "is " + types[i] +
                           " in the kernel, got a C++ " + args[i].cppType +
                           " (" + args[i].type + "); pass " +
                           cppTypesFor(expected));
    if (!args[i].valid)
      return Status::error(where + argument +
                           "is an empty or released kite::Buffer");
    if (i < kernel.argDivisibility.size() && kernel.argDivisibility[i] > 1) {
      uint64_t divisor = kernel.argDivisibility[i];
      // The IR is signless: a signed C++ value is divisible if its magnitude
      // is.
      int64_t value = int64_t(args[i].bits);
      if (args[i].isSigned && size < 8 && (args[i].bits >> (8 * size - 1)))
        value -= int64_t(1) << (8 * size); // Sign-extend from the width.
      uint64_t magnitude =
          args[i].isSigned && value < 0 ? uint64_t(-value) : args[i].bits;
      if (magnitude % divisor)
        return Status::error(
            where + argument + "was compiled as divisible by " +
            std::to_string(divisor) + " (kite.divisibility), but " +
            (expected == "ptr" ? "its address is " + std::to_string(magnitude)
                               : "it is " + std::to_string(value)));
    }
    bytes.resize((bytes.size() + size - 1) / size * size);
    // Little-endian, like every device Vulkan runs on here: the low bytes.
    uint64_t bits = args[i].bits;
    uint8_t little[8];
    for (unsigned b = 0; b < 8; ++b)
      little[b] = uint8_t(bits >> (8 * b));
    bytes.insert(bytes.end(), little, little + size);
  }
  return bytes;
}

/// Why `kernel` cannot run on `device`, or an empty string.
static std::string mismatch(const Device &device, const CompiledKernel &kernel) {
  const DeviceProperties &p = device.properties();
  std::string where = "launch " + kernel.name + ": ";
  if (kernel.backend == "cuda") {
    if (kernel.ptx.empty())
      return where + "the kernel has no PTX (not compiled?)";
    if (p.backend != "cuda")
      return where + "it was compiled for '" + kernel.target +
             "', a CUDA architecture, not for '" + p.name + "'";
    if (p.arch != kernel.arch)
      return where + "it was compiled for " + kernel.arch + ", but '" +
             p.name + "' is " + p.arch +
             "; compile it for the device (kite::compile(ir, device))";
    return "";
  }
  if (kernel.spirv.empty())
    return "launch: the kernel has no SPIR-V (not compiled?)";
  if (kernel.target != p.name)
    return where + "it was compiled for '" + kernel.target + "', not for '" +
           p.name + "'";
  return "";
}

Status kite::detail::launchPacked(const Device &device,
                                  const CompiledKernel &kernel,
                                  std::array<uint32_t, 3> grid,
                                  const LaunchArg *args, size_t count) {
  if (!device.valid())
    return Status::error("launch: the device is not open");
  if (std::string why = mismatch(device, kernel); !why.empty())
    return Status::error(why);
  Result<std::vector<uint8_t>> packed = packArguments(kernel, args, count);
  if (!packed)
    return packed.status();

  Result<Kernel> loaded = loadCompiled(device, kernel);
  if (!loaded)
    return loaded.status();
  Device target = device; // A handle: Device's calls are not const.
  return target.launch(*loaded, grid, packed->data(), packed->size());
}

Result<Kernel> kite::detail::loadCompiled(const Device &device,
                                          const CompiledKernel &kernel) {
  KernelSpec spec;
  spec.entryPoint = kernel.name;
  spec.localSize = {kernel.numThreads, 1, 1};
  if (kernel.backend == "cuda") {
    spec.format = KernelFormat::Ptx;
    spec.image = kernel.ptx;
    for (const std::string &type : kernel.argTypes)
      spec.argSizes.push_back(packedBytes(packedType(type)));
    if (kernel.sharedBytes > UINT32_MAX)
      return Status::error("launch " + kernel.name + ": " +
                           std::to_string(kernel.sharedBytes) +
                           " bytes of shared memory");
    spec.dynamicSharedBytes = uint32_t(kernel.sharedBytes);
  } else {
    spec.spirv = kernel.spirv;
    spec.pushConstantBytes = kLaunchHeaderBytes + 8;
    spec.argumentPassing = ArgumentPassing::Buffer;
  }
  Device target = device;
  return target.loadKernel(spec);
}
