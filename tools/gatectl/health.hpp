#pragma once
// The checks of `gatectl health` beyond the devices: the journal and its disk, and the
// upstream. Each returns a verdict with a human reason; none of them changes anything
// (the write probe removes its file again).
#include <cstdint>
#include <filesystem>
#include <string>

#include "gk/config/config.hpp"

namespace gatectl {

struct Check {
  std::string name;
  std::string status;  // "ok", "failed", "skipped" (not configured / not required)
  std::string detail;
};

// journal.db in the state dir opens read-only and Journal::verify passes: PRAGMA
// integrity_check says ok, and the hash chain of its newest `tail_rows` rows verifies up to
// the recorded head.
Check check_journal(const std::filesystem::path& state_dir, std::int64_t tail_rows);
// The state dir takes a durable write, and its file system has `min_free_mb` left.
Check check_storage(const std::filesystem::path& state_dir, std::uint64_t min_free_mb);
// One signed GET /v1/time over TLS with the pinned key; the answer must be signed by the
// authority key and carry our nonce. Without [sync] there is nothing to reach: "skipped",
// or "failed" when `required`. Unreachable and not required is "skipped" with the reason.
Check check_upstream(const gk::SyncConfig& sync, bool required);

}  // namespace gatectl
