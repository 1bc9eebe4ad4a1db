//===- CachePublish.cpp - kite::Cache::store: write, rename, adopt --------===//
#include "lib/JIT/CacheImpl.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

using namespace kite;
using namespace kite::cache;

Result<CacheEntry> Cache::store(const std::string &key,
                                const CacheFiles &files) {
  if (!isValidKey(key))
    return Status::error("cache: invalid key '" + key +
                         "' (expected 1 to 128 of [A-Za-z0-9_-])");
  for (const auto &file : files)
    if (!isValidFileName(file.first))
      return Status::error("cache: invalid file name '" + file.first + "'");
  auto publishedHere = [&](bool onDisk) {
    auto entry = std::make_shared<const CacheFiles>(files);
    std::lock_guard<std::mutex> guard(impl->mutex);
    if (onDisk)
      ++impl->stats.stores;
    impl->remember(key, entry);
    return entry;
  };
  Impl::OpenedStore opened = impl->openStore(/*create=*/true);
  if (opened.untrusted) // Warned: compiled code stays in memory.
    return CacheEntry(publishedHere(false));
  if (!opened.store.valid())
    return Status::error("cache: " + opened.error);
  int store = opened.store.get();

  auto adoptTheirs = [&](CacheFiles theirs) {
    auto entry = std::make_shared<const CacheFiles>(std::move(theirs));
    std::lock_guard<std::mutex> guard(impl->mutex);
    ++impl->stats.lostRaces;
    impl->remember(key, entry);
    return entry;
  };
  // Another process may have published the key while we compiled.
  CacheFiles theirs;
  if (impl->read(store, key, theirs) == ReadOutcome::Found)
    return CacheEntry(adoptTheirs(std::move(theirs)));

  std::string temporary = hiddenName("tmp", key);
  if (std::string why = writeEntry(store, temporary, key, files);
      !why.empty()) {
    removeTree(store, temporary);
    return Status::error("cache: cannot store in " + impl->entriesDirectory +
                         ": " + why);
  }
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (::renameat(store, temporary.c_str(), store, key.c_str()) == 0) {
      CacheEntry entry = publishedHere(true);
      evict(key);
      return entry;
    }
    // ENOTDIR: a file or a link where the entry should be (damaged).
    if (errno != ENOTEMPTY && errno != EEXIST && errno != ENOTDIR) {
      std::string why = std::strerror(errno);
      removeTree(store, temporary);
      return Status::error("cache: cannot publish " + key + " in " +
                           impl->entriesDirectory + ": " + why);
    }
    // The key was published first by another process: use its entry, unless
    // it is damaged (then it was removed: replace it) or was evicted
    // meanwhile (try again).
    theirs.clear();
    if (impl->read(store, key, theirs) == ReadOutcome::Found) {
      removeTree(store, temporary);
      return CacheEntry(adoptTheirs(std::move(theirs)));
    }
  }
  removeTree(store, temporary);
  return Status::error("cache: could not publish " + key + " in " +
                       impl->entriesDirectory +
                       ": other processes kept replacing it");
}

Result<CacheEntry>
Cache::getOrCompute(const std::string &key,
                    const std::function<Result<CacheFiles>()> &compute) {
  if (CacheEntry entry = lookup(key))
    return entry;
  Result<CacheFiles> files = compute();
  if (!files)
    return files.status();
  return store(key, *files);
}
