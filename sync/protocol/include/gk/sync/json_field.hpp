#pragma once
// Strict field access for the signed documents' JSON (and documents built like them, such as
// provisioning manifests): the key must be there and its type must match, or the document
// is malformed. Never throws.
#include <nlohmann/json.hpp>

namespace gk::sync {

template <class T>
bool get_field(const nlohmann::json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end()) return false;
  try {
    out = it->get<T>();
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

}  // namespace gk::sync
