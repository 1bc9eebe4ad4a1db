//===- FakeCubin.cpp - what the fake driver reads of a cubin --------------===//
//
// A cubin is an ELF64 file. Each kernel has a section ".nv.info.<kernel>" of
// attributes, as ptxas writes them (observed on CUDA 12 and 13 cubins, not
// a documented format): records of {u8 format, u8 attribute}, where format 4
// is followed by a u16 size and that many bytes, and formats 1 to 3 by two
// more bytes. The fake reads three attributes:
//   0x17 KPARAM_INFO  {u32 0, u16 ordinal, u16 offset, u32 bits}: the
//                     parameter's size in bytes is bits >> 18;
//   0x05 MAX_THREADS  {u32 x, y, z} from .maxntid;
//   0x10 REQNTID      {u32 x, y, z} from .reqntid;
// and ".nv.shared.<kernel>"'s size as its static shared memory.
//
//===----------------------------------------------------------------------===//
#include "FakeCuda.h"

#include <algorithm>
#include <cstring>

using namespace fake_cuda;

namespace {

template <typename T> T read(const unsigned char *at) {
  T value;
  std::memcpy(&value, at, sizeof(T));
  return value;
}

struct Section {
  std::string name;
  uint32_t type;
  uint64_t offset, size;
};

std::vector<Section> sections(const unsigned char *image) {
  uint64_t shoff = read<uint64_t>(image + 0x28);
  uint16_t entry = read<uint16_t>(image + 0x3a);
  uint16_t count = read<uint16_t>(image + 0x3c);
  uint16_t names = read<uint16_t>(image + 0x3e);
  std::vector<Section> out;
  for (uint16_t i = 0; i < count; ++i) {
    const unsigned char *header = image + shoff + uint64_t(i) * entry;
    out.push_back({std::to_string(read<uint32_t>(header)),
                   read<uint32_t>(header + 4), read<uint64_t>(header + 0x18),
                   read<uint64_t>(header + 0x20)});
  }
  if (names < out.size()) {
    const char *table =
        reinterpret_cast<const char *>(image + out[names].offset);
    for (Section &section : out)
      section.name = table + std::stoul(section.name);
  }
  return out;
}

uint32_t threadsOf(const unsigned char *at) {
  return read<uint32_t>(at) * read<uint32_t>(at + 4) * read<uint32_t>(at + 8);
}

} // namespace

size_t fake_cuda::elfBytes(const unsigned char *image) {
  uint64_t phoff = read<uint64_t>(image + 0x20);
  uint64_t shoff = read<uint64_t>(image + 0x28);
  uint64_t phentsize = read<uint16_t>(image + 0x36);
  uint64_t phnum = read<uint16_t>(image + 0x38);
  uint64_t shentsize = read<uint16_t>(image + 0x3a);
  uint64_t shnum = read<uint16_t>(image + 0x3c);
  uint64_t end = std::max<uint64_t>(
      {64, phoff + phentsize * phnum, shoff + shentsize * shnum});
  for (uint64_t i = 0; i < shnum; ++i) {
    const unsigned char *header = image + shoff + i * shentsize;
    if (read<uint32_t>(header + 4) != 8) // SHT_NOBITS occupies no bytes.
      end = std::max(end, read<uint64_t>(header + 0x18) +
                              read<uint64_t>(header + 0x20));
  }
  for (uint64_t i = 0; i < phnum; ++i) {
    const unsigned char *header = image + phoff + i * phentsize;
    end = std::max(end,
                   read<uint64_t>(header + 8) + read<uint64_t>(header + 0x20));
  }
  return end;
}

std::string fake_cuda::parseCubin(const unsigned char *image, size_t size,
                                  Module &module) {
  if (size <= 64 || image[4] != 2) // ELFCLASS64
    return "not a 64-bit ELF with sections";
  std::vector<Section> all = sections(image);
  const std::string info = ".nv.info.", shared = ".nv.shared.";
  for (const Section &section : all) {
    if (section.name.compare(0, info.size(), info) != 0)
      continue;
    Function function;
    function.name = section.name.substr(info.size());
    for (const Section &other : all)
      if (other.name == shared + function.name)
        function.staticShared = static_cast<int>(other.size);
    std::vector<std::pair<uint16_t, size_t>> params;
    const unsigned char *at = image + section.offset;
    const unsigned char *end = at + section.size;
    while (at + 4 <= end) {
      uint8_t format = at[0], attribute = at[1];
      size_t bytes = format == 4 ? read<uint16_t>(at + 2) : 0;
      const unsigned char *payload = at + 4;
      at = payload + bytes;
      if (format != 4 || at > end)
        continue;
      if (attribute == 0x17 && bytes == 12)
        params.emplace_back(read<uint16_t>(payload + 4),
                            read<uint32_t>(payload + 8) >> 18);
      else if (attribute == 0x05 && bytes == 12)
        function.maxThreads = static_cast<int>(threadsOf(payload));
      else if (attribute == 0x10 && bytes == 12)
        for (int i = 0; i < 3; ++i)
          function.requiredBlock[i] = read<uint32_t>(payload + 4 * i);
    }
    std::sort(params.begin(), params.end());
    for (const auto &param : params)
      function.paramSizes.push_back(param.second);
    if (function.requiredBlock[0])
      function.maxThreads = static_cast<int>(function.requiredBlock[0] *
                                             function.requiredBlock[1] *
                                             function.requiredBlock[2]);
    module.functions[function.name] = function;
  }
  if (module.functions.empty())
    return "no .nv.info.<kernel> section: not a cubin";
  return "";
}
