//===- Version.cpp - kite::version and kite::buildId ----------------------===//
#include "kite/Version.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SHA256.h"

#include <dlfcn.h>

std::string kite::version() { return KITE_VERSION; }

/// SHA-256 of the file this function was loaded from (libkite.so, or the
/// executable it is linked into) and of the LLVM version, as 32 hex digits.
static std::string computeBuildId() {
  llvm::SHA256 hash;
  hash.update(KITE_VERSION "/" LLVM_VERSION_STRING "/");
  Dl_info info;
  if (dladdr(reinterpret_cast<void *>(&computeBuildId), &info) &&
      info.dli_fname) {
    if (auto file = llvm::MemoryBuffer::getFile(info.dli_fname))
      hash.update((*file)->getBuffer());
  }
  std::array<uint8_t, 32> digest = hash.final();
  return llvm::toHex(llvm::ArrayRef(digest).take_front(16), /*LowerCase=*/true);
}

std::string kite::buildId() {
  static const std::string id = computeBuildId();
  return id;
}
