//===- CacheKey.cpp - kite::cacheKey and kite::sha256Hex ------------------===//
#include "kite/Cache.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/SHA256.h"

static std::string hex(const std::array<uint8_t, 32> &digest) {
  return llvm::toHex(llvm::ArrayRef<uint8_t>(digest), /*LowerCase=*/true);
}

std::string kite::cacheKey(const std::vector<std::string> &parts) {
  llvm::SHA256 hash;
  // The version of the key's layout; bump it when the layout changes.
  hash.update(llvm::StringRef("kite-cache-key-1", 17));
  uint8_t length[8];
  llvm::support::endian::write64le(length, parts.size());
  hash.update(length);
  for (const std::string &part : parts) {
    llvm::support::endian::write64le(length, part.size());
    hash.update(length);
    hash.update(part);
  }
  return hex(hash.final());
}

std::string kite::sha256Hex(const std::string &bytes) {
  return hex(llvm::SHA256::hash(llvm::arrayRefFromStringRef(bytes)));
}
