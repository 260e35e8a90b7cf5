#pragma once
// Prometheus text metrics of one kiosk (exposition format 0.0.4), served at GET /metrics on
// the local screen server. Counters live here; gauges are read at scrape time from the
// journal and the sync state. No label ever carries personal data: decisions and reason
// codes, alarm kinds, device names.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gk/core/passage.hpp"
#include "gk/core/reason.hpp"

namespace gk {

// What the daemon knows at scrape time.
struct MetricsSnapshot {
  std::string version, board, site, checkpoint;
  std::int64_t start_time = 0;        // unix seconds the daemon started
  std::int64_t journal_last_seq = 0;  // newest durable passage
  std::int64_t open_alarms = 0;
  std::size_t screen_clients = 0;
  std::vector<std::pair<std::string, bool>> devices_up;  // polled devices: name, working
  bool sync_configured = false;
  std::int64_t backlog = 0;  // passages not yet acknowledged upstream
  std::int64_t last_sync_success = 0;
  std::optional<std::int64_t> age_revocations, age_site_state, age_trust_list;  // never: none
  bool lists_stale = false;
  bool clock_trusted = false;
  std::uint64_t revocation_list_number = 0;
  std::size_t revocation_entries = 0;
};

class Metrics {
 public:
  void count_decision(Decision d, Reason r) { ++decisions_[{d, r}]; }
  void count_alarm(const std::string& kind) { ++alarms_[kind]; }
  void count_sync_round(bool ok) { ++(ok ? sync_ok_ : sync_failed_); }
  void count_task_failure(const std::string& task, const std::string& step) {
    ++task_failures_[{task, step}];
  }
  std::string render(const MetricsSnapshot& s) const;

 private:
  std::map<std::pair<Decision, Reason>, std::uint64_t> decisions_;
  std::map<std::string, std::uint64_t> alarms_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> task_failures_;
  std::uint64_t sync_ok_ = 0, sync_failed_ = 0;
};

// A label value as the exposition format wants it: \\, \" and \n escaped.
std::string escape_label_value(std::string_view v);

}  // namespace gk
