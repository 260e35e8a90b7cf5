#pragma once
// Open alarms: what the guard must see until a guard acknowledges it (fever, a revoked or
// forged pass, a door forced, a failed device, stale lists, the journal unavailable, a task
// that threw). Each alarm is a row of its own in alarms.db (SQLite), so alarms survive a
// restart, and an alarm that has no journal row (journal_unavailable: the journal is what
// failed) is still an open alarm. An alarm without a journal row whose kind is already open
// is counted on that row rather than raised again: a journal that stays unavailable makes
// one alarm with a count, not thousands.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gk/core/passage.hpp"
#include "gk/core/result.hpp"
#include "gk/core/sqlite.hpp"
#include "gk/pass/pass.hpp"

namespace gk {

struct Alarm {
  std::int64_t id = 0;              // this alarm's row
  std::string kind;                 // fever, door_forced, journal_unavailable, ...
  std::optional<std::int64_t> seq;  // the journal row it concerns, if any
  UnixTime raised_at = 0;
  std::int64_t count = 1;  // times raised while open (alarms without a journal row)
};

class AlarmBook {
 public:
  static DbResult<AlarmBook> open(const std::filesystem::path& file);

  // Raises (or, see above, counts) an alarm. `fresh` tells the caller whether it is new.
  // A database that cannot be written keeps the alarm open in memory (and says so in
  // `persisted`): an alarm is never dropped because the disk is full.
  struct Raised {
    Alarm alarm;
    bool fresh = true;
    bool persisted = true;
  };
  Raised raise(const std::string& kind, std::optional<std::int64_t> seq, UnixTime now);
  // Closes an open alarm; nullopt when there is no such open alarm.
  std::optional<Alarm> acknowledge(std::int64_t id, const std::string& guard_id, UnixTime now);
  std::optional<Alarm> find(std::int64_t id) const;
  std::vector<Alarm> open_alarms() const;  // oldest first
  std::size_t open_count() const { return open_.size(); }

 private:
  explicit AlarmBook(sql::Database db) : db_(std::move(db)) {}
  DbStatus load();
  sql::Database db_;
  std::map<std::int64_t, Alarm> open_;
  std::int64_t next_memory_id_ = -1;  // ids of alarms the database could not take
};

}  // namespace gk
