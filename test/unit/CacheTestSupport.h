//===- CacheTestSupport.h - a temporary cache directory per test -*- C++
//-*-===//
#ifndef KITE_TEST_UNIT_CACHETESTSUPPORT_H
#define KITE_TEST_UNIT_CACHETESTSUPPORT_H

#include "kite/Cache.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace kite::testing {

/// A fresh directory, removed with everything in it at the end of the test.
class TemporaryDirectory {
public:
  TemporaryDirectory() {
    const char *base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base && *base ? base : "/tmp") + "/kite-cache-test-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    path = mkdtemp(buffer.data()) ? buffer.data() : "";
    EXPECT_FALSE(path.empty());
  }
  ~TemporaryDirectory() {
    if (!path.empty())
      std::system(("rm -rf '" + path + "'").c_str());
  }
  std::string path;
};

inline bool exists(const std::string &path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0;
}

inline std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

inline void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

/// Replaces the file `name` of the cache entry in `entry` and its manifest
/// line, so that the entry passes every checksum with the new bytes.
inline void rewriteInEntry(const std::string &entry, const std::string &name,
                           const std::string &bytes) {
  writeFile(entry + "/" + name, bytes);
  std::string manifest = readFile(entry + "/manifest"), rewritten;
  for (size_t at = 0; at < manifest.size();) {
    size_t end = manifest.find('\n', at);
    std::string line = manifest.substr(at, end - at);
    at = end + 1;
    if (line.size() > name.size() &&
        line.compare(line.size() - name.size() - 1, std::string::npos,
                     " " + name) == 0)
      line = kite::sha256Hex(bytes) + " " + std::to_string(bytes.size()) + " " +
             name;
    rewritten += line + "\n";
  }
  writeFile(entry + "/manifest", rewritten);
}

/// The names in `directory`, without "." and "..".
inline std::vector<std::string> listDirectory(const std::string &directory) {
  std::vector<std::string> names;
  if (DIR *dir = opendir(directory.c_str())) {
    while (dirent *entry = readdir(dir)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..")
        names.push_back(name);
    }
    closedir(dir);
  }
  return names;
}

} // namespace kite::testing

#endif // KITE_TEST_UNIT_CACHETESTSUPPORT_H
