//===- CacheDirectory.h - one cache entry as a directory --------*- C++ -*-===//
//
// Entries live in the cache's own directory (the "store", opened once per
// operation and checked); every function here works relative to its open
// descriptor and never follows a symbolic link (SafeFiles.h).
//
//===----------------------------------------------------------------------===//
#ifndef KITE_LIB_JIT_CACHEDIRECTORY_H
#define KITE_LIB_JIT_CACHEDIRECTORY_H

#include "kite/Cache.h"

#include "llvm/ADT/StringRef.h"

#include <string>

namespace kite::cache {

/// Names written next to the entry's own files.
inline constexpr const char *kManifestName = "manifest";
inline constexpr const char *kLastUsedName = "last-used";

/// Keys become directory names: [A-Za-z0-9_-], 1 to 128 characters.
bool isValidKey(llvm::StringRef key);
/// See CacheFiles: [A-Za-z0-9._-], no leading '.', not a reserved name.
bool isValidFileName(llvm::StringRef name);

/// Creates the directory `name` in `store` and writes `files`, their
/// manifest (which names `key`) and `last-used` into it. Returns "" or what
/// failed (the caller removes the directory).
std::string writeEntry(int store, const std::string &name,
                       const std::string &key, const CacheFiles &files);

enum class ReadOutcome {
  Found,
  Absent,
  /// Incomplete, failing its checksums, written for another key, or holding
  /// anything but regular files: to be removed and recompiled.
  Damaged,
  /// Owned by another user or writable by others (`why` says which): never
  /// loaded, removed like a damaged one.
  Untrusted,
};
/// Reads the entry of `key` in `store` and checks every file against the
/// manifest (key, count, size and SHA-256 of each).
ReadOutcome readEntry(int store, const std::string &key, CacheFiles &files,
                      std::string &why);

/// The entry's bytes as its manifest lists them (0 if it has none).
uint64_t entryBytes(int store, const std::string &key);

/// Marks the entry as used now (its `last-used` file's modification time).
void touchEntry(int store, const std::string &key);

/// Removes the entry of `key` (whatever is there: a directory, a link, a
/// file) from `store` so that no reader sees it half-deleted: it is first
/// renamed to a fresh `.trash-…` name, then deleted without following links.
void removeEntry(int store, const std::string &key);

/// A fresh hidden name, `.<kind>-<key>-<pid>-<counter>-<hex>`, unique across
/// processes and threads; `kind` is "tmp" or "trash".
std::string hiddenName(const char *kind, const std::string &key);
/// Whether `name` is one that hiddenName makes (the only hidden names the
/// cache ever removes).
bool isHiddenName(llvm::StringRef name);

} // namespace kite::cache

#endif // KITE_LIB_JIT_CACHEDIRECTORY_H
