#include "row_codec.hpp"

namespace gk {
std::string temperature_text(double t);
}

namespace gk::detail {

void bind_row(sql::Statement& st, std::int64_t seq, const Passage& p, const std::string& prev,
              const std::string& hash) {
  RowFields f = row_fields(p);
  st.bind(1, seq).bind(2, static_cast<std::int64_t>(p.time));
  for (int i = 1; i < 15; ++i) {
    if (i == 8) {  // temperature_c is a REAL column
      st.bind(10, p.temperature_c);
      continue;
    }
    if (i == 14) {  // sealed is a BLOB column
      if (p.sealed.empty())
        st.bind_null(16);
      else
        st.bind(16, ByteView(p.sealed));
      continue;
    }
    const auto& v = f[static_cast<std::size_t>(i)];
    if (v)
      st.bind(i + 2, std::string_view(*v));
    else
      st.bind_null(i + 2);
  }
  st.bind(17, std::string_view(prev)).bind(18, std::string_view(hash));
  st.bind(19, p.skin_c).bind(20, p.ambient_c);
}

RowFields stored_fields(const sql::Statement& st) {
  RowFields f;
  f.push_back(std::to_string(st.i64(1)));
  for (int c = 2; c <= 15; ++c) {
    if (st.is_null(c))
      f.push_back(std::nullopt);
    else if (c == 9)
      f.push_back(temperature_text(st.f64(c)));
    else if (c == 15)
      f.push_back(to_hex(st.blob(c)));
    else
      f.push_back(st.text(c));
  }
  // As row_fields: the readings are hashed only when the row has any.
  if (!st.is_null(18) || !st.is_null(19))
    for (int c : {18, 19})
      f.push_back(st.is_null(c) ? std::nullopt
                                : std::optional<std::string>(temperature_text(st.f64(c))));
  return f;
}

JournalEntry read_row(const sql::Statement& st) {
  JournalEntry e;
  e.seq = st.i64(0);
  Passage& p = e.passage;
  p.time = st.i64(1);
  p.gate = st.text(2);
  p.direction = direction_from_string(st.text(3)).value_or(Direction::in);
  p.credential_kind = credential_kind_from_string(st.text(4)).value_or(CredentialKind::none);
  if (auto id = st.opt_text(5)) p.pass_id = fixed_from_hex<16>(*id);
  if (auto r = st.opt_text(6)) p.role = role_from_string(*r);
  p.decision = decision_from_string(st.text(7)).value_or(Decision::deny);
  p.reason = reason_from_code(st.text(8)).value_or(Reason::malformed);
  if (!st.is_null(9)) p.temperature_c = st.f64(9);
  p.operator_id = st.opt_text(10);
  if (auto id = st.opt_text(11)) p.consenting_resident = fixed_from_hex<16>(*id);
  p.holder = st.opt_text(12);
  p.phone = st.opt_text(13);
  p.detail = st.text(14);
  p.sealed = st.blob(15);
  e.prev_hash = st.text(16);
  e.hash = st.text(17);
  if (!st.is_null(18)) p.skin_c = st.f64(18);
  if (!st.is_null(19)) p.ambient_c = st.f64(19);
  return e;
}

}  // namespace gk::detail
