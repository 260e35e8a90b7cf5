#include <sodium.h>

#include <cstdio>

#include "gk/journal/journal.hpp"

namespace gk {
namespace {
// Unit separator between fields and a marker for NULL, so that ("a","") and ("","a"), or
// an empty string and NULL, never hash alike.
constexpr char kSep = '\x1f';
constexpr char kNull = '\x18';

template <class T, class F>
std::optional<std::string> opt(const std::optional<T>& v, F f) {
  return v ? std::optional<std::string>(f(*v)) : std::nullopt;
}
}  // namespace

std::string temperature_text(double t) {
  // %.17g round-trips a double exactly, so any edit of the stored REAL is seen.
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", t);
  return buf;
}

RowFields row_fields(const Passage& p) {
  auto hex = [](const PassId& id) { return to_hex(id); };
  auto same = [](const std::string& v) { return v; };
  RowFields f{std::to_string(p.time),
              p.gate,
              std::string(to_string(p.direction)),
              std::string(to_string(p.credential_kind)),
              opt(p.pass_id, hex),
              opt(p.role, [](Role r) { return std::string(to_string(r)); }),
              std::string(to_string(p.decision)),
              std::string(code(p.reason)),
              opt(p.temperature_c, temperature_text),
              opt(p.operator_id, same),
              opt(p.consenting_resident, hex),
              opt(p.holder, same),
              opt(p.phone, same),
              p.detail,
              p.sealed.empty() ? std::nullopt : std::optional<std::string>(to_hex(p.sealed))};
  // Schema 2's readings join the hash only when there are any, so that rows written before
  // them (and rows without a measurement) hash exactly as they always did.
  if (p.skin_c || p.ambient_c) {
    f.push_back(opt(p.skin_c, temperature_text));
    f.push_back(opt(p.ambient_c, temperature_text));
  }
  return f;
}

std::string chain_hash(std::int64_t seq, const RowFields& fields, const std::string& prev_hash) {
  std::string s = "GK-JOURNAL-v1";
  s.push_back(kSep);
  s += prev_hash;
  s.push_back(kSep);
  s += std::to_string(seq);
  for (const auto& f : fields) {
    s.push_back(kSep);
    if (f)
      s += *f;
    else
      s.push_back(kNull);
  }
  std::array<std::uint8_t, 32> h{};
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const std::uint8_t*>(s.data()), s.size(),
                     nullptr, 0);
  return to_hex(h);
}

}  // namespace gk
