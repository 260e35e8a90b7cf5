// CSV (RFC 4180) and JSON-lines export of the journal, e.g. for the community office.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <ostream>

#include "gk/journal/journal.hpp"

namespace gk {
namespace {

std::string csv_quote(std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string temp1(double t) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f", t);
  return buf;
}

std::string temp2(double t) {  // skin and ambient: the sensor resolves 0.02 °C
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", t);
  return buf;
}

nlohmann::json to_json(const JournalEntry& e) {
  const Passage& p = e.passage;
  auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return {
      {"seq", e.seq},
      {"time", p.time},
      {"gate", p.gate},
      {"direction", to_string(p.direction)},
      {"credential", to_string(p.credential_kind)},
      {"pass_id", p.pass_id ? nlohmann::json(to_hex(*p.pass_id)) : nlohmann::json(nullptr)},
      {"role", p.role ? nlohmann::json(to_string(*p.role)) : nlohmann::json(nullptr)},
      {"decision", to_string(p.decision)},
      {"reason", code(p.reason)},
      {"temperature_c", p.temperature_c ? nlohmann::json(std::stod(temp1(*p.temperature_c)))
                                        : nlohmann::json(nullptr)},
      {"skin_c", opt(p.skin_c)},
      {"ambient_c", opt(p.ambient_c)},
      {"operator_id", opt(p.operator_id)},
      {"consenting_resident", p.consenting_resident ? nlohmann::json(to_hex(*p.consenting_resident))
                                                    : nlohmann::json(nullptr)},
      {"holder", opt(p.holder)},
      {"phone", opt(p.phone)},
      {"detail", p.detail},
      {"sealed", !p.sealed.empty()},
      {"hash", e.hash}};
}

template <class F>
void for_each_entry(const Journal& j, UnixTime from, UnixTime until, F f) {
  std::int64_t after = 0;
  for (;;) {
    auto batch = j.entries(after, 1000, from, until);
    if (batch.empty()) return;
    for (const auto& e : batch) f(e);
    after = batch.back().seq;
  }
}

}  // namespace

void Journal::export_csv(std::ostream& out, UnixTime from, UnixTime until) const {
  out << "seq,time,gate,direction,credential,pass_id,role,decision,reason,temperature_c,"
         "operator_id,consenting_resident,holder,phone,detail,hash,skin_c,ambient_c\r\n";
  for_each_entry(*this, from, until, [&](const JournalEntry& e) {
    const Passage& p = e.passage;
    out << e.seq << ',' << p.time << ',' << csv_quote(p.gate) << ',' << to_string(p.direction)
        << ',' << to_string(p.credential_kind) << ',' << (p.pass_id ? to_hex(*p.pass_id) : "")
        << ',' << (p.role ? to_string(*p.role) : "") << ',' << to_string(p.decision) << ','
        << code(p.reason) << ',' << (p.temperature_c ? temp1(*p.temperature_c) : "") << ','
        << csv_quote(p.operator_id.value_or("")) << ','
        << (p.consenting_resident ? to_hex(*p.consenting_resident) : "") << ','
        << csv_quote(p.holder.value_or("")) << ',' << csv_quote(p.phone.value_or("")) << ','
        << csv_quote(p.detail) << ',' << e.hash << ',' << (p.skin_c ? temp2(*p.skin_c) : "") << ','
        << (p.ambient_c ? temp2(*p.ambient_c) : "") << "\r\n";
  });
}

void Journal::export_json_lines(std::ostream& out, UnixTime from, UnixTime until) const {
  for_each_entry(*this, from, until, [&](const JournalEntry& e) {
    out << to_json(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  });
}

}  // namespace gk
