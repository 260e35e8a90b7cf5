#include "gk/service/notifier.hpp"

#include <unistd.h>

#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace gk::service {
namespace {

std::optional<long long> positive_number(const char* text) {
  if (!text || !*text) return std::nullopt;
  long long value = 0;
  const char* end = text + std::strlen(text);
  auto [ptr, ec] = std::from_chars(text, end, value);
  if (ec != std::errc{} || ptr != end || value <= 0) return std::nullopt;
  return value;
}

// STATUS= is one line of the protocol: a newline would start a new assignment.
std::string one_line(std::string_view text) {
  std::string s(text);
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

}  // namespace

NotifyEnvironment notify_environment() {
  NotifyEnvironment env;
  if (const char* s = std::getenv("NOTIFY_SOCKET")) env.socket = s;
  if (auto usec = positive_number(std::getenv("WATCHDOG_USEC"))) {
    const char* pid_text = std::getenv("WATCHDOG_PID");
    const auto pid = positive_number(pid_text);
    // Unset WATCHDOG_PID: meant for us. Set: only if it names us.
    if (!pid_text || (pid && *pid == static_cast<long long>(::getpid())))
      env.watchdog = std::chrono::microseconds(*usec);
  }
  if (auto s = positive_number(std::getenv("GK_TEST_STALL_LOOP_AFTER_S")))
    env.test_stall_after = std::chrono::seconds(*s);
  return env;
}

SystemdNotifier::SystemdNotifier(boost::asio::io_context& io)
    : SystemdNotifier(io, notify_environment()) {}

SystemdNotifier::SystemdNotifier(boost::asio::io_context& io, NotifyEnvironment env)
    : env_(std::move(env)), watchdog_timer_(io), stall_timer_(io) {
  const std::string& name = env_.socket;
  // "/path" or "@abstract"; anything else (a vsock address of newer systemd) is not ours.
  if (name.size() < 2 || (name[0] != '/' && name[0] != '@')) return;
  if (name.size() >= sizeof(address_.sun_path)) return;
  address_.sun_family = AF_UNIX;
  std::memcpy(address_.sun_path, name.data(), name.size());
  address_length_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  if (name[0] == '@') {
    address_.sun_path[0] = '\0';  // abstract namespace: no terminating NUL in the length
  } else {
    address_length_ += 1;
  }
  socket_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
}

std::optional<std::chrono::microseconds> SystemdNotifier::ping_interval() const {
  if (!supervised() || !env_.watchdog) return std::nullopt;
  return std::max(std::chrono::microseconds(1000), *env_.watchdog / 2);
}

bool SystemdNotifier::notify(std::string_view state) {
  if (!supervised()) return false;
  // Non-blocking: a service manager that does not read must not stall the event loop.
  const ssize_t n = ::sendto(socket_.get(), state.data(), state.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                             reinterpret_cast<const sockaddr*>(&address_), address_length_);
  return n == static_cast<ssize_t>(state.size());
}

void SystemdNotifier::ready(std::string_view status) {
  if (!supervised()) return;
  notify("READY=1\nSTATUS=" + one_line(status));
  if (ping_interval()) ping();
  if (env_.test_stall_after) arm_test_stall();
}

void SystemdNotifier::status(std::string_view status) {
  notify("STATUS=" + one_line(status));
}

void SystemdNotifier::stopping() {
  if (stopping_) return;
  stopping_ = true;
  watchdog_timer_.cancel();
  stall_timer_.cancel();
  notify("STOPPING=1\nSTATUS=stopping");
}

void SystemdNotifier::ping() {
  if (stopping_) return;
  notify("WATCHDOG=1");
  watchdog_timer_.expires_after(*ping_interval());
  watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) ping();
  });
}

void SystemdNotifier::arm_test_stall() {
  stall_timer_.expires_after(*env_.test_stall_after);
  stall_timer_.async_wait([](const boost::system::error_code& ec) {
    if (ec) return;
    // Simulates a stuck loop (a driver call that never returns): nothing on this thread runs
    // again, so no more WATCHDOG=1 and no signal handling; systemd's watchdog kills us.
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
  });
}

}  // namespace gk::service
