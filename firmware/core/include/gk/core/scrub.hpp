#pragma once
// Free text a person typed (a visitor's reason, a courier company, a release reason) is
// scrubbed where it enters: every number that can identify someone is masked before the text
// is kept anywhere in clear (journal, sync.db, upstream.db, logs, event streams). The text as
// typed goes only into the sealed box.
//
// A number is a run of digits (ASCII, full-width, or Chinese numerals 〇零一幺二三四五六七八九
// typed digit by digit), optionally split by single spaces or
// hyphens between groups of 3 digits or more ("138 1234 8058", "6222-0200-1234-5678"), possibly
// ending in X for an ID number. Any such run of 7 digits or more is masked, keeping its last 4 (a
// mobile number keeps its first 3 as well, as mask_phone does); shorter ones ("3栋2单元401") stay.
// What it was is named only by its kind, which scrub_report() gives for tests and metrics.
#include <string>
#include <string_view>

namespace gk {

enum class NumberKind {
  mobile,     // 11 digits starting with 1 (optionally +86 / 86 before it)
  id_number,  // 18-character resident ID with a valid GB 11643 check character
  card,       // 13..19 digits passing the Luhn check (bank cards)
  other,      // any other run of 7 or more digits (landlines, account numbers)
};

struct ScrubReport {
  std::string text;  // the scrubbed text
  int mobiles = 0, id_numbers = 0, cards = 0, others = 0;
  int masked() const { return mobiles + id_numbers + cards + others; }
};

ScrubReport scrub_report(std::string_view text);
inline std::string scrub_personal_numbers(std::string_view text) {
  return scrub_report(text).text;
}

// GB 11643-1999: the 18th character of a resident ID number from the first 17 digits.
bool valid_id_number(std::string_view eighteen);
bool luhn_valid(std::string_view digits);

}  // namespace gk
