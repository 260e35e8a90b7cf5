// The upstream store in one SQLite file: the embedded default (one compound, the demo).
// One process owns the file; `gatectl upstream` may change it alongside (SQLite locking).
#include <algorithm>

#include "gk/core/sqlite.hpp"
#include "gk/upstream/store.hpp"

namespace gk::upstream {
namespace {

DbError db_failure(const sql::Database& db, const std::string& what) {
  return db_error(DbCode::io, what + ": " + db.error());
}

PassId id_from_blob(const Bytes& b) {
  PassId id{};
  std::copy_n(b.begin(), std::min(b.size(), id.size()), id.begin());
  return id;
}

class SqliteStore final : public UpstreamStore {
 public:
  explicit SqliteStore(sql::Database db) : db_(std::move(db)) {}
  std::string_view kind() const override { return "sqlite"; }
  DbStatus register_device(const Device& d) override;
  std::optional<Device> device(const std::string& id) const override;
  std::vector<Device> devices() const override;
  DbResult<Ack> receive(const sync::JournalBatch& batch, UnixTime now) override;
  std::vector<DbResult<Ack>> receive_group(std::span<const sync::JournalBatch* const> batches,
                                           UnixTime now) override;
  std::int64_t acked(const std::string& device_id) const override;
  std::vector<StoredPassage> journal(const std::string& device_id, std::int64_t after_seq,
                                     std::size_t limit) const override;
  DbResult<std::uint64_t> revoke(const std::vector<PassId>& add, const std::vector<PassId>& remove,
                                 UnixTime now, const std::string& request) override;
  std::uint64_t revocation_number() const override;
  DbResult<sync::RoundHeads> round_heads(const std::string& site,
                                         const std::string& device_id) const override;
  DbResult<Bytes> revocation_document(std::uint64_t have, const IssuerKeyPair& authority,
                                      UnixTime now) override;
  std::optional<Bytes> cached_revocation_document(std::uint64_t base,
                                                  std::uint64_t number) const override;
  DbResult<std::uint64_t> set_site_state(sync::SiteStateDoc doc, UnixTime now) override;
  std::optional<sync::SiteStateDoc> site_state(const std::string& site) const override;
  DbResult<std::uint64_t> set_enrolment(sync::EnrolmentDoc doc, UnixTime now) override;
  std::optional<sync::EnrolmentDoc> enrolment(const std::string& site) const override;
  DbResult<std::uint64_t> set_trust_list(std::vector<IssuerKeyInfo> keys, UnixTime now) override;
  std::optional<sync::TrustListDoc> trust_list() const override;
  DbStatus retire_device(const std::string& id, UnixTime now) override;
  std::map<std::string, UnixTime> retired_devices() const override;
  DbStatus add_operator(const Operator& op) override;
  DbStatus retire_operator(const std::string& id, UnixTime now) override;
  std::optional<Operator> find_operator(const std::string& id) const override;
  DbResult<bool> claim_operator_nonce(const std::string& operator_id, const std::string& nonce,
                                      UnixTime time, UnixTime forget_before) override;
  std::vector<Operator> operators() const override;
  DbResult<std::int64_t> append_audit(const AuditEntry& e) override;
  DbStatus settle_audit(std::int64_t seq, const std::string& outcome) override;
  std::vector<AuditEntry> audit_log(std::int64_t after_seq, std::size_t limit) const override;

 private:
  bool retired(const std::string& device_id) const;
  // One batch inside the group's open transaction.
  DbResult<Ack> receive_part(const sync::JournalBatch& batch, UnixTime now);
  std::optional<std::string> latest_payload(const std::string& kind,
                                            const std::string& scope) const;
  DbResult<std::uint64_t> next_number(const std::string& kind, const std::string& scope);
  DbStatus put_payload(const std::string& kind, const std::string& scope, std::uint64_t number,
                       const std::string& payload);
  sql::Database db_;
};
}  // namespace

DbResult<std::unique_ptr<UpstreamStore>> open_sqlite_store(const std::filesystem::path& file) {
  auto db = sql::Database::open(file.string());
  if (!db) return db.error();
  if (auto s = db->exec(R"(
      PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
      CREATE TABLE IF NOT EXISTS devices(id TEXT PRIMARY KEY, public_key BLOB NOT NULL,
        site TEXT NOT NULL, checkpoint TEXT NOT NULL);
      -- A rowid table: entries are ~500 bytes, too large for WITHOUT ROWID leaves.
      CREATE TABLE IF NOT EXISTS journal(device TEXT NOT NULL, seq INTEGER NOT NULL,
        hash TEXT NOT NULL, entry TEXT NOT NULL, received_at INTEGER NOT NULL,
        PRIMARY KEY(device, seq));
      -- A device's first row is no other device's (UpstreamStore::receive).
      CREATE UNIQUE INDEX IF NOT EXISTS journal_first_passage ON journal(hash) WHERE seq = 1;
      CREATE TABLE IF NOT EXISTS revoked(pass_id BLOB PRIMARY KEY, added_in INTEGER NOT NULL,
        removed_in INTEGER) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS revocation_docs(base INTEGER, number INTEGER, bytes BLOB NOT NULL,
        PRIMARY KEY(base, number));
      CREATE TABLE IF NOT EXISTS numbers(kind TEXT, scope TEXT, number INTEGER NOT NULL,
        PRIMARY KEY(kind, scope));
      CREATE TABLE IF NOT EXISTS documents(kind TEXT, scope TEXT, number INTEGER, payload TEXT,
        PRIMARY KEY(kind, scope));
  )");
      !s)
    return db_error(DbCode::io, file.string() + ": " + s.error().detail);
  // The operators' tables (operators.hpp), a block of their own. The audit log is append-only
  // in the schema itself: no delete, and a row changes once, from pending to its outcome.
  if (auto s = db->exec(R"(
      -- Revocation publishes by their publisher's request id (UpstreamStore::revoke).
      CREATE TABLE IF NOT EXISTS revocation_requests(request TEXT PRIMARY KEY,
        number INTEGER NOT NULL);
      -- Operators' request nonces within the clock window (UpstreamStore::claim_operator_nonce).
      CREATE TABLE IF NOT EXISTS operator_nonces(operator TEXT NOT NULL, nonce TEXT NOT NULL,
        time INTEGER NOT NULL, PRIMARY KEY(operator, nonce));
      CREATE TABLE IF NOT EXISTS retired_devices(id TEXT PRIMARY KEY, retired_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS operators(id TEXT PRIMARY KEY, public_key BLOB NOT NULL,
        roles TEXT NOT NULL, added_at INTEGER NOT NULL, retired_at INTEGER);
      CREATE TABLE IF NOT EXISTS audit(seq INTEGER PRIMARY KEY AUTOINCREMENT,
        time INTEGER NOT NULL, operator TEXT NOT NULL, action TEXT NOT NULL,
        target TEXT NOT NULL, digest TEXT NOT NULL, outcome TEXT NOT NULL);
      CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER IF NOT EXISTS audit_settle_once BEFORE UPDATE ON audit
        WHEN OLD.outcome <> 'pending' OR NEW.seq IS NOT OLD.seq OR NEW.time IS NOT OLD.time
          OR NEW.operator IS NOT OLD.operator OR NEW.action IS NOT OLD.action
          OR NEW.target IS NOT OLD.target OR NEW.digest IS NOT OLD.digest
        BEGIN SELECT RAISE(ABORT, 'an audit row is settled once'); END;
  )");
      !s)
    return db_error(DbCode::io, file.string() + ": " + s.error().detail);
  return std::unique_ptr<UpstreamStore>(std::make_unique<SqliteStore>(std::move(*db)));
}

DbStatus SqliteStore::register_device(const Device& d) {
  if (auto ok = check_device_id(d.id); !ok) return ok;
  if (retired(d.id)) return db_error(DbCode::refused, "device " + d.id + " was retired");
  sql::Statement st(db_, "INSERT OR REPLACE INTO devices VALUES(?,?,?,?)");
  st.bind(1, std::string_view(d.id)).bind(2, ByteView(d.key)).bind(3, std::string_view(d.site));
  st.bind(4, std::string_view(d.checkpoint));
  if (st.step() != SQLITE_DONE) return db_failure(db_, "register device");
  return Done{};
}

std::optional<Device> SqliteStore::device(const std::string& id) const {
  sql::Statement st(db_,
                    "SELECT id, public_key, site, checkpoint FROM devices WHERE id=?1 AND NOT "
                    "EXISTS (SELECT 1 FROM retired_devices WHERE id=?1)");
  st.bind(1, std::string_view(id));
  if (st.step() != SQLITE_ROW) return std::nullopt;
  Device d{st.text(0), {}, st.text(2), st.text(3)};
  Bytes k = st.blob(1);
  if (k.size() != d.key.size()) return std::nullopt;
  std::copy(k.begin(), k.end(), d.key.begin());
  return d;
}

std::vector<Device> SqliteStore::devices() const {
  std::vector<Device> out;
  sql::Statement st(db_, "SELECT id, public_key, site, checkpoint FROM devices ORDER BY id");
  while (st.step() == SQLITE_ROW) {
    Device d{st.text(0), {}, st.text(2), st.text(3)};
    Bytes k = st.blob(1);
    if (k.size() != d.key.size()) continue;
    std::copy(k.begin(), k.end(), d.key.begin());
    out.push_back(std::move(d));
  }
  return out;
}

std::int64_t SqliteStore::acked(const std::string& device_id) const {
  sql::Statement st(db_, "SELECT COALESCE(MAX(seq), 0) FROM journal WHERE device=?");
  st.bind(1, std::string_view(device_id));
  return st.step() == SQLITE_ROW ? st.i64(0) : 0;
}

DbResult<Ack> SqliteStore::receive(const sync::JournalBatch& batch, UnixTime now) {
  const sync::JournalBatch* one[] = {&batch};
  return std::move(receive_group(one, now).front());
}

std::vector<DbResult<Ack>> SqliteStore::receive_group(
    std::span<const sync::JournalBatch* const> batches, UnixTime now) {
  auto all = [&](DbError e) { return std::vector<DbResult<Ack>>(batches.size(), e); };
  sql::Transaction tx(db_);
  if (!tx.begun()) return all(db_failure(db_, "begin"));
  std::vector<DbResult<Ack>> out;
  out.reserve(batches.size());
  for (const sync::JournalBatch* batch : batches) {
    sql::Savepoint part(db_);
    if (!part.begun()) return all(db_failure(db_, "savepoint"));
    auto ack = receive_part(*batch, now);
    if (ack) {
      if (auto kept = part.keep(); !kept) return all(kept.error());
    } else if (!db_.in_transaction()) {
      // SQLite ended the transaction (disk full, I/O): what the group wrote is gone.
      return all(ack.error());
    }
    // A batch that failed is undone alone (the savepoint's destructor): it cannot take the
    // rest of its group down with it, however often it is sent again.
    out.push_back(std::move(ack));
  }
  if (auto s = tx.commit(); !s) return all(s.error());
  return out;
}

DbResult<Ack> SqliteStore::receive_part(const sync::JournalBatch& batch, UnixTime now) {
  sql::Statement hash_at(db_, "SELECT hash FROM journal WHERE device=? AND seq=?");
  auto plan = plan_batch(batch, acked(batch.device_id), [&](std::int64_t seq) {
    hash_at.reset();
    hash_at.bind(1, std::string_view(batch.device_id)).bind(2, seq);
    return hash_at.step() == SQLITE_ROW ? std::optional(hash_at.text(0)) : std::nullopt;
  });
  if (!plan) return plan.error();
  if (!plan->new_entries.empty() && plan->new_entries.front()->seq == 1) {
    sql::Statement taken(db_, "SELECT 1 FROM journal WHERE seq=1 AND hash=? AND device<>?");
    taken.bind(1, std::string_view(plan->new_entries.front()->hash));
    taken.bind(2, std::string_view(batch.device_id));
    if (taken.step() == SQLITE_ROW) return first_passage_taken();
  }
  sql::Statement insert(db_, "INSERT INTO journal VALUES(?,?,?,?,?)");
  for (const JournalEntry* e : plan->new_entries) {
    insert.reset();
    insert.bind(1, std::string_view(batch.device_id)).bind(2, e->seq);
    insert.bind(3, std::string_view(e->hash)).bind(4, sync::encode_entry(*e)).bind(5, now);
    if (insert.step() != SQLITE_DONE) return db_failure(db_, "store passage");
  }
  return plan->ack;
}

std::vector<StoredPassage> SqliteStore::journal(const std::string& device_id,
                                                std::int64_t after_seq, std::size_t limit) const {
  std::vector<StoredPassage> out;
  sql::Statement st(db_,
                    "SELECT seq, hash, entry FROM journal WHERE device=? AND seq>? ORDER BY seq "
                    "LIMIT ?");
  st.bind(1, std::string_view(device_id)).bind(2, after_seq);
  st.bind(3, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  while (st.step() == SQLITE_ROW) out.push_back({st.i64(0), st.text(1), st.text(2)});
  return out;
}

DbResult<std::uint64_t> SqliteStore::next_number(const std::string& kind,
                                                 const std::string& scope) {
  sql::Statement st(db_,
                    "INSERT INTO numbers VALUES(?,?,1) ON CONFLICT(kind, scope) DO UPDATE SET "
                    "number=number+1 RETURNING number");
  st.bind(1, std::string_view(kind)).bind(2, std::string_view(scope));
  if (st.step() != SQLITE_ROW) return db_failure(db_, "number " + kind);
  return static_cast<std::uint64_t>(st.i64(0));
}

std::uint64_t SqliteStore::revocation_number() const {
  sql::Statement st(db_, "SELECT number FROM numbers WHERE kind='revocations' AND scope='*'");
  return st.step() == SQLITE_ROW ? static_cast<std::uint64_t>(st.i64(0)) : 0;
}

DbResult<sync::RoundHeads> SqliteStore::round_heads(const std::string& site,
                                                    const std::string& device_id) const {
  // One statement, so one read snapshot: the numbers agree with each other.
  sql::Statement st(db_, R"(SELECT
      (SELECT number FROM numbers WHERE kind='revocations' AND scope='*'),
      (SELECT number FROM documents WHERE kind='site-state' AND scope=?1),
      (SELECT number FROM documents WHERE kind='trust-list' AND scope='*'),
      (SELECT number FROM documents WHERE kind='enrolment' AND scope=?1),
      (SELECT COALESCE(MAX(seq), 0) FROM journal WHERE device=?2))");
  st.bind(1, std::string_view(site)).bind(2, std::string_view(device_id));
  if (st.step() != SQLITE_ROW) return db_failure(db_, "round heads");
  sync::RoundHeads h;
  auto u = [&](int c) { return static_cast<std::uint64_t>(std::max<std::int64_t>(st.i64(c), 0)); };
  h.revocations = u(0);
  h.site_state = u(1);
  h.trust_list = u(2);
  h.enrolment = u(3);
  h.acked = st.i64(4);
  return h;
}

DbResult<std::uint64_t> SqliteStore::revoke(const std::vector<PassId>& add,
                                            const std::vector<PassId>& remove, UnixTime,
                                            const std::string& request) {
  // One writer at a time on the file (the transaction takes the write lock at once, see
  // sql::Transaction), so looking the request up and recording it cannot race.
  sql::Transaction tx(db_);
  if (!tx.begun()) return db_failure(db_, "begin");
  if (!request.empty()) {
    sql::Statement seen(db_, "SELECT number FROM revocation_requests WHERE request=?");
    seen.bind(1, std::string_view(request));
    if (seen.step() == SQLITE_ROW) return static_cast<std::uint64_t>(seen.i64(0));
  }
  auto number = next_number("revocations", "*");
  if (!number) return number.error();
  const auto n = static_cast<std::int64_t>(*number);
  if (!request.empty()) {
    sql::Statement rec(db_, "INSERT INTO revocation_requests VALUES(?,?)");
    rec.bind(1, std::string_view(request)).bind(2, n);
    if (rec.step() != SQLITE_DONE) return db_failure(db_, "revocation request");
  }
  sql::Statement ins(db_,
                     "INSERT INTO revoked VALUES(?,?,NULL) ON CONFLICT(pass_id) DO UPDATE SET "
                     "added_in=excluded.added_in, removed_in=NULL WHERE removed_in IS NOT NULL");
  for (const auto& id : add) {
    ins.reset();
    ins.bind(1, ByteView(id)).bind(2, n);
    if (ins.step() != SQLITE_DONE) return db_failure(db_, "revoke");
  }
  sql::Statement del(db_, "UPDATE revoked SET removed_in=? WHERE pass_id=? AND removed_in IS NULL");
  for (const auto& id : remove) {
    del.reset();
    del.bind(1, n).bind(2, ByteView(id));
    if (del.step() != SQLITE_DONE) return db_failure(db_, "unrevoke");
  }
  if (auto s = tx.commit(); !s) return s.error();
  return *number;
}

std::optional<Bytes> SqliteStore::cached_revocation_document(std::uint64_t base,
                                                             std::uint64_t number) const {
  sql::Statement st(db_, "SELECT bytes FROM revocation_docs WHERE base=? AND number=?");
  st.bind(1, static_cast<std::int64_t>(base)).bind(2, static_cast<std::int64_t>(number));
  if (st.step() != SQLITE_ROW) return std::nullopt;
  return st.blob(0);
}

DbResult<Bytes> SqliteStore::revocation_document(std::uint64_t have, const IssuerKeyPair& authority,
                                                 UnixTime now) {
  const std::uint64_t current = revocation_number();
  // A device claiming a list we never published (or a reset server): a fresh snapshot.
  const std::uint64_t base = have > current ? 0 : have;
  if (auto cached = cached_revocation_document(base, current)) return *cached;
  RevocationDocument doc;
  doc.kind = base == 0 ? RevocationDocument::Kind::snapshot : RevocationDocument::Kind::delta;
  doc.number = current;
  doc.base_number = base;
  doc.issued_at = now;
  doc.site = "*";
  const auto b = static_cast<std::int64_t>(base);
  if (base == 0) {
    sql::Statement st(db_, "SELECT pass_id FROM revoked WHERE removed_in IS NULL");
    while (st.step() == SQLITE_ROW) doc.added.push_back(id_from_blob(st.blob(0)));
  } else {
    // Added after the device's list and still revoked; or revoked then, removed since.
    sql::Statement added(db_,
                         "SELECT pass_id FROM revoked WHERE added_in>? AND removed_in IS NULL");
    added.bind(1, b);
    while (added.step() == SQLITE_ROW) doc.added.push_back(id_from_blob(added.blob(0)));
    sql::Statement removed(db_, "SELECT pass_id FROM revoked WHERE added_in<=? AND removed_in>?");
    removed.bind(1, b).bind(2, b);
    while (removed.step() == SQLITE_ROW) doc.removed.push_back(id_from_blob(removed.blob(0)));
  }
  Bytes bytes = sign_revocation_document(std::move(doc), authority);
  sql::Statement put(db_, "INSERT OR REPLACE INTO revocation_docs VALUES(?,?,?)");
  put.bind(1, b).bind(2, static_cast<std::int64_t>(current)).bind(3, ByteView(bytes));
  if (put.step() != SQLITE_DONE) return db_failure(db_, "cache revocation document");
  // Keep the cache small: documents for older lists are rebuilt on demand if ever needed.
  sql::Statement evict(db_, "DELETE FROM revocation_docs WHERE number<?");
  evict.bind(1, static_cast<std::int64_t>(current));
  (void)evict.step();
  return bytes;
}

std::optional<std::string> SqliteStore::latest_payload(const std::string& kind,
                                                       const std::string& scope) const {
  sql::Statement st(db_, "SELECT payload FROM documents WHERE kind=? AND scope=?");
  st.bind(1, std::string_view(kind)).bind(2, std::string_view(scope));
  if (st.step() != SQLITE_ROW) return std::nullopt;
  return st.text(0);
}

DbStatus SqliteStore::put_payload(const std::string& kind, const std::string& scope,
                                  std::uint64_t number, const std::string& payload) {
  sql::Statement st(db_, "INSERT OR REPLACE INTO documents VALUES(?,?,?,?)");
  st.bind(1, std::string_view(kind)).bind(2, std::string_view(scope));
  st.bind(3, static_cast<std::int64_t>(number)).bind(4, std::string_view(payload));
  if (st.step() != SQLITE_DONE) return db_failure(db_, "store " + kind);
  return Done{};
}

DbResult<std::uint64_t> SqliteStore::set_site_state(sync::SiteStateDoc doc, UnixTime now) {
  sql::Transaction tx(db_);
  auto n = next_number("site-state", doc.site);
  if (!n) return n.error();
  doc.number = *n;
  doc.issued_at = now;
  if (auto s = put_payload("site-state", doc.site, *n, sync::payload_of(doc)); !s) return s.error();
  if (auto s = tx.commit(); !s) return s.error();
  return *n;
}

std::optional<sync::SiteStateDoc> SqliteStore::site_state(const std::string& site) const {
  auto p = latest_payload("site-state", site);
  if (!p) return std::nullopt;
  auto d = sync::parse_site_state(*p);
  return d ? std::optional(*d) : std::nullopt;
}

DbResult<std::uint64_t> SqliteStore::set_enrolment(sync::EnrolmentDoc doc, UnixTime now) {
  sql::Transaction tx(db_);
  auto n = next_number("enrolment", doc.site);
  if (!n) return n.error();
  doc.number = *n;
  doc.issued_at = now;
  if (auto s = put_payload("enrolment", doc.site, *n, sync::payload_of(doc)); !s) return s.error();
  if (auto s = tx.commit(); !s) return s.error();
  return *n;
}

std::optional<sync::EnrolmentDoc> SqliteStore::enrolment(const std::string& site) const {
  auto p = latest_payload("enrolment", site);
  if (!p) return std::nullopt;
  auto d = sync::parse_enrolment(*p);
  return d ? std::optional(*d) : std::nullopt;
}

DbResult<std::uint64_t> SqliteStore::set_trust_list(std::vector<IssuerKeyInfo> keys, UnixTime now) {
  if (keys.empty()) return db_error(DbCode::refused, "a trust list needs at least one key");
  sql::Transaction tx(db_);
  auto n = next_number("trust-list", "*");
  if (!n) return n.error();
  sync::TrustListDoc doc{*n, now, std::move(keys)};
  if (auto s = put_payload("trust-list", "*", *n, sync::payload_of(doc)); !s) return s.error();
  if (auto s = tx.commit(); !s) return s.error();
  return *n;
}

std::optional<sync::TrustListDoc> SqliteStore::trust_list() const {
  auto p = latest_payload("trust-list", "*");
  if (!p) return std::nullopt;
  auto d = sync::parse_trust_list(*p);
  return d ? std::optional(*d) : std::nullopt;
}

// Operators, retired devices and the audit log.

bool SqliteStore::retired(const std::string& device_id) const {
  sql::Statement st(db_, "SELECT 1 FROM retired_devices WHERE id=?");
  st.bind(1, std::string_view(device_id));
  return st.step() == SQLITE_ROW;
}

DbStatus SqliteStore::retire_device(const std::string& id, UnixTime now) {
  sql::Transaction tx(db_);
  if (!tx.begun()) return db_failure(db_, "begin");
  sql::Statement known(db_, "SELECT 1 FROM devices WHERE id=?");
  known.bind(1, std::string_view(id));
  if (known.step() != SQLITE_ROW) return db_error(DbCode::refused, "no such device");
  sql::Statement st(db_, "INSERT INTO retired_devices VALUES(?,?) ON CONFLICT(id) DO NOTHING");
  st.bind(1, std::string_view(id)).bind(2, now);
  if (st.step() != SQLITE_DONE) return db_failure(db_, "retire device");
  if (sqlite3_changes(db_.get()) != 1) return db_error(DbCode::refused, "already retired");
  return tx.commit();
}

std::map<std::string, UnixTime> SqliteStore::retired_devices() const {
  std::map<std::string, UnixTime> out;
  sql::Statement st(db_, "SELECT id, retired_at FROM retired_devices");
  while (st.step() == SQLITE_ROW) out[st.text(0)] = st.i64(1);
  return out;
}

DbStatus SqliteStore::add_operator(const Operator& op) {
  if (auto ok = check_id("operator id", op.id); !ok) return ok;
  sql::Statement st(db_, "INSERT INTO operators VALUES(?,?,?,?,NULL) ON CONFLICT(id) DO NOTHING");
  st.bind(1, std::string_view(op.id)).bind(2, ByteView(op.key));
  st.bind(3, roles_text(op.roles)).bind(4, op.added_at);
  if (st.step() != SQLITE_DONE) return db_failure(db_, "add operator");
  if (sqlite3_changes(db_.get()) != 1)
    return db_error(DbCode::refused, "operator " + op.id + " exists (ids are never reused)");
  return Done{};
}

DbStatus SqliteStore::retire_operator(const std::string& id, UnixTime now) {
  sql::Statement st(db_, "UPDATE operators SET retired_at=? WHERE id=? AND retired_at IS NULL");
  st.bind(1, now).bind(2, std::string_view(id));
  if (st.step() != SQLITE_DONE) return db_failure(db_, "retire operator");
  if (sqlite3_changes(db_.get()) != 1) return db_error(DbCode::refused, "no active operator " + id);
  return Done{};
}

DbResult<bool> SqliteStore::claim_operator_nonce(const std::string& operator_id,
                                                 const std::string& nonce, UnixTime time,
                                                 UnixTime forget_before) {
  sql::Statement forget(db_, "DELETE FROM operator_nonces WHERE time < ?");
  forget.bind(1, forget_before);
  if (forget.step() != SQLITE_DONE) return db_failure(db_, "forget operator nonces");
  sql::Statement st(db_, "INSERT OR IGNORE INTO operator_nonces VALUES(?,?,?)");
  st.bind(1, std::string_view(operator_id)).bind(2, std::string_view(nonce)).bind(3, time);
  if (st.step() != SQLITE_DONE) return db_failure(db_, "claim operator nonce");
  return sqlite3_changes(db_.get()) == 1;
}

namespace {
std::optional<Operator> operator_row(const sql::Statement& st) {
  Operator op{st.text(0), {}, parse_roles(st.text(2)).value_or(0), st.i64(3), std::nullopt};
  if (!st.is_null(4)) op.retired_at = st.i64(4);
  Bytes k = st.blob(1);
  if (k.size() != op.key.size()) return std::nullopt;
  std::copy(k.begin(), k.end(), op.key.begin());
  return op;
}
}  // namespace

std::optional<Operator> SqliteStore::find_operator(const std::string& id) const {
  sql::Statement st(db_, "SELECT * FROM operators WHERE id=?");
  st.bind(1, std::string_view(id));
  if (st.step() != SQLITE_ROW) return std::nullopt;
  return operator_row(st);
}

std::vector<Operator> SqliteStore::operators() const {
  std::vector<Operator> out;
  sql::Statement st(db_, "SELECT * FROM operators ORDER BY id");
  while (st.step() == SQLITE_ROW)
    if (auto op = operator_row(st)) out.push_back(std::move(*op));
  return out;
}

DbResult<std::int64_t> SqliteStore::append_audit(const AuditEntry& e) {
  sql::Statement st(db_,
                    "INSERT INTO audit(time, operator, action, target, digest, outcome) "
                    "VALUES(?,?,?,?,?,?) RETURNING seq");
  st.bind(1, e.time).bind(2, std::string_view(e.operator_id)).bind(3, std::string_view(e.action));
  st.bind(4, std::string_view(e.target)).bind(5, std::string_view(e.digest));
  st.bind(6, std::string_view(e.outcome));
  if (st.step() != SQLITE_ROW) return db_failure(db_, "audit");
  return st.i64(0);
}

DbStatus SqliteStore::settle_audit(std::int64_t seq, const std::string& outcome) {
  sql::Statement st(db_, "UPDATE audit SET outcome=? WHERE seq=?");
  st.bind(1, std::string_view(outcome)).bind(2, seq);
  if (st.step() != SQLITE_DONE) return db_failure(db_, "settle audit");
  if (sqlite3_changes(db_.get()) != 1) return db_error(DbCode::refused, "no such audit row");
  return Done{};
}

std::vector<AuditEntry> SqliteStore::audit_log(std::int64_t after_seq, std::size_t limit) const {
  std::vector<AuditEntry> out;
  sql::Statement st(db_, "SELECT * FROM audit WHERE seq>? ORDER BY seq LIMIT ?");
  st.bind(1, after_seq).bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  while (st.step() == SQLITE_ROW)
    out.push_back(
        {st.i64(0), st.i64(1), st.text(2), st.text(3), st.text(4), st.text(5), st.text(6)});
  return out;
}

}  // namespace gk::upstream
