#include "gk/core/names.hpp"

#include "gk/core/utf8.hpp"

namespace gk::names {

std::string id_problem(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) return "1.." + std::to_string(kMaxIdBytes) + " bytes";
  if (!utf8::valid(id)) return "not UTF-8";
  for (unsigned char c : id)
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '\'')
      return "no control characters, quotes or backslashes";
  return {};
}

std::string name_problem(std::string_view name) {
  if (name.size() > kMaxNameBytes) return "longer than " + std::to_string(kMaxNameBytes) + " bytes";
  if (name.find('\0') != std::string_view::npos) return "contains NUL";
  if (!utf8::valid(name)) return "not UTF-8";
  return {};
}

}  // namespace gk::names
