#pragma once
// The passage journal: one SQLite row per passage, committed (WAL, synchronous=FULL)
// before the gate may open. Rows are hash-chained so that an edited or deleted row is
// detected; retention purges old rows but keeps an anchor so the rest still verifies.
// Personal data is masked before it is stored: the raw phone number never reaches disk.
#include <filesystem>
#include <iosfwd>
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
  std::int64_t rows = 0;
  std::optional<std::int64_t> first_bad_seq;
  std::string problem;  // "edited", "missing row", "head mismatch", ...
};

class Journal {
 public:
  static constexpr int kSchemaVersion = 2;

  static Result<Journal> open(const std::filesystem::path& file);

  // Durable on return (COMMIT with synchronous=FULL). Failure: Reason::journal_unavailable.
  Result<std::int64_t> append(const Passage& p);
  // Several passages in one transaction (bulk import, benchmarks); the last seq.
  Result<std::int64_t> append_all(const std::vector<Passage>& passages);

  // Direction of the last admitted passage of this pass since `since` (anti-passback).
  std::optional<Direction> last_direction(const PassId& id, UnixTime since) const;
  std::vector<JournalEntry> entries(std::int64_t after_seq, std::size_t limit, UnixTime from = 0,
                                    UnixTime until = 0) const;
  std::int64_t count() const;
  std::int64_t head_seq() const;
  VerifyReport verify() const;
  // Deletes rows older than cutoff and records the last one's hash as the new anchor.
  Result<std::int64_t> purge_older_than(UnixTime cutoff);

  void export_csv(std::ostream& out, UnixTime from = 0, UnixTime until = 0) const;
  void export_json_lines(std::ostream& out, UnixTime from = 0, UnixTime until = 0) const;

 private:
  explicit Journal(sql::Database db) : db_(std::move(db)) {}
  Result<std::int64_t> append_in_transaction(const Passage& p);
  sql::Database db_;
};

// A row as the chain sees it: every column after seq as text, nullopt for NULL.
using RowFields = std::vector<std::optional<std::string>>;
RowFields row_fields(const Passage& p);
// The hash of a row: BLAKE2b-256 over prev_hash, seq and the row's fields.
std::string chain_hash(std::int64_t seq, const RowFields& fields, const std::string& prev_hash);
inline const std::string kGenesisHash(64, '0');

}  // namespace gk
