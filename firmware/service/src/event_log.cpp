#include "gk/service/event_log.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace gk::service {
namespace {

std::string message(Event e, const EventFields& f) {
  const std::string what(f.what);
  const std::string reason(f.reason);
  const std::string seq = f.seq ? std::to_string(*f.seq) : std::string("-");
  const std::string step = f.step.empty() ? std::string() : " at step " + std::string(f.step);
  // "network/timeout" where the layer is named, the bare code otherwise.
  const std::string reason_of_layer =
      f.layer.empty() ? reason : std::string(f.layer) + "/" + reason;
  switch (e) {
    case Event::started:
      return "started (board " + what + ")";
    case Event::stopping:
      return "stopping";
    case Event::passage:
      return "passage seq " + seq + ": " + what + " (" + reason + ")";
    case Event::alarm:
      return "alarm " + what + " raised (seq " + seq + ")";
    case Event::sync_failed:
      return "sync round failed" + step + " (" + reason_of_layer + ")";
    case Event::device_failed:
      return "device " + what + " failed (" + reason + ")";
    case Event::device_recovered:
      return "device " + what + " recovered";
    case Event::task_failed:
      return "task " + what + " failed" + step + " (" + reason + "), restarting";
  }
  return "?";
}

// A journald native-protocol field: KEY=VALUE\n, or for a value with a newline
// KEY\n<64-bit little-endian length>VALUE\n.
void field(std::string& out, std::string_view key, std::string_view value) {
  out += key;
  if (value.find('\n') == std::string_view::npos) {
    out += '=';
    out += value;
  } else {
    out += '\n';
    std::uint64_t n = value.size();
    for (int i = 0; i < 8; ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
    out += value;
  }
  out += '\n';
}

}  // namespace

std::string_view to_string(Event e) {
  switch (e) {
    case Event::started:
      return "started";
    case Event::stopping:
      return "stopping";
    case Event::passage:
      return "passage";
    case Event::alarm:
      return "alarm";
    case Event::sync_failed:
      return "sync_failed";
    case Event::device_failed:
      return "device_failed";
    case Event::device_recovered:
      return "device_recovered";
    case Event::task_failed:
      return "task_failed";
  }
  return "?";
}

Priority priority(Event e) {
  switch (e) {
    case Event::passage:
      return Priority::info;
    case Event::alarm:
    case Event::sync_failed:
      return Priority::warning;
    case Event::device_failed:
    case Event::task_failed:
      return Priority::err;
    default:
      return Priority::notice;
  }
}

std::string journal_datagram(Event e, const EventFields& f) {
  std::string d;
  field(d, "MESSAGE", message(e, f));
  field(d, "PRIORITY", std::to_string(static_cast<int>(priority(e))));
  field(d, "SYSLOG_IDENTIFIER", "gated");
  field(d, "GK_EVENT", to_string(e));
  if (!f.what.empty()) field(d, e == Event::passage ? "GK_DECISION" : "GK_WHAT", f.what);
  if (!f.reason.empty()) field(d, "GK_REASON", f.reason);
  if (!f.layer.empty()) field(d, "GK_LAYER", f.layer);
  if (f.seq) field(d, "GK_SEQ", std::to_string(*f.seq));
  if (!f.step.empty()) field(d, "GK_STEP", f.step);
  return d;
}

std::string plain_line(Event e, const EventFields& f) {
  return "gated: " + message(e, f) + "\n";
}

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (!stream) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  unsigned long long dev = 0, ino = 0;
  char tail = 0;
  if (std::sscanf(stream, "%llu:%llu%c", &dev, &ino, &tail) != 2) return false;
  return dev == static_cast<unsigned long long>(st.st_dev) &&
         ino == static_cast<unsigned long long>(st.st_ino);
}

EventLog EventLog::for_service() {
  return EventLog(stderr_is_journal() ? Sink::journal : Sink::stderr_lines);
}

EventLog::EventLog(Sink sink, std::string journal_socket)
    : sink_(sink), journal_socket_(std::move(journal_socket)) {
  if (sink_ == Sink::journal) journal_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
}

void EventLog::write(Event e, const EventFields& f) {
  if (sink_ == Sink::none) return;
  if (sink_ == Sink::journal && journal_ &&
      journal_socket_.size() < sizeof(sockaddr_un::sun_path)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, journal_socket_.data(), journal_socket_.size());
    const std::string d = journal_datagram(e, f);
    // Entries are a few hundred bytes: far below the datagram limit, so no memfd fallback.
    if (::sendto(journal_.get(), d.data(), d.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&addr),
                 sizeof(addr)) == static_cast<ssize_t>(d.size()))
      return;
  }
  // Plain line, or journald did not take the datagram: stderr still reaches it as text, with
  // the priority as a "<N>" prefix that journald's stream reader (SyslogLevelPrefix) parses.
  std::string line = plain_line(e, f);
  if (sink_ == Sink::journal)
    line = "<" + std::to_string(static_cast<int>(priority(e))) + ">" + line;
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace gk::service
