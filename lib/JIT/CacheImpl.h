//===- CacheImpl.h - kite::Cache's state, shared by its files ---*- C++ -*-===//
#ifndef KITE_LIB_JIT_CACHEIMPL_H
#define KITE_LIB_JIT_CACHEIMPL_H

#include "kite/Cache.h"
#include "lib/JIT/CacheDirectory.h"
#include "lib/JIT/SafeFiles.h"

#include <chrono>
#include <mutex>
#include <set>
#include <unordered_map>

namespace kite {

struct Cache::Impl {
  struct MemoryEntry {
    CacheEntry files;
    uint64_t bytes = 0;
    std::chrono::steady_clock::time_point touched;
  };

  std::string directory;
  std::string entriesDirectory;
  uint64_t maxBytes = 0;
  bool memory = true;
  mutable std::mutex mutex;
  std::unordered_map<std::string, MemoryEntry> entries;
  uint64_t memoryBytes = 0;
  CacheStats stats;
  /// The untrusted directories already warned about.
  std::set<std::string> warned;

  /// The entries directory, opened and checked for each operation (so that
  /// a directory removed or replaced meanwhile is seen): `store` is invalid
  /// when it is absent (and not `create`d), unusable (`error` says why when
  /// creating) or not trusted (`untrusted`, warned about).
  struct OpenedStore {
    cache::FileDescriptor store;
    std::string error;
    bool untrusted = false;
  };
  OpenedStore openStore(bool create);
  /// Counts and, once per directory and reason, prints to stderr that the
  /// disk cache is not used there.
  void warnUntrusted(const std::string &path, const std::string &why);
  /// readEntry, removing (and counting) an entry that is damaged or not
  /// trusted.
  cache::ReadOutcome read(int store, const std::string &key, CacheFiles &files);
  /// Caller holds `mutex`.
  void remember(const std::string &key, CacheEntry files);
  void forget(const std::string &key);
};

} // namespace kite

#endif // KITE_LIB_JIT_CACHEIMPL_H
