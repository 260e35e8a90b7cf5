#pragma once
// The outbreak state the kiosk decides with (lockdown, quarantined buildings, the fever
// threshold from upstream) has one writer: this keeper. It is persisted in site.db (SQLite),
// so a lockdown a guard set survives a watchdog restart or a power cut.
//
// The ordering rule between the upstream and the guards:
//   - the state rests on the newest upstream site-state document applied (its number; 0:
//     none yet) plus whatever a guard (or a scenario) changed since;
//   - an upstream document applies only when its number is greater than the one the state
//     rests on, and then replaces the outbreak state and the buildings, whatever a guard set:
//     the upstream is the authority, a guard's change holds until it publishes a newer one;
//   - a guard's change applies at once, keeps the number it rests on, and is persisted;
//   - so after a restart, the sync client re-applying its stored document (the same number)
//     changes nothing: the guard's lockdown stays;
//   - the config's [site] outbreak and quarantined_buildings only seed a device that has
//     persisted nothing yet.
// A change goes to the kiosk and to disk together; a disk that refuses the write still gets
// the change in memory (a lockdown must hold even then), and the caller is told.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>

#include "gk/core/result.hpp"
#include "gk/core/sqlite.hpp"
#include "gk/policy/site_state.hpp"

namespace gk {

enum class SiteOrigin { config, upstream, guard, scenario };
std::string_view to_string(SiteOrigin o);

struct SiteChange {
  Outbreak outbreak = Outbreak::normal;
  std::set<std::string> quarantined_buildings;
  std::optional<double> fever_threshold_c;  // upstream only; absent: keep the current one
};

class SiteStateKeeper {
 public:
  // Opens site.db and loads what it holds (if anything) into `live`, the state the kiosk
  // decides with; `live` must outlive the keeper.
  static DbResult<SiteStateKeeper> open(const std::filesystem::path& file, SiteState& live);

  // An upstream document `number`; false when it is not newer than the one in use.
  DbResult<bool> apply_upstream(std::uint64_t number, const SiteChange& change);
  // A guard's (or a scenario's) change, by `who`.
  DbStatus apply_local(SiteOrigin origin, const std::string& who, const SiteChange& change);

  const SiteState& state() const { return *live_; }
  std::uint64_t upstream_number() const { return upstream_number_; }
  SiteOrigin origin() const { return origin_; }

 private:
  SiteStateKeeper(sql::Database db, SiteState& live) : db_(std::move(db)), live_(&live) {}
  DbStatus load();
  DbStatus store(const std::string& who);
  sql::Database db_;
  SiteState* live_;
  std::uint64_t upstream_number_ = 0;
  SiteOrigin origin_ = SiteOrigin::config;
  std::optional<double> upstream_fever_c_;
};

}  // namespace gk
