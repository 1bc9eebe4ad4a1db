//===- CacheEviction.cpp - LRU eviction and crashed writers' leftovers ----===//
//
// Only names the cache makes are ever removed: entries (`<key>`) and hidden
// `.tmp-<key>-…`/`.trash-<key>-…` directories, all inside the cache's own
// directory. Anything else there is left alone.
//
//===----------------------------------------------------------------------===//
#include "lib/JIT/CacheImpl.h"

#include <algorithm>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace kite;
using namespace kite::cache;

/// Temporary directories older than this belong to crashed writers.
static constexpr auto kStaleTemporary = std::chrono::hours(1);

namespace {
struct DiskEntry {
  std::string key;
  uint64_t bytes;
  struct timespec used;
};
} // namespace

/// The published entries in `store`; removes stale temporary ones.
static std::vector<DiskEntry> scanEntries(int store) {
  std::vector<DiskEntry> entries;
  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  for (const std::string &name : namesIn(store)) {
    struct stat info;
    if (::fstatat(store, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0)
      continue;
    if (isHiddenName(name)) {
      if (now.tv_sec - info.st_mtim.tv_sec >
          std::chrono::seconds(kStaleTemporary).count())
        removeTree(store, name);
      continue;
    }
    if (!isValidKey(name) || !S_ISDIR(info.st_mode))
      continue;
    FileDescriptor entry = openDirectoryAt(store, name);
    struct stat used;
    if (!entry.valid() ||
        ::fstatat(entry.get(), kLastUsedName, &used, AT_SYMLINK_NOFOLLOW) != 0)
      used = info;
    entries.push_back({name, entryBytes(store, name), used.st_mtim});
  }
  return entries;
}

uint64_t Cache::diskBytes() const {
  Impl::OpenedStore opened = impl->openStore(false);
  uint64_t total = 0;
  if (opened.store.valid())
    for (const DiskEntry &entry : scanEntries(opened.store.get()))
      total += entry.bytes;
  return total;
}

void Cache::evict(const std::string &keep) {
  Impl::OpenedStore opened = impl->openStore(false);
  if (!opened.store.valid())
    return;
  std::vector<DiskEntry> entries = scanEntries(opened.store.get());
  uint64_t total = 0;
  for (const DiskEntry &entry : entries)
    total += entry.bytes;
  if (total <= impl->maxBytes)
    return;
  std::sort(entries.begin(), entries.end(),
            [](const DiskEntry &a, const DiskEntry &b) {
              return std::tie(a.used.tv_sec, a.used.tv_nsec) <
                     std::tie(b.used.tv_sec, b.used.tv_nsec);
            });
  for (const DiskEntry &entry : entries) {
    if (total <= impl->maxBytes)
      break;
    if (entry.key == keep)
      continue;
    removeEntry(opened.store.get(), entry.key);
    total -= entry.bytes;
    impl->forget(entry.key);
    std::lock_guard<std::mutex> guard(impl->mutex);
    ++impl->stats.evictions;
  }
}
