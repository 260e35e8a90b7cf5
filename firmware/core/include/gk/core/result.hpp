#pragma once
// The logic layer's error model: a value, or a Failure naming a stable Reason plus a
// human detail (for logs and `gatectl`, never personal data). Exceptions are kept for
// programmer errors and are caught at main(). Expected<T, E> is the one value-or-error
// template; other layers pair it with their own error type.
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

// A value, or the error of the layer that produced it. Each layer names its own error type
// (Failure here, gk::flash::FlashError for flashing, ...); this one template carries them all.
template <class T, class E>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}
  Expected(E error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return checked(); }
  const T& value() const& { return const_cast<Expected*>(this)->checked(); }
  T&& value() && { return std::move(checked()); }
  T* operator->() { return &checked(); }
  const T* operator->() const { return &const_cast<Expected*>(this)->checked(); }
  T& operator*() { return checked(); }
  const T& operator*() const { return const_cast<Expected*>(this)->checked(); }

  const E& error() const {
    if (ok()) throw std::logic_error("error() on a value");
    return std::get<1>(v_);
  }

 private:
  T& checked() {
    if (!ok()) throw std::logic_error("value() on an error: " + std::get<1>(v_).detail);
    return std::get<0>(v_);
  }
  std::variant<T, E> v_;
};

template <class T>
class [[nodiscard]] Result : public Expected<T, Failure> {
 public:
  using Expected<T, Failure>::Expected;
  const Failure& failure() const { return this->error(); }
  Reason reason() const { return this->ok() ? Reason::ok : failure().reason; }
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
