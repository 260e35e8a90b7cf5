// The PostgreSQL store's schema: versioned (schema_migrations), migrated under an advisory
// lock at open, so instances starting together on one database migrate it once.
#include "postgres_schema.hpp"

#include <iterator>
#include <string>

namespace gk::upstream::pg_schema {
namespace {

using pq::Connection;

// Append-only: a deployed database has run every earlier step; never edit one.
const char* const kMigrations[] = {
    // 1: the tables of the SQLite store, with the journal's rules as constraints.
    R"(
    CREATE TABLE devices(
      id text PRIMARY KEY CHECK (octet_length(id) BETWEEN 1 AND 64),
      public_key bytea NOT NULL CHECK (length(public_key) = 32),
      site text NOT NULL, checkpoint text NOT NULL);
    CREATE TABLE journal(
      device text NOT NULL REFERENCES devices(id),
      seq bigint NOT NULL CHECK (seq > 0),
      hash text NOT NULL,
      prev_seq bigint, prev_hash text,
      entry text NOT NULL,
      received_at bigint NOT NULL,
      PRIMARY KEY (device, seq),
      UNIQUE (device, seq, hash),
      CHECK ((seq = 1 AND prev_seq IS NULL) OR (prev_seq = seq - 1 AND prev_hash IS NOT NULL)),
      FOREIGN KEY (device, prev_seq, prev_hash) REFERENCES journal(device, seq, hash));
    CREATE TABLE revoked(pass_id bytea PRIMARY KEY CHECK (length(pass_id) = 16),
      added_in bigint NOT NULL, removed_in bigint);
    CREATE TABLE revocation_docs(base bigint, number bigint, bytes bytea NOT NULL,
      PRIMARY KEY (base, number));
    CREATE TABLE numbers(kind text, scope text, number bigint NOT NULL, PRIMARY KEY (kind, scope));
    CREATE TABLE documents(kind text, scope text, number bigint NOT NULL, payload text NOT NULL,
      PRIMARY KEY (kind, scope));
    )",
    // 2: a device's first row is no other device's (UpstreamStore::receive), checked by the
    // database so that it holds across instances; the index also makes the check one lookup.
    R"(
    CREATE UNIQUE INDEX journal_first_passage ON journal(hash) WHERE seq = 1;
    )",
    // 3: operators (operators.hpp), retired devices and the audit log. The log is append-only
    // in the schema: no delete, no truncate, and a row changes once, from pending to its
    // outcome, whichever instance (or program) writes it.
    R"(
    CREATE TABLE retired_devices(id text PRIMARY KEY REFERENCES devices(id),
      retired_at bigint NOT NULL);
    CREATE TABLE operators(
      id text PRIMARY KEY CHECK (octet_length(id) BETWEEN 1 AND 64),
      public_key bytea NOT NULL CHECK (length(public_key) = 32),
      roles text NOT NULL, added_at bigint NOT NULL, retired_at bigint);
    CREATE TABLE audit(seq bigserial PRIMARY KEY, time bigint NOT NULL, operator text NOT NULL,
      action text NOT NULL, target text NOT NULL, digest text NOT NULL, outcome text NOT NULL);
    CREATE FUNCTION audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND OLD.outcome = 'pending' AND NEW.seq = OLD.seq
         AND NEW.time = OLD.time AND NEW.operator = OLD.operator AND NEW.action = OLD.action
         AND NEW.target = OLD.target AND NEW.digest = OLD.digest THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'the audit log is append-only; a row is settled once';
    END $$;
    CREATE TRIGGER audit_guard BEFORE UPDATE OR DELETE ON audit
      FOR EACH ROW EXECUTE FUNCTION audit_guard();
    CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
      FOR EACH STATEMENT EXECUTE FUNCTION audit_guard();
    )",
    // 4: revocation publishes by their publisher's request id (UpstreamStore::revoke), so that
    // a re-sent request is recognised whichever instance it reaches.
    R"(
    CREATE TABLE revocation_requests(request text PRIMARY KEY, number bigint NOT NULL);
    )",
    // 5: operators' request nonces, claimed once across every instance
    // (UpstreamStore::claim_operator_nonce): a request replayed to another instance is refused.
    R"(
    CREATE TABLE operator_nonces(operator text NOT NULL, nonce text NOT NULL,
      time bigint NOT NULL, PRIMARY KEY(operator, nonce));
    CREATE INDEX operator_nonces_time ON operator_nonces(time);
    )",
};

}  // namespace

DbStatus migrate(Connection& db) {
  pq::Transaction tx(db);
  if (!tx.begun()) return db_error(DbCode::io, "postgresql: begin: " + tx.error());
  // Instances starting together: one migrates, the others wait and then see it done.
  if (auto r = db.exec("SELECT pg_advisory_xact_lock(hashtext('gate-upstream schema'))"); !r.ok())
    return pq::failure(r, "schema lock");
  if (auto r = db.exec("CREATE TABLE IF NOT EXISTS schema_migrations(version integer PRIMARY KEY, "
                       "applied_at timestamptz NOT NULL DEFAULT now())");
      !r.ok())
    return pq::failure(r, "schema_migrations");
  auto v = db.exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!v.ok()) return pq::failure(v, "schema version");
  const auto have = v.i64(0, 0);
  const auto known = static_cast<std::int64_t>(std::size(kMigrations));
  if (have > known)
    return db_error(DbCode::io, "postgresql: the database is at schema " + std::to_string(have) +
                                    ", newer than this gate-upstream (" + std::to_string(known) +
                                    ")");
  for (auto i = have; i < known; ++i) {
    if (auto s = db.exec_script(kMigrations[i]); !s)
      return db_error(DbCode::io, "migration " + std::to_string(i + 1) + ": " + s.error().detail);
    if (auto r =
            db.exec("INSERT INTO schema_migrations(version) VALUES($1)", {std::to_string(i + 1)});
        !r.ok())
      return pq::failure(r, "record migration");
  }
  return tx.commit();
}

}  // namespace gk::upstream::pg_schema
