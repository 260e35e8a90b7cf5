#include "gk/core/utf8.hpp"

namespace gk::utf8 {
namespace {

// Length of the well-formed sequence at text[i], or 0 when it is ill-formed (Unicode 15,
// table 3-7: the second byte's range depends on the lead byte).
std::size_t sequence_at(std::string_view text, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const std::size_t left = text.size() - i;
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  auto cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < left && b(k) >= lo && b(k) <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;  // no surrogates
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

}  // namespace

std::optional<std::size_t> first_invalid(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = sequence_at(text, i);
    if (n == 0) return i;
    i += n;
  }
  return std::nullopt;
}

bool valid(std::string_view text) {
  return !first_invalid(text).has_value();
}

std::string repaired(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = sequence_at(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string truncate(std::string_view text, std::size_t max_bytes) {
  if (!valid(text)) return truncate(repaired(text), max_bytes);
  std::size_t end = 0;
  while (end < text.size()) {
    const std::size_t n = sequence_at(text, end);
    if (end + n > max_bytes) break;
    end += n;
  }
  return std::string(text.substr(0, end));
}

std::size_t char_length_at(std::string_view text, std::size_t at) {
  return at < text.size() ? sequence_at(text, at) : 0;
}

std::optional<std::string> refuse_arguments(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const auto at = first_invalid(argv[i]);
    if (!at) continue;
    std::string where = "argument " + std::to_string(i);
    if (i > 1 && valid(argv[i - 1])) where += " (after " + truncate(argv[i - 1], 40) + ")";
    return where + " is not UTF-8 at byte " + std::to_string(*at) +
           ": every argument is text, in UTF-8";
  }
  return std::nullopt;
}

std::size_t length(std::string_view text) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++chars) {
    const std::size_t n = sequence_at(text, i);
    i += n ? n : 1;
  }
  return chars;
}

}  // namespace gk::utf8
