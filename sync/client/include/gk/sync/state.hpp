#pragma once
// The device's sync bookkeeping in state_dir/sync.db (SQLite, WAL, synchronous=FULL):
// the upstream's journal acknowledgement, the verified envelopes of pulled documents (so
// a restart re-verifies and re-applies them), when each list was last confirmed current,
// the last trusted time, and a revocation download in progress (resumable in chunks).
#include <filesystem>
#include <optional>
#include <string>

#include "gk/core/sqlite.hpp"
#include "gk/pass/pass.hpp"

namespace gk::sync {

struct StoredDocument {
  std::uint64_t number = 0;
  std::string envelope;  // as received; verified again whenever it is loaded
};

struct PartialDownload {
  std::uint64_t base = 0;
  std::uint64_t number = 0;
  std::uint64_t total = 0;
  std::uint64_t received = 0;
};

class SyncState {
 public:
  static DbResult<SyncState> open(const std::filesystem::path& file);

  // The contiguous high-water mark the upstream acknowledged last.
  std::int64_t acked() const;
  DbStatus set_acked(std::int64_t seq);

  std::optional<StoredDocument> document(std::string_view kind) const;
  // Stores the document and marks its kind confirmed at `now`, in one transaction.
  DbStatus put_document(std::string_view kind, const StoredDocument& doc, UnixTime now);
  // "revocations", "site_state", "trust_list", "enrolment": last confirmed current (0: never).
  UnixTime confirmed_at(std::string_view list) const;
  DbStatus confirm(std::string_view list, UnixTime now);

  UnixTime last_trusted_time() const;
  DbStatus note_trusted_time(UnixTime t);  // only ever raised

  std::optional<PartialDownload> partial() const;
  // Appends a chunk at `offset` of the download (base, number, total); a different download
  // replaces the one in progress. Refuses a chunk that does not continue it.
  DbStatus append_chunk(const PartialDownload& id, std::uint64_t offset, ByteView chunk);
  DbResult<Bytes> assemble() const;
  DbStatus clear_partial();

  // Outcome of the last round, for status reports.
  DbStatus note_round(UnixTime now, bool ok, const std::string& error);
  UnixTime last_success() const;
  UnixTime last_attempt() const;
  std::string last_error() const;

 private:
  explicit SyncState(sql::Database db) : db_(std::move(db)) {}
  std::optional<std::string> get(std::string_view key) const;
  DbStatus put(std::string_view key, std::string_view value);
  std::int64_t get_int(std::string_view key) const;
  sql::Database db_;
};

}  // namespace gk::sync
