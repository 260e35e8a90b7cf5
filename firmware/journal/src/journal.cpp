#include "gk/journal/journal.hpp"

#include <cmath>

#include "gk/core/mask.hpp"
#include "row_codec.hpp"

namespace gk {
namespace {

constexpr Reason kErr = Reason::journal_unavailable;

// Each entry upgrades the schema from version i to i+1; never edit one that has shipped.
constexpr const char* kMigrations[] = {
    R"(CREATE TABLE passages(
         seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, gate TEXT NOT NULL,
         direction TEXT NOT NULL, credential_kind TEXT NOT NULL, pass_id TEXT, role TEXT,
         decision TEXT NOT NULL, reason TEXT NOT NULL, temperature_c REAL, operator_id TEXT,
         consenting_resident TEXT, holder TEXT, phone TEXT, detail TEXT NOT NULL,
         sealed BLOB, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
       CREATE INDEX passages_pass ON passages(pass_id, seq);
       CREATE INDEX passages_time ON passages(time);
       CREATE TABLE chain_head(id INTEGER PRIMARY KEY CHECK(id=1), seq INTEGER, hash TEXT);
       INSERT INTO chain_head VALUES(1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
       CREATE TABLE chain_anchor(id INTEGER PRIMARY KEY CHECK(id=1), seq INTEGER, hash TEXT);
       INSERT INTO chain_anchor VALUES(1, 0, '0000000000000000000000000000000000000000000000000000000000000000');)",
    // 2: the skin and ambient readings behind the body-temperature estimate (issue 15).
    // Rows from version 1 keep NULL and hash exactly as before.
    R"(ALTER TABLE passages ADD COLUMN skin_c REAL;
       ALTER TABLE passages ADD COLUMN ambient_c REAL;)",
};
static_assert(std::size(kMigrations) == Journal::kSchemaVersion);

Status migrate(sql::Database& db) {
  sql::Statement v(db, "PRAGMA user_version");
  int version = v.step() == SQLITE_ROW ? static_cast<int>(v.i64(0)) : -1;
  if (version < 0) return fail(kErr, "cannot read schema version: " + db.error());
  if (version > Journal::kSchemaVersion)
    return fail(kErr, "journal schema " + std::to_string(version) +
                          " is newer than this firmware understands (" +
                          std::to_string(Journal::kSchemaVersion) + ")");
  for (int i = version; i < Journal::kSchemaVersion; ++i) {
    sql::Transaction tx(db);
    if (auto s = db.exec(kMigrations[i]); !s) return s;
    if (auto s = db.exec("PRAGMA user_version=" + std::to_string(i + 1)); !s) return s;
    if (auto s = tx.commit(); !s) return s;
  }
  return success();
}

std::pair<std::int64_t, std::string> read_pair(const sql::Database& db, const char* table) {
  sql::Statement st(db, std::string("SELECT seq, hash FROM ") + table + " WHERE id=1");
  if (st.step() != SQLITE_ROW) return {0, kGenesisHash};
  return {st.i64(0), st.text(1)};
}

}  // namespace

Result<Journal> Journal::open(const std::filesystem::path& file) {
  auto db = sql::Database::open(file.string(), kErr);
  if (!db) return db.failure();
  // WAL + FULL: a committed passage survives power loss; readers never block the writer.
  if (auto s = db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"); !s)
    return fail(kErr, file.string() + ": " + s.failure().detail);
  if (auto s = migrate(*db); !s) return fail(kErr, file.string() + ": " + s.failure().detail);
  return Journal(std::move(*db));
}

Result<std::int64_t> Journal::append(const Passage& in) {
  sql::Transaction tx(db_);
  if (!tx.begun()) return fail(kErr, "journal busy or unwritable: " + db_.error());
  auto seq = append_in_transaction(in);
  if (!seq) return seq;
  if (auto s = tx.commit(); !s) return s.failure();
  return seq;
}

Result<std::int64_t> Journal::append_all(const std::vector<Passage>& passages) {
  sql::Transaction tx(db_);
  if (!tx.begun()) return fail(kErr, "journal busy or unwritable: " + db_.error());
  std::int64_t last = head_seq();
  for (const Passage& p : passages) {
    auto seq = append_in_transaction(p);
    if (!seq) return seq;
    last = *seq;
  }
  if (auto s = tx.commit(); !s) return s.failure();
  return last;
}

Result<std::int64_t> Journal::append_in_transaction(const Passage& in) {
  Passage p = in;
  if (p.phone) p.phone = mask_phone(*p.phone);
  if (p.temperature_c) p.temperature_c = std::round(*p.temperature_c * 10.0) / 10.0;
  if (p.skin_c) p.skin_c = std::round(*p.skin_c * 100.0) / 100.0;
  if (p.ambient_c) p.ambient_c = std::round(*p.ambient_c * 100.0) / 100.0;
  auto [head_seq, head_hash] = read_pair(db_, "chain_head");
  const std::int64_t seq = head_seq + 1;
  const std::string hash = chain_hash(seq, row_fields(p), head_hash);
  sql::Statement ins(db_, detail::kInsertSql);
  if (!ins.ok()) return fail(kErr, ins.error());
  detail::bind_row(ins, seq, p, head_hash, hash);
  if (ins.step() != SQLITE_DONE) return fail(kErr, "append: " + db_.error());
  sql::Statement head(db_, "UPDATE chain_head SET seq=?, hash=? WHERE id=1");
  head.bind(1, seq).bind(2, std::string_view(hash));
  if (head.step() != SQLITE_DONE) return fail(kErr, "append: " + db_.error());
  return seq;
}

std::optional<Direction> Journal::last_direction(const PassId& id, UnixTime since) const {
  sql::Statement st(db_,
                    "SELECT direction FROM passages WHERE pass_id=? AND time>=? AND "
                    "decision='admit' ORDER BY seq DESC LIMIT 1");
  const std::string hex = to_hex(id);
  st.bind(1, std::string_view(hex)).bind(2, static_cast<std::int64_t>(since));
  if (st.step() != SQLITE_ROW) return std::nullopt;
  return direction_from_string(st.text(0));
}

std::vector<JournalEntry> Journal::entries(std::int64_t after_seq, std::size_t limit, UnixTime from,
                                           UnixTime until) const {
  // Without a time range, walk the primary key: letting SQLite pick the time index for an
  // unbounded range sorts the whole table for every batch (quadratic sync uploads).
  const bool ranged = from != 0 || until != 0;
  sql::Statement st(db_, std::string(detail::kSelectSql) +
                             (ranged ? " WHERE seq>? AND time>=? AND time<=? ORDER BY seq LIMIT ?"
                                     : " WHERE seq>? AND +time>=? AND +time<=? ORDER BY seq "
                                       "LIMIT ?"));
  st.bind(1, after_seq)
      .bind(2, static_cast<std::int64_t>(from))
      .bind(3, static_cast<std::int64_t>(until ? until : INT64_MAX))
      .bind(4, static_cast<std::int64_t>(limit));
  std::vector<JournalEntry> out;
  while (st.step() == SQLITE_ROW) out.push_back(detail::read_row(st));
  return out;
}

std::int64_t Journal::count() const {
  sql::Statement st(db_, "SELECT count(*) FROM passages");
  return st.step() == SQLITE_ROW ? st.i64(0) : 0;
}

std::int64_t Journal::head_seq() const {
  return read_pair(db_, "chain_head").first;
}

VerifyReport Journal::verify() const {
  VerifyReport r;
  auto [anchor_seq, prev] = read_pair(db_, "chain_anchor");
  std::int64_t expected = anchor_seq + 1;
  auto bad = [&r](std::int64_t seq, std::string why) {
    r.ok = false;
    r.first_bad_seq = seq;
    r.problem = std::move(why);
    return r;
  };
  sql::Statement st(db_, std::string(detail::kSelectSql) + " ORDER BY seq");
  while (st.step() == SQLITE_ROW) {
    JournalEntry e = detail::read_row(st);
    const RowFields stored = detail::stored_fields(st);
    ++r.rows;
    if (e.seq != expected)
      return bad(expected,
                 "missing row(s) " + std::to_string(expected) + ".." + std::to_string(e.seq - 1));
    if (e.prev_hash != prev) return bad(e.seq, "link to the previous row broken");
    if (chain_hash(e.seq, stored, e.prev_hash) != e.hash)
      return bad(e.seq, "row content does not match its hash (edited)");
    prev = e.hash;
    ++expected;
  }
  auto [head_seq, head_hash] = read_pair(db_, "chain_head");
  if (head_seq != expected - 1 || head_hash != prev)
    return bad(expected, "rows after " + std::to_string(expected - 1) + " are missing (head is " +
                             std::to_string(head_seq) + ")");
  return r;
}

Result<std::int64_t> Journal::purge_older_than(UnixTime cutoff) {
  sql::Transaction tx(db_);
  if (!tx.begun()) return fail(kErr, db_.error());
  // The anchor is the newest row being purged: rows are in time order by construction,
  // and purging stops at the first row not older than the cutoff.
  sql::Statement last(
      db_,
      "SELECT seq, hash FROM passages WHERE seq < coalesce((SELECT min(seq) "
      "FROM passages WHERE time>=?), 9223372036854775807) ORDER BY seq DESC LIMIT 1");
  last.bind(1, static_cast<std::int64_t>(cutoff));
  if (last.step() != SQLITE_ROW) return std::int64_t{0};
  const std::int64_t seq = last.i64(0);
  const std::string hash = last.text(1);
  sql::Statement del(db_, "DELETE FROM passages WHERE seq<=?");
  del.bind(1, seq);
  if (del.step() != SQLITE_DONE) return fail(kErr, db_.error());
  const std::int64_t removed = sqlite3_changes(db_.get());
  sql::Statement anchor(db_, "UPDATE chain_anchor SET seq=?, hash=? WHERE id=1");
  anchor.bind(1, seq).bind(2, std::string_view(hash));
  if (anchor.step() != SQLITE_DONE) return fail(kErr, db_.error());
  if (auto s = tx.commit(); !s) return s.failure();
  return removed;
}

}  // namespace gk
