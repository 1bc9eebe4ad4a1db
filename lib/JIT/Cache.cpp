//===- Cache.cpp - kite::Cache: memory map, disk entries, LRU eviction ----===//
#include "lib/JIT/CacheImpl.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>

using namespace kite;
using namespace kite::cache;

namespace {
constexpr uint64_t kDefaultMaxBytes = uint64_t(1) << 30;
/// A memory hit refreshes the entry's `last-used` at most this often.
constexpr auto kTouchInterval = std::chrono::seconds(60);
/// The cache's own directory inside the one it is pointed at; the version
/// changes with the layout, so that an older Kite's entries are never read.
constexpr const char *kEntriesName = "kite-cache-v2";
} // namespace

static std::string defaultDirectory() {
  if (const char *dir = std::getenv("KITE_CACHE_DIR"); dir && *dir)
    return dir;
  llvm::SmallString<256> path;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    path = xdg;
  else if (llvm::sys::path::home_directory(path))
    llvm::sys::path::append(path, ".cache");
  else
    path = "/tmp";
  llvm::sys::path::append(path, "kite");
  return std::string(path);
}

static uint64_t defaultMaxBytes() {
  if (const char *text = std::getenv("KITE_CACHE_MAX_BYTES"); text && *text) {
    char *end = nullptr;
    unsigned long long bytes = std::strtoull(text, &end, 10);
    if (end && *end == '\0' && bytes > 0)
      return bytes;
  }
  return kDefaultMaxBytes;
}

Cache::Cache(CacheOptions options) : impl(std::make_unique<Impl>()) {
  impl->directory =
      options.directory.empty() ? defaultDirectory() : options.directory;
  llvm::SmallString<256> entries(impl->directory);
  llvm::sys::path::append(entries, kEntriesName);
  impl->entriesDirectory = std::string(entries);
  impl->maxBytes = options.maxBytes ? options.maxBytes : defaultMaxBytes();
  impl->memory = options.memory;
}

Cache::~Cache() = default;

Cache &Cache::global() {
  // Never destroyed: kernels may be looked up from static destructors.
  static Cache *cache = new Cache();
  return *cache;
}

const std::string &Cache::directory() const { return impl->directory; }
const std::string &Cache::entriesDirectory() const {
  return impl->entriesDirectory;
}
uint64_t Cache::maxBytes() const { return impl->maxBytes; }

CacheStats Cache::stats() const {
  std::lock_guard<std::mutex> guard(impl->mutex);
  return impl->stats;
}

void Cache::clearMemory() {
  std::lock_guard<std::mutex> guard(impl->mutex);
  impl->entries.clear();
  impl->memoryBytes = 0;
}

void Cache::Impl::warnUntrusted(const std::string &path,
                                const std::string &why) {
  std::lock_guard<std::mutex> guard(mutex);
  ++stats.untrusted;
  if (!warned.insert(path + why).second)
    return;
  std::fprintf(stderr,
               "kite: warning: not using the JIT cache in %s: %s. Whoever can "
               "write there chooses the code Kite runs. Make it yours alone "
               "(chown it to this user; chmod go-w) or set KITE_CACHE_DIR to "
               "a directory of your own; until then kernels are compiled and "
               "not cached on disk.\n",
               path.c_str(), why.c_str());
}

Cache::Impl::OpenedStore Cache::Impl::openStore(bool create) {
  OpenedStore opened;
  auto fail = [&](const std::string &path) {
    if (create)
      opened.error = "cannot open " + path + ": " + std::strerror(errno);
    return std::move(opened);
  };
  // The directory the user named may be a link (their choice); nothing in
  // it is followed.
  FileDescriptor root(
      ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid() && errno == ENOENT && create &&
      !llvm::sys::fs::create_directories(directory, true,
                                         llvm::sys::fs::owner_all))
    root = FileDescriptor(
        ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid())
    return fail(directory);
  if (std::string why = untrustedBecause(root.get(), /*sharedParent=*/true);
      !why.empty()) {
    warnUntrusted(directory, why);
    opened.untrusted = true;
    return opened;
  }
  opened.store = openDirectoryAt(root.get(), kEntriesName);
  if (!opened.store.valid() && errno == ENOENT && create &&
      (::mkdirat(root.get(), kEntriesName, 0700) == 0 || errno == EEXIST))
    opened.store = openDirectoryAt(root.get(), kEntriesName);
  if (!opened.store.valid() && (errno == ELOOP || errno == ENOTDIR)) {
    warnUntrusted(entriesDirectory, "it is a symbolic link or not a directory");
    opened.untrusted = true;
    return opened;
  }
  if (!opened.store.valid())
    return fail(entriesDirectory);
  if (std::string why = untrustedBecause(opened.store.get()); !why.empty()) {
    warnUntrusted(entriesDirectory, why);
    opened.store = FileDescriptor();
    opened.untrusted = true;
  }
  return opened;
}

/// Caller holds `mutex`. The memory map obeys the same cap as the disk; past
/// it, it starts over (kernels in use are also held by their callers).
void Cache::Impl::remember(const std::string &key, CacheEntry files) {
  if (!memory)
    return;
  uint64_t bytes = 0;
  for (const auto &file : *files)
    bytes += file.second.size();
  if (memoryBytes + bytes > maxBytes) {
    entries.clear();
    memoryBytes = 0;
  }
  auto [it, inserted] = entries.try_emplace(key);
  if (!inserted)
    memoryBytes -= it->second.bytes;
  it->second = {std::move(files), bytes, std::chrono::steady_clock::now()};
  memoryBytes += bytes;
}

void Cache::Impl::forget(const std::string &key) {
  std::lock_guard<std::mutex> guard(mutex);
  auto found = entries.find(key);
  if (found != entries.end()) {
    memoryBytes -= found->second.bytes;
    entries.erase(found);
  }
}

ReadOutcome Cache::Impl::read(int store, const std::string &key,
                              CacheFiles &files) {
  std::string why;
  ReadOutcome outcome = readEntry(store, key, files, why);
  if (outcome == ReadOutcome::Untrusted)
    warnUntrusted(entriesDirectory + "/" + key, why);
  if (outcome == ReadOutcome::Damaged || outcome == ReadOutcome::Untrusted) {
    removeEntry(store, key);
    std::lock_guard<std::mutex> guard(mutex);
    ++stats.damagedEntries;
  }
  return outcome;
}

CacheEntry Cache::lookup(const std::string &key) {
  if (!isValidKey(key))
    return nullptr;
  {
    std::unique_lock<std::mutex> guard(impl->mutex);
    auto found = impl->entries.find(key);
    if (found != impl->entries.end()) {
      ++impl->stats.memoryHits;
      CacheEntry entry = found->second.files;
      auto now = std::chrono::steady_clock::now();
      if (now - found->second.touched > kTouchInterval) {
        found->second.touched = now;
        guard.unlock();
        if (Impl::OpenedStore opened = impl->openStore(false);
            opened.store.valid())
          touchEntry(opened.store.get(), key);
      }
      return entry;
    }
  }
  Impl::OpenedStore opened = impl->openStore(false);
  CacheFiles files;
  bool found = opened.store.valid() &&
               impl->read(opened.store.get(), key, files) == ReadOutcome::Found;
  std::lock_guard<std::mutex> guard(impl->mutex);
  if (!found) {
    ++impl->stats.misses;
    return nullptr;
  }
  ++impl->stats.diskHits;
  touchEntry(opened.store.get(), key);
  auto entry = std::make_shared<const CacheFiles>(std::move(files));
  impl->remember(key, entry);
  return entry;
}

void Cache::remove(const std::string &key) {
  if (!isValidKey(key))
    return;
  impl->forget(key);
  if (Impl::OpenedStore opened = impl->openStore(false); opened.store.valid())
    removeEntry(opened.store.get(), key);
}
