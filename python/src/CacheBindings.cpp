//===- CacheBindings.cpp - kite._C: the JIT cache -------------------------===//
//
// Entries are dicts of file name -> bytes. A failing store raises
// kite._C.CacheError (a RuntimeError); a miss is None.
//
//===----------------------------------------------------------------------===//
#include "Bindings.h"
#include "kite/Cache.h"

#include <pybind11/stl.h>

namespace py = pybind11;

namespace {

struct CacheError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

py::object toDict(const kite::CacheEntry &entry) {
  if (!entry)
    return py::none();
  py::dict files;
  for (const auto &[name, bytes] : *entry)
    files[py::str(name)] = py::bytes(bytes);
  return std::move(files);
}

/// str or bytes (str as UTF-8).
std::string toBytes(const py::handle &value) {
  if (py::isinstance<py::str>(value))
    return value.cast<std::string>();
  if (py::isinstance<py::bytes>(value))
    return std::string(value.cast<py::bytes>());
  throw py::type_error("expected str or bytes, got " +
                       std::string(py::str(py::type::handle_of(value))));
}

py::dict statsDict(const kite::CacheStats &s) {
  py::dict d;
  d["memory_hits"] = s.memoryHits;
  d["disk_hits"] = s.diskHits;
  d["misses"] = s.misses;
  d["stores"] = s.stores;
  d["lost_races"] = s.lostRaces;
  d["damaged_entries"] = s.damagedEntries;
  d["evictions"] = s.evictions;
  d["untrusted"] = s.untrusted;
  return d;
}

} // namespace

void kite::python::bindCache(py::module_ &m) {
  py::register_exception<CacheError>(m, "CacheError", PyExc_RuntimeError);

  m.def(
      "cache_key",
      [](const py::sequence &parts) {
        std::vector<std::string> strings;
        for (const py::handle &part : parts)
          strings.push_back(toBytes(part));
        return cacheKey(strings);
      },
      py::arg("parts"),
      "SHA-256 (64 hex digits) over the parts (str or bytes), each "
      "length-prefixed.");
  m.def(
      "sha256_hex",
      [](const py::object &data) { return sha256Hex(toBytes(data)); },
      py::arg("data"));

  py::class_<Cache>(m, "Cache")
      .def(py::init([](const std::string &directory, uint64_t maxBytes,
                       bool memory) {
             return new Cache(CacheOptions{directory, maxBytes, memory});
           }),
           py::arg("directory") = "", py::arg("max_bytes") = 0,
           py::arg("memory") = true,
           "A cache in `directory` ($KITE_CACHE_DIR or ~/.cache/kite when "
           "empty), capped at max_bytes ($KITE_CACHE_MAX_BYTES or 1 GiB "
           "when 0).")
      .def_static("default", &Cache::global, py::return_value_policy::reference,
                  "The process-wide cache the compiler uses.")
      .def_property_readonly("directory", &Cache::directory)
      .def_property_readonly("entries_directory", &Cache::entriesDirectory,
                             "Where the entries are: a directory the cache "
                             "owns inside `directory`.")
      .def_property_readonly("max_bytes", &Cache::maxBytes)
      .def(
          "lookup",
          [](Cache &cache, const std::string &key) {
            CacheEntry entry;
            {
              py::gil_scoped_release release;
              entry = cache.lookup(key);
            }
            return toDict(entry);
          },
          py::arg("key"),
          "The entry's files as {name: bytes}, or None (also for a damaged "
          "entry, which is removed).")
      .def(
          "store",
          [](Cache &cache, const std::string &key, const py::dict &files) {
            CacheFiles copy;
            for (auto [name, bytes] : files)
              copy[name.cast<std::string>()] = toBytes(bytes);
            Result<CacheEntry> stored = Status::error("");
            {
              py::gil_scoped_release release;
              stored = cache.store(key, copy);
            }
            if (!stored)
              throw CacheError(stored.message());
            return toDict(*stored);
          },
          py::arg("key"), py::arg("files"),
          "Publish {name: bytes} under key; returns what was published (the "
          "entry of another process if it won the race).")
      .def("remove", &Cache::remove, py::arg("key"),
           py::call_guard<py::gil_scoped_release>(),
           "Removes the entry of key from memory and disk (an entry that "
           "passed its checks but cannot be used, so that it is compiled "
           "again).")
      .def("disk_bytes", &Cache::diskBytes,
           py::call_guard<py::gil_scoped_release>())
      .def("evict", &Cache::evict, py::arg("keep") = "",
           py::call_guard<py::gil_scoped_release>())
      .def("clear_memory", &Cache::clearMemory)
      .def("stats", [](const Cache &c) { return statsDict(c.stats()); });
}
