#pragma once
// The passage journal: one SQLite row per passage, committed (WAL, synchronous=FULL)
// before the gate may open. Rows are hash-chained so that an edited or deleted row is
// detected; retention purges old rows but keeps an anchor so the rest still verifies.
// Personal data is masked before it is stored: the raw phone number never reaches disk.
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gk/core/passage.hpp"
#include "gk/core/result.hpp"
#include "gk/core/sqlite.hpp"
#include "gk/pass/pass.hpp"

namespace gk {

struct Passage {
  UnixTime time = 0;
  std::string gate;  // checkpoint name, e.g. "莲花北村北门"
  Direction direction = Direction::in;
  CredentialKind credential_kind = CredentialKind::none;
  std::optional<PassId> pass_id;
  std::optional<Role> role;
  Decision decision = Decision::deny;
  Reason reason = Reason::malformed;
  // The body-temperature estimate the decision used (°C, 0.1) and what it was estimated
  // from: the infrared skin reading and the sensor's ambient reading (°C, 0.01). Guard
  // rows with a clinical re-measurement carry the clinical reading as temperature_c.
  std::optional<double> temperature_c;
  std::optional<double> skin_c;
  std::optional<double> ambient_c;
  std::optional<std::string> operator_id;     // the accountable guard, if any
  std::optional<PassId> consenting_resident;  // visitor entries
  std::optional<std::string> holder;          // display name, already masked
  std::optional<std::string> phone;           // raw on input; stored masked
  std::string detail;                         // short, never personal data
  Bytes sealed;                               // opaque sealed personal data
};

struct JournalEntry {
  std::int64_t seq = 0;
  Passage passage;  // phone holds the masked form
  std::string prev_hash;
  std::string hash;
};

struct VerifyReport {
  bool ok = true;
  std::int64_t rows = 0;                      // rows whose chain was checked
  std::string integrity = "ok";               // PRAGMA integrity_check: "ok" or what it found
  std::optional<std::int64_t> first_bad_seq;  // the chain's first bad row, if the chain broke
  std::string problem;  // "damaged file: ...", "edited", "missing row", "head mismatch", ...
};

// What tools show about a journal without knowing its tables.
struct JournalSummary {
  std::int64_t head_seq = 0;
  std::int64_t rows = 0;
  UnixTime last_passage_time = 0;
};

// Retention: what a purge did and what it held back.
struct PurgeReport {
  std::int64_t purged = 0;
  std::int64_t held_back = 0;              // older than the cutoff but not acknowledged: kept
  std::int64_t unacknowledged_purged = 0;  // with force: deleted although not acknowledged
  std::int64_t remaining = 0;
};

class Journal {
 public:
  static constexpr int kSchemaVersion = 2;

  // The daemon's journal: created and migrated if needed, written by this process alone.
  static DbResult<Journal> open(const std::filesystem::path& file);
  // Every tool that only reads (verify, export, status, health): never creates, migrates or
  // writes the file, so it is safe while gated runs. A missing file or a schema other than
  // this firmware's is an error.
  static DbResult<Journal> open_read_only(const std::filesystem::path& file);

  // The file under this journal must stay the one it opened: same device and inode for the
  // database and its WAL, sizes that never shrink, and no commit by any other connection
  // (PRAGMA data_version). Checked before and after every append; once it failed, every
  // append fails (DbCode::changed) until the daemon restarts, so a journal truncated or
  // replaced under a running gated keeps the gate shut. The detail names what changed.
  DbStatus watch() const;

  // Durable on return (COMMIT with synchronous=FULL). A failure is the database layer's; the
  // passage it was for is refused as journal_unavailable (verdict_reason).
  DbResult<std::int64_t> append(const Passage& p);
  // Several passages in one transaction (bulk import, benchmarks); the last seq.
  DbResult<std::int64_t> append_all(const std::vector<Passage>& passages);

  // Direction of the last admitted passage of this pass since `since` (anti-passback).
  std::optional<Direction> last_direction(const PassId& id, UnixTime since) const;
  std::vector<JournalEntry> entries(std::int64_t after_seq, std::size_t limit, UnixTime from = 0,
                                    UnixTime until = 0) const;
  std::int64_t count() const;
  std::int64_t head_seq() const;
  JournalSummary summary() const;
  // PRAGMA integrity_check (a damaged b-tree is reported as damaged, even with no rows
  // readable), then the hash chain: of every row, or of the newest `tail_rows` (a boot check
  // on a year-old journal), each re-derived from its stored fields and linked, the newest
  // equal to the recorded head.
  VerifyReport verify(std::int64_t tail_rows = 0) const;
  // Retention: deletes rows older than cutoff, but never one above `acknowledged_seq` (the
  // upstream's mark: a deleted unacknowledged row would make every later upload a gap)
  // unless `force`; records the last deleted row's hash as the new anchor.
  DbResult<PurgeReport> purge_older_than(UnixTime cutoff, std::int64_t acknowledged_seq,
                                         bool force = false);

  void export_csv(std::ostream& out, UnixTime from = 0, UnixTime until = 0) const;
  void export_json_lines(std::ostream& out, UnixTime from = 0, UnixTime until = 0) const;

 private:
  struct FileId {
    bool exists = false;
    std::uint64_t device = 0, inode = 0;
    std::int64_t size = 0;
  };
  struct Watch {
    std::filesystem::path file;
    FileId db, wal;  // as last seen; the WAL's identity from when it first existed
    std::int64_t data_version = 0;
    std::string broken;  // non-empty once the file was changed under us: latched
  };
  static FileId identify(const std::filesystem::path& file);
  explicit Journal(sql::Database db) : db_(std::move(db)) {}
  DbResult<std::int64_t> append_in_transaction(const Passage& p);
  DbStatus observe() const;  // updates watch_ or latches watch_->broken
  sql::Database db_;
  mutable std::unique_ptr<Watch> watch_;  // writers only; read-only tools do not watch
};

// A row as the chain sees it: every column after seq as text, nullopt for NULL.
using RowFields = std::vector<std::optional<std::string>>;
RowFields row_fields(const Passage& p);
// The hash of a row: BLAKE2b-256 over prev_hash, seq and the row's fields.
std::string chain_hash(std::int64_t seq, const RowFields& fields, const std::string& prev_hash);
// The same hash from the passage itself (what row_fields(p) would give), without building the
// fields: every passage appended, and every one the upstream receives, is hashed this way.
std::string chain_hash(std::int64_t seq, const Passage& p, const std::string& prev_hash);
inline const std::string kGenesisHash(64, '0');

}  // namespace gk
