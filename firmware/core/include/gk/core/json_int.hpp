#pragma once
// Integers from untrusted JSON. nlohmann's get<std::int64_t>() accepts any JSON number and
// converts it with a plain cast: a float out of range (1e46 in a manifest's issued_at, found
// by fuzz_provision_bundle under clang's UBSan) is undefined behaviour, and an unsigned
// above INT64_MAX wraps negative. Fields that are integers read through this instead: only
// a JSON integer within T's range passes; anything else throws nlohmann's type_error, which
// the parsers already turn into a `malformed` refusal.
#include <nlohmann/json.hpp>
#include <utility>

namespace gk {

template <class T = std::int64_t>
T strict_integer(const nlohmann::json& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (std::in_range<T>(u)) return static_cast<T>(u);
  } else if (v.is_number_integer()) {
    const auto i = v.get<std::int64_t>();
    if (std::in_range<T>(i)) return static_cast<T>(i);
  }
  throw nlohmann::json::type_error::create(302, "an integer in range is required", &v);
}

}  // namespace gk
