#pragma once
// Strict field access for the signed documents' JSON (and documents built like them, such as
// provisioning manifests): the key must be there and its type must match, or the document
// is malformed. Never throws.
#include <nlohmann/json.hpp>
#include <type_traits>

#include "gk/core/json_int.hpp"

namespace gk::sync {

template <class T>
bool get_field(const nlohmann::json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end()) return false;
  try {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
      out = strict_integer<T>(*it);  // never a float cast, never a wrap
    else
      out = it->get<T>();
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

}  // namespace gk::sync
