//===- CacheProcessTest.cpp - several processes sharing one cache ---------===//
//
// Forked processes compile the same kernels into one empty cache at once.
// Each "compiles" bytes that name its own pid, so a process that lost the
// race to publish must end up with the winner's bytes: every process has to
// read identical entries, and nothing half-written may be left behind.
//
//===----------------------------------------------------------------------===//
#include "CacheTestSupport.h"
#include "kite/Cache.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

namespace {

using kite::testing::listDirectory;
using kite::testing::readFile;
using kite::testing::TemporaryDirectory;
using kite::testing::writeFile;

constexpr int kProcesses = 8;
constexpr int kKeys = 12;

/// The work of one child: returns its exit status.
int compileEverything(const std::string &cacheDir, const std::string &report,
                      int startPipe) {
  char go;
  if (read(startPipe, &go, 1) != 1) // Start together, to race.
    return 10;
  kite::Cache cache(kite::CacheOptions{cacheDir, 0, true});
  std::string digests;
  for (int k = 0; k < kKeys; ++k) {
    std::string key = kite::cacheKey({"kernel", std::to_string(k)});
    kite::Result<kite::CacheEntry> entry =
        cache.getOrCompute(key, [&]() -> kite::Result<kite::CacheFiles> {
          std::string compiled(64 * 1024, char('a' + k));
          compiled += "compiled by " + std::to_string(getpid());
          return kite::CacheFiles{{"kernel.spv", compiled},
                                  {"kite.mlir", "module {}"}};
        });
    if (!entry.ok())
      return 11;
    // What a later process reads from disk must match what this one got.
    kite::CacheEntry fromDisk =
        kite::Cache(kite::CacheOptions{cacheDir, 0, false}).lookup(key);
    if (!fromDisk || *fromDisk != **entry)
      return 12;
    digests += kite::sha256Hex((*entry)->at("kernel.spv")) + "\n";
  }
  writeFile(report, digests);
  return 0;
}

TEST(CacheProcesses, ConcurrentWritersOfOneKeyAllSucceedAndAgree) {
  TemporaryDirectory dir;
  std::string cacheDir = dir.path + "/cache"; // Not there yet: created racily.
  int start[2];
  ASSERT_EQ(pipe(start), 0);
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(start[1]);
      _exit(compileEverything(
          cacheDir, dir.path + "/report-" + std::to_string(i), start[0]));
    }
    children.push_back(pid);
  }
  close(start[0]);
  ASSERT_EQ(write(start[1], std::string(kProcesses, 'g').data(), kProcesses),
            kProcesses);
  close(start[1]);
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }

  std::string first = readFile(dir.path + "/report-0");
  EXPECT_EQ(std::count(first.begin(), first.end(), '\n'), kKeys);
  for (int i = 1; i < kProcesses; ++i)
    EXPECT_EQ(readFile(dir.path + "/report-" + std::to_string(i)), first) << i;

  // Exactly the published entries: no temporary or trash directories.
  std::vector<std::string> names = listDirectory(cacheDir + "/kite-cache-v2");
  EXPECT_EQ(names.size(), size_t(kKeys));
  for (const std::string &name : names)
    EXPECT_NE(name[0], '.') << name;
  kite::Cache cache(kite::CacheOptions{cacheDir, 0, false});
  for (int k = 0; k < kKeys; ++k) {
    kite::CacheEntry entry =
        cache.lookup(kite::cacheKey({"kernel", std::to_string(k)}));
    ASSERT_NE(entry, nullptr) << k;
    EXPECT_EQ(entry->at("kite.mlir"), "module {}");
  }
  EXPECT_EQ(cache.stats().damagedEntries, 0u);
}

} // namespace
