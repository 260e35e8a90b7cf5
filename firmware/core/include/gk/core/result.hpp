#pragma once
// The logic layer's error model: a value, or a Failure naming a stable Reason plus a
// human detail (for logs and `gatectl`, never personal data). Exceptions are kept for
// programmer errors and are caught at main().
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

#include "gk/core/reason.hpp"

namespace gk {

struct Failure {
  Reason reason = Reason::malformed;
  std::string detail;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Failure f) : v_(std::move(f)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return checked(); }
  const T& value() const& { return const_cast<Result*>(this)->checked(); }
  T&& value() && { return std::move(checked()); }
  T* operator->() { return &checked(); }
  const T* operator->() const { return &const_cast<Result*>(this)->checked(); }
  T& operator*() { return checked(); }
  const T& operator*() const { return const_cast<Result*>(this)->checked(); }

  const Failure& failure() const {
    if (ok()) throw std::logic_error("Result::failure() on a value");
    return std::get<1>(v_);
  }
  Reason reason() const { return ok() ? Reason::ok : failure().reason; }

 private:
  T& checked() {
    if (!ok()) throw std::logic_error("Result::value() on failure: " + std::get<1>(v_).detail);
    return std::get<0>(v_);
  }
  std::variant<T, Failure> v_;
};

// For operations that return nothing on success.
struct Done {};
using Status = Result<Done>;
inline Status success() {
  return Done{};
}

inline Failure fail(Reason r, std::string detail = {}) {
  return Failure{r, std::move(detail)};
}

}  // namespace gk
