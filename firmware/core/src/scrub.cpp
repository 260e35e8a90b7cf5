#include "gk/core/scrub.hpp"

#include <utility>
#include <vector>

namespace gk {
namespace {

// A digit at `at`: its value and its length in bytes (ASCII, or full-width U+FF10..FF19,
// EF BC 90..99), or nothing.
struct Digit {
  int value = -1;
  std::size_t bytes = 0;
};
Digit digit_at(std::string_view s, std::size_t at) {
  const auto c = static_cast<unsigned char>(s[at]);
  if (c >= '0' && c <= '9') return {c - '0', 1};
  if (c == 0xEF && at + 2 < s.size() && static_cast<unsigned char>(s[at + 1]) == 0xBC) {
    const auto d = static_cast<unsigned char>(s[at + 2]);
    if (d >= 0x90 && d <= 0x99) return {d - 0x90, 3};
  }
  // Chinese numerals as a number is read out or typed digit by digit ("一三八……", 幺 for 1):
  // a run of seven of them is a number, not prose.
  if (c >= 0xE3 && c <= 0xE9 && at + 2 < s.size()) {
    const char32_t cp = (static_cast<char32_t>(c & 0x0F) << 12) |
                        (static_cast<char32_t>(static_cast<unsigned char>(s[at + 1]) & 0x3F) << 6) |
                        (static_cast<unsigned char>(s[at + 2]) & 0x3F);
    static constexpr std::pair<char32_t, int> kNumerals[] = {
        {U'〇', 0}, {U'零', 0}, {U'一', 1}, {U'幺', 1}, {U'二', 2}, {U'三', 3},
        {U'四', 4}, {U'五', 5}, {U'六', 6}, {U'七', 7}, {U'八', 8}, {U'九', 9}};
    for (const auto& [numeral, value] : kNumerals)
      if (cp == numeral) return {value, 3};
  }
  return {};
}
// The ID's check character X (ASCII or full-width U+FF38 / U+FF58).
std::size_t x_at(std::string_view s, std::size_t at) {
  if (s[at] == 'X' || s[at] == 'x') return 1;
  if (at + 2 < s.size() && static_cast<unsigned char>(s[at]) == 0xEF) {
    const auto b1 = static_cast<unsigned char>(s[at + 1]);
    const auto b2 = static_cast<unsigned char>(s[at + 2]);
    if ((b1 == 0xBC && b2 == 0xB8) || (b1 == 0xBD && b2 == 0x98)) return 3;
  }
  return 0;
}
bool separator(char c) {
  return c == ' ' || c == '-';
}
// Digits in a row from `at`.
std::size_t group_at(std::string_view s, std::size_t at) {
  std::size_t n = 0;
  for (Digit d; at < s.size() && (d = digit_at(s, at)).value >= 0; at += d.bytes) ++n;
  return n;
}

}  // namespace

bool valid_id_number(std::string_view id) {
  if (id.size() != 18) return false;
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kCheck[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};
  int sum = 0;
  for (int i = 0; i < 17; ++i) {
    if (id[i] < '0' || id[i] > '9') return false;
    sum += (id[i] - '0') * kWeights[i];
  }
  const char last = id[17] == 'x' ? 'X' : id[17];
  return kCheck[sum % 11] == last;
}

bool luhn_valid(std::string_view digits) {
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (*it < '0' || *it > '9') return false;
    int d = *it - '0';
    if (twice && (d *= 2) > 9) d -= 9;
    sum += d;
    twice = !twice;
  }
  return !digits.empty() && sum % 10 == 0;
}

ScrubReport scrub_report(std::string_view s) {
  ScrubReport out;
  std::size_t i = 0;
  while (i < s.size()) {
    Digit d = digit_at(s, i);
    if (d.value < 0) {
      out.text.push_back(s[i++]);
      continue;
    }
    // A run of digits with single separators between them; `end` is past its last digit.
    // Groups of 3 digits or more join ("138 1234 8058", "0755-83212345"); shorter ones do
    // not, so that dates and times ("2020-12-01 10:30") stay as typed.
    std::string digits;
    std::size_t at = i, end = i, group = 0;
    while (at < s.size()) {
      d = digit_at(s, at);
      if (d.value >= 0) {
        digits.push_back(static_cast<char>('0' + d.value));
        at += d.bytes;
        end = at;
        ++group;
        continue;
      }
      if (separator(s[at]) && group >= 3 && at + 1 < s.size() && group_at(s, at + 1) >= 3) {
        ++at;
        group = 0;
        continue;
      }
      break;
    }
    if (digits.size() == 17 && end < s.size()) {
      if (const std::size_t x = x_at(s, end)) {
        digits.push_back('X');
        end += x;
      }
    }
    if (digits.size() < 7) {
      out.text.append(s.substr(i, end - i));
      i = end;
      continue;
    }
    std::string national = digits;
    if (national.size() == 13 && national.starts_with("861")) national = national.substr(2);
    std::string masked;
    if (national.size() == 11 && national[0] == '1') {
      ++out.mobiles;
      masked = national.substr(0, 3) + std::string(4, '*') + national.substr(7);
    } else {
      if (valid_id_number(digits))
        ++out.id_numbers;
      else if (digits.size() >= 13 && digits.size() <= 19 && luhn_valid(digits))
        ++out.cards;
      else
        ++out.others;
      masked = std::string(digits.size() - 4, '*') + digits.substr(digits.size() - 4);
    }
    out.text += masked;
    i = end;
  }
  return out;
}

}  // namespace gk
