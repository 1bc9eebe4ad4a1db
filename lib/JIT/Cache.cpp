//===- Cache.cpp - kite::Cache: memory map, disk entries, LRU eviction ----===//
#include "kite/Cache.h"
#include "lib/JIT/CacheDirectory.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <unordered_map>

using namespace kite;
namespace fs = llvm::sys::fs;

namespace {
constexpr uint64_t kDefaultMaxBytes = uint64_t(1) << 30;
/// Temporary directories older than this belong to crashed writers.
constexpr auto kStaleTemporary = std::chrono::hours(1);
/// A memory hit refreshes the entry's `last-used` at most this often.
constexpr auto kTouchInterval = std::chrono::seconds(60);

struct MemoryEntry {
  CacheEntry files;
  uint64_t bytes = 0;
  std::chrono::steady_clock::time_point touched;
};
} // namespace

struct Cache::Impl {
  std::string directory;
  uint64_t maxBytes = kDefaultMaxBytes;
  bool memory = true;
  mutable std::mutex mutex;
  std::unordered_map<std::string, MemoryEntry> entries;
  uint64_t memoryBytes = 0;
  CacheStats stats;

  std::string entryPath(const std::string &key) const {
    llvm::SmallString<256> path(directory);
    llvm::sys::path::append(path, key);
    return std::string(path);
  }
  void remember(const std::string &key, CacheEntry files);
};

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

CacheEntry Cache::lookup(const std::string &key) {
  if (!cache::isValidKey(key))
    return nullptr;
  std::string path = impl->entryPath(key);
  {
    std::lock_guard<std::mutex> guard(impl->mutex);
    auto found = impl->entries.find(key);
    if (found != impl->entries.end()) {
      ++impl->stats.memoryHits;
      auto now = std::chrono::steady_clock::now();
      if (now - found->second.touched > kTouchInterval) {
        found->second.touched = now;
        cache::touchEntry(path);
      }
      return found->second.files;
    }
  }
  CacheFiles files;
  cache::ReadOutcome outcome = cache::readEntry(path, files);
  std::lock_guard<std::mutex> guard(impl->mutex);
  if (outcome == cache::ReadOutcome::Damaged) {
    cache::removeEntry(impl->directory, path);
    ++impl->stats.damagedEntries;
  }
  if (outcome != cache::ReadOutcome::Found) {
    ++impl->stats.misses;
    return nullptr;
  }
  ++impl->stats.diskHits;
  cache::touchEntry(path);
  auto entry = std::make_shared<const CacheFiles>(std::move(files));
  impl->remember(key, entry);
  return entry;
}

Result<CacheEntry> Cache::store(const std::string &key,
                                const CacheFiles &files) {
  if (!cache::isValidKey(key))
    return Status::error("cache: invalid key '" + key +
                         "' (expected 1 to 128 of [A-Za-z0-9_-])");
  for (const auto &file : files)
    if (!cache::isValidFileName(file.first))
      return Status::error("cache: invalid file name '" + file.first + "'");
  if (std::error_code error = fs::create_directories(impl->directory))
    return Status::error("cache: cannot create " + impl->directory + ": " +
                         error.message());
  std::string path = impl->entryPath(key);
  auto adoptTheirs = [&](CacheFiles theirs) {
    auto entry = std::make_shared<const CacheFiles>(std::move(theirs));
    std::lock_guard<std::mutex> guard(impl->mutex);
    ++impl->stats.lostRaces;
    impl->remember(key, entry);
    return entry;
  };
  // Another process may have published the key while we compiled.
  CacheFiles theirs;
  if (cache::readEntry(path, theirs) == cache::ReadOutcome::Found)
    return CacheEntry(adoptTheirs(std::move(theirs)));

  std::string temporary = cache::hiddenPath(impl->directory, "tmp", key);
  if (std::string why = cache::writeEntry(temporary, files); !why.empty()) {
    (void)fs::remove_directories(temporary, /*IgnoreErrors=*/true);
    return Status::error("cache: " + why);
  }
  for (int attempt = 0; attempt < 4; ++attempt) {
    std::error_code error = fs::rename(temporary, path);
    if (!error) {
      auto entry = std::make_shared<const CacheFiles>(files);
      {
        std::lock_guard<std::mutex> guard(impl->mutex);
        ++impl->stats.stores;
        impl->remember(key, entry);
      }
      evict(key);
      return CacheEntry(entry);
    }
    if (error != std::errc::directory_not_empty &&
        error != std::errc::file_exists) {
      (void)fs::remove_directories(temporary, true);
      return Status::error("cache: rename(" + temporary + ", " + path +
                           ") failed: " + error.message());
    }
    // The key was published first by another process: use its entry, unless
    // it is damaged (then replace it) or was evicted meanwhile (try again).
    theirs.clear();
    cache::ReadOutcome outcome = cache::readEntry(path, theirs);
    if (outcome == cache::ReadOutcome::Found) {
      (void)fs::remove_directories(temporary, true);
      return CacheEntry(adoptTheirs(std::move(theirs)));
    }
    if (outcome == cache::ReadOutcome::Damaged) {
      cache::removeEntry(impl->directory, path);
      std::lock_guard<std::mutex> guard(impl->mutex);
      ++impl->stats.damagedEntries;
    }
  }
  (void)fs::remove_directories(temporary, true);
  return Status::error("cache: could not publish " + path +
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

namespace {
struct DiskEntry {
  std::string key;
  std::string path;
  uint64_t bytes;
  llvm::sys::TimePoint<> used;
};
} // namespace

/// The published entries in `directory`; removes stale temporary ones.
static std::vector<DiskEntry> scanEntries(const std::string &directory) {
  std::vector<DiskEntry> entries;
  std::error_code error;
  auto now = std::chrono::system_clock::now();
  for (fs::directory_iterator it(directory, error), end; it != end && !error;
       it.increment(error)) {
    std::string path = it->path();
    std::string name = llvm::sys::path::filename(path).str();
    fs::file_status status;
    if (name[0] == '.') {
      if (!fs::status(path, status) &&
          now - status.getLastModificationTime() > kStaleTemporary)
        (void)fs::remove_directories(path, /*IgnoreErrors=*/true);
      continue;
    }
    if (!cache::isValidKey(name))
      continue;
    llvm::SmallString<256> lastUsed(path);
    llvm::sys::path::append(lastUsed, cache::kLastUsedName);
    if (fs::status(lastUsed, status) && fs::status(path, status))
      continue;
    entries.push_back({name, path, cache::entryBytes(path),
                       status.getLastModificationTime()});
  }
  return entries;
}

uint64_t Cache::diskBytes() const {
  uint64_t total = 0;
  for (const DiskEntry &entry : scanEntries(impl->directory))
    total += entry.bytes;
  return total;
}

void Cache::evict(const std::string &keep) {
  std::vector<DiskEntry> entries = scanEntries(impl->directory);
  uint64_t total = 0;
  for (const DiskEntry &entry : entries)
    total += entry.bytes;
  if (total <= impl->maxBytes)
    return;
  std::sort(
      entries.begin(), entries.end(),
      [](const DiskEntry &a, const DiskEntry &b) { return a.used < b.used; });
  for (const DiskEntry &entry : entries) {
    if (total <= impl->maxBytes)
      break;
    if (entry.key == keep)
      continue;
    cache::removeEntry(impl->directory, entry.path);
    total -= entry.bytes;
    std::lock_guard<std::mutex> guard(impl->mutex);
    ++impl->stats.evictions;
    auto found = impl->entries.find(entry.key);
    if (found != impl->entries.end()) {
      impl->memoryBytes -= found->second.bytes;
      impl->entries.erase(found);
    }
  }
}
