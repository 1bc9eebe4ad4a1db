//===- CacheDirectory.cpp - write, verify and remove cache entries --------===//
#include "lib/JIT/CacheDirectory.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <atomic>
#include <chrono>

using llvm::StringRef;
namespace fs = llvm::sys::fs;

static constexpr StringRef kManifestHeader = "kite-cache-entry 1";

static std::string join(const std::string &directory, StringRef name) {
  llvm::SmallString<256> path(directory);
  llvm::sys::path::append(path, name);
  return std::string(path);
}

static bool isNameCharacter(char c) {
  return llvm::isAlnum(c) || c == '_' || c == '-';
}

bool kite::cache::isValidKey(const std::string &key) {
  return !key.empty() && key.size() <= 128 &&
         llvm::all_of(key, isNameCharacter);
}

bool kite::cache::isValidFileName(const std::string &name) {
  return !name.empty() && name.size() <= 128 && name[0] != '.' &&
         name != kManifestName && name != kLastUsedName &&
         llvm::all_of(name,
                      [](char c) { return isNameCharacter(c) || c == '.'; });
}

/// Writes `bytes` to `path`; returns "" or what failed.
static std::string writeFile(const std::string &path, StringRef bytes) {
  std::error_code error;
  llvm::raw_fd_ostream out(path, error, fs::OF_None);
  if (error)
    return "cannot create " + path + ": " + error.message();
  out << bytes;
  out.close();
  if (out.has_error())
    return "cannot write " + path + ": " + out.error().message();
  return "";
}

std::string kite::cache::writeEntry(const std::string &directory,
                                    const CacheFiles &files) {
  if (std::error_code error = fs::create_directory(directory, false))
    return "cannot create " + directory + ": " + error.message();
  std::string manifest = std::string(kManifestHeader) + "\n";
  for (const auto &[name, bytes] : files) {
    if (std::string why = writeFile(join(directory, name), bytes); !why.empty())
      return why;
    manifest += sha256Hex(bytes) + " " + std::to_string(bytes.size()) + " " +
                name + "\n";
  }
  if (std::string why = writeFile(join(directory, kLastUsedName), "");
      !why.empty())
    return why;
  // The manifest last: an entry without one is incomplete.
  return writeFile(join(directory, kManifestName), manifest);
}

/// The manifest's lines as (sha256, size, name); false if it is malformed.
static bool
parseManifest(StringRef text,
              std::vector<std::tuple<StringRef, uint64_t, StringRef>> &out) {
  llvm::SmallVector<StringRef> lines;
  text.split(lines, '\n', -1, /*KeepEmpty=*/false);
  if (lines.empty() || lines[0] != kManifestHeader)
    return false;
  for (StringRef line : llvm::ArrayRef(lines).drop_front()) {
    auto [hash, rest] = line.split(' ');
    auto [sizeText, name] = rest.split(' ');
    uint64_t size;
    if (hash.size() != 64 || sizeText.getAsInteger(10, size) ||
        !kite::cache::isValidFileName(name.str()))
      return false;
    out.emplace_back(hash, size, name);
  }
  return true;
}

kite::cache::ReadOutcome kite::cache::readEntry(const std::string &directory,
                                                CacheFiles &files) {
  if (!fs::is_directory(directory))
    return ReadOutcome::Absent;
  auto manifest = llvm::MemoryBuffer::getFile(join(directory, kManifestName),
                                              /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
  std::vector<std::tuple<StringRef, uint64_t, StringRef>> listed;
  if (!manifest || !parseManifest((*manifest)->getBuffer(), listed))
    return ReadOutcome::Damaged;
  for (auto &[hash, size, name] : listed) {
    auto file = llvm::MemoryBuffer::getFile(join(directory, name),
                                            /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
    if (!file || (*file)->getBufferSize() != size)
      return ReadOutcome::Damaged;
    std::string bytes = (*file)->getBuffer().str();
    if (sha256Hex(bytes) != hash)
      return ReadOutcome::Damaged;
    files.emplace(name.str(), std::move(bytes));
  }
  return ReadOutcome::Found;
}

uint64_t kite::cache::entryBytes(const std::string &directory) {
  auto manifest =
      llvm::MemoryBuffer::getFile(join(directory, kManifestName), false, false);
  std::vector<std::tuple<StringRef, uint64_t, StringRef>> listed;
  if (!manifest || !parseManifest((*manifest)->getBuffer(), listed))
    return 0;
  uint64_t total = (*manifest)->getBufferSize();
  for (auto &entry : listed)
    total += std::get<1>(entry);
  return total;
}

void kite::cache::touchEntry(const std::string &directory) {
  std::string path = join(directory, kLastUsedName);
  int fd;
  if (fs::openFileForWrite(path, fd, fs::CD_OpenAlways))
    return;
  (void)fs::setLastAccessAndModificationTime(fd,
                                             std::chrono::system_clock::now());
  llvm::sys::Process::SafelyCloseFileDescriptor(fd);
}

void kite::cache::removeEntry(const std::string &cacheDirectory,
                              const std::string &directory) {
  std::string trash = hiddenPath(cacheDirectory, "trash",
                                 llvm::sys::path::filename(directory).str());
  // If the rename fails, another process already moved it away.
  if (!fs::rename(directory, trash))
    (void)fs::remove_directories(trash, /*IgnoreErrors=*/true);
}

std::string kite::cache::hiddenPath(const std::string &cacheDirectory,
                                    const char *kind, const std::string &key) {
  static std::atomic<uint64_t> counter{0};
  uint64_t random =
      std::chrono::steady_clock::now().time_since_epoch().count() ^
      (uint64_t(llvm::sys::Process::getProcessId()) << 32);
  return join(cacheDirectory,
              "." + std::string(kind) + "-" + key + "-" +
                  std::to_string(llvm::sys::Process::getProcessId()) + "-" +
                  std::to_string(counter++) + "-" + llvm::utohexstr(random));
}
