#include "gk/upstream/store.hpp"

namespace gk::upstream {

DbResult<std::unique_ptr<UpstreamStore>> open_store(const std::string& spec,
                                                    PostgresOpener postgres) {
  if (spec.rfind("sqlite:", 0) == 0) {
    const std::string dir = spec.substr(7);
    if (dir.empty()) return db_error(DbCode::cannot_open, "--store sqlite:DIR needs a directory");
    return open_sqlite_store(std::filesystem::path(dir) / "upstream.db");
  }
  if (names_postgres_store(spec)) {
    const bool uri = spec.rfind("postgresql://", 0) == 0 || spec.rfind("postgres://", 0) == 0;
    if (!postgres)
      return db_error(DbCode::cannot_open,
                      "this program opens SQLite stores only; a PostgreSQL store is "
                      "gate-upstream's (--store)");
    return postgres(uri ? spec : spec.substr(11));
  }
  return db_error(DbCode::cannot_open,
                  "store '" + spec + "': sqlite:DIR, postgresql://... or postgresql:KEY=VALUE...");
}

std::vector<DbResult<Ack>> UpstreamStore::receive_group(
    std::span<const sync::JournalBatch* const> batches, UnixTime now) {
  std::vector<DbResult<Ack>> out;
  out.reserve(batches.size());
  for (const auto* b : batches) out.push_back(receive(*b, now));
  return out;
}

bool names_postgres_store(const std::string& spec) {
  return spec.rfind("postgresql:", 0) == 0 || spec.rfind("postgres://", 0) == 0;
}

DbStatus check_device_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return db_error(DbCode::refused, "device id: 1..64 bytes");
  if (id.find('\0') != std::string::npos)
    return db_error(DbCode::refused, "device id: no NUL bytes");
  return Done{};
}

DbError first_passage_taken() {
  return db_error(DbCode::refused, "passage 1 was already received from another device");
}

DbResult<BatchPlan> plan_batch(const sync::JournalBatch& batch, std::int64_t acked,
                               const StoredHash& stored_hash) {
  BatchPlan plan;
  plan.ack.acked = acked;
  std::optional<std::string> head;  // the hash at the mark, once needed
  for (const auto& e : batch.entries) {
    if (e.seq <= plan.ack.acked && plan.new_entries.empty()) {
      // A re-sent passage: it must be the very one we hold, or the device's journal and
      // ours have diverged (a reset device, a forged batch): refuse, change nothing.
      auto held = stored_hash(e.seq);
      if (held && *held != e.hash)
        return db_error(DbCode::refused, "passage " + std::to_string(e.seq) +
                                             " differs from the one already received");
      ++plan.ack.duplicates;
      continue;
    }
    if (e.seq != plan.ack.acked + 1)
      return db_error(DbCode::refused, "gap: expected passage " +
                                           std::to_string(plan.ack.acked + 1) + ", got " +
                                           std::to_string(e.seq));
    if (plan.ack.acked > 0) {
      if (plan.new_entries.empty())
        head = stored_hash(plan.ack.acked);
      else
        head = plan.new_entries.back()->hash;
      // Purged rows upstream are not a thing; a missing link means a broken store.
      if (head && *head != e.prev_hash)
        return db_error(DbCode::refused,
                        "passage " + std::to_string(e.seq) + " does not link to the previous one");
    }
    plan.new_entries.push_back(&e);
    plan.ack.acked = e.seq;
    ++plan.ack.accepted;
  }
  return plan;
}

}  // namespace gk::upstream
