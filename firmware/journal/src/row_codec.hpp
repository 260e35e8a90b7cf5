#pragma once
// Mapping between a passages row and JournalEntry, shared by the journal and its export.
#include "gk/journal/journal.hpp"

namespace gk::detail {

inline constexpr const char* kInsertSql =
    "INSERT INTO passages(seq, time, gate, direction, credential_kind, pass_id, role, decision,"
    " reason, temperature_c, operator_id, consenting_resident, holder, phone, detail, sealed,"
    " prev_hash, hash, skin_c, ambient_c) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
inline constexpr const char* kSelectSql =
    "SELECT seq, time, gate, direction, credential_kind, pass_id, role, decision, reason,"
    " temperature_c, operator_id, consenting_resident, holder, phone, detail, sealed,"
    " prev_hash, hash, skin_c, ambient_c FROM passages";

void bind_row(sql::Statement& st, std::int64_t seq, const Passage& p, const std::string& prev,
              const std::string& hash);
JournalEntry read_row(const sql::Statement& st);
// The row's fields exactly as stored, for verification (not through Passage, so that an
// edit into a value Passage cannot represent is still seen).
RowFields stored_fields(const sql::Statement& st);

}  // namespace gk::detail
