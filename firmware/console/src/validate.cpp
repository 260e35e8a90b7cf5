// Phone numbers at the guard console: validation of what a guard types, and masking of
// anything that leaves the console.
#include <cctype>
#include <string>

#include "gk/console/guard_console.hpp"
#include "gk/core/mask.hpp"

namespace gk::console {

namespace {
bool digit(char c) {
  return c >= '0' && c <= '9';
}
bool mobile_digits(std::string_view d) {
  if (d.size() != 11 || d[0] != '1' || d[1] < '3' || d[1] > '9') return false;
  for (char c : d)
    if (!digit(c)) return false;
  return true;
}
}  // namespace

std::optional<std::string> normalize_mainland_mobile(std::string_view phone) {
  std::string d;
  for (char c : phone) {
    if (c == ' ' || c == '-') continue;
    d.push_back(c);
    if (d.size() > 16) return std::nullopt;
  }
  if (d.rfind("+86", 0) == 0) {
    d.erase(0, 3);
  } else if (d.size() == 13 && d.rfind("86", 0) == 0) {
    d.erase(0, 2);
  }
  if (!mobile_digits(d)) return std::nullopt;
  return d;
}

std::string mask_phones_in(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (!digit(text[i])) {
      out.push_back(text[i++]);
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && digit(text[j])) ++j;
    const auto run = text.substr(i, j - i);
    if (mobile_digits(run)) {
      out.append(mask_phone(run));
    } else {
      out.append(run);
    }
    i = j;
  }
  return out;
}

}  // namespace gk::console
