#pragma once
// What the certified reader returns for a second-generation resident ID card: a 256-byte
// text block in UCS-2 (little-endian), fixed fields padded with spaces, and a 1 024-byte
// photo in the vendor's WLT format, which is never decoded here (it is sealed whole).
// Every field is personal data: shown only masked (mask.hpp, id_binding.hpp), kept only
// sealed to the upstream's key.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gk/core/errors.hpp"

namespace gk::idcard {

inline constexpr std::size_t kTextBytes = 256;
inline constexpr std::size_t kPhotoBytes = 1024;

struct IdRecord {
  std::string name;         // UTF-8, up to 15 characters
  std::string gender_code;  // "1" male, "2" female, "0" unknown, "9" unstated (GB/T 2261.1)
  std::string ethnic_code;  // "01" 汉 ... (GB/T 3304)
  std::string birth;        // YYYYMMDD
  std::string address;      // up to 35 characters
  std::string id_number;    // 18 characters, the last may be X
  std::string authority;    // issuing authority
  std::string valid_from;   // YYYYMMDD
  std::string valid_until;  // YYYYMMDD, or "长期" (no end)
  std::vector<std::uint8_t> photo_wlt;

  std::string gender() const;  // 男 / 女 / 未知
  // Whole years on `yyyymmdd_today`; nullopt when the birth date is not a date.
  std::optional<int> age_on(const std::string& yyyymmdd_today) const;
  // The address down to its district or county (河南省郑州市金水区), never further.
  std::string district() const;
  // Past its validity end on this date (YYYYMMDD); "长期" never is.
  bool expired_on(const std::string& yyyymmdd_today) const;
};

// The text block as the module sends it; refused when a field is not what it must be
// (an ID number that is not 17 digits and a digit or X, dates that are not 8 digits): schema;
// a block that is not 256 bytes: syntax. The detail never holds the fields' values.
DocResult<IdRecord> parse_text_block(const std::vector<std::uint8_t>& text);
// The other way (the module model in tools/idreader-sim).
std::vector<std::uint8_t> encode_text_block(const IdRecord& r);
// YYYYMMDD of a unix time in China Standard Time (UTC+8, no daylight saving).
std::string cst_date(std::int64_t unix_time);
// The unix time at which the day YYYYMMDD ends in China Standard Time; nullopt for
// anything that is not such a date (长期 included).
std::optional<std::int64_t> cst_day_end(const std::string& yyyymmdd);

}  // namespace gk::idcard
