#include "gk/gated/alarms.hpp"

namespace gk {

DbResult<AlarmBook> AlarmBook::open(const std::filesystem::path& file) {
  auto db = sql::Database::open(file.string());
  if (!db) return db.error();
  if (auto s = db->exec(R"(
        PRAGMA journal_mode=WAL;
        PRAGMA synchronous=FULL;
        CREATE TABLE IF NOT EXISTS alarms(
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          kind TEXT NOT NULL,
          journal_seq INTEGER,
          raised_at INTEGER NOT NULL,
          count INTEGER NOT NULL DEFAULT 1,
          acknowledged_at INTEGER,
          acknowledged_by TEXT);)");
      !s)
    return db_error(s.error().code, file.string() + ": " + s.error().detail);
  AlarmBook book(std::move(*db));
  if (auto s = book.load(); !s) return s.error();
  return book;
}

DbStatus AlarmBook::load() {
  sql::Statement st(db_,
                    "SELECT id, kind, journal_seq, raised_at, count FROM alarms "
                    "WHERE acknowledged_at IS NULL ORDER BY id");
  if (!st.ok()) return db_error(DbCode::io, st.error());
  while (st.step() == SQLITE_ROW) {
    Alarm a;
    a.id = st.i64(0);
    a.kind = st.text(1);
    if (!st.is_null(2)) a.seq = st.i64(2);
    a.raised_at = st.i64(3);
    a.count = st.i64(4);
    open_[a.id] = a;
  }
  return Done{};
}

AlarmBook::Raised AlarmBook::raise(const std::string& kind, std::optional<std::int64_t> seq,
                                   UnixTime now) {
  if (!seq) {
    for (auto& [id, a] : open_) {
      if (a.kind != kind || a.seq) continue;
      ++a.count;
      bool persisted = false;
      if (id > 0) {
        sql::Statement up(db_, "UPDATE alarms SET count=? WHERE id=?");
        up.bind(1, a.count).bind(2, id);
        persisted = up.step() == SQLITE_DONE;
      }
      return {a, false, persisted};
    }
  }
  Alarm a{0, kind, seq, now, 1};
  sql::Statement ins(db_, "INSERT INTO alarms(kind, journal_seq, raised_at) VALUES(?,?,?)");
  ins.bind(1, std::string_view(kind)).bind(2, seq).bind(3, static_cast<std::int64_t>(now));
  const bool persisted = ins.step() == SQLITE_DONE;
  a.id = persisted ? sqlite3_last_insert_rowid(db_.get()) : next_memory_id_--;
  open_[a.id] = a;
  return {a, true, persisted};
}

std::optional<Alarm> AlarmBook::acknowledge(std::int64_t id, const std::string& guard_id,
                                            UnixTime now) {
  auto it = open_.find(id);
  if (it == open_.end()) return std::nullopt;
  if (id > 0) {
    sql::Statement up(db_,
                      "UPDATE alarms SET acknowledged_at=?, acknowledged_by=? "
                      "WHERE id=? AND acknowledged_at IS NULL");
    up.bind(1, static_cast<std::int64_t>(now)).bind(2, std::string_view(guard_id)).bind(3, id);
    if (up.step() != SQLITE_DONE) return std::nullopt;  // still open: nothing was changed
  }
  Alarm a = it->second;
  open_.erase(it);
  return a;
}

std::optional<Alarm> AlarmBook::find(std::int64_t id) const {
  auto it = open_.find(id);
  if (it == open_.end()) return std::nullopt;
  return it->second;
}

std::vector<Alarm> AlarmBook::open_alarms() const {
  std::vector<Alarm> out;
  // Alarms the database could not take (negative ids) were raised last.
  for (const auto& [id, a] : open_)
    if (id > 0) out.push_back(a);
  for (auto it = open_.rbegin(); it != open_.rend(); ++it)
    if (it->first < 0) out.push_back(it->second);
  return out;
}

}  // namespace gk
