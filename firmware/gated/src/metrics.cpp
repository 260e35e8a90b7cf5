#include "gk/gated/metrics.hpp"

#include <sstream>

namespace gk {
namespace {

class Exposition {
 public:
  // One HELP/TYPE header per metric family, then its samples.
  Exposition& family(std::string_view name, std::string_view type, std::string_view help) {
    out_ << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
    return *this;
  }
  // Every value here is a count, a number or unix seconds: printed as an exact integer.
  Exposition& sample(std::string_view name, std::string_view labels, std::int64_t value) {
    out_ << name;
    if (!labels.empty()) out_ << "{" << labels << "}";
    out_ << " " << value << "\n";
    return *this;
  }
  Exposition& gauge(std::string_view name, std::string_view help, std::int64_t value) {
    return family(name, "gauge", help).sample(name, "", value);
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

std::string label(std::string_view key, std::string_view value) {
  return std::string(key) + "=\"" + escape_label_value(value) + "\"";
}

}  // namespace

std::string escape_label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string Metrics::render(const MetricsSnapshot& s) const {
  Exposition e;
  e.family("gate_build_info", "gauge", "Firmware version and board (always 1).")
      .sample("gate_build_info",
              label("version", s.version) + "," + label("board", s.board) + "," +
                  label("site", s.site) + "," + label("checkpoint", s.checkpoint),
              1);
  e.gauge("gate_start_time_seconds", "Unix time the daemon started.",
          static_cast<std::int64_t>(s.start_time));
  e.family("gate_decisions_total", "counter", "Passages decided, by decision and reason code.");
  for (const auto& [key, n] : decisions_)
    e.sample("gate_decisions_total",
             label("decision", to_string(key.first)) + "," + label("reason", code(key.second)),
             static_cast<std::int64_t>(n));
  e.family("gate_alarms_total", "counter", "Alarms raised, by kind.");
  for (const auto& [kind, n] : alarms_)
    e.sample("gate_alarms_total", label("alarm", kind), static_cast<std::int64_t>(n));
  e.family("gate_task_failures_total", "counter",
           "Supervised tasks that threw (and were restarted), by task and step.");
  for (const auto& [key, n] : task_failures_)
    e.sample("gate_task_failures_total", label("task", key.first) + "," + label("step", key.second),
             static_cast<std::int64_t>(n));
  e.gauge("gate_alarms_open", "Alarms not yet acknowledged by a guard.",
          static_cast<std::int64_t>(s.open_alarms));
  e.gauge("gate_journal_last_seq", "Sequence number of the newest durable passage.",
          static_cast<std::int64_t>(s.journal_last_seq));
  e.family("gate_device_up", "gauge",
           "1 while a polled device works, 0 after it failed (until it answers again).");
  for (const auto& [device, up] : s.devices_up)
    e.sample("gate_device_up", label("device", device), up ? 1 : 0);
  e.gauge("gate_screen_clients", "Kiosk screens connected to the event stream.",
          static_cast<std::int64_t>(s.screen_clients));
  e.gauge("gate_revocation_list_number", "Number of the revocation list in use.",
          static_cast<std::int64_t>(s.revocation_list_number));
  e.gauge("gate_revocation_list_entries", "Passes on the revocation list in use.",
          static_cast<std::int64_t>(s.revocation_entries));
  if (!s.sync_configured) return e.str();
  e.gauge("gate_sync_backlog_passages", "Journal passages not yet acknowledged upstream.",
          static_cast<std::int64_t>(s.backlog));
  e.gauge("gate_sync_last_success_timestamp_seconds", "Unix time of the last complete sync round.",
          static_cast<std::int64_t>(s.last_sync_success));
  e.family("gate_sync_rounds_total", "counter", "Sync rounds since start, by result.")
      .sample("gate_sync_rounds_total", label("result", "ok"), static_cast<std::int64_t>(sync_ok_))
      .sample("gate_sync_rounds_total", label("result", "failed"),
              static_cast<std::int64_t>(sync_failed_));
  // A list never received has no age: the sample is absent rather than a made-up number.
  auto age = [&e](std::string_view name, std::string_view help,
                  const std::optional<std::int64_t>& v) {
    e.family(name, "gauge", help);
    if (v) e.sample(name, "", static_cast<std::int64_t>(*v));
  };
  age("gate_revocation_list_age_seconds",
      "Seconds since the revocation list was confirmed current.", s.age_revocations);
  age("gate_site_state_age_seconds", "Seconds since the site state was confirmed current.",
      s.age_site_state);
  age("gate_trust_list_age_seconds", "Seconds since the trust list was confirmed current.",
      s.age_trust_list);
  e.gauge("gate_lists_stale", "1 while lists are past their maximum age (visitors wait).",
          s.lists_stale ? 1 : 0);
  e.gauge("gate_clock_trusted", "1 once the clock was set from the upstream's signed time.",
          s.clock_trusted ? 1 : 0);
  return e.str();
}

}  // namespace gk
