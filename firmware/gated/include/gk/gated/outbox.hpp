#pragma once
// The outbox: every event the daemon announces (a passage decided, an alarm raised, the
// outbreak state changed, a device failed, a sync round, a task that threw) is one Event,
// built with nlohmann (so no text a person typed can break the JSON or forge a field), and
// handed to each sink: stdout (JSON lines), the kiosk screen, the guard console, the metrics,
// journald. Each sink decides what it takes; nobody else writes to those outputs.
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace gk {

namespace screen {
class ScreenServer;
}
namespace guard {
class ConsoleServer;
}
namespace service {
class EventLog;
}
class Metrics;

enum class EventKind {
  passage,     // a decision (admit/deny/refer) or an accountable record row
  alarm,       // raised for the guard, open until acknowledged
  state,       // outbreak state, quarantined buildings, open alarms, pending consent
  consent,     // the kiosk screen asks the resident for their pass
  device,      // a polled device failed or recovered
  sync,        // a sync round ended
  site_state,  // a site state document from upstream was applied
  listening,   // a server is up (its port)
  task_failed  // a supervised task threw and is restarted
};

struct Event {
  EventKind kind;
  // The JSON line on stdout and the data of the server-sent event. Ordered: the line reads
  // the way it always did ({"alarm":..,"seq":..}).
  nlohmann::ordered_json body;
  // Machine codes for the metrics and journald sinks (never personal data).
  std::string what = {};    // decision, alarm kind, device name, task name
  std::string reason = {};  // a verdict's reason, or the failing layer's error code
  std::string layer = {};   // the failing layer (sync round): database, network, document ...
  std::string step = {};    // the failed step (sync round, supervised task)
  std::optional<std::int64_t> seq = {};
  bool ok = true;        // sync round succeeded, device recovered
  bool passage = false;  // kind passage: admit/deny/refer (false: a record row)
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void deliver(const Event& e) = 0;
};

class Outbox {
 public:
  void add(std::unique_ptr<EventSink> sink) { sinks_.push_back(std::move(sink)); }
  void publish(const Event& e);
  // Removes every sink (before the servers they write to go away).
  void clear() { sinks_.clear(); }

 private:
  std::vector<std::unique_ptr<EventSink>> sinks_;
};

// JSON lines, flushed per event (for pipes); state and consent events are for screens only.
std::unique_ptr<EventSink> stdout_sink(std::ostream& out);
// Passages (admit/deny/refer only: never record rows), alarms, the state, consent requests.
std::unique_ptr<EventSink> screen_sink(screen::ScreenServer& screen);
// Passages and record rows (the guard's feed), alarms, the full state.
std::unique_ptr<EventSink> console_sink(guard::ConsoleServer& console);
std::unique_ptr<EventSink> metrics_sink(Metrics& metrics);
std::unique_ptr<EventSink> journald_sink(service::EventLog& log);

// What a screen receives for an event: a server-sent event name and its JSON data; nullopt
// for events that screen does not show. The kiosk screen shows passages (admit, deny, refer:
// never a record row), alarms, the outbreak state (outbreak, quarantined buildings,
// checkpoint) and consent requests; the guard console the feed with record rows, alarms
// and the full state.
struct ScreenMessage {
  std::string event;
  std::string data;
};
std::optional<ScreenMessage> for_kiosk_screen(const Event& e);
std::optional<ScreenMessage> for_guard_console(const Event& e);

}  // namespace gk
