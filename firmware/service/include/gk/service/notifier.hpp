#pragma once
// gated under systemd (Type=notify): readiness, status, stopping and the watchdog.
//
// We speak the sd_notify(3) datagram protocol ourselves instead of linking libsystemd: it is a
// documented, stable interface of a few lines (one AF_UNIX datagram of "KEY=VALUE\n" lines to
// $NOTIFY_SOCKET, a path or an abstract '@' name), it keeps the daemon free of a build and
// version coupling to the host's systemd, and it runs unchanged where systemd is absent.
//
// The watchdog is fed from a timer ON THE EVENT LOOP, never from a thread of its own: a loop
// that is stuck (a blocking driver call, a deadlock) stops the pings and systemd restarts the
// service after WatchdogSec.
//
// Test hook (not a feature): GK_TEST_STALL_LOOP_AFTER_S=N blocks the event loop N seconds after
// READY=1, so a test can watch the WATCHDOG=1 pings stop.
// Boost 1.74 awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format off
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
// clang-format on
#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "gk/hal/unique_fd.hpp"

namespace gk::service {

// Where and how often to notify, as the service manager passed it in the environment.
struct NotifyEnvironment {
  std::string socket;                                    // $NOTIFY_SOCKET; empty: not supervised
  std::optional<std::chrono::microseconds> watchdog;     // $WATCHDOG_USEC, if meant for this pid
  std::optional<std::chrono::seconds> test_stall_after;  // $GK_TEST_STALL_LOOP_AFTER_S
};

// Reads the variables above. A WATCHDOG_PID naming another process (a wrapper's child, say)
// disables the watchdog for us, as sd_watchdog_enabled(3) does; malformed values count as unset.
NotifyEnvironment notify_environment();

class SystemdNotifier {
 public:
  // From the process environment; without NOTIFY_SOCKET every call does nothing.
  explicit SystemdNotifier(boost::asio::io_context& io);
  SystemdNotifier(boost::asio::io_context& io, NotifyEnvironment env);
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  bool supervised() const { return socket_.valid(); }
  // The ping interval: half of WatchdogSec, as systemd.service(5) recommends.
  std::optional<std::chrono::microseconds> ping_interval() const;

  // READY=1 with a STATUS line, then the watchdog pings start. Call with the servers bound and
  // the loop about to run. `status` is shown by systemctl status: no personal data.
  void ready(std::string_view status);
  void status(std::string_view status);
  // STOPPING=1; the watchdog stops too (the loop is ending on purpose).
  void stopping();

  // One datagram of "KEY=VALUE" lines; false when unsupervised or the send failed.
  bool notify(std::string_view state);

 private:
  void ping();
  void arm_test_stall();

  NotifyEnvironment env_;
  hal::UniqueFd socket_;
  sockaddr_un address_{};
  socklen_t address_length_ = 0;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer stall_timer_;
  bool stopping_ = false;
};

}  // namespace gk::service
