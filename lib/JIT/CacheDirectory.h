//===- CacheDirectory.h - one cache entry as a directory --------*- C++ -*-===//
#ifndef KITE_LIB_JIT_CACHEDIRECTORY_H
#define KITE_LIB_JIT_CACHEDIRECTORY_H

#include "kite/Cache.h"

#include <string>

namespace kite::cache {

/// Names written next to the entry's own files.
inline constexpr const char *kManifestName = "manifest";
inline constexpr const char *kLastUsedName = "last-used";

/// Keys become directory names: [A-Za-z0-9_-], 1 to 128 characters.
bool isValidKey(const std::string &key);
/// See CacheFiles: [A-Za-z0-9._-], no leading '.', not a reserved name.
bool isValidFileName(const std::string &name);

/// Creates `directory` and writes `files`, their manifest and `last-used`
/// into it. Returns "" or what failed.
std::string writeEntry(const std::string &directory, const CacheFiles &files);

enum class ReadOutcome { Found, Absent, Damaged };
/// Reads the entry in `directory` and checks every file against the
/// manifest (size and SHA-256).
ReadOutcome readEntry(const std::string &directory, CacheFiles &files);

/// The entry's bytes as its manifest lists them (0 if it has none).
uint64_t entryBytes(const std::string &directory);

/// Marks the entry as used now (its `last-used` file's modification time).
void touchEntry(const std::string &directory);

/// Removes `directory` so that no reader sees it half-deleted: it is first
/// renamed to a hidden name inside `cacheDirectory`, then deleted.
void removeEntry(const std::string &cacheDirectory,
                 const std::string &directory);

/// A fresh hidden name in `cacheDirectory` (".tmp-…" or ".trash-…"), unique
/// across processes and threads.
std::string hiddenPath(const std::string &cacheDirectory, const char *kind,
                       const std::string &key);

} // namespace kite::cache

#endif // KITE_LIB_JIT_CACHEDIRECTORY_H
