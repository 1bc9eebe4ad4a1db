//===- SafeFiles.h - files in a directory others may tamper with -*- C++
//-*-===//
//
// The cache's file operations, relative to an open directory and never
// through a symbolic link: a link in the cache is removed as a link or
// refused, never followed, so no name in the cache can make Kite read,
// write or delete anything outside it. Reads accept only regular files and
// stop at a stated size; writes report every error (a full disk, a file-size
// limit) instead of ending the process.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_LIB_JIT_SAFEFILES_H
#define KITE_LIB_JIT_SAFEFILES_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kite::cache {

/// An open file descriptor, closed when it goes.
class FileDescriptor {
public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd(fd) {}
  FileDescriptor(FileDescriptor &&other) : fd(other.fd) { other.fd = -1; }
  FileDescriptor &operator=(FileDescriptor &&other);
  FileDescriptor(const FileDescriptor &) = delete;
  FileDescriptor &operator=(const FileDescriptor &) = delete;
  ~FileDescriptor();
  int get() const { return fd; }
  bool valid() const { return fd >= 0; }
  /// The descriptor, no longer closed here.
  int release() {
    int released = fd;
    fd = -1;
    return released;
  }

private:
  int fd = -1;
};

/// Opens the directory `name` in `parent`; a symbolic link, a missing name
/// or anything but a directory gives an invalid descriptor and sets errno
/// (ELOOP for a link, ENOTDIR for another kind of file).
FileDescriptor openDirectoryAt(int parent, const std::string &name);

enum class FileRead { Read, Absent, Refused };
/// Reads the file `name` in `directory` into `bytes` if it is a regular file
/// (not a link, FIFO, device or directory) of exactly `size` bytes, or,
/// with `exact` false, of at most `size` bytes. Never reads more than
/// `size` + 1 bytes and never blocks on a special file.
FileRead readRegularFile(int directory, const std::string &name, uint64_t size,
                         bool exact, std::string &bytes);

/// Creates the file `name` in `directory` (it must not exist) and writes
/// `bytes`. Returns "" or what failed; a file-size limit (SIGXFSZ) is an
/// error here, not the end of the process.
std::string writeNewFile(int directory, const std::string &name,
                         llvm::StringRef bytes);

/// The names in the open `directory`, without "." and "..".
std::vector<std::string> namesIn(int directory);

/// Removes `name` from `directory`: a file or a link itself, or a directory
/// with everything in it. Never follows a symbolic link; best effort.
void removeTree(int directory, const std::string &name);

/// "" if the directory open as `fd` is owned by this process's user and
/// writable by no one else, else why not ("owned by uid 65534", "writable by
/// its group (mode 0775)"). With `sharedParent`, a directory owned by root
/// and a world-writable one with the sticky bit (as /tmp) pass too: others
/// can add names there but not replace the ones Kite checks.
std::string untrustedBecause(int fd, bool sharedParent = false);

} // namespace kite::cache

#endif // KITE_LIB_JIT_SAFEFILES_H
