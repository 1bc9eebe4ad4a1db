//===- Status.h - success or an error message, and a value or one -*- C++
//-*-===//
//
// Part of Kite's public C++ API. The runtime never throws across the API:
// a call that can fail returns a Status, or a Result holding the value, whose
// message names the failing call and why, e.g.
// "vkAllocateMemory failed: VK_ERROR_OUT_OF_DEVICE_MEMORY".
//
//===----------------------------------------------------------------------===//
#ifndef KITE_STATUS_H
#define KITE_STATUS_H

#include <optional>
#include <string>
#include <utility>

namespace kite {

class [[nodiscard]] Status {
public:
  static Status success() { return Status(); }
  static Status error(std::string message) {
    Status status;
    status.failed = true;
    status.text = std::move(message);
    return status;
  }

  bool ok() const { return !failed; }
  explicit operator bool() const { return ok(); }
  /// Empty on success.
  const std::string &message() const { return text; }

private:
  bool failed = false;
  std::string text;
};

/// A value, or the Status that says why there is none.
template <typename T> class [[nodiscard]] Result {
public:
  Result(T value) : stored(std::move(value)) {}
  Result(Status status) : status_(std::move(status)) {
    if (status_.ok()) // A Result made from a Status always holds an error.
      status_ = Status::error("internal error: a Result without a value");
  }

  bool ok() const { return stored.has_value(); }
  explicit operator bool() const { return ok(); }
  const Status &status() const { return status_; }
  const std::string &message() const { return status_.message(); }

  /// Only when ok().
  T &value() & { return *stored; }
  const T &value() const & { return *stored; }
  T &&value() && { return std::move(*stored); }
  T *operator->() { return &*stored; }
  const T *operator->() const { return &*stored; }
  T &operator*() & { return *stored; }
  const T &operator*() const & { return *stored; }

private:
  std::optional<T> stored;
  Status status_;
};

} // namespace kite

#endif // KITE_STATUS_H
