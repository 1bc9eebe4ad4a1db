//===- Cache.h - the JIT's disk cache with a memory map in front -*- C++
//-*-===//
//
// Part of Kite's public C++ API (plain standard-library types, no
// exceptions). The compiler stores each compiled kernel here, keyed by a
// SHA-256 over everything that decided the compilation (docs/jit-cache.md); the
// Python frontend and C++ users share one cache directory.
//
// On disk: the cache keeps everything in a directory of its own inside the
// cache directory (entriesDirectory()), and touches nothing else there. It
// holds one directory per key, holding the entry's named files (stage IR
// texts, the binary), a `manifest` naming the key and the size and SHA-256
// of each file, and a `last-used` file whose modification time orders LRU
// eviction. An entry is written into a temporary directory and published
// with one rename(2), so no process ever sees half an entry; an entry that
// fails its checks is a miss and is removed. Symbolic links inside the cache
// are never followed. A cache directory that another user owns or may write
// is not used (a warning on stderr, once): kernels are then compiled and
// kept in memory only (docs/jit-cache.md).
//
//===----------------------------------------------------------------------===//
#ifndef KITE_CACHE_H
#define KITE_CACHE_H

#include "kite/Export.h"
#include "kite/Status.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kite {

/// A cache key: 64 lowercase hex digits of SHA-256 over the parts, each
/// length-prefixed so that {"ab", "c"} and {"a", "bc"} differ.
KITE_API std::string cacheKey(const std::vector<std::string> &parts);

/// 64 lowercase hex digits of SHA-256 of `bytes`.
KITE_API std::string sha256Hex(const std::string &bytes);

/// The files of one entry by name. Names are made of [A-Za-z0-9._-], do not
/// start with '.', and are not "manifest" or "last-used".
using CacheFiles = std::map<std::string, std::string>;
/// An entry as the cache hands it out: shared, never changed.
using CacheEntry = std::shared_ptr<const CacheFiles>;

struct CacheOptions {
  /// Empty: $KITE_CACHE_DIR, else $XDG_CACHE_HOME/kite, else ~/.cache/kite.
  std::string directory;
  /// 0: $KITE_CACHE_MAX_BYTES, else 1 GiB. Entries beyond it are evicted,
  /// least recently used first.
  uint64_t maxBytes = 0;
  /// Keep entries in memory too, so repeated lookups skip the disk.
  bool memory = true;
};

/// What the cache has done since it was made (for tests and diagnostics).
struct CacheStats {
  uint64_t memoryHits = 0;
  uint64_t diskHits = 0;
  uint64_t misses = 0;
  uint64_t stores = 0;
  /// Stores that found the key already published by another process.
  uint64_t lostRaces = 0;
  /// Entries that failed their checks (or were incomplete, or were not the
  /// user's alone) and were removed.
  uint64_t damagedEntries = 0;
  uint64_t evictions = 0;
  /// Lookups and stores that did not use the disk because the cache
  /// directory is not the user's alone.
  uint64_t untrusted = 0;
};

class KITE_API Cache {
public:
  explicit Cache(CacheOptions options = {});
  ~Cache();
  Cache(const Cache &) = delete;
  Cache &operator=(const Cache &) = delete;

  /// The process-wide cache the compiler uses, configured from the
  /// environment when first used.
  static Cache &global();

  /// The cache directory, as configured.
  const std::string &directory() const;
  /// Where the entries are: a directory the cache owns inside directory().
  const std::string &entriesDirectory() const;
  uint64_t maxBytes() const;

  /// The entry for `key`, or null on a miss. Checks every file against the
  /// manifest; a damaged or incomplete entry is removed and is a miss.
  CacheEntry lookup(const std::string &key);

  /// Publishes `files` under `key` and returns the published entry: `files`,
  /// or the entry of another process that published the same key first.
  /// Then evicts least recently used entries beyond maxBytes(). An error
  /// (a full disk, say) leaves nothing behind; where the cache directory is
  /// not trusted, `files` is kept in memory only.
  Result<CacheEntry> store(const std::string &key, const CacheFiles &files);

  /// lookup(key), else the entry `compute` makes, stored.
  Result<CacheEntry>
  getOrCompute(const std::string &key,
               const std::function<Result<CacheFiles>()> &compute);

  /// Removes the entry of `key` from memory and disk: for a caller that
  /// found an entry it cannot use (so that it is compiled again).
  void remove(const std::string &key);

  /// Bytes of all published entries on disk, as their manifests say.
  uint64_t diskBytes() const;
  /// Removes least recently used entries until the disk holds at most
  /// maxBytes() (never `keep`), and temporary directories that crashed
  /// writers left behind more than an hour ago.
  void evict(const std::string &keep = "");
  /// Forgets the in-memory entries (the disk is untouched).
  void clearMemory();
  CacheStats stats() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace kite

#endif // KITE_CACHE_H
