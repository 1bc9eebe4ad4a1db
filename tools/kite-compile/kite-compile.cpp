//===- kite-compile.cpp - kernels compiled ahead of time into C++ ---------===//
//
// kite-compile KERNEL.mlir -o OUT [--target cuda:sm_90] [--target vulkan:0]
//              [--num-warps N] [--num-stages N] [--namespace NS]
//
// Compiles a kernel given as kite IR (a Python kernel's `kernel.trace(...)`)
// for each target through the C++ JIT (include/kite/Jit.h) and writes
// OUT.h and OUT.cpp: the PTX and SPIR-V embedded as data, and a typed
// launch function, `NS::NAME(device, grid, args...)`, that picks the
// embedded kernel for the device and launches it with kite::launch (which
// checks each argument against the kernel's types). Compile OUT.cpp with
// the program and link libkite; nothing is compiled at run time, and the
// program needs no MLIR. Triton's AOT compiler does the same for CUDA.
//
// Targets: "cuda:sm_N[a]" (PTX; no GPU needed), or a Vulkan device of this
// machine, "vulkan:N" (SPIR-V for its subgroup size and features; the
// launch takes it on a device with the same subgroup size). docs/cpp-jit.md.
//
//===----------------------------------------------------------------------===//
#include "kite/Jit.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Arguments {
  std::string input, output, nameSpace = "kite_aot";
  std::vector<std::string> targets;
  kite::CompileOptions options;
};

int usage(const std::string &why) {
  std::cerr << "kite-compile: " << why << "\n"
            << "usage: kite-compile KERNEL.mlir -o OUT [--target cuda:sm_90]... "
               "[--target vulkan:0]... [--num-warps N] [--num-stages N] "
               "[--namespace NS]\n";
  return 2;
}

/// C++'s keywords and alternative tokens: names Python allows (`def new`)
/// that the generated code could not use.
bool isKeyword(const std::string &text) {
  static const char *const kKeywords[] = {
      "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor",
      "bool", "break", "case", "catch", "char", "char16_t", "char32_t",
      "char8_t", "class", "co_await", "co_return", "co_yield", "compl",
      "concept", "const", "const_cast", "consteval", "constexpr", "constinit",
      "continue", "decltype", "default", "delete", "do", "double",
      "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false",
      "float", "for", "friend", "goto", "if", "inline", "int", "long",
      "mutable", "namespace", "new", "noexcept", "not", "not_eq", "nullptr",
      "operator", "or", "or_eq", "private", "protected", "public", "register",
      "reinterpret_cast", "requires", "return", "short", "signed", "sizeof",
      "static", "static_assert", "static_cast", "struct", "switch", "template",
      "this", "thread_local", "throw", "true", "try", "typedef", "typeid",
      "typename", "union", "unsigned", "using", "virtual", "void", "volatile",
      "wchar_t", "while", "xor", "xor_eq"};
  for (const char *keyword : kKeywords)
    if (text == keyword)
      return true;
  return false;
}

bool isIdentifier(const std::string &text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text[0])) ||
      isKeyword(text))
    return false;
  for (char c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      return false;
  return true;
}

/// The C++ parameter type kite::launch takes for an argument of IR type
/// `type`, or "" for one no kernel argument has.
std::string cppType(const std::string &type) {
  if (type.rfind("!kite.ptr<", 0) == 0)
    return "const kite::Buffer &";
  static const std::pair<const char *, const char *> kTypes[] = {
      {"i1", "bool"},     {"i8", "int8_t"},           {"i16", "int16_t"},
      {"i32", "int32_t"}, {"i64", "int64_t"},         {"f16", "kite::Half"},
      {"bf16", "kite::BFloat16"}, {"f32", "float"}, {"f64", "double"}};
  for (const auto &[ir, cpp] : kTypes)
    if (type == ir)
      return cpp;
  return "";
}

/// `bytes` as the initializer of an array of unsigned char, 16 per line.
std::string byteArray(const std::string &bytes) {
  std::string text;
  char item[8];
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::snprintf(item, sizeof item, "%u,", unsigned(static_cast<unsigned char>(bytes[i])));
    text += (i % 16 ? "" : "\n    ") + std::string(item);
  }
  return text;
}

std::string wordArray(const std::vector<uint32_t> &words) {
  std::string text;
  char item[16];
  for (size_t i = 0; i < words.size(); ++i) {
    std::snprintf(item, sizeof item, "0x%08x,", words[i]);
    text += (i % 8 ? "" : "\n    ") + std::string(item);
  }
  return text;
}

std::string quoted(const std::string &text) {
  std::string out = "\"";
  for (char c : text)
    out += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
  return out + "\"";
}

/// One line per target, for comments and messages: "cuda:sm_90", "vulkan
/// (subgroup 8, compiled on vulkan:0)".
std::string describe(const kite::CompiledKernel &k, const std::string &asked) {
  if (k.backend == "cuda")
    return k.target;
  return "vulkan (subgroup " + std::to_string(k.threadsPerWarp) +
         ", compiled on " + asked + ")";
}

std::string header(const Arguments &args, const std::string &name,
                   const kite::CompiledKernel &first,
                   const std::string &targets) {
  std::ostringstream h;
  std::string guard = "KITE_AOT_" + name + "_H";
  for (char &c : guard)
    c = char(std::toupper(static_cast<unsigned char>(c)));
  h << "// Generated by kite-compile from " << args.input << ": do not edit.\n"
    << "#ifndef " << guard << "\n#define " << guard << "\n\n"
    << "#include \"kite/Jit.h\"\n\n#include <array>\n#include <cstdint>\n\n"
    << "namespace " << args.nameSpace << " {\n\n"
    << "/// " << name << " compiled ahead of time for " << targets << ".\n"
    << "/// The embedded kernel for `device`: a CUDA device of one of the "
       "architectures\n/// (or a newer one, for PTX of an architecture "
       "without the 'a' suffix), a\n/// Vulkan device with the subgroup "
       "size it was compiled for.\n"
    << "kite::Result<kite::CompiledKernel> " << name
    << "_for(const kite::Device &device);\n\n"
    << "/// Launches `grid` programs of " << name
    << " on `device` (kite::launch: Vulkan waits,\n/// CUDA queues on the "
       "default stream).\n"
    << "kite::Status " << name
    << "(const kite::Device &device, std::array<uint32_t, 3> grid";
  for (size_t i = 0; i < first.argTypes.size(); ++i)
    h << ",\n    " << cppType(first.argTypes[i]) << (cppType(first.argTypes[i]).back() == '&' ? "" : " ")
      << "arg" << i << " /* " << first.argTypes[i] << " */";
  h << ");\n\n} // namespace " << args.nameSpace << "\n\n#endif // " << guard << "\n";
  return h.str();
}

std::string source(const Arguments &args, const std::string &name,
                   const std::vector<kite::CompiledKernel> &kernels,
                   const std::vector<std::string> &asked,
                   const std::string &targets) {
  const kite::CompiledKernel &first = kernels.front();
  std::string base = args.output.substr(args.output.find_last_of('/') + 1);
  std::ostringstream s;
  s << "// Generated by kite-compile from " << args.input << ": do not edit.\n"
    << "#include \"" << base << ".h\"\n\n#include <cstdlib>\n#include <map>\n"
    << "#include <mutex>\n#include <string>\n\nnamespace {\n\n";
  for (size_t i = 0; i < kernels.size(); ++i) {
    const kite::CompiledKernel &k = kernels[i];
    s << "// " << describe(k, asked[i]) << "\n";
    if (k.backend == "cuda")
      s << "const unsigned char kImage" << i << "[] = {" << byteArray(k.ptx) << "\n};\n\n";
    else
      s << "const uint32_t kImage" << i << "[] = {" << wordArray(k.spirv) << "\n};\n\n";
  }
  s << "struct Embedded {\n  const char *backend, *arch;\n  int threadsPerWarp;\n"
       "  const void *image;\n  size_t bytes;\n  uint64_t sharedBytes;\n"
       "  uint32_t numThreads;\n};\n\nconst Embedded kKernels[] = {\n";
  for (size_t i = 0; i < kernels.size(); ++i) {
    const kite::CompiledKernel &k = kernels[i];
    s << "    {" << quoted(k.backend) << ", " << quoted(k.arch) << ", "
      << k.threadsPerWarp << ", kImage" << i << ", sizeof kImage" << i << ", "
      << k.sharedBytes << "u, " << k.numThreads << "u},\n";
  }
  s << "};\n\nconst char *const kArgTypes[] = {";
  for (const std::string &type : first.argTypes)
    s << quoted(type) << ", ";
  s << "nullptr};\nconst uint32_t kArgDivisibility[] = {";
  for (uint32_t d : first.argDivisibility)
    s << d << "u, ";
  s << "0u};\n\n"
    << "/// The architecture number of \"sm_90a\": 90.\n"
       "int archNumber(const std::string &arch) {\n"
       "  return arch.rfind(\"sm_\", 0) == 0 ? std::atoi(arch.c_str() + 3) : -1;\n}\n\n"
    << "kite::CompiledKernel make(const Embedded &e, const kite::DeviceProperties &p) {\n"
       "  kite::CompiledKernel k;\n"
    << "  k.name = " << quoted(name) << ";\n"
    << "  k.backend = e.backend;\n"
       "  if (k.backend == \"cuda\") {\n"
       "    k.ptx.assign(static_cast<const char *>(e.image), e.bytes);\n"
       "    k.arch = p.arch; // PTX of an older architecture: the driver compiles it\n"
       "    k.target = \"cuda:\" + p.arch;\n"
       "  } else {\n"
       "    const uint32_t *words = static_cast<const uint32_t *>(e.image);\n"
       "    k.spirv.assign(words, words + e.bytes / 4);\n"
       "    k.target = p.name;\n"
       "  }\n"
       "  k.sharedBytes = e.sharedBytes;\n  k.numThreads = e.numThreads;\n"
    << "  k.numWarps = " << first.numWarps << ";\n"
    << "  k.threadsPerWarp = e.threadsPerWarp;\n"
       "  for (int i = 0; kArgTypes[i]; ++i) {\n"
       "    k.argTypes.push_back(kArgTypes[i]);\n"
       "    k.argDivisibility.push_back(kArgDivisibility[i]);\n  }\n"
       "  return k;\n}\n\n"
    << "/// The embedded kernel `device` runs, or null: on CUDA the PTX for its\n"
       "/// architecture with the 'a' or 'f' suffix (its own features), else for the\n"
       "/// architecture, else for the newest older one without a suffix (PTX runs\n"
       "/// on newer GPUs: the driver compiles it); on Vulkan the same subgroup size.\n"
       "const Embedded *choose(const kite::DeviceProperties &p) {\n"
       "  const Embedded *plain = nullptr, *older = nullptr;\n"
       "  for (const Embedded &e : kKernels) {\n"
       "    if (p.backend != e.backend)\n      continue;\n"
       "    if (p.backend != \"cuda\") {\n"
       "      if (uint32_t(e.threadsPerWarp) == p.subgroupSize)\n        return &e;\n"
       "      continue;\n    }\n"
       "    std::string arch = e.arch;\n"
       "    if (arch == p.arch + \"a\" || arch == p.arch + \"f\")\n      return &e;\n"
       "    if (arch == p.arch)\n      plain = &e;\n"
       "    else if (std::isdigit(static_cast<unsigned char>(arch.back())) &&\n"
       "             archNumber(arch) < archNumber(p.arch) &&\n"
       "             (!older || archNumber(arch) > archNumber(older->arch)))\n"
       "      older = &e;\n  }\n  return plain ? plain : older;\n}\n\n} // namespace\n\n"
    << "kite::Result<kite::CompiledKernel> " << args.nameSpace << "::" << name
    << "_for(const kite::Device &device) {\n"
       "  if (!device.valid())\n"
       "    return kite::Status::error(\"" << name << ": the device is not open\");\n"
       "  static std::mutex mutex;\n"
       "  static std::map<std::string, kite::CompiledKernel> made;\n"
       "  const kite::DeviceProperties &p = device.properties();\n"
       "  std::lock_guard<std::mutex> lock(mutex);\n"
       "  auto found = made.find(p.name);\n"
       "  if (found != made.end())\n    return found->second;\n"
       "  const Embedded *e = choose(p);\n"
       "  if (!e)\n"
       "    return kite::Status::error(\"" << name
    << " was compiled ahead of time for " << targets << ", not for '\" + p.name + \"' (\" +\n"
       "                               (p.backend == \"cuda\" ? p.arch : \"subgroup \" + std::to_string(p.subgroupSize)) +\n"
       "                               \"): run kite-compile for it\");\n"
       "  return made.emplace(p.name, make(*e, p)).first->second;\n}\n\n"
    << "kite::Status " << args.nameSpace << "::" << name
    << "(const kite::Device &device, std::array<uint32_t, 3> grid";
  for (size_t i = 0; i < first.argTypes.size(); ++i)
    s << ",\n    " << cppType(first.argTypes[i])
      << (cppType(first.argTypes[i]).back() == '&' ? "" : " ") << "arg" << i;
  s << ") {\n  kite::Result<kite::CompiledKernel> kernel = " << name
    << "_for(device);\n  if (!kernel)\n    return kernel.status();\n"
    << "  return kite::launch(device, *kernel, grid";
  for (size_t i = 0; i < first.argTypes.size(); ++i)
    s << ", arg" << i;
  s << ");\n}\n";
  return s.str();
}

} // namespace

int main(int argc, char **argv) {
  Arguments args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      return i + 1 < argc ? argv[++i] : "";
    };
    if (arg == "-o")
      args.output = value();
    else if (arg == "--target")
      args.targets.push_back(value());
    else if (arg == "--num-warps" || arg == "--num-stages") {
      std::string text = value();
      int n = text.empty() || text.find_first_not_of("0123456789") != std::string::npos
                  ? 0 : std::atoi(text.c_str());
      if (n <= 0)
        return usage(arg + " takes a positive integer, got '" + text + "'");
      (arg == "--num-warps" ? args.options.numWarps : args.options.numStages) = n;
    } else if (arg == "--namespace")
      args.nameSpace = value();
    else if (arg == "-h" || arg == "--help")
      return usage("compiles a kite IR kernel into OUT.h and OUT.cpp");
    else if (!arg.empty() && arg[0] == '-')
      return usage("unknown option " + arg);
    else if (args.input.empty())
      args.input = arg;
    else
      return usage("one kernel file at a time; got " + args.input + " and " + arg);
  }
  if (args.input.empty() || args.output.empty())
    return usage("a kernel file and -o OUT are needed");
  if (!isIdentifier(args.nameSpace))
    return usage("--namespace must be a C++ identifier, got '" + args.nameSpace + "'");
  if (args.targets.empty())
    args.targets.push_back("cuda:sm_80");
  std::ifstream in(args.input);
  if (!in)
    return usage("cannot read " + args.input);
  std::stringstream text;
  text << in.rdbuf();

  std::vector<kite::CompiledKernel> kernels;
  std::string targets;
  for (const std::string &target : args.targets) {
    kite::Result<kite::CompiledKernel> kernel = kite::Status::error("");
    if (target.rfind("vulkan", 0) == 0) {
      kite::Result<kite::Device> device = kite::Device::open(target);
      if (!device) {
        std::cerr << "kite-compile: " << target << ": " << device.message() << "\n";
        return 1;
      }
      kernel = kite::compile(text.str(), *device, args.options);
    } else {
      kernel = kite::compile(text.str(), target, args.options);
    }
    if (!kernel) {
      std::cerr << "kite-compile: " << target << ": " << kernel.message() << "\n";
      return 1;
    }
    for (const std::string &type : kernel->argTypes)
      if (cppType(type).empty()) {
        std::cerr << "kite-compile: " << kernel->name << " takes an argument of type "
                  << type << ", which no launch can pass\n";
        return 1;
      }
    for (const kite::CompiledKernel &other : kernels)
      if (other.backend == kernel->backend &&
          (other.backend == "cuda" ? other.arch == kernel->arch
                                   : other.threadsPerWarp == kernel->threadsPerWarp)) {
        std::cerr << "kite-compile: " << target << " gives the same kind of kernel as an "
                  << "earlier target\n";
        return 1;
      }
    targets += (targets.empty() ? "" : ", ") + describe(*kernel, target);
    kernels.push_back(std::move(*kernel));
  }
  const std::string &name = kernels.front().name;
  if (!isIdentifier(name)) {
    std::cerr << "kite-compile: the kernel's name '" << name
              << "' is no C++ identifier (or is a C++ keyword): rename the kernel\n";
    return 1;
  }
  std::ofstream h(args.output + ".h"), cpp(args.output + ".cpp");
  h << header(args, name, kernels.front(), targets);
  cpp << source(args, name, kernels, args.targets, targets);
  h.close();
  cpp.close();
  if (!h || !cpp) {
    std::cerr << "kite-compile: cannot write " << args.output << ".h and .cpp\n";
    return 1;
  }
  std::cout << "kite-compile: " << name << " for " << targets << " -> " << args.output
            << ".h, " << args.output << ".cpp\n";
  return 0;
}
