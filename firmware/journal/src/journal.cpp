#include "gk/journal/journal.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "gk/core/mask.hpp"
#include "row_codec.hpp"

namespace gk {
namespace {

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

DbStatus migrate(sql::Database& db) {
  sql::Statement v(db, "PRAGMA user_version");
  int version = v.step() == SQLITE_ROW ? static_cast<int>(v.i64(0)) : -1;
  if (version < 0) return db_error(DbCode::io, "cannot read schema version: " + db.error());
  if (version > Journal::kSchemaVersion)
    return db_error(DbCode::cannot_open, "journal schema " + std::to_string(version) +
                                             " is newer than this firmware understands (" +
                                             std::to_string(Journal::kSchemaVersion) + ")");
  for (int i = version; i < Journal::kSchemaVersion; ++i) {
    sql::Transaction tx(db);
    if (auto s = db.exec(kMigrations[i]); !s) return s;
    if (auto s = db.exec("PRAGMA user_version=" + std::to_string(i + 1)); !s) return s;
    if (auto s = tx.commit(); !s) return s;
  }
  return Done{};
}

std::pair<std::int64_t, std::string> read_pair(const sql::Database& db, const char* table) {
  sql::Statement st(db, std::string("SELECT seq, hash FROM ") + table + " WHERE id=1");
  if (st.step() != SQLITE_ROW) return {0, kGenesisHash};
  return {st.i64(0), st.text(1)};
}

}  // namespace

DbResult<Journal> Journal::open(const std::filesystem::path& file) {
  auto db = sql::Database::open(file.string());
  if (!db) return db.error();
  // WAL + FULL: a committed passage survives power loss; readers never block the writer.
  if (auto s = db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"); !s)
    return db_error(s.error().code, file.string() + ": " + s.error().detail);
  if (auto s = migrate(*db); !s)
    return db_error(s.error().code, file.string() + ": " + s.error().detail);
  Journal j(std::move(*db));
  j.watch_ = std::make_unique<Watch>();
  j.watch_->file = file;
  if (auto s = j.observe(); !s) return s.error();
  return j;
}

DbResult<Journal> Journal::open_read_only(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    return db_error(DbCode::cannot_open, file.string() + ": no such journal file");
  auto db = sql::Database::open(file.string(), true);
  if (!db) return db.error();
  sql::Statement v(*db, "PRAGMA user_version");
  if (const int rc = v.step(); rc != SQLITE_ROW)
    return db_error(
        rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT ? DbCode::damaged : DbCode::cannot_open,
        file.string() + ": not readable: " + db->error());
  const auto version = v.i64(0);
  if (version == 0)
    return db_error(DbCode::cannot_open, file.string() + ": not a journal (no schema)");
  if (version > kSchemaVersion)
    return db_error(DbCode::cannot_open, file.string() + ": journal schema " +
                                             std::to_string(version) +
                                             " is newer than this firmware reads (" +
                                             std::to_string(kSchemaVersion) + ")");
  if (version < kSchemaVersion)
    return db_error(DbCode::cannot_open, file.string() + ": journal schema " +
                                             std::to_string(version) + " (gated upgrades it to " +
                                             std::to_string(kSchemaVersion) + " when it starts)");
  return Journal(std::move(*db));
}

Journal::FileId Journal::identify(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return {};
  return {true, static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
          static_cast<std::int64_t>(st.st_size)};
}

DbStatus Journal::observe() const {
  if (!watch_) return Done{};
  Watch& w = *watch_;
  if (!w.broken.empty()) return db_error(DbCode::changed, w.broken);
  auto same_file = [](const FileId& was, const FileId& now, const std::string& name) {
    if (!was.exists) return std::string();
    if (!now.exists) return name + " was removed";
    if (now.device != was.device || now.inode != was.inode) return name + " was replaced";
    if (now.size < was.size)
      return name + " shrank from " + std::to_string(was.size) + " to " + std::to_string(now.size) +
             " bytes (truncated)";
    return std::string();
  };
  const FileId db = identify(w.file);
  const FileId wal = identify(w.file.string() + "-wal");
  std::string why = same_file(w.db, db, w.file.filename().string());
  if (why.empty() && !w.db.exists && !db.exists) why = w.file.string() + " is missing";
  if (why.empty()) why = same_file(w.wal, wal, w.file.filename().string() + "-wal");
  sql::Statement v(db_, "PRAGMA data_version");
  const std::int64_t version = v.step() == SQLITE_ROW ? v.i64(0) : -1;
  if (why.empty() && version < 0) why = "cannot read data_version: " + db_.error();
  if (why.empty() && w.data_version != 0 && version != w.data_version)
    why = "another process committed to the journal";
  if (!why.empty()) {
    w.broken = "journal changed under gated: " + why + "; the gate stays shut until restart";
    return db_error(DbCode::changed, w.broken);
  }
  w.db = db;
  if (wal.exists) w.wal = wal;
  w.data_version = version;
  return Done{};
}

DbStatus Journal::watch() const {
  return observe();
}

DbResult<std::int64_t> Journal::append(const Passage& in) {
  if (auto s = observe(); !s) return s.error();
  sql::Transaction tx(db_);
  if (!tx.begun()) return db_error(DbCode::io, "journal busy or unwritable: " + db_.error());
  auto seq = append_in_transaction(in);
  if (!seq) return seq;
  if (auto s = tx.commit(); !s) return s.error();
  // Committed, but into the file we watch? A truncated or replaced file would lose it.
  if (auto s = observe(); !s) return s.error();
  return seq;
}

DbResult<std::int64_t> Journal::append_all(const std::vector<Passage>& passages) {
  if (auto s = observe(); !s) return s.error();
  sql::Transaction tx(db_);
  if (!tx.begun()) return db_error(DbCode::io, "journal busy or unwritable: " + db_.error());
  std::int64_t last = head_seq();
  for (const Passage& p : passages) {
    auto seq = append_in_transaction(p);
    if (!seq) return seq;
    last = *seq;
  }
  if (auto s = tx.commit(); !s) return s.error();
  if (auto s = observe(); !s) return s.error();
  return last;
}

DbResult<std::int64_t> Journal::append_in_transaction(const Passage& in) {
  Passage p = in;
  if (p.phone) p.phone = mask_phone(*p.phone);
  if (p.temperature_c) p.temperature_c = std::round(*p.temperature_c * 10.0) / 10.0;
  if (p.skin_c) p.skin_c = std::round(*p.skin_c * 100.0) / 100.0;
  if (p.ambient_c) p.ambient_c = std::round(*p.ambient_c * 100.0) / 100.0;
  auto [head_seq, head_hash] = read_pair(db_, "chain_head");
  const std::int64_t seq = head_seq + 1;
  const std::string hash = chain_hash(seq, p, head_hash);
  sql::Statement ins(db_, detail::kInsertSql);
  if (!ins.ok()) return db_error(DbCode::io, ins.error());
  detail::bind_row(ins, seq, p, head_hash, hash);
  // A damaged b-tree says so (SQLITE_CORRUPT), as PRAGMA integrity_check would.
  if (const int rc = ins.step(); rc != SQLITE_DONE)
    return db_error(sql::Database::code_of(rc), "append: " + db_.error());
  sql::Statement head(db_, "UPDATE chain_head SET seq=?, hash=? WHERE id=1");
  head.bind(1, seq).bind(2, std::string_view(hash));
  if (const int rc = head.step(); rc != SQLITE_DONE)
    return db_error(sql::Database::code_of(rc), "append: " + db_.error());
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

JournalSummary Journal::summary() const {
  JournalSummary out{head_seq(), count(), 0};
  sql::Statement st(db_, "SELECT COALESCE(MAX(time), 0) FROM passages");
  if (st.step() == SQLITE_ROW) out.last_passage_time = st.i64(0);
  return out;
}

VerifyReport Journal::verify(std::int64_t tail_rows) const {
  VerifyReport r;
  auto bad = [&r](std::optional<std::int64_t> seq, std::string why) {
    r.ok = false;
    r.first_bad_seq = seq;
    r.problem = std::move(why);
    return r;
  };
  {
    // The file itself first: a damaged b-tree can hide rows from every query below, which
    // would then find a short, intact-looking chain.
    sql::Statement st(db_, "PRAGMA integrity_check");
    std::string found;
    int rc = SQLITE_ROW;
    while (st.ok() && (rc = st.step()) == SQLITE_ROW)
      found += (found.empty() ? "" : "; ") + st.text(0);
    if (!st.ok())
      found = st.error();
    else if (rc != SQLITE_DONE)
      found += (found.empty() ? "" : "; ") + db_.error();
    if (found.size() > 500) found = found.substr(0, 500) + "...";
    r.integrity = found;
    if (found != "ok") return bad(std::nullopt, "damaged file: " + found);
  }
  auto [anchor_seq, prev] = read_pair(db_, "chain_anchor");
  auto [head_seq, head_hash] = read_pair(db_, "chain_head");
  std::int64_t from = anchor_seq;
  if (tail_rows > 0 && head_seq - tail_rows > anchor_seq) {
    // The tail starts after a row it does not re-derive; its hash is the link to check.
    from = head_seq - tail_rows;
    sql::Statement link(db_, "SELECT hash FROM passages WHERE seq=?");
    link.bind(1, from);
    if (link.step() != SQLITE_ROW) return bad(from, "missing row(s) " + std::to_string(from));
    prev = link.text(0);
  }
  std::int64_t expected = from + 1;
  sql::Statement st(db_, std::string(detail::kSelectSql) + " WHERE seq>? ORDER BY seq");
  st.bind(1, from);
  int rc = SQLITE_ROW;
  while ((rc = st.step()) == SQLITE_ROW) {
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
  if (rc != SQLITE_DONE) return bad(expected, "damaged file: reading rows: " + db_.error());
  if (head_seq != expected - 1 || head_hash != prev)
    return bad(expected, "rows after " + std::to_string(expected - 1) + " are missing (head is " +
                             std::to_string(head_seq) + ")");
  return r;
}

DbResult<PurgeReport> Journal::purge_older_than(UnixTime cutoff, std::int64_t acknowledged_seq,
                                                bool force) {
  if (auto s = observe(); !s) return s.error();
  sql::Transaction tx(db_);
  if (!tx.begun()) return db_error(DbCode::io, db_.error());
  PurgeReport report;
  // The newest row older than the cutoff: rows are in time order by construction, and
  // purging stops at the first row not older than the cutoff.
  sql::Statement last(
      db_,
      "SELECT seq FROM passages WHERE seq < coalesce((SELECT min(seq) "
      "FROM passages WHERE time>=?), 9223372036854775807) ORDER BY seq DESC LIMIT 1");
  last.bind(1, static_cast<std::int64_t>(cutoff));
  const std::int64_t old_end = last.step() == SQLITE_ROW ? last.i64(0) : 0;
  const std::int64_t end = force ? old_end : std::min(old_end, acknowledged_seq);
  auto rows_between = [&](std::int64_t after, std::int64_t upto) -> std::int64_t {
    if (upto <= after) return 0;
    sql::Statement n(db_, "SELECT count(*) FROM passages WHERE seq>? AND seq<=?");
    n.bind(1, after).bind(2, upto);
    return n.step() == SQLITE_ROW ? n.i64(0) : 0;
  };
  report.held_back = rows_between(end, old_end);
  if (force) report.unacknowledged_purged = rows_between(acknowledged_seq, end);
  sql::Statement anchor_row(db_, "SELECT hash FROM passages WHERE seq=?");
  anchor_row.bind(1, end);
  if (end > 0 && anchor_row.step() == SQLITE_ROW) {
    const std::string hash = anchor_row.text(0);
    sql::Statement del(db_, "DELETE FROM passages WHERE seq<=?");
    del.bind(1, end);
    if (del.step() != SQLITE_DONE) return db_error(DbCode::io, db_.error());
    report.purged = sqlite3_changes(db_.get());
    // The anchor is the newest row purged, so the rest still verifies.
    sql::Statement anchor(db_, "UPDATE chain_anchor SET seq=?, hash=? WHERE id=1");
    anchor.bind(1, end).bind(2, std::string_view(hash));
    if (anchor.step() != SQLITE_DONE) return db_error(DbCode::io, db_.error());
  }
  if (auto s = tx.commit(); !s) return s.error();
  if (auto s = observe(); !s) return s.error();
  report.remaining = count();
  return report;
}

}  // namespace gk
