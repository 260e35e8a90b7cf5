#pragma once
// The daemon's operational log: started, stopping, passage decided, alarm raised, sync round
// failed, device failed/recovered. Not the event stream (JSON lines on stdout) and not the
// journal of passages (SQLite): a few lines an operator reads in `journalctl -u gated`.
//
// No personal data by construction: an entry carries only an event kind, machine codes
// (decision, reason, alarm, board or device name) and the journal seq. There is no free-text
// field, so a name, phone or full pass id cannot end up in the system journal.
//
// Under systemd (stderr is the journal stream named by $JOURNAL_STREAM) entries go to
// journald's native protocol socket as fields (MESSAGE, PRIORITY, SYSLOG_IDENTIFIER=gated,
// GK_EVENT, GK_DECISION, GK_REASON, GK_LAYER, GK_SEQ, GK_STEP) so `journalctl GK_EVENT=alarm`
// finds them. The
// protocol is spoken directly (one datagram of fields) for the same reasons as the notifier:
// stable, tiny, and no libsystemd coupling. Otherwise, or if journald does not take the
// datagram, a plain "gated: ..." line goes to stderr.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gk/hal/unique_fd.hpp"

namespace gk::service {

enum class Event {
  started,
  stopping,
  passage,
  alarm,
  sync_failed,
  device_failed,
  device_recovered,
  task_failed  // a supervised coroutine or thread threw: logged, then restarted
};
std::string_view to_string(Event e);

// syslog(3) priorities, as journald and SyslogLevelPrefix use them; fixed per event.
enum class Priority { err = 3, warning = 4, notice = 5, info = 6 };
Priority priority(Event e);

// (Default initialisers: GCC 12 warns about designated initialisers that skip members
// without one.)
struct EventFields {
  std::string_view what = {};            // a code: board, alarm, device or decision name
  std::string_view reason = {};          // a verdict's reason code, or a layer's error code
  std::string_view layer = {};           // the layer that failed: database, network, document ...
  std::optional<std::int64_t> seq = {};  // the journal row it concerns
  std::string_view step = {};            // the step that failed (sync: time, journal, ...)
};

// The journald fields of one entry, in the native protocol's encoding (exposed for tests).
std::string journal_datagram(Event e, const EventFields& f);
// The same entry as one stderr line, "gated: ...\n".
std::string plain_line(Event e, const EventFields& f);

class EventLog {
 public:
  enum class Sink { none, stderr_lines, journal };

  // Silent: one-shot commands (config check, sync, scenario) keep their own output.
  EventLog() = default;
  // For the running service: the journal if stderr is connected to it, else stderr lines.
  static EventLog for_service();
  explicit EventLog(Sink sink, std::string journal_socket = "/run/systemd/journal/socket");

  Sink sink() const { return sink_; }
  void write(Event e, const EventFields& f = {});

 private:
  Sink sink_ = Sink::none;
  hal::UniqueFd journal_;
  std::string journal_socket_;
};

// True when stderr is the stream systemd connected to journald ($JOURNAL_STREAM "dev:ino").
bool stderr_is_journal();

}  // namespace gk::service
