#include "gk/idcard/id_record.hpp"

#include <cctype>
#include <cstdio>

namespace gk::idcard {
namespace {

struct Field {
  std::string IdRecord::*member;
  std::size_t bytes;
};
// GA 450 text layout: name, gender, ethnic group, birth, address, ID number, authority,
// validity start, validity end, then 36 reserved bytes.
constexpr Field kFields[] = {
    {&IdRecord::name, 30},      {&IdRecord::gender_code, 2}, {&IdRecord::ethnic_code, 4},
    {&IdRecord::birth, 16},     {&IdRecord::address, 70},    {&IdRecord::id_number, 36},
    {&IdRecord::authority, 30}, {&IdRecord::valid_from, 16}, {&IdRecord::valid_until, 16},
};

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// UCS-2 (BMP only, as the card stores it); surrogates and NULs end the field.
std::string from_ucs2(const std::uint8_t* p, std::size_t bytes) {
  std::string out;
  for (std::size_t i = 0; i + 1 < bytes; i += 2) {
    const char32_t c = static_cast<char32_t>(p[i] | (p[i + 1] << 8));
    if (c == 0 || (c >= 0xD800 && c <= 0xDFFF)) break;
    append_utf8(out, c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::vector<char32_t> to_code_points(const std::string& s) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    char32_t cp = 0xFFFD;
    std::size_t n = 1;
    if (c < 0x80) {
      cp = c;
    } else if ((c >> 5) == 0x6 && i + 1 < s.size()) {
      cp = (c & 0x1F) << 6 | (s[i + 1] & 0x3F);
      n = 2;
    } else if ((c >> 4) == 0xE && i + 2 < s.size()) {
      cp = (c & 0x0F) << 12 | (s[i + 1] & 0x3F) << 6 | (s[i + 2] & 0x3F);
      n = 3;
    } else if ((c >> 3) == 0x1E) {
      n = 4;  // outside the BMP: the card cannot hold it
    }
    out.push_back(cp);
    i += n;
  }
  return out;
}

bool all_digits(const std::string& s) {
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

bool is_date(const std::string& s) {
  return s.size() == 8 && all_digits(s);
}

}  // namespace

std::string IdRecord::gender() const {
  return gender_code == "1" ? "男" : gender_code == "2" ? "女" : "未知";
}

std::optional<int> IdRecord::age_on(const std::string& today) const {
  if (!is_date(birth) || !is_date(today)) return std::nullopt;
  const int by = std::stoi(birth.substr(0, 4)), ty = std::stoi(today.substr(0, 4));
  int age = ty - by;
  if (today.substr(4) < birth.substr(4)) --age;  // birthday not reached yet this year
  return age < 0 ? std::nullopt : std::optional<int>(age);
}

std::string IdRecord::district() const {
  // Province (省, 自治区), prefecture (市, 自治州, 盟), then district or county (区, 县, 旗, or
  // a county-level 市): cut after the district, so no street or house number remains.
  const auto cps = to_code_points(address);
  std::size_t cut = 0;
  int levels = 0;
  for (std::size_t i = 0; i < cps.size() && levels < 3; ++i) {
    const char32_t c = cps[i];
    const bool autonomous = i > 0 && cps[i - 1] == U'治';  // 自治区, 自治州
    if (c == U'省' || c == U'市' || c == U'盟' || (autonomous && (c == U'区' || c == U'州'))) {
      ++levels;
      cut = i + 1;
    } else if (c == U'区' || c == U'县' || c == U'旗') {
      cut = i + 1;
      break;
    }
  }
  std::string out;
  for (std::size_t i = 0; i < cut; ++i) append_utf8(out, cps[i]);
  return out;
}

bool IdRecord::expired_on(const std::string& today) const {
  if (!is_date(valid_until)) return false;  // 长期: no end
  return today > valid_until;
}

DocResult<IdRecord> parse_text_block(const std::vector<std::uint8_t>& text) {
  if (text.size() != kTextBytes)
    return doc_error(DocCode::syntax, "ID card text block of " + std::to_string(text.size()) +
                                          " bytes, expected 256");
  IdRecord r;
  std::size_t off = 0;
  for (const auto& f : kFields) {
    r.*(f.member) = from_ucs2(text.data() + off, f.bytes);
    off += f.bytes;
  }
  const auto& id = r.id_number;
  const bool id_ok = id.size() == 18 && all_digits(id.substr(0, 17)) &&
                     (std::isdigit(static_cast<unsigned char>(id[17])) || id[17] == 'X');
  if (!id_ok)
    return doc_error(DocCode::schema, "the ID number is not 17 digits and a check character");
  if (!is_date(r.birth) || !is_date(r.valid_from))
    return doc_error(DocCode::schema, "birth date or validity start is not YYYYMMDD");
  if (!is_date(r.valid_until) && r.valid_until != "长期")
    return doc_error(DocCode::schema, "validity end is neither YYYYMMDD nor 长期");
  if (r.name.empty()) return doc_error(DocCode::schema, "no name");
  return r;
}

std::vector<std::uint8_t> encode_text_block(const IdRecord& r) {
  std::vector<std::uint8_t> out;
  for (const auto& f : kFields) {
    auto cps = to_code_points(r.*(f.member));
    cps.resize(f.bytes / 2, U' ');
    for (char32_t c : cps) {
      const auto u = c > 0xFFFF ? char32_t{0xFFFD} : c;
      out.push_back(static_cast<std::uint8_t>(u & 0xFF));
      out.push_back(static_cast<std::uint8_t>(u >> 8));
    }
  }
  out.resize(kTextBytes, 0x20);
  for (std::size_t i = out.size() - 36 + 1; i < out.size(); i += 2) out[i] = 0x00;
  return out;
}

std::optional<std::int64_t> cst_day_end(const std::string& d) {
  if (!is_date(d)) return std::nullopt;
  const int y0 = std::stoi(d.substr(0, 4)), m = std::stoi(d.substr(4, 2)),
            day = std::stoi(d.substr(6, 2));
  if (m < 1 || m > 12 || day < 1 || day > 31) return std::nullopt;
  // Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
  const int y = m <= 2 ? y0 - 1 : y0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = era * 146097 + doe - 719468;
  return (days + 1) * 86400 - 8 * 3600;
}

std::string cst_date(std::int64_t t) {
  std::int64_t days = (t + 8 * 3600) / 86400;
  if ((t + 8 * 3600) % 86400 < 0) --days;
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = yoe + era * 400;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d", static_cast<int>(y % 10000), static_cast<int>(m),
                static_cast<int>(d));
  return buf;
}

}  // namespace gk::idcard
