//===- SafeFiles.cpp - no-follow, no-block, no-abort file operations ------===//
#include "lib/JIT/SafeFiles.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace kite::cache;

/// A directory deeper than this inside an entry is not Kite's: removal
/// stops there rather than recursing without bound.
static constexpr int kMaxRemovalDepth = 16;

FileDescriptor &FileDescriptor::operator=(FileDescriptor &&other) {
  if (this != &other) {
    if (fd >= 0)
      ::close(fd);
    fd = other.fd;
    other.fd = -1;
  }
  return *this;
}

FileDescriptor::~FileDescriptor() {
  if (fd >= 0)
    ::close(fd);
}

static int retryOpenAt(int parent, const char *name, int flags,
                       mode_t mode = 0) {
  int fd;
  do
    fd = ::openat(parent, name, flags | O_CLOEXEC, mode);
  while (fd < 0 && errno == EINTR);
  return fd;
}

FileDescriptor kite::cache::openDirectoryAt(int parent,
                                            const std::string &name) {
  return FileDescriptor(
      retryOpenAt(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
}

FileRead kite::cache::readRegularFile(int directory, const std::string &name,
                                      uint64_t size, bool exact,
                                      std::string &bytes) {
  // O_NONBLOCK: opening a FIFO returns at once (and fstat refuses it).
  FileDescriptor file(
      retryOpenAt(directory, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK));
  if (!file.valid())
    return errno == ENOENT ? FileRead::Absent : FileRead::Refused;
  struct stat info;
  if (::fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode) ||
      (exact ? uint64_t(info.st_size) != size : uint64_t(info.st_size) > size))
    return FileRead::Refused;
  // The file may grow after fstat: read one byte more than allowed to see it.
  bytes.assign(size_t(info.st_size) + 1, '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t got = ::read(file.get(), &bytes[done], bytes.size() - done);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return FileRead::Refused;
    if (got == 0)
      break;
    done += size_t(got);
  }
  if (done != size_t(info.st_size))
    return FileRead::Refused;
  bytes.resize(done);
  return FileRead::Read;
}

namespace {
/// Blocks SIGXFSZ in this thread while it lives: past RLIMIT_FSIZE a write
/// then fails with EFBIG instead of the signal ending the process. A signal
/// the writes raised is taken off the pending set before unblocking.
class FileSizeSignalBlocked {
public:
  FileSizeSignalBlocked() {
    sigemptyset(&only);
    sigaddset(&only, SIGXFSZ);
    pthread_sigmask(SIG_BLOCK, &only, &previous);
  }
  ~FileSizeSignalBlocked() {
    if (raised && !sigismember(&previous, SIGXFSZ)) {
      struct timespec now = {0, 0};
      while (sigtimedwait(&only, nullptr, &now) == SIGXFSZ) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  }
  bool raised = false;

private:
  sigset_t only, previous;
};
} // namespace

std::string kite::cache::writeNewFile(int directory, const std::string &name,
                                      llvm::StringRef bytes) {
  FileDescriptor file(retryOpenAt(
      directory, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600));
  if (!file.valid())
    return "cannot create " + name + ": " + std::strerror(errno);
  FileSizeSignalBlocked blocked;
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t wrote =
        ::write(file.get(), bytes.data() + done, bytes.size() - done);
    if (wrote < 0 && errno == EINTR)
      continue;
    if (wrote <= 0) {
      int error = wrote < 0 ? errno : ENOSPC;
      blocked.raised = error == EFBIG;
      return "cannot write " + name + ": " + std::strerror(error);
    }
    done += size_t(wrote);
  }
  // close(2) can report a delayed write error (NFS, quotas).
  if (::close(file.release()) != 0 && errno != EINTR)
    return "cannot write " + name + ": " + std::strerror(errno);
  return "";
}

std::vector<std::string> kite::cache::namesIn(int directory) {
  std::vector<std::string> names;
  // fdopendir takes the descriptor it is given: give it a copy.
  int listing = ::dup(directory);
  DIR *dir = listing >= 0 ? ::fdopendir(listing) : nullptr;
  if (!dir) {
    if (listing >= 0)
      ::close(listing);
    return names;
  }
  while (dirent *entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..")
      names.push_back(name);
  }
  ::closedir(dir);
  return names;
}

/// Depth-first, each level through its own descriptor: a name swapped for a
/// link between the checks fails O_NOFOLLOW and is unlinked as a link.
static void removeAt(int parent, const std::string &name, int depth) {
  struct stat info;
  if (::fstatat(parent, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0)
    return;
  if (!S_ISDIR(info.st_mode)) {
    ::unlinkat(parent, name.c_str(), 0);
    return;
  }
  if (depth >= kMaxRemovalDepth)
    return;
  FileDescriptor child = openDirectoryAt(parent, name);
  if (!child.valid()) {
    if (errno == ELOOP || errno == ENOTDIR)
      ::unlinkat(parent, name.c_str(), 0);
    return;
  }
  for (const std::string &childName : namesIn(child.get()))
    removeAt(child.get(), childName, depth + 1);
  ::unlinkat(parent, name.c_str(), AT_REMOVEDIR);
}

void kite::cache::removeTree(int directory, const std::string &name) {
  removeAt(directory, name, 0);
}

static std::string octal(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", unsigned(mode & 07777));
  return text;
}

std::string kite::cache::untrustedBecause(int fd, bool sharedParent) {
  struct stat info;
  if (::fstat(fd, &info) != 0)
    return std::string("it cannot be examined: ") + std::strerror(errno);
  if (!S_ISDIR(info.st_mode))
    return "it is not a directory";
  uid_t me = ::geteuid();
  if (info.st_uid != me && !(sharedParent && info.st_uid == 0))
    return "it is owned by uid " + std::to_string(info.st_uid) +
           ", not by this user (uid " + std::to_string(me) + ")";
  bool sticky = info.st_mode & S_ISVTX;
  if ((info.st_mode & S_IWOTH) && !(sharedParent && sticky))
    return "it is writable by all users (mode " + octal(info.st_mode) + ")";
  if ((info.st_mode & S_IWGRP) && !(sharedParent && sticky))
    return "it is writable by its group (mode " + octal(info.st_mode) + ")";
  return "";
}
