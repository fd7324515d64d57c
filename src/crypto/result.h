#pragma once

#include <string>
#include <utility>
#include <variant>

namespace fabnet::crypto {

// Why an input was refused: one sentence naming what was examined, the offending
// value (or a short description of it) and what was expected.
struct Error {
  std::string message;
};

// A value or the Error that prevented it. std::expected is C++23; this is the
// small part of it that the crypto edges need. Reading value() of a failed
// Result is a programming error (std::bad_variant_access).
template <class T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  const T& value() const& { return std::get<0>(state_); }
  T& value() & { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }

  const std::string& error() const { return std::get<1>(state_).message; }

 private:
  std::variant<T, Error> state_;
};

// Accepted, or refused with a reason.
class Status {
 public:
  Status() = default;                                                    // accepted
  Status(Error error) : error_(std::move(error.message)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const std::string& error() const { return error_; }

 private:
  std::string error_;
  bool ok_ = true;
};

}  // namespace fabnet::crypto
