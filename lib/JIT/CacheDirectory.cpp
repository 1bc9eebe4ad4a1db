//===- CacheDirectory.cpp - write, verify and remove cache entries --------===//
#include "lib/JIT/CacheDirectory.h"
#include "lib/JIT/SafeFiles.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Process.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <tuple>
#include <unistd.h>
#include <vector>

using llvm::StringRef;
using namespace kite::cache;

/// Version 2 names the key and the number of files, so that an entry moved
/// under another key, or a manifest cut short at a line, is damaged.
static constexpr StringRef kManifestHeader = "kite-cache-entry 2";
/// A manifest larger than this is not one the cache wrote.
static constexpr uint64_t kMaxManifestBytes = 1 << 20;

static bool isNameCharacter(char c) {
  return llvm::isAlnum(c) || c == '_' || c == '-';
}

bool kite::cache::isValidKey(StringRef key) {
  return !key.empty() && key.size() <= 128 &&
         llvm::all_of(key, isNameCharacter);
}

bool kite::cache::isValidFileName(StringRef name) {
  return !name.empty() && name.size() <= 128 && name[0] != '.' &&
         name != kManifestName && name != kLastUsedName &&
         llvm::all_of(name,
                      [](char c) { return isNameCharacter(c) || c == '.'; });
}

std::string kite::cache::writeEntry(int store, const std::string &name,
                                    const std::string &key,
                                    const CacheFiles &files) {
  if (::mkdirat(store, name.c_str(), 0700) != 0)
    return "cannot create " + name + ": " + std::strerror(errno);
  FileDescriptor entry = openDirectoryAt(store, name);
  if (!entry.valid())
    return "cannot open " + name + ": " + std::strerror(errno);
  std::string manifest = std::string(kManifestHeader) + "\nkey " + key +
                         "\nfiles " + std::to_string(files.size()) + "\n";
  for (const auto &[file, bytes] : files) {
    if (std::string why = writeNewFile(entry.get(), file, bytes); !why.empty())
      return name + ": " + why;
    manifest += sha256Hex(bytes) + " " + std::to_string(bytes.size()) + " " +
                file + "\n";
  }
  if (std::string why = writeNewFile(entry.get(), kLastUsedName, "");
      !why.empty())
    return name + ": " + why;
  // The manifest last: an entry without one is incomplete.
  if (std::string why = writeNewFile(entry.get(), kManifestName, manifest);
      !why.empty())
    return name + ": " + why;
  return "";
}

using Listing = std::vector<std::tuple<StringRef, uint64_t, StringRef>>;

/// The manifest's files as (sha256, size, name); false if it is malformed,
/// cut short, or written for another key.
static bool parseManifest(StringRef text, StringRef key, Listing &out) {
  llvm::SmallVector<StringRef> lines;
  if (!text.consume_back("\n"))
    return false;
  text.split(lines, '\n');
  uint64_t count;
  if (lines.size() < 3 || lines[0] != kManifestHeader ||
      lines[1] != ("key " + key).str() || !lines[2].consume_front("files ") ||
      lines[2].getAsInteger(10, count) || count != lines.size() - 3)
    return false;
  for (StringRef line : llvm::ArrayRef(lines).drop_front(3)) {
    auto [hash, rest] = line.split(' ');
    auto [sizeText, name] = rest.split(' ');
    uint64_t size;
    if (hash.size() != 64 || sizeText.getAsInteger(10, size) ||
        !isValidFileName(name))
      return false;
    out.emplace_back(hash, size, name);
  }
  return true;
}

static bool readManifest(int entry, StringRef key, std::string &text,
                         Listing &listed) {
  return readRegularFile(entry, kManifestName, kMaxManifestBytes,
                         /*exact=*/false, text) == FileRead::Read &&
         parseManifest(text, key, listed);
}

ReadOutcome kite::cache::readEntry(int store, const std::string &key,
                                   CacheFiles &files, std::string &why) {
  FileDescriptor entry = openDirectoryAt(store, key);
  if (!entry.valid())
    return errno == ENOENT ? ReadOutcome::Absent : ReadOutcome::Damaged;
  why = untrustedBecause(entry.get());
  if (!why.empty())
    return ReadOutcome::Untrusted;
  std::string manifest;
  Listing listed;
  if (!readManifest(entry.get(), key, manifest, listed))
    return ReadOutcome::Damaged;
  for (auto &[hash, size, name] : listed) {
    std::string bytes;
    if (readRegularFile(entry.get(), name.str(), size, /*exact=*/true, bytes) !=
            FileRead::Read ||
        sha256Hex(bytes) != hash)
      return ReadOutcome::Damaged;
    files.emplace(name.str(), std::move(bytes));
  }
  return ReadOutcome::Found;
}

uint64_t kite::cache::entryBytes(int store, const std::string &key) {
  FileDescriptor entry = openDirectoryAt(store, key);
  std::string manifest;
  Listing listed;
  if (!entry.valid() || !readManifest(entry.get(), key, manifest, listed))
    return 0;
  uint64_t total = manifest.size();
  for (auto &file : listed)
    total += std::get<1>(file);
  return total;
}

void kite::cache::touchEntry(int store, const std::string &key) {
  FileDescriptor entry = openDirectoryAt(store, key);
  if (!entry.valid())
    return;
  FileDescriptor file(
      ::openat(entry.get(), kLastUsedName,
               O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
  struct stat info;
  if (file.valid() && ::fstat(file.get(), &info) == 0 && S_ISREG(info.st_mode))
    (void)::futimens(file.get(), nullptr);
}

void kite::cache::removeEntry(int store, const std::string &key) {
  std::string trash = hiddenName("trash", key);
  // If the rename fails, another process already moved it away.
  if (::renameat(store, key.c_str(), store, trash.c_str()) == 0)
    removeTree(store, trash);
}

std::string kite::cache::hiddenName(const char *kind, const std::string &key) {
  static std::atomic<uint64_t> counter{0};
  uint64_t pid = llvm::sys::Process::getProcessId();
  uint64_t random =
      std::chrono::steady_clock::now().time_since_epoch().count() ^ (pid << 32);
  return "." + std::string(kind) + "-" + key + "-" + std::to_string(pid) + "-" +
         std::to_string(counter++) + "-" + llvm::utohexstr(random);
}

bool kite::cache::isHiddenName(StringRef name) {
  if (!name.consume_front(".tmp-") && !name.consume_front(".trash-"))
    return false;
  auto [rest, hex] = name.rsplit('-');
  auto [rest2, counter] = rest.rsplit('-');
  auto [key, pid] = rest2.rsplit('-');
  auto all = [](StringRef text, auto predicate) {
    return !text.empty() && llvm::all_of(text, predicate);
  };
  return isValidKey(key) && all(pid, llvm::isDigit) &&
         all(counter, llvm::isDigit) && all(hex, llvm::isHexDigit);
}
