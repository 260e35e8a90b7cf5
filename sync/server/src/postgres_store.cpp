// The upstream store on PostgreSQL: several `gate-upstream serve` instances share one
// database. What must hold across them is the database's job, not the instances':
//  - a journal row is keyed by (device, seq): a passage is stored once, whoever receives it;
//  - every row but a device's first names its predecessor (device, seq - 1, hash) by a
//    foreign key, so a gap or a broken link cannot be stored even by a buggy instance;
//  - a batch locks its device's row first, so two instances receiving the same device's
//    batches (a kiosk retrying on another instance) serialise and answer consistently;
//  - list numbers come from one upsert per (kind, scope), under the row's lock;
//  - a revocation document is built in one snapshot and cached by (base, number) with
//    ON CONFLICT DO NOTHING: every instance serves the first one stored, byte for byte.
// The schema and its migrations: postgres_schema.cpp.
#include <algorithm>
#include <iostream>

#include "gk/upstream/pq.hpp"
#include "gk/upstream/store.hpp"
#include "postgres_schema.hpp"

namespace gk::upstream {
namespace {

using pq::Connection;
using pq::Param;
using pq::PgResult;

PassId id_from_bytes(const Bytes& b) {
  PassId id{};
  std::copy_n(b.begin(), std::min(b.size(), id.size()), id.begin());
  return id;
}

std::string num(std::int64_t v) {
  return std::to_string(v);
}

class PostgresStore final : public UpstreamStore {
 public:
  explicit PostgresStore(Connection c) : db_(std::move(c)) {}

  std::string_view kind() const override { return "postgresql"; }
  DbStatus register_device(const Device& d) override;
  std::optional<Device> device(const std::string& id) const override;
  std::vector<Device> devices() const override;
  DbResult<Ack> receive(const sync::JournalBatch& batch, UnixTime now) override;
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
  // Reads that cannot fail in the interface (a missing row is the answer): a database error
  // is logged and reads as "nothing there", which every caller already treats as "refuse".
  PgResult read(std::string_view sql, const std::vector<Param>& params) const {
    auto r = db_.exec(sql, params);
    if (!r.ok()) std::cerr << "gate-upstream: postgresql: " << r.error();
    return r;
  }
  std::optional<std::string> latest_payload(const std::string& kind,
                                            const std::string& scope) const;
  DbResult<std::uint64_t> next_number(const std::string& kind, const std::string& scope);
  DbResult<std::uint64_t> publish(const std::string& kind, const std::string& scope,
                                  const std::function<std::string(std::uint64_t)>& payload_for);
  mutable Connection db_;  // a handle: reading through it changes nothing we own
};

DbStatus PostgresStore::register_device(const Device& d) {
  if (auto ok = check_device_id(d.id); !ok) return ok;
  // One statement: a retired id is not registered again, even by a concurrent instance.
  auto r = db_.exec(
      "INSERT INTO devices SELECT $1::text, $2::bytea, $3::text, $4::text WHERE NOT EXISTS (SELECT "
      "1 FROM retired_devices "
      "WHERE id=$1) ON CONFLICT (id) DO UPDATE SET public_key=excluded.public_key, "
      "site=excluded.site, checkpoint=excluded.checkpoint",
      {d.id, Connection::bytea(d.key), d.site, d.checkpoint});
  if (!r.ok()) return pq::failure(r, "register device");
  if (r.tag() == "INSERT 0 0") return db_error(DbCode::refused, "device " + d.id + " was retired");
  return Done{};
}

std::optional<Device> PostgresStore::device(const std::string& id) const {
  if (!check_device_id(id)) return std::nullopt;
  auto r = read(
      "SELECT id, public_key, site, checkpoint FROM devices d WHERE id=$1 AND NOT EXISTS "
      "(SELECT 1 FROM retired_devices r WHERE r.id=d.id)",
      {id});
  if (!r.ok() || r.rows() != 1) return std::nullopt;
  Device d{r.text(0, 0), {}, r.text(0, 2), r.text(0, 3)};
  Bytes k = r.bytes(0, 1);
  if (k.size() != d.key.size()) return std::nullopt;
  std::copy(k.begin(), k.end(), d.key.begin());
  return d;
}

std::vector<Device> PostgresStore::devices() const {
  std::vector<Device> out;
  auto r = read("SELECT id, public_key, site, checkpoint FROM devices ORDER BY id", {});
  for (int i = 0; i < r.rows(); ++i) {
    Device d{r.text(i, 0), {}, r.text(i, 2), r.text(i, 3)};
    Bytes k = r.bytes(i, 1);
    if (k.size() != d.key.size()) continue;
    std::copy(k.begin(), k.end(), d.key.begin());
    out.push_back(std::move(d));
  }
  return out;
}

std::int64_t PostgresStore::acked(const std::string& device_id) const {
  auto r = read("SELECT COALESCE(MAX(seq), 0) FROM journal WHERE device=$1", {device_id});
  return r.ok() && r.rows() == 1 ? r.i64(0, 0) : 0;
}

DbResult<Ack> PostgresStore::receive(const sync::JournalBatch& batch, UnixTime now) {
  if (auto ok = check_device_id(batch.device_id); !ok) return ok.error();
  pq::Transaction tx(db_);
  if (!tx.begun()) return db_error(DbCode::io, "postgresql: begin: " + tx.error());
  // The device's row lock: batches of one device are received one at a time, on any instance.
  // The same statement reads the mark's hash, which a batch that continues the chain links to:
  // a round trip fewer for every batch.
  auto mark = db_.exec(
      "SELECT d.m, (SELECT hash FROM journal WHERE device=$1 AND seq=d.m) FROM "
      "(SELECT (SELECT COALESCE(MAX(seq), 0) FROM journal WHERE device=$1) AS m FROM devices "
      "WHERE id=$1 FOR UPDATE) AS d",
      {batch.device_id});
  if (!mark.ok()) return pq::failure(mark, "journal mark");
  if (mark.rows() != 1) return db_error(DbCode::refused, "unknown device");
  const std::int64_t acked = mark.i64(0, 0);
  std::map<std::int64_t, std::string> held;  // hashes of the re-sent seqs and of the mark
  if (acked > 0) held[acked] = mark.text(0, 1);
  if (acked > 0 && !batch.entries.empty() && batch.entries.front().seq < acked) {
    auto h = db_.exec("SELECT seq, hash FROM journal WHERE device=$1 AND seq BETWEEN $2 AND $3",
                      {batch.device_id, num(batch.entries.front().seq), num(acked - 1)});
    if (!h.ok()) return pq::failure(h, "journal hashes");
    for (int i = 0; i < h.rows(); ++i) held[h.i64(i, 0)] = h.text(i, 1);
  }
  auto plan = plan_batch(batch, acked, [&](std::int64_t seq) -> std::optional<std::string> {
    auto it = held.find(seq);
    return it == held.end() ? std::nullopt : std::optional(it->second);
  });
  if (!plan) return plan.error();
  if (!plan->new_entries.empty()) {
    std::vector<std::string> seqs, hashes, prevs, entries;
    for (const JournalEntry* e : plan->new_entries) {
      seqs.push_back(num(e->seq));
      hashes.push_back(e->hash);
      prevs.push_back(e->prev_hash);
      entries.push_back(sync::encode_entry(*e));
    }
    // One statement for the whole batch; the keys and the foreign key re-check what
    // plan_batch decided (and would stop a second writer that skipped the row lock).
    auto ins = db_.exec(
        "INSERT INTO journal(device, seq, hash, prev_seq, prev_hash, entry, received_at) "
        "SELECT $1, s, h, NULLIF(s - 1, 0), CASE WHEN s > 1 THEN p END, e, $2 "
        "FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[]) AS t(s, h, p, e)",
        {batch.device_id, num(now), Connection::array(seqs), Connection::array(hashes),
         Connection::array(prevs), Connection::array(entries)});
    if (!ins.ok()) {
      const auto state = ins.sqlstate();
      if (state == "23505" && ins.constraint() == "journal_first_passage")
        return first_passage_taken();
      if (state == "23505" || state == "23503" || state == "23514")
        return db_error(DbCode::refused,
                        "the batch does not continue the stored chain: " + ins.error());
      return pq::failure(ins, "store passages");
    }
  }
  if (auto s = tx.commit(); !s) return s.error();
  return plan->ack;
}

std::vector<StoredPassage> PostgresStore::journal(const std::string& device_id,
                                                  std::int64_t after_seq, std::size_t limit) const {
  std::vector<StoredPassage> out;
  const auto lim = static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX));
  auto r =
      read("SELECT seq, hash, entry FROM journal WHERE device=$1 AND seq>$2 ORDER BY seq LIMIT $3",
           {device_id, num(after_seq), num(lim)});
  for (int i = 0; i < r.rows(); ++i) out.push_back({r.i64(i, 0), r.text(i, 1), r.text(i, 2)});
  return out;
}

DbResult<std::uint64_t> PostgresStore::next_number(const std::string& kind,
                                                   const std::string& scope) {
  // The upsert takes the row's lock until commit: concurrent publishers get n and n + 1.
  auto r = db_.exec(
      "INSERT INTO numbers VALUES($1,$2,1) ON CONFLICT (kind, scope) DO UPDATE SET "
      "number=numbers.number+1 RETURNING number",
      {kind, scope});
  if (!r.ok() || r.rows() != 1) return pq::failure(r, "number " + kind);
  return static_cast<std::uint64_t>(r.i64(0, 0));
}

std::uint64_t PostgresStore::revocation_number() const {
  auto r = read("SELECT number FROM numbers WHERE kind='revocations' AND scope='*'", {});
  return r.ok() && r.rows() == 1 ? static_cast<std::uint64_t>(r.i64(0, 0)) : 0;
}

DbResult<sync::RoundHeads> PostgresStore::round_heads(const std::string& site,
                                                      const std::string& device_id) const {
  // One statement, so one snapshot: the numbers agree with each other.
  auto r = read(
      "SELECT COALESCE((SELECT number FROM numbers WHERE kind='revocations' AND scope='*'), 0), "
      "COALESCE((SELECT number FROM documents WHERE kind='site-state' AND scope=$1), 0), "
      "COALESCE((SELECT number FROM documents WHERE kind='trust-list' AND scope='*'), 0), "
      "COALESCE((SELECT number FROM documents WHERE kind='enrolment' AND scope=$1), 0), "
      "COALESCE((SELECT MAX(seq) FROM journal WHERE device=$2), 0)",
      {site, device_id});
  if (!r.ok() || r.rows() != 1) return pq::failure(r, "round heads");
  sync::RoundHeads h;
  auto u = [&](int c) {
    return static_cast<std::uint64_t>(std::max<std::int64_t>(r.i64(0, c), 0));
  };
  h.revocations = u(0);
  h.site_state = u(1);
  h.trust_list = u(2);
  h.enrolment = u(3);
  h.acked = r.i64(0, 4);
  return h;
}

DbResult<std::uint64_t> PostgresStore::revoke(const std::vector<PassId>& add,
                                              const std::vector<PassId>& remove, UnixTime,
                                              const std::string& request) {
  pq::Transaction tx(db_);
  if (!tx.begun()) return db_error(DbCode::io, "postgresql: begin: " + tx.error());
  if (!request.empty()) {
    // The request's row first: the same request in flight on another instance makes this
    // insert wait for it, then do nothing; what it committed is the answer.
    auto claim =
        db_.exec("INSERT INTO revocation_requests VALUES($1, 0) ON CONFLICT (request) DO NOTHING",
                 {request});
    if (!claim.ok()) return pq::failure(claim, "revocation request");
    if (claim.tag() == "INSERT 0 0") {
      auto seen = db_.exec("SELECT number FROM revocation_requests WHERE request=$1", {request});
      if (!seen.ok() || seen.rows() != 1) return pq::failure(seen, "revocation request");
      return static_cast<std::uint64_t>(seen.i64(0, 0));
    }
  }
  auto number = next_number("revocations", "*");
  if (!number) return number.error();
  if (!request.empty()) {
    auto r = db_.exec("UPDATE revocation_requests SET number=$2 WHERE request=$1",
                      {request, num(static_cast<std::int64_t>(*number))});
    if (!r.ok()) return pq::failure(r, "revocation request");
  }
  auto ids = [](const std::vector<PassId>& v) {
    std::vector<std::string> out;
    for (const auto& id : v) out.push_back(Connection::bytea(id));
    return Connection::array(out);
  };
  if (!add.empty()) {
    auto r = db_.exec(
        "INSERT INTO revoked SELECT DISTINCT unnest($1::bytea[]), $2::bigint, NULL::bigint "
        "ON CONFLICT (pass_id) DO UPDATE SET added_in=excluded.added_in, removed_in=NULL "
        "WHERE revoked.removed_in IS NOT NULL",
        {ids(add), num(static_cast<std::int64_t>(*number))});
    if (!r.ok()) return pq::failure(r, "revoke");
  }
  if (!remove.empty()) {
    auto r = db_.exec(
        "UPDATE revoked SET removed_in=$1 WHERE pass_id = ANY($2::bytea[]) AND removed_in IS NULL",
        {num(static_cast<std::int64_t>(*number)), ids(remove)});
    if (!r.ok()) return pq::failure(r, "unrevoke");
  }
  if (auto s = tx.commit(); !s) return s.error();
  return *number;
}

std::optional<Bytes> PostgresStore::cached_revocation_document(std::uint64_t base,
                                                               std::uint64_t number) const {
  auto r = read("SELECT bytes FROM revocation_docs WHERE base=$1 AND number=$2",
                {num(static_cast<std::int64_t>(base)), num(static_cast<std::int64_t>(number))});
  if (!r.ok() || r.rows() != 1) return std::nullopt;
  return r.bytes(0, 0);
}

DbResult<Bytes> PostgresStore::revocation_document(std::uint64_t have,
                                                   const IssuerKeyPair& authority, UnixTime now) {
  // The usual case, one round trip: the current document for this base is cached.
  if (have > 0) {
    auto hit = read(
        "SELECT d.bytes FROM revocation_docs d JOIN numbers n ON n.kind='revocations' AND "
        "n.scope='*' AND d.number=n.number WHERE d.base = CASE WHEN $1 > n.number THEN 0 ELSE $1 "
        "END",
        {num(static_cast<std::int64_t>(have))});
    if (hit.ok() && hit.rows() == 1) return hit.bytes(0, 0);
  } else {
    auto hit = read(
        "SELECT d.bytes FROM revocation_docs d JOIN numbers n ON n.kind='revocations' AND "
        "n.scope='*' AND d.number=n.number WHERE d.base = 0",
        {});
    if (hit.ok() && hit.rows() == 1) return hit.bytes(0, 0);
  }
  RevocationDocument doc;
  {
    // One snapshot: the number and the rows it covers agree even while an operator publishes.
    pq::Transaction tx(db_, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (!tx.begun()) return db_error(DbCode::io, "postgresql: begin: " + tx.error());
    const std::uint64_t current = revocation_number();
    const std::uint64_t base = have > current ? 0 : have;
    if (auto cached = cached_revocation_document(base, current)) return *cached;
    doc.kind = base == 0 ? RevocationDocument::Kind::snapshot : RevocationDocument::Kind::delta;
    doc.number = current;
    doc.base_number = base;
    doc.issued_at = now;
    doc.site = "*";
    const std::string b = num(static_cast<std::int64_t>(base));
    auto collect = [&](std::string_view sql, std::vector<Param> params,
                       std::vector<PassId>& into) -> DbStatus {
      auto r = db_.exec(sql, params);
      if (!r.ok()) return pq::failure(r, "revocations");
      for (int i = 0; i < r.rows(); ++i) into.push_back(id_from_bytes(r.bytes(i, 0)));
      return Done{};
    };
    DbStatus s =
        base == 0 ? collect("SELECT pass_id FROM revoked WHERE removed_in IS NULL", {}, doc.added)
                  : collect("SELECT pass_id FROM revoked WHERE added_in>$1 AND removed_in IS NULL",
                            {b}, doc.added);
    if (s && base != 0)
      s = collect("SELECT pass_id FROM revoked WHERE added_in<=$1 AND removed_in>$1", {b},
                  doc.removed);
    if (!s) return s.error();
  }
  const auto base = static_cast<std::int64_t>(doc.base_number);
  const auto number = static_cast<std::int64_t>(doc.number);
  Bytes bytes = sign_revocation_document(std::move(doc), authority);
  // The first instance to store it wins; all serve those bytes (a resumed download may
  // fetch its next chunk from another instance).
  auto put =
      db_.exec("INSERT INTO revocation_docs VALUES($1,$2,$3) ON CONFLICT (base, number) DO NOTHING",
               {num(base), num(number), Connection::bytea(bytes)});
  if (!put.ok()) return pq::failure(put, "cache revocation document");
  (void)db_.exec("DELETE FROM revocation_docs WHERE number<$1", {num(number)});
  auto stored = cached_revocation_document(static_cast<std::uint64_t>(base),
                                           static_cast<std::uint64_t>(number));
  if (!stored) return db_error(DbCode::io, "postgresql: revocation document vanished");
  return *stored;
}

std::optional<std::string> PostgresStore::latest_payload(const std::string& kind,
                                                         const std::string& scope) const {
  auto r = read("SELECT payload FROM documents WHERE kind=$1 AND scope=$2", {kind, scope});
  if (!r.ok() || r.rows() != 1) return std::nullopt;
  return r.text(0, 0);
}

DbResult<std::uint64_t> PostgresStore::publish(
    const std::string& kind, const std::string& scope,
    const std::function<std::string(std::uint64_t)>& payload_for) {
  pq::Transaction tx(db_);
  if (!tx.begun()) return db_error(DbCode::io, "postgresql: begin: " + tx.error());
  auto n = next_number(kind, scope);
  if (!n) return n.error();
  auto r = db_.exec(
      "INSERT INTO documents VALUES($1,$2,$3,$4) ON CONFLICT (kind, scope) DO UPDATE SET "
      "number=excluded.number, payload=excluded.payload",
      {kind, scope, num(static_cast<std::int64_t>(*n)), payload_for(*n)});
  if (!r.ok()) return pq::failure(r, "store " + kind);
  if (auto s = tx.commit(); !s) return s.error();
  return *n;
}

DbResult<std::uint64_t> PostgresStore::set_site_state(sync::SiteStateDoc doc, UnixTime now) {
  return publish("site-state", doc.site, [&](std::uint64_t n) {
    doc.number = n;
    doc.issued_at = now;
    return sync::payload_of(doc);
  });
}

std::optional<sync::SiteStateDoc> PostgresStore::site_state(const std::string& site) const {
  auto p = latest_payload("site-state", site);
  if (!p) return std::nullopt;
  auto d = sync::parse_site_state(*p);
  return d ? std::optional(*d) : std::nullopt;
}

DbResult<std::uint64_t> PostgresStore::set_enrolment(sync::EnrolmentDoc doc, UnixTime now) {
  return publish("enrolment", doc.site, [&](std::uint64_t n) {
    doc.number = n;
    doc.issued_at = now;
    return sync::payload_of(doc);
  });
}

std::optional<sync::EnrolmentDoc> PostgresStore::enrolment(const std::string& site) const {
  auto p = latest_payload("enrolment", site);
  if (!p) return std::nullopt;
  auto d = sync::parse_enrolment(*p);
  return d ? std::optional(*d) : std::nullopt;
}

DbResult<std::uint64_t> PostgresStore::set_trust_list(std::vector<IssuerKeyInfo> keys,
                                                      UnixTime now) {
  if (keys.empty()) return db_error(DbCode::refused, "a trust list needs at least one key");
  return publish("trust-list", "*", [&](std::uint64_t n) {
    return sync::payload_of(sync::TrustListDoc{n, now, keys});
  });
}

std::optional<sync::TrustListDoc> PostgresStore::trust_list() const {
  auto p = latest_payload("trust-list", "*");
  if (!p) return std::nullopt;
  auto d = sync::parse_trust_list(*p);
  return d ? std::optional(*d) : std::nullopt;
}

// Operators, retired devices and the audit log.

DbStatus PostgresStore::retire_device(const std::string& id, UnixTime now) {
  if (!check_device_id(id)) return db_error(DbCode::refused, "no such device");
  auto r = db_.exec(
      "INSERT INTO retired_devices SELECT id, $2::bigint FROM devices WHERE id=$1 ON CONFLICT (id) "
      "DO "
      "NOTHING",
      {id, num(now)});
  if (!r.ok()) return pq::failure(r, "retire device");
  if (r.tag() != "INSERT 0 1")
    return db_error(DbCode::refused, "no such device, or already retired");
  return Done{};
}

std::map<std::string, UnixTime> PostgresStore::retired_devices() const {
  std::map<std::string, UnixTime> out;
  auto r = read("SELECT id, retired_at FROM retired_devices", {});
  for (int i = 0; i < r.rows(); ++i) out[r.text(i, 0)] = r.i64(i, 1);
  return out;
}

DbStatus PostgresStore::add_operator(const Operator& op) {
  if (auto ok = check_id("operator id", op.id); !ok) return ok;
  auto r = db_.exec("INSERT INTO operators VALUES($1,$2,$3,$4,NULL) ON CONFLICT (id) DO NOTHING",
                    {op.id, Connection::bytea(op.key), roles_text(op.roles), num(op.added_at)});
  if (!r.ok()) return pq::failure(r, "add operator");
  if (r.tag() != "INSERT 0 1")
    return db_error(DbCode::refused, "operator " + op.id + " exists (ids are never reused)");
  return Done{};
}

DbStatus PostgresStore::retire_operator(const std::string& id, UnixTime now) {
  auto r = db_.exec("UPDATE operators SET retired_at=$1 WHERE id=$2 AND retired_at IS NULL",
                    {num(now), id});
  if (!r.ok()) return pq::failure(r, "retire operator");
  if (r.tag() != "UPDATE 1") return db_error(DbCode::refused, "no active operator " + id);
  return Done{};
}

DbResult<bool> PostgresStore::claim_operator_nonce(const std::string& operator_id,
                                                   const std::string& nonce, UnixTime time,
                                                   UnixTime forget_before) {
  if (auto r = db_.exec("DELETE FROM operator_nonces WHERE time < $1", {num(forget_before)});
      !r.ok())
    return pq::failure(r, "forget operator nonces");
  // The primary key decides between instances that see the same nonce at once.
  auto r = db_.exec("INSERT INTO operator_nonces VALUES($1, $2, $3) ON CONFLICT DO NOTHING",
                    {operator_id, nonce, num(time)});
  if (!r.ok()) return pq::failure(r, "claim operator nonce");
  return r.tag() == "INSERT 0 1";
}

namespace {
std::optional<Operator> operator_row(const PgResult& r, int i) {
  Operator op{r.text(i, 0), {}, parse_roles(r.text(i, 2)).value_or(0), r.i64(i, 3), std::nullopt};
  if (!r.null(i, 4)) op.retired_at = r.i64(i, 4);
  Bytes k = r.bytes(i, 1);
  if (k.size() != op.key.size()) return std::nullopt;
  std::copy(k.begin(), k.end(), op.key.begin());
  return op;
}
}  // namespace

std::optional<Operator> PostgresStore::find_operator(const std::string& id) const {
  // PostgreSQL text holds no NUL: such an id is nobody's, and must not reach libpq.
  if (id.find('\0') != std::string::npos) return std::nullopt;
  auto r =
      read("SELECT id, public_key, roles, added_at, retired_at FROM operators WHERE id=$1", {id});
  if (!r.ok() || r.rows() != 1) return std::nullopt;
  return operator_row(r, 0);
}

std::vector<Operator> PostgresStore::operators() const {
  std::vector<Operator> out;
  auto r =
      read("SELECT id, public_key, roles, added_at, retired_at FROM operators ORDER BY id", {});
  for (int i = 0; i < r.rows(); ++i)
    if (auto op = operator_row(r, i)) out.push_back(std::move(*op));
  return out;
}

DbResult<std::int64_t> PostgresStore::append_audit(const AuditEntry& e) {
  auto r = db_.exec(
      "INSERT INTO audit(time, operator, action, target, digest, outcome) "
      "VALUES($1,$2,$3,$4,$5,$6) RETURNING seq",
      {num(e.time), e.operator_id, e.action, e.target, e.digest, e.outcome});
  if (!r.ok() || r.rows() != 1) return pq::failure(r, "audit");
  return r.i64(0, 0);
}

DbStatus PostgresStore::settle_audit(std::int64_t seq, const std::string& outcome) {
  auto r = db_.exec("UPDATE audit SET outcome=$1 WHERE seq=$2", {outcome, num(seq)});
  if (!r.ok()) return pq::failure(r, "settle audit");
  if (r.tag() != "UPDATE 1") return db_error(DbCode::refused, "no such audit row");
  return Done{};
}

std::vector<AuditEntry> PostgresStore::audit_log(std::int64_t after_seq, std::size_t limit) const {
  std::vector<AuditEntry> out;
  const auto lim = static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX));
  auto r = read(
      "SELECT seq, time, operator, action, target, digest, outcome FROM audit WHERE seq>$1 "
      "ORDER BY seq LIMIT $2",
      {num(after_seq), num(lim)});
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({r.i64(i, 0), r.i64(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4), r.text(i, 5),
                   r.text(i, 6)});
  return out;
}

}  // namespace

DbResult<std::unique_ptr<UpstreamStore>> open_postgres_store(const std::string& conninfo) {
  auto c = Connection::open(conninfo);
  if (!c) return c.error();
  if (auto s = pg_schema::migrate(*c); !s) return s.error();
  return std::unique_ptr<UpstreamStore>(std::make_unique<PostgresStore>(std::move(*c)));
}

}  // namespace gk::upstream
