#include "gk/core/mask.hpp"

#include <vector>

#include "gk/core/utf8.hpp"

namespace gk {
namespace {
// Byte offsets of every character of (repaired) text, plus its end: masks cut between
// characters, so a phone or id typed with full-width digits stays valid UTF-8.
std::vector<std::size_t> boundaries(const std::string& text) {
  std::vector<std::size_t> at;
  for (std::size_t i = 0; i <= text.size();) {
    at.push_back(i);
    if (i == text.size()) break;
    const std::size_t n = utf8::char_length_at(text, i);
    i += n ? n : 1;
  }
  return at;
}
}  // namespace

std::string mask_phone(std::string_view phone) {
  const std::string text = utf8::repaired(phone);
  const auto at = boundaries(text);
  const std::size_t chars = at.size() - 1;
  if (chars < 8) return "***";
  return text.substr(0, at[3]) + "**" + text.substr(at[chars - 4]);
}

std::string mask_id_number(std::string_view id) {
  const std::string text = utf8::repaired(id);
  const auto at = boundaries(text);
  const std::size_t chars = at.size() - 1;
  if (chars <= 4) return "**";
  return "**" + text.substr(at[chars - 4]);
}

std::string mask_name(std::string_view name) {
  if (name.empty()) return {};
  const std::string text = utf8::repaired(name);
  return text.substr(0, boundaries(text)[1]) + "**";
}

}  // namespace gk
