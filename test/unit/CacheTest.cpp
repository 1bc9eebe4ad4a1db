//===- CacheTest.cpp - kite::Cache in one process -------------------------===//
#include "kite/Cache.h"
#include "CacheTestSupport.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <sys/time.h>

namespace {

using kite::testing::exists;
using kite::testing::listDirectory;
using kite::testing::readFile;
using kite::testing::TemporaryDirectory;
using kite::testing::writeFile;

kite::CacheFiles compiledKernel(const std::string &tag) {
  return {{"kite.mlir", "module { // " + tag + "\n}\n"},
          {"kernel.spv", std::string("\x03\x02\x23\x07\0\0", 6) + tag}};
}

kite::CacheOptions optionsFor(const std::string &directory,
                              uint64_t maxBytes = 0) {
  kite::CacheOptions options;
  options.directory = directory;
  options.maxBytes = maxBytes;
  return options;
}

/// Where `dir`'s cache keeps its entries.
std::string entriesOf(const TemporaryDirectory &dir) {
  return dir.path + "/kite-cache-v2";
}

/// Sets the modification time of `path` to `secondsAgo` before now.
void age(const std::string &path, int secondsAgo) {
  struct timeval times[2];
  gettimeofday(&times[0], nullptr);
  times[0].tv_sec -= secondsAgo;
  times[1] = times[0];
  ASSERT_EQ(utimes(path.c_str(), times), 0) << path;
}

TEST(CacheKey, IsSha256OverLengthPrefixedParts) {
  EXPECT_EQ(kite::sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::vector<std::string> parts = {
      "0.1.0",      "build", "src", "BLOCK=128", "vulkan:6d657361-3232",
      "num_warps=4"};
  std::string key = kite::cacheKey(parts);
  EXPECT_EQ(key.size(), 64u);
  EXPECT_TRUE(std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }));
  EXPECT_EQ(kite::cacheKey(parts), key);
  // Every part matters, and so do order and boundaries.
  for (size_t i = 0; i < parts.size(); ++i) {
    std::vector<std::string> changed = parts;
    changed[i] += "x";
    EXPECT_NE(kite::cacheKey(changed), key) << i;
  }
  EXPECT_NE(kite::cacheKey({"ab", "c"}), kite::cacheKey({"a", "bc"}));
  EXPECT_NE(kite::cacheKey({"a", "b"}), kite::cacheKey({"b", "a"}));
  EXPECT_NE(kite::cacheKey({}), kite::cacheKey({""}));
}

TEST(Cache, MissStoreHitInMemoryAndOnDisk) {
  TemporaryDirectory dir;
  std::string key = kite::cacheKey({"kernel"});
  kite::Cache cache(optionsFor(dir.path));
  EXPECT_EQ(cache.lookup(key), nullptr);
  kite::Result<kite::CacheEntry> stored = cache.store(key, compiledKernel("a"));
  ASSERT_TRUE(stored.ok()) << stored.message();
  EXPECT_EQ(**stored, compiledKernel("a"));

  kite::CacheEntry hit = cache.lookup(key);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, compiledKernel("a"));
  kite::CacheStats stats = cache.stats();
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.stores, 1u);
  EXPECT_EQ(stats.memoryHits, 1u);

  // The layout on disk: one directory per key, named files, manifest.
  std::string entry = entriesOf(dir) + "/" + key;
  EXPECT_EQ(readFile(entry + "/kite.mlir"), compiledKernel("a")["kite.mlir"]);
  std::string manifest = readFile(entry + "/manifest");
  EXPECT_EQ(manifest.rfind("kite-cache-entry 2\nkey " + key + "\nfiles 2\n", 0),
            0u)
      << manifest;
  EXPECT_NE(manifest.find(kite::sha256Hex(compiledKernel("a")["kernel.spv"]) +
                          " 7 kernel.spv\n"),
            std::string::npos)
      << manifest;
  EXPECT_TRUE(exists(entry + "/last-used"));

  // Another cache on the same directory (another process) reads the disk.
  kite::Cache other(optionsFor(dir.path));
  kite::CacheEntry fromDisk = other.lookup(key);
  ASSERT_NE(fromDisk, nullptr);
  EXPECT_EQ(*fromDisk, compiledKernel("a"));
  EXPECT_EQ(other.stats().diskHits, 1u);
  other.clearMemory();
  EXPECT_NE(other.lookup(key), nullptr);
  EXPECT_EQ(other.stats().diskHits, 2u);
}

TEST(Cache, GetOrComputeComputesOnce) {
  TemporaryDirectory dir;
  int computed = 0;
  auto compute = [&]() -> kite::Result<kite::CacheFiles> {
    ++computed;
    return compiledKernel("x");
  };
  std::string key = kite::cacheKey({"k"});
  kite::Cache first(optionsFor(dir.path));
  ASSERT_TRUE(first.getOrCompute(key, compute).ok());
  ASSERT_TRUE(first.getOrCompute(key, compute).ok());
  kite::Cache second(optionsFor(dir.path));
  kite::Result<kite::CacheEntry> entry = second.getOrCompute(key, compute);
  ASSERT_TRUE(entry.ok());
  EXPECT_EQ(**entry, compiledKernel("x"));
  EXPECT_EQ(computed, 1);

  // A failed compilation is reported and stores nothing.
  kite::Result<kite::CacheEntry> failed = second.getOrCompute(
      kite::cacheKey({"other"}), []() -> kite::Result<kite::CacheFiles> {
        return kite::Status::error("compile failed");
      });
  EXPECT_EQ(failed.message(), "compile failed");
  EXPECT_EQ(second.stats().stores, 0u);
}

TEST(Cache, DamagedEntriesAreMissesAndAreReplaced) {
  TemporaryDirectory dir;
  std::string key = kite::cacheKey({"damaged"});
  std::string entry = entriesOf(dir) + "/" + key;
  ASSERT_TRUE(kite::Cache(optionsFor(dir.path))
                  .store(key, compiledKernel("good"))
                  .ok());

  // One flipped byte, same size.
  std::string binary = readFile(entry + "/kernel.spv");
  binary[7] ^= 0x20;
  writeFile(entry + "/kernel.spv", binary);
  kite::Cache cache(optionsFor(dir.path));
  EXPECT_EQ(cache.lookup(key), nullptr);
  EXPECT_EQ(cache.stats().damagedEntries, 1u);
  EXPECT_FALSE(exists(entry));

  // Recompiled, and right again.
  int computed = 0;
  kite::Result<kite::CacheEntry> again =
      cache.getOrCompute(key, [&]() -> kite::Result<kite::CacheFiles> {
        ++computed;
        return compiledKernel("good");
      });
  ASSERT_TRUE(again.ok()) << again.message();
  EXPECT_EQ(computed, 1);
  EXPECT_EQ(*kite::Cache(optionsFor(dir.path)).lookup(key),
            compiledKernel("good"));

  // A truncated file, a missing file, a missing manifest.
  for (const char *damage : {"truncate", "remove", "manifest"}) {
    std::string name =
        damage == std::string("manifest") ? "manifest" : "kite.mlir";
    if (damage == std::string("truncate"))
      writeFile(entry + "/" + name, "mod");
    else
      std::remove((entry + "/" + name).c_str());
    kite::Cache fresh(optionsFor(dir.path));
    EXPECT_EQ(fresh.lookup(key), nullptr) << damage;
    EXPECT_EQ(fresh.stats().damagedEntries, 1u) << damage;
    ASSERT_TRUE(fresh.store(key, compiledKernel("good")).ok()) << damage;
  }
}

TEST(Cache, PartialTemporaryDirectoriesAreIgnored) {
  TemporaryDirectory dir;
  std::string key = kite::cacheKey({"partial"});
  // A writer that crashed halfway: files but no manifest, never renamed.
  std::string temporary = entriesOf(dir) + "/.tmp-" + key + "-12345-0-abc";
  ASSERT_EQ(mkdir(entriesOf(dir).c_str(), 0700), 0);
  ASSERT_EQ(mkdir(temporary.c_str(), 0755), 0);
  writeFile(temporary + "/kite.mlir", "module {");

  kite::Cache cache(optionsFor(dir.path));
  EXPECT_EQ(cache.lookup(key), nullptr);
  ASSERT_TRUE(cache.store(key, compiledKernel("whole")).ok());
  EXPECT_EQ(*kite::Cache(optionsFor(dir.path)).lookup(key),
            compiledKernel("whole"));
  // A recent one may belong to a live writer; an old one is cleaned up.
  cache.evict();
  EXPECT_TRUE(exists(temporary));
  age(temporary, 2 * 3600);
  cache.evict();
  EXPECT_FALSE(exists(temporary));
  std::vector<std::string> names = listDirectory(entriesOf(dir));
  EXPECT_EQ(names, std::vector<std::string>{key});
}

TEST(Cache, EvictsLeastRecentlyUsedBeyondTheCap) {
  TemporaryDirectory dir;
  auto entryOf = [](char fill) {
    return kite::CacheFiles{{"kernel.spv", std::string(1000, fill)}};
  };
  std::string a = kite::cacheKey({"a"}), b = kite::cacheKey({"b"}),
              c = kite::cacheKey({"c"});
  kite::Cache writer(optionsFor(dir.path, 3000));
  ASSERT_TRUE(writer.store(a, entryOf('a')).ok());
  ASSERT_TRUE(writer.store(b, entryOf('b')).ok());
  uint64_t two = writer.diskBytes();
  EXPECT_GT(two, 2000u);
  EXPECT_LE(two, 3000u);
  age(entriesOf(dir) + "/" + a + "/last-used", 100);
  age(entriesOf(dir) + "/" + b + "/last-used", 50);

  // A hit makes `a` the most recently used, so `b` goes first.
  kite::Cache reader(optionsFor(dir.path, 3000));
  ASSERT_NE(reader.lookup(a), nullptr);
  ASSERT_TRUE(writer.store(c, entryOf('c')).ok());
  EXPECT_EQ(writer.stats().evictions, 1u);
  EXPECT_TRUE(exists(entriesOf(dir) + "/" + a));
  EXPECT_FALSE(exists(entriesOf(dir) + "/" + b));
  EXPECT_TRUE(exists(entriesOf(dir) + "/" + c));
  EXPECT_LE(writer.diskBytes(), 3000u);
  EXPECT_EQ(writer.lookup(b), nullptr); // Gone from memory too.

  // The entry just stored stays, even when it alone exceeds the cap.
  kite::Cache tiny(optionsFor(dir.path, 10));
  ASSERT_TRUE(tiny.store(b, entryOf('b')).ok());
  EXPECT_EQ(listDirectory(entriesOf(dir)), std::vector<std::string>{b});
}

TEST(Cache, RefusesBadKeysAndNames) {
  TemporaryDirectory dir;
  kite::Cache cache(optionsFor(dir.path));
  EXPECT_TRUE(cache.store("../escape", compiledKernel("x"))
                  .message()
                  .find("invalid key") != std::string::npos);
  for (const char *name : {"manifest", "last-used", ".hidden", "a/b", ""}) {
    kite::Result<kite::CacheEntry> stored =
        cache.store("key", {{name, "bytes"}});
    EXPECT_FALSE(stored.ok()) << name;
    EXPECT_NE(stored.message().find("invalid file name"), std::string::npos);
  }
  EXPECT_EQ(cache.lookup("../escape"), nullptr);
  EXPECT_TRUE(listDirectory(entriesOf(dir)).empty());
}

TEST(Cache, ConfiguredFromTheEnvironment) {
  TemporaryDirectory dir;
  setenv("KITE_CACHE_DIR", dir.path.c_str(), 1);
  setenv("KITE_CACHE_MAX_BYTES", "12345", 1);
  kite::Cache cache;
  EXPECT_EQ(cache.directory(), dir.path);
  EXPECT_EQ(cache.maxBytes(), 12345u);
  unsetenv("KITE_CACHE_DIR");
  unsetenv("KITE_CACHE_MAX_BYTES");
  kite::Cache defaults;
  EXPECT_EQ(defaults.maxBytes(), uint64_t(1) << 30);
  EXPECT_NE(defaults.directory().find("kite"), std::string::npos);
}

} // namespace
