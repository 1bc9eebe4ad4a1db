//===- CacheSafetyTest.cpp - kite::Cache on a hostile or broken disk ------===//
//
// The cache removes only what it made, follows no link, never hangs on a
// special file, binds entries to their keys, refuses directories others can
// write, and reports a full disk or a file-size limit as an error.
//
//===----------------------------------------------------------------------===//
#include "CacheTestSupport.h"
#include "kite/Cache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <fcntl.h>
#include <functional>
#include <map>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using kite::testing::exists;
using kite::testing::listDirectory;
using kite::testing::readFile;
using kite::testing::TemporaryDirectory;
using kite::testing::writeFile;

kite::CacheFiles kernelFiles(const std::string &tag, size_t size = 100) {
  return {{"kernel.spv", std::string(size, 'k') + tag},
          {"kite.mlir", "module { // " + tag + "\n}\n"}};
}

kite::CacheOptions at(const std::string &directory, uint64_t maxBytes = 0) {
  kite::CacheOptions options;
  options.directory = directory;
  options.maxBytes = maxBytes;
  return options;
}

/// Sets the times of `path` (not of a link's target) two hours back.
void ageTwoHours(const std::string &path) {
  struct timespec times[2];
  clock_gettime(CLOCK_REALTIME, &times[0]);
  times[0].tv_sec -= 2 * 3600;
  times[1] = times[0];
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0)
      << path;
}

/// Every file under `root` (links not followed) with its contents.
std::map<std::string, std::string> contentsOf(const std::string &root) {
  std::map<std::string, std::string> found;
  for (const std::string &name : listDirectory(root)) {
    std::string path = root + "/" + name;
    struct stat info;
    lstat(path.c_str(), &info);
    if (S_ISDIR(info.st_mode))
      for (auto &[inner, bytes] : contentsOf(path))
        found[name + "/" + inner] = bytes;
    else
      found[name] = S_ISLNK(info.st_mode) ? "link" : readFile(path);
  }
  return found;
}

/// Runs `body` in a child process; its exit status, or -1 if it did not
/// end within `seconds` (then it is killed) or was killed by a signal.
template <typename Body> int inChild(int seconds, Body body) {
  pid_t child = fork();
  if (child == 0)
    _exit(body());
  for (int waited = 0; waited < seconds * 20; ++waited) {
    int status;
    if (waitpid(child, &status, WNOHANG) == child)
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    usleep(50000);
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  return -1;
}

TEST(CacheSafety, UnrelatedFilesAndOldDotfilesAreNeverRemoved) {
  TemporaryDirectory project;
  std::string root = project.path;
  ASSERT_EQ(mkdir((root + "/.git").c_str(), 0755), 0);
  writeFile(root + "/.git/HEAD", "ref: main");
  writeFile(root + "/.bashrc", "ls");
  writeFile(root + "/notes.txt", "notes");
  std::string lookalike = std::string(64, 'a');
  ASSERT_EQ(mkdir((root + "/" + lookalike).c_str(), 0700), 0);
  ASSERT_EQ(mkdir((root + "/.tmp-" + lookalike + "-1-0-AB").c_str(), 0700), 0);
  for (const std::string &name : listDirectory(root))
    ageTwoHours(root + "/" + name);
  auto before = contentsOf(root);

  kite::Cache cache(at(root, /*maxBytes=*/1)); // Evicts all but the newest.
  ASSERT_TRUE(cache.store(kite::cacheKey({"a"}), kernelFiles("a")).ok());
  std::string entries = cache.entriesDirectory();
  EXPECT_EQ(entries, root + "/kite-cache-v2");
  // Names in the cache's own directory that it did not make stay too.
  for (const char *name : {"README", ".notes", ".tmp-not-a-key"}) {
    writeFile(entries + "/" + name, "user");
    ageTwoHours(entries + "/" + name);
  }
  ASSERT_TRUE(cache.store(kite::cacheKey({"b"}), kernelFiles("b")).ok());
  cache.evict();
  auto after = contentsOf(root);
  for (const auto &[path, bytes] : before)
    EXPECT_EQ(after[path], bytes) << path;
  for (const char *name : {"README", ".notes", ".tmp-not-a-key"})
    EXPECT_TRUE(exists(entries + "/" + name)) << name;
  EXPECT_FALSE(exists(entries + "/" + kite::cacheKey({"a"}))); // Evicted.
}

TEST(CacheSafety, LinksAreRemovedOrIgnoredNeverFollowed) {
  TemporaryDirectory dir;
  std::string victim = dir.path + "/victim", root = dir.path + "/real";
  ASSERT_EQ(mkdir(victim.c_str(), 0755), 0);
  writeFile(victim + "/precious", "keep me");
  ageTwoHours(victim);
  ASSERT_EQ(mkdir(root.c_str(), 0700), 0);
  // The cache directory itself may be a link: the user's choice.
  ASSERT_EQ(symlink(root.c_str(), (dir.path + "/link").c_str()), 0);
  kite::Cache cache(at(dir.path + "/link"));
  std::string a = kite::cacheKey({"a"}), b = kite::cacheKey({"b"});
  ASSERT_TRUE(cache.store(a, kernelFiles("a")).ok());
  ASSERT_TRUE(cache.store(b, kernelFiles("b")).ok());
  std::string entries = cache.entriesDirectory();
  ASSERT_TRUE(exists(entries + "/" + a));

  // Links as crashed writers' leftovers, as an entry, as an entry's file.
  for (const char *kind : {".tmp-", ".trash-"}) {
    std::string link = entries + "/" + kind + a + "-1-0-AB";
    ASSERT_EQ(symlink(victim.c_str(), link.c_str()), 0);
    ageTwoHours(link);
  }
  std::system(("rm -rf '" + entries + "/" + a + "'").c_str());
  ASSERT_EQ(symlink(victim.c_str(), (entries + "/" + a).c_str()), 0);
  ASSERT_EQ(unlink((entries + "/" + b + "/kernel.spv").c_str()), 0);
  ASSERT_EQ(
      symlink(victim.c_str(), (entries + "/" + b + "/kernel.spv").c_str()), 0);
  std::string c = kite::cacheKey({"c"});
  ASSERT_EQ(symlink(victim.c_str(), (entries + "/" + c).c_str()), 0);

  kite::Cache fresh(at(dir.path + "/link", /*maxBytes=*/1));
  EXPECT_EQ(fresh.lookup(a), nullptr);
  EXPECT_EQ(fresh.lookup(b), nullptr);
  EXPECT_EQ(fresh.stats().damagedEntries, 2u);
  ASSERT_TRUE(fresh.store(a, kernelFiles("a")).ok()); // Evicts, cleans up.
  EXPECT_EQ(contentsOf(victim),
            (std::map<std::string, std::string>{{"precious", "keep me"}}));
  // The old links are gone as links; the one under a key that was never
  // looked up is not the cache's to judge until then.
  std::vector<std::string> names = listDirectory(entries), expected = {a, c};
  std::sort(names.begin(), names.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(names, expected);
}

TEST(CacheSafety, SpecialFilesInAnEntryAreDamageNotAHang) {
  TemporaryDirectory dir;
  std::string key = kite::cacheKey({"special"});
  for (const char *special : {"fifo", "/dev/zero", "directory"}) {
    kite::Cache cache(at(dir.path));
    ASSERT_TRUE(cache.store(key, kernelFiles("x")).ok());
    std::string file = cache.entriesDirectory() + "/" + key + "/kernel.spv";
    ASSERT_EQ(unlink(file.c_str()), 0);
    if (special == std::string("fifo"))
      ASSERT_EQ(mkfifo(file.c_str(), 0600), 0);
    else if (special == std::string("directory"))
      ASSERT_EQ(mkdir(file.c_str(), 0700), 0);
    else
      ASSERT_EQ(symlink(special, file.c_str()), 0);
    int status = inChild(20, [&] {
      kite::Cache reader(at(dir.path));
      return reader.lookup(key) == nullptr && reader.stats().damagedEntries == 1
                 ? 0
                 : 1;
    });
    EXPECT_EQ(status, 0) << special << ": -1 is a hang or a crash";
    EXPECT_FALSE(exists(cache.entriesDirectory() + "/" + key)) << special;
  }
}

TEST(CacheSafety, ExchangedEntriesAreMissesNotTheOtherKernel) {
  TemporaryDirectory dir;
  std::string a = kite::cacheKey({"a"}), b = kite::cacheKey({"b"});
  kite::Cache writer(at(dir.path));
  ASSERT_TRUE(writer.store(a, kernelFiles("a")).ok());
  ASSERT_TRUE(writer.store(b, kernelFiles("b")).ok());
  std::string entries = writer.entriesDirectory();
  ASSERT_EQ(rename((entries + "/" + a).c_str(), (entries + "/swap").c_str()),
            0);
  ASSERT_EQ(rename((entries + "/" + b).c_str(), (entries + "/" + a).c_str()),
            0);
  ASSERT_EQ(rename((entries + "/swap").c_str(), (entries + "/" + b).c_str()),
            0);
  kite::Cache reader(at(dir.path));
  EXPECT_EQ(reader.lookup(a), nullptr);
  EXPECT_EQ(reader.lookup(b), nullptr);
  EXPECT_EQ(reader.stats().damagedEntries, 2u);
}

TEST(CacheSafety, AManifestCutShortIsDamaged) {
  TemporaryDirectory dir;
  std::string key = kite::cacheKey({"cut"});
  kite::Cache writer(at(dir.path));
  std::string manifest = writer.entriesDirectory() + "/" + key + "/manifest";
  for (size_t keepLines : {1, 3, 4}) {
    ASSERT_TRUE(writer.store(key, kernelFiles("x")).ok());
    std::string text = readFile(manifest), cut;
    for (size_t line = 0, from = 0; line < keepLines; ++line) {
      size_t end = text.find('\n', from);
      cut += text.substr(from, end + 1 - from);
      from = end + 1;
    }
    writeFile(manifest, cut);
    kite::Cache reader(at(dir.path));
    EXPECT_EQ(reader.lookup(key), nullptr) << keepLines << " lines: " << cut;
    EXPECT_EQ(reader.stats().damagedEntries, 1u) << keepLines;
  }
}

/// Stores an entry in a cache at `root`, then changes `path` with `change`:
/// a later cache must warn (naming `path` and `reason`), load nothing and
/// write nothing, and still hand back what it is given.
void expectUntrusted(const std::string &root, const std::string &path,
                     const std::function<void()> &change,
                     const std::string &reason) {
  std::string key = kite::cacheKey({"trusted once"});
  ASSERT_TRUE(kite::Cache(at(root)).store(key, kernelFiles("x")).ok());
  change();
  auto before = contentsOf(root);
  kite::Cache cache(at(root));
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(cache.lookup(key), nullptr);
  kite::Result<kite::CacheEntry> stored =
      cache.store(kite::cacheKey({"new"}), kernelFiles("new"));
  EXPECT_EQ(cache.lookup(key), nullptr);
  std::string warning = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(stored.ok()) << stored.message();
  EXPECT_EQ(**stored, kernelFiles("new")); // Kept in memory.
  EXPECT_EQ(contentsOf(root), before);     // Nothing written or removed.
  EXPECT_EQ(cache.stats().untrusted, 3u);
  EXPECT_EQ(cache.stats().diskHits, 0u);
  std::string expected =
      "kite: warning: not using the JIT cache in " + path + ": it is " + reason;
  EXPECT_EQ(warning.find(expected), 0u) << warning;
  EXPECT_EQ(warning.find("kite: warning", 1), std::string::npos) << warning;
  EXPECT_NE(warning.find("KITE_CACHE_DIR"), std::string::npos) << warning;
}

TEST(CacheSafety, DirectoriesOthersCanWriteAreNotUsed) {
  for (const char *where : {"root", "entries"}) {
    for (mode_t bit : {S_IWOTH, S_IWGRP}) {
      TemporaryDirectory dir;
      std::string path = dir.path;
      if (where == std::string("entries"))
        path += "/kite-cache-v2";
      expectUntrusted(
          dir.path, path, [&] { chmod(path.c_str(), 0700 | bit); },
          bit == S_IWOTH ? "writable by all users (mode 0702)"
                         : "writable by its group (mode 0720)");
    }
  }
}

TEST(CacheSafety, DirectoriesOfAnotherUserAreNotUsed) {
  if (geteuid() != 0)
    GTEST_SKIP() << "giving a directory to another user needs root";
  for (const char *where : {"root", "entries"}) {
    TemporaryDirectory dir;
    std::string path = dir.path;
    if (where == std::string("entries"))
      path += "/kite-cache-v2";
    expectUntrusted(
        dir.path, path,
        [&] { ASSERT_EQ(chown(path.c_str(), 65534, 65534), 0); },
        "owned by uid 65534, not by this user (uid 0)");
  }
}

TEST(CacheSafety, AnEntryOthersCanWriteIsReplaced) {
  TemporaryDirectory dir;
  std::string key = kite::cacheKey({"entry"});
  kite::Cache writer(at(dir.path));
  ASSERT_TRUE(writer.store(key, kernelFiles("x")).ok());
  std::string entry = writer.entriesDirectory() + "/" + key;
  ASSERT_EQ(chmod(entry.c_str(), 0777), 0);
  kite::Cache reader(at(dir.path));
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(reader.lookup(key), nullptr);
  std::string warning = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(warning.find(entry + ": it is writable by all users"),
            std::string::npos)
      << warning;
  EXPECT_EQ(reader.stats().damagedEntries, 1u);
  ASSERT_TRUE(reader.store(key, kernelFiles("x")).ok());
  EXPECT_NE(kite::Cache(at(dir.path)).lookup(key), nullptr);
}

TEST(CacheSafety, AFileSizeLimitIsAnErrorNotTheEndOfTheProcess) {
  TemporaryDirectory dir;
  std::string key = kite::cacheKey({"big"});
  int status = inChild(20, [&] {
    struct rlimit limit = {8192, 8192};
    signal(SIGXFSZ, SIG_DFL); // As in a C++ program: the signal kills.
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0)
      return 2;
    kite::Cache cache(at(dir.path));
    kite::Result<kite::CacheEntry> stored =
        cache.store(key, kernelFiles("x", 64 * 1024));
    if (stored.ok() ||
        stored.message().find("File too large") == std::string::npos)
      return 3;
    // Nothing left behind, and a small entry still fits.
    if (listDirectory(cache.entriesDirectory()).size() != 0)
      return 4;
    return cache.store(key, kernelFiles("x")).ok() ? 0 : 5;
  });
  EXPECT_EQ(status, 0) << "-1: killed (SIGXFSZ or LLVM ERROR)";
  kite::Cache cache(at(dir.path));
  EXPECT_EQ(*cache.lookup(key), kernelFiles("x"));
  ASSERT_TRUE(
      cache.store(kite::cacheKey({"later"}), kernelFiles("y", 64 * 1024)).ok());
}

TEST(CacheSafety, AFullDiskIsAnError) {
  TemporaryDirectory dir;
  if (geteuid() != 0 ||
      mount("tmpfs", dir.path.c_str(), "tmpfs", 0, "size=64k") != 0)
    GTEST_SKIP() << "a small tmpfs (a disk that fills up) needs root";
  std::string root = dir.path + "/cache";
  kite::Cache cache(at(root));
  kite::Result<kite::CacheEntry> stored =
      cache.store(kite::cacheKey({"huge"}), kernelFiles("x", 256 * 1024));
  EXPECT_FALSE(stored.ok());
  EXPECT_NE(stored.message().find("No space left on device"), std::string::npos)
      << stored.message();
  EXPECT_TRUE(listDirectory(cache.entriesDirectory()).empty());
  EXPECT_TRUE(cache.store(kite::cacheKey({"small"}), kernelFiles("x")).ok());
  EXPECT_NE(kite::Cache(at(root)).lookup(kite::cacheKey({"small"})), nullptr);
  umount2(dir.path.c_str(), MNT_DETACH);
}

TEST(CacheSafety, RemoveForgetsAnEntryInMemoryAndOnDisk) {
  TemporaryDirectory dir;
  std::string key = kite::cacheKey({"removed"});
  kite::Cache cache(at(dir.path));
  ASSERT_TRUE(cache.store(key, kernelFiles("x")).ok());
  cache.remove(key);
  EXPECT_EQ(cache.lookup(key), nullptr);
  EXPECT_TRUE(listDirectory(cache.entriesDirectory()).empty());
}

} // namespace
