#pragma once
// The reference upstream's state behind one interface: registered devices, every device's
// journal (keyed by device and seq, so a re-sent batch is recognised), the revocation list
// with the list number each change came in, site states, enrolments and the trust list.
// Two implementations: one SQLite file (WAL, synchronous=FULL; the embedded default for one
// compound) and PostgreSQL (a district: several `gate-upstream serve` instances share one
// database; numbering, deduplication and the chain check hold across them by constraints
// and transactions). Every request reads the current state.
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gk/pass/keys.hpp"
#include "gk/sync/batch.hpp"
#include "gk/sync/documents.hpp"
#include "gk/trust/revocation_document.hpp"
#include "gk/upstream/principals.hpp"

namespace gk::upstream {

struct Device {
  std::string id;
  PublicKey key{};
  std::string site;
  std::string checkpoint;
};

// What the server says after a journal batch: the contiguous high-water mark.
struct Ack {
  std::int64_t acked = 0;
  std::size_t accepted = 0;    // new passages stored by this batch
  std::size_t duplicates = 0;  // already held (identical hash): dropped
};

struct StoredPassage {
  std::int64_t seq = 0;
  std::string hash;
  std::string entry_json;  // the entry as it arrived
};

class UpstreamStore {
 public:
  virtual ~UpstreamStore() = default;
  // "sqlite" or "postgresql": for logs and metrics.
  virtual std::string_view kind() const = 0;

  // Devices. Ids are 1..64 bytes of UTF-8 without NUL. A retired device's id cannot be
  // registered again (its journal stays, under that id).
  virtual DbStatus register_device(const Device& d) = 0;
  // An active device: a retired one is not found, so its requests are not authenticated.
  virtual std::optional<Device> device(const std::string& id) const = 0;
  // Every device ever registered, retired ones too (whose journals still count).
  virtual std::vector<Device> devices() const = 0;

  // Journals. A batch must continue the device's chain: entries at or below the mark are
  // duplicates (their hash must match what is stored), the first new one must be
  // mark + 1 and link to the stored hash. All or nothing per batch. Rows are bound to the
  // device that first sent them: every row's hash covers its whole history back to the
  // device's first row, so another device's copy could only be taken as a journal of its own
  // from seq 1 on; a first row another device already holds is refused (by a unique index
  // over first rows' hashes, so that it holds across instances, in the batch's transaction).
  virtual DbResult<Ack> receive(const sync::JournalBatch& batch, UnixTime now) = 0;
  // Several batches (of any devices) received as receive() would, each all or nothing and
  // each with its own outcome, made durable by one commit (group commit: one log flush for
  // all of them); no outcome is returned before that commit. A store failure (not a batch's
  // refusal) fails every batch of the group: none is kept, and each kiosk sends again. The
  // default commits them one by one.
  virtual std::vector<DbResult<Ack>> receive_group(
      std::span<const sync::JournalBatch* const> batches, UnixTime now);
  // How many durable commits journal batches took, and how many batches they held.
  struct CommitCounts {
    std::uint64_t commits = 0, batches = 0;
  };
  virtual CommitCounts journal_commits() const { return {}; }
  virtual std::int64_t acked(const std::string& device_id) const = 0;
  virtual std::vector<StoredPassage> journal(const std::string& device_id,
                                             std::int64_t after_seq = 0,
                                             std::size_t limit = SIZE_MAX) const = 0;

  // Revocations: each publish makes a new list number. `request` is the publisher's id for
  // this publish (gatectl upstream revoke sends a long list in several, each with its own),
  // or empty: a request id already applied changes nothing and returns the number it made
  // then, so that a request re-sent after a lost answer is neither applied twice nor burns a
  // number (across instances too: the id is a key of the store).
  virtual DbResult<std::uint64_t> revoke(const std::vector<PassId>& add,
                                         const std::vector<PassId>& remove, UnixTime now,
                                         const std::string& request) = 0;
  virtual std::uint64_t revocation_number() const = 0;
  // In one read, what the time document tells the device (sync::RoundHeads): the numbers of
  // the lists it would be served (its site's state and enrolment) and its journal mark.
  virtual DbResult<sync::RoundHeads> round_heads(const std::string& site,
                                                 const std::string& device_id) const = 0;
  // The signed document that takes a device from `have` to the current list (a snapshot
  // when `have` is 0), cached so that every chunk of one download is the same bytes (also
  // when the chunks come from different instances).
  virtual DbResult<Bytes> revocation_document(std::uint64_t have, const IssuerKeyPair& authority,
                                              UnixTime now) = 0;
  // A cached document by its numbers (resumed downloads); nullopt once evicted.
  virtual std::optional<Bytes> cached_revocation_document(std::uint64_t base,
                                                          std::uint64_t number) const = 0;

  // Site states, enrolment lists and the trust list: the latest payload of each, numbered.
  virtual DbResult<std::uint64_t> set_site_state(sync::SiteStateDoc doc, UnixTime now) = 0;
  virtual std::optional<sync::SiteStateDoc> site_state(const std::string& site) const = 0;
  virtual DbResult<std::uint64_t> set_enrolment(sync::EnrolmentDoc doc, UnixTime now) = 0;
  virtual std::optional<sync::EnrolmentDoc> enrolment(const std::string& site) const = 0;
  virtual DbResult<std::uint64_t> set_trust_list(std::vector<IssuerKeyInfo> keys, UnixTime now) = 0;
  virtual std::optional<sync::TrustListDoc> trust_list() const = 0;

  // Retiring a device (operators.hpp): refused for an unknown or already retired id.
  virtual DbStatus retire_device(const std::string& id, UnixTime now) = 0;
  virtual std::map<std::string, UnixTime> retired_devices() const = 0;

  // Operators (principals.hpp). An id is added once: refused if it was ever used.
  virtual DbStatus add_operator(const Operator& op) = 0;
  // Refused for an unknown or already retired operator.
  virtual DbStatus retire_operator(const std::string& id, UnixTime now) = 0;
  // Retired ones too (retired_at set): the caller decides what a retired operator may do.
  virtual std::optional<Operator> find_operator(const std::string& id) const = 0;
  virtual std::vector<Operator> operators() const = 0;
  // An operator's request nonce, claimed once across every instance on this store: false when
  // it was claimed before (a replay, whichever instance saw it first). Claims older than
  // `forget_before` are dropped on the way (their request time is refused anyway).
  virtual DbResult<bool> claim_operator_nonce(const std::string& operator_id,
                                              const std::string& nonce, UnixTime time,
                                              UnixTime forget_before) = 0;

  // The audit log, append-only (the schema refuses deletes and any change but settling a
  // pending row once). append_audit stores `e` (its seq is ignored) and returns its seq.
  virtual DbResult<std::int64_t> append_audit(const AuditEntry& e) = 0;
  virtual DbStatus settle_audit(std::int64_t seq, const std::string& outcome) = 0;
  virtual std::vector<AuditEntry> audit_log(std::int64_t after_seq, std::size_t limit) const = 0;
};

// The PostgreSQL store (a district: several upstream instances on one database) is a library
// of its own, gk::upstream_postgres: libpq brings Kerberos, LDAP and SASL (20 libraries), and
// only the programs that serve a district link it and pass its opener here. gatectl, which
// every technician's command starts, opens SQLite stores only.
using PostgresOpener = DbResult<std::unique_ptr<UpstreamStore>> (*)(const std::string& conninfo);

// "sqlite:DIR" (DIR/upstream.db), "postgresql://..." or "postgres://..." (a libpq URI), or
// "postgresql:" followed by libpq key=value settings (with `postgres` given). Opening
// migrates the schema.
DbResult<std::unique_ptr<UpstreamStore>> open_store(const std::string& spec,
                                                    PostgresOpener postgres = nullptr);
// `n` stores opened by open_store(spec) behind one, for a server that calls it from several
// threads at once: each call takes a free one (waiting while all are busy), so `n` calls run at
// once, each on a connection of its own. Writes to SQLite are taken one at a time here (its
// file has one writer: waiting here wakes at once, where SQLite's busy handler sleeps).
DbResult<std::unique_ptr<UpstreamStore>> open_store_pool(const std::string& spec,
                                                         PostgresOpener postgres, std::size_t n);
// Whether `spec` names a PostgreSQL store (the prefixes open_store takes for one).
bool names_postgres_store(const std::string& spec);
// The SQLite store in one file (":memory:" for fuzzing).
DbResult<std::unique_ptr<UpstreamStore>> open_sqlite_store(const std::filesystem::path& file);
// In gk::upstream_postgres.
DbResult<std::unique_ptr<UpstreamStore>> open_postgres_store(const std::string& conninfo);

// The journal rules both stores apply (one way to decide): given the device's mark, the
// hash at the mark and the hashes held for the batch's re-sent seqs, which entries are new.
struct BatchPlan {
  Ack ack;                                       // as it will be once the new entries are in
  std::vector<const JournalEntry*> new_entries;  // contiguous from the old mark + 1
};
using StoredHash = std::function<std::optional<std::string>(std::int64_t seq)>;
DbResult<BatchPlan> plan_batch(const sync::JournalBatch& batch, std::int64_t acked,
                               const StoredHash& stored_hash);
// Device ids as both stores accept them.
DbStatus check_device_id(const std::string& id);
// The refusal of a first row another device already holds (both stores say it alike).
DbError first_passage_taken();

}  // namespace gk::upstream
