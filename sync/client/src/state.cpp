#include "gk/sync/state.hpp"

#include <charconv>

namespace gk::sync {
namespace {}

DbResult<SyncState> SyncState::open(const std::filesystem::path& file) {
  auto db = sql::Database::open(file.string());
  if (!db) return db.error();
  if (auto s = db->exec(R"(
      PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
      CREATE TABLE IF NOT EXISTS kv(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS documents(kind TEXT PRIMARY KEY, number INTEGER NOT NULL,
        envelope TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS partial(id INTEGER PRIMARY KEY CHECK(id=1), base INTEGER,
        number INTEGER, total INTEGER);
      CREATE TABLE IF NOT EXISTS chunks(offset INTEGER PRIMARY KEY, bytes BLOB NOT NULL);
  )");
      !s)
    return db_error(s.error().code, file.string() + ": " + s.error().detail);
  return SyncState(std::move(*db));
}

std::optional<std::string> SyncState::get(std::string_view key) const {
  sql::Statement st(db_, "SELECT value FROM kv WHERE key=?");
  st.bind(1, key);
  if (st.step() != SQLITE_ROW) return std::nullopt;
  return st.text(0);
}

std::int64_t SyncState::get_int(std::string_view key) const {
  auto v = get(key);
  std::int64_t n = 0;
  if (v) std::from_chars(v->data(), v->data() + v->size(), n);
  return n;
}

DbStatus SyncState::put(std::string_view key, std::string_view value) {
  sql::Statement st(db_, "INSERT OR REPLACE INTO kv VALUES(?,?)");
  st.bind(1, key).bind(2, value);
  if (st.step() != SQLITE_DONE) return db_error(DbCode::io, "sync state: " + db_.error());
  return Done{};
}

std::int64_t SyncState::acked() const {
  return get_int("acked");
}
DbStatus SyncState::set_acked(std::int64_t seq) {
  return put("acked", std::to_string(seq));
}

std::optional<StoredDocument> SyncState::document(std::string_view kind) const {
  sql::Statement st(db_, "SELECT number, envelope FROM documents WHERE kind=?");
  st.bind(1, kind);
  if (st.step() != SQLITE_ROW) return std::nullopt;
  return StoredDocument{static_cast<std::uint64_t>(st.i64(0)), st.text(1)};
}

DbStatus SyncState::put_document(std::string_view kind, const StoredDocument& doc, UnixTime now) {
  sql::Transaction tx(db_);
  sql::Statement st(db_, "INSERT OR REPLACE INTO documents VALUES(?,?,?)");
  st.bind(1, kind).bind(2, static_cast<std::int64_t>(doc.number));
  st.bind(3, std::string_view(doc.envelope));
  if (st.step() != SQLITE_DONE) return db_error(DbCode::io, "sync state: " + db_.error());
  if (auto s = confirm(kind, now); !s) return s;
  return tx.commit();
}

UnixTime SyncState::confirmed_at(std::string_view list) const {
  return get_int("confirmed." + std::string(list));
}
DbStatus SyncState::confirm(std::string_view list, UnixTime now) {
  return put("confirmed." + std::string(list), std::to_string(now));
}

UnixTime SyncState::last_trusted_time() const {
  return get_int("trusted_time");
}
DbStatus SyncState::note_trusted_time(UnixTime t) {
  if (t <= last_trusted_time()) return Done{};
  return put("trusted_time", std::to_string(t));
}

std::optional<PartialDownload> SyncState::partial() const {
  sql::Statement st(db_,
                    "SELECT base, number, total, (SELECT COALESCE(SUM(length(bytes)), 0) FROM "
                    "chunks) FROM partial WHERE id=1");
  if (st.step() != SQLITE_ROW) return std::nullopt;
  return PartialDownload{
      static_cast<std::uint64_t>(st.i64(0)), static_cast<std::uint64_t>(st.i64(1)),
      static_cast<std::uint64_t>(st.i64(2)), static_cast<std::uint64_t>(st.i64(3))};
}

DbStatus SyncState::append_chunk(const PartialDownload& id, std::uint64_t offset, ByteView chunk) {
  sql::Transaction tx(db_);
  auto current = partial();
  if (!current || current->base != id.base || current->number != id.number ||
      current->total != id.total) {
    if (offset != 0) return db_error(DbCode::refused, "chunk of a download not in progress");
    if (auto s = db_.exec("DELETE FROM chunks; DELETE FROM partial;"); !s) return s;
    sql::Statement p(db_, "INSERT INTO partial VALUES(1,?,?,?)");
    p.bind(1, static_cast<std::int64_t>(id.base)).bind(2, static_cast<std::int64_t>(id.number));
    p.bind(3, static_cast<std::int64_t>(id.total));
    if (p.step() != SQLITE_DONE) return db_error(DbCode::io, "sync state: " + db_.error());
    current = PartialDownload{id.base, id.number, id.total, 0};
  }
  if (offset != current->received)
    return db_error(DbCode::refused, "chunk at " + std::to_string(offset) + ", expected " +
                                         std::to_string(current->received));
  if (offset + chunk.size() > id.total) return db_error(DbCode::refused, "chunk past the end");
  sql::Statement c(db_, "INSERT INTO chunks VALUES(?,?)");
  c.bind(1, static_cast<std::int64_t>(offset)).bind(2, chunk);
  if (c.step() != SQLITE_DONE) return db_error(DbCode::io, "sync state: " + db_.error());
  return tx.commit();
}

DbResult<Bytes> SyncState::assemble() const {
  Bytes out;
  sql::Statement st(db_, "SELECT bytes FROM chunks ORDER BY offset");
  while (st.step() == SQLITE_ROW) {
    Bytes b = st.blob(0);
    out.insert(out.end(), b.begin(), b.end());
  }
  return out;
}

DbStatus SyncState::clear_partial() {
  return db_.exec("BEGIN; DELETE FROM chunks; DELETE FROM partial; COMMIT;");
}

DbStatus SyncState::note_round(UnixTime now, bool ok, const std::string& error) {
  sql::Transaction tx(db_);
  if (auto s = put("last_attempt", std::to_string(now)); !s) return s;
  if (ok) {
    if (auto s = put("last_success", std::to_string(now)); !s) return s;
  }
  if (auto s = put("last_error", ok ? "" : error); !s) return s;
  return tx.commit();
}

UnixTime SyncState::last_success() const {
  return get_int("last_success");
}
UnixTime SyncState::last_attempt() const {
  return get_int("last_attempt");
}
std::string SyncState::last_error() const {
  return get("last_error").value_or("");
}

}  // namespace gk::sync
