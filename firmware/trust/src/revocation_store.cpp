#include "gk/trust/revocation_store.hpp"

namespace gk {
DbResult<RevocationStore> RevocationStore::open(const std::filesystem::path& file) {
  auto db = sql::Database::open(file.string());
  if (!db) return db.error();
  if (auto s = db->exec(
          "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
          "CREATE TABLE IF NOT EXISTS list(id INTEGER PRIMARY KEY CHECK(id=1), number INTEGER);"
          "INSERT OR IGNORE INTO list VALUES(1, 0);"
          "CREATE TABLE IF NOT EXISTS revoked(pass_id BLOB PRIMARY KEY) WITHOUT ROWID;");
      !s)
    return db_error(s.error().code, file.string() + ": " + s.error().detail);
  return RevocationStore(std::move(*db));
}

std::uint64_t RevocationStore::number() const {
  sql::Statement st(db_, "SELECT number FROM list WHERE id=1");
  return st.step() == SQLITE_ROW ? static_cast<std::uint64_t>(st.i64(0)) : 0;
}

DbResult<RevocationList> RevocationStore::load() const {
  std::vector<PassId> ids;
  sql::Statement st(db_, "SELECT pass_id FROM revoked");
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    Bytes b = st.blob(0);
    if (b.size() != 16) return db_error(DbCode::damaged, "revocation store holds a malformed id");
    PassId id;
    std::copy(b.begin(), b.end(), id.begin());
    ids.push_back(id);
  }
  if (rc != SQLITE_DONE)
    return db_error(sql::Database::code_of(rc), "revocation store: " + db_.error());
  return RevocationList::snapshot(number(), ids);
}

DbStatus RevocationStore::apply(const RevocationDocument& doc) {
  sql::Transaction tx(db_);
  if (!tx.begun()) return db_error(DbCode::io, "revocation store busy: " + db_.error());
  const std::uint64_t current = number();
  if (doc.number <= current && current != 0)
    return db_error(DbCode::refused, "revocation list " + std::to_string(doc.number) +
                                         " is not newer than " + std::to_string(current));
  if (doc.kind == RevocationDocument::Kind::delta && doc.base_number != current)
    return db_error(DbCode::refused, "delta base " + std::to_string(doc.base_number) +
                                         " != " + std::to_string(current));
  if (doc.kind == RevocationDocument::Kind::snapshot)
    if (auto s = db_.exec("DELETE FROM revoked"); !s) return s;
  sql::Statement add(db_, "INSERT OR IGNORE INTO revoked VALUES(?)");
  for (const auto& id : doc.added) {
    add.bind(1, ByteView(id));
    if (add.step() != SQLITE_DONE) return db_error(DbCode::io, db_.error());
    add.reset();
  }
  sql::Statement del(db_, "DELETE FROM revoked WHERE pass_id=?");
  for (const auto& id : doc.removed) {
    del.bind(1, ByteView(id));
    if (del.step() != SQLITE_DONE) return db_error(DbCode::io, db_.error());
    del.reset();
  }
  sql::Statement num(db_, "UPDATE list SET number=? WHERE id=1");
  num.bind(1, static_cast<std::int64_t>(doc.number));
  if (num.step() != SQLITE_DONE) return db_error(DbCode::io, db_.error());
  return tx.commit();
}

}  // namespace gk
