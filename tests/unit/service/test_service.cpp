// The sd_notify and journald datagrams, received on real AF_UNIX sockets bound by the test.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "gk/service/event_log.hpp"
#include "gk/service/notifier.hpp"
#include "gk/service/supervise.hpp"

using namespace gk;
using namespace gk::service;

namespace {

// A bound datagram socket standing in for systemd's end.
struct Receiver {
  explicit Receiver(const std::string& name) {
    fd.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    name.copy(a.sun_path, name.size());
    socklen_t len = offsetof(sockaddr_un, sun_path) + name.size() + 1;
    if (name[0] == '@') {
      a.sun_path[0] = '\0';
      len -= 1;
    } else {
      ::unlink(name.c_str());
    }
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), len) == 0);
  }
  // The next datagram, or "" after 1 s.
  std::string next() {
    timeval tv{1, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }
  hal::UniqueFd fd;
};

std::string temp_socket(const char* tag) {
  return (std::filesystem::temp_directory_path() /
          (std::string("gk-") + tag + "-" + std::to_string(::getpid()) + ".sock"))
      .string();
}

}  // namespace

TEST_CASE("notify_environment reads the manager's variables, ignoring malformed ones") {
  ::setenv("NOTIFY_SOCKET", "/run/x", 1);
  ::setenv("WATCHDOG_USEC", "2000000", 1);
  ::unsetenv("WATCHDOG_PID");
  ::unsetenv("GK_TEST_STALL_LOOP_AFTER_S");
  auto env = notify_environment();
  CHECK(env.socket == "/run/x");
  REQUIRE(env.watchdog);
  CHECK(env.watchdog->count() == 2000000);
  CHECK(!env.test_stall_after);

  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  CHECK(notify_environment().watchdog);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  CHECK(!notify_environment().watchdog);  // meant for another process
  ::setenv("WATCHDOG_PID", "x", 1);
  CHECK(!notify_environment().watchdog);
  ::unsetenv("WATCHDOG_PID");
  for (const char* bad : {"", "0", "-5", "12abc", "99999999999999999999999"}) {
    ::setenv("WATCHDOG_USEC", bad, 1);
    CHECK(!notify_environment().watchdog);
  }
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
}

TEST_CASE("SystemdNotifier sends sd_notify datagrams to a path or an abstract socket") {
  boost::asio::io_context io;
  for (std::string name :
       {temp_socket("notify"), "@gk-test-notify-" + std::to_string(::getpid())}) {
    Receiver r(name);
    NotifyEnvironment env;
    env.socket = name;
    env.watchdog = std::chrono::microseconds(40000);
    SystemdNotifier n(io, env);
    REQUIRE(n.supervised());
    CHECK(n.ping_interval()->count() == 20000);
    n.ready("deciding\npassages");
    CHECK(r.next() == "READY=1\nSTATUS=deciding passages");  // one line: no injected keys
    CHECK(r.next() == "WATCHDOG=1");
    io.restart();
    io.run_for(std::chrono::milliseconds(50));  // the pings come from the loop
    CHECK(r.next() == "WATCHDOG=1");
    n.stopping();
    std::string s;
    while ((s = r.next()) == "WATCHDOG=1") {
    }
    CHECK(s == "STOPPING=1\nSTATUS=stopping");
    io.restart();
    io.run_for(std::chrono::milliseconds(50));
    CHECK(r.next().empty());  // no pings after STOPPING=1
    if (name[0] == '/') ::unlink(name.c_str());
  }
}

TEST_CASE("SystemdNotifier without NOTIFY_SOCKET, or with an unusable one, does nothing") {
  boost::asio::io_context io;
  for (const char* bad : {"", "relative/path", "@", "vsock:2:1234"}) {
    NotifyEnvironment env;
    env.socket = bad;
    env.watchdog = std::chrono::microseconds(1000);
    SystemdNotifier n(io, env);
    CHECK(!n.supervised());
    CHECK(!n.ping_interval());
    CHECK(!n.notify("READY=1"));
    n.ready("x");
    n.stopping();
  }
  NotifyEnvironment env;
  env.socket = temp_socket("nobody");  // nobody listens: a failed send, not an error
  SystemdNotifier n(io, env);
  CHECK(!n.notify("READY=1"));
}

TEST_CASE("journal entries carry codes and seq as fields, nothing else") {
  const std::string d =
      journal_datagram(Event::passage, {.what = "deny", .reason = "fever", .seq = 42});
  CHECK(d ==
        "MESSAGE=passage seq 42: deny (fever)\nPRIORITY=6\nSYSLOG_IDENTIFIER=gated\n"
        "GK_EVENT=passage\nGK_DECISION=deny\nGK_REASON=fever\nGK_SEQ=42\n");
  CHECK(journal_datagram(Event::alarm, {.what = "door_held_open", .seq = 7}).find("PRIORITY=4\n") !=
        std::string::npos);
  CHECK(plain_line(Event::sync_failed, {.reason = "device_fault"}) ==
        "gated: sync round failed (device_fault)\n");
  // A failed sync round names its step and the failing layer's error, as fields too.
  CHECK(journal_datagram(Event::sync_failed,
                         {.reason = "replayed", .layer = "document", .step = "time"}) ==
        "MESSAGE=sync round failed at step time (document/replayed)\nPRIORITY=4\n"
        "SYSLOG_IDENTIFIER=gated\nGK_EVENT=sync_failed\nGK_REASON=replayed\n"
        "GK_LAYER=document\nGK_STEP=time\n");
  CHECK(plain_line(Event::started, {.what = "sim"}) == "gated: started (board sim)\n");
  // A value with a newline uses the protocol's binary form instead of breaking the entry.
  const std::string nl = journal_datagram(Event::device_failed, {.what = "cam\nera"});
  CHECK(nl.find(std::string("GK_WHAT\n") + std::string("\x07\0\0\0\0\0\0\0", 8) + "cam\nera\n") !=
        std::string::npos);
}

TEST_CASE("EventLog writes datagrams to the journal socket") {
  const std::string path = temp_socket("journal");
  Receiver r(path);
  EventLog log(EventLog::Sink::journal, path);
  log.write(Event::started, {.what = "sim"});
  const std::string d = r.next();
  CHECK(d.find("GK_EVENT=started\n") != std::string::npos);
  CHECK(d.find("PRIORITY=5\n") != std::string::npos);
  ::unlink(path.c_str());
  EventLog silent;
  CHECK(silent.sink() == EventLog::Sink::none);
  silent.write(Event::stopping);  // one-shot modes: nothing anywhere
}

TEST_CASE("stderr_is_journal compares JOURNAL_STREAM with stderr's device and inode") {
  ::unsetenv("JOURNAL_STREAM");
  CHECK(!stderr_is_journal());
  struct stat st {};
  REQUIRE(::fstat(STDERR_FILENO, &st) == 0);
  const std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  ::setenv("JOURNAL_STREAM", mine.c_str(), 1);
  CHECK(stderr_is_journal());
  ::setenv("JOURNAL_STREAM", (mine + "1").c_str(), 1);
  CHECK(!stderr_is_journal());
  ::setenv("JOURNAL_STREAM", "garbage", 1);
  CHECK(!stderr_is_journal());
  ::unsetenv("JOURNAL_STREAM");
}

TEST_CASE("a supervised task that throws is reported with its step and restarted with backoff",
          "[service][supervise]") {
  using namespace std::chrono_literals;
  boost::asio::io_context io;
  int runs = 0;
  std::vector<gk::service::TaskFailure> failures;
  auto task = gk::service::spawn(
      io.get_executor(), "sync",
      [&]() -> boost::asio::awaitable<void> {
        ++runs;
        if (runs == 1) throw gk::service::StepError("journal", "bad row");
        if (runs == 2) throw std::runtime_error("plain");
        co_return;  // the third run ends normally: done, no restart
      },
      [&](const gk::service::TaskFailure& f) {
        failures.push_back(f);
        throw std::runtime_error("a reporter that throws cannot stop the supervisor");
      },
      gk::service::Backoff{10ms, 15ms});
  io.run_for(2s);
  CHECK(runs == 3);
  REQUIRE(failures.size() == 2);
  CHECK(failures[0].task == "sync");
  CHECK(failures[0].step == "journal");
  CHECK(failures[0].what == "bad row");
  CHECK(failures[0].failures == 1);
  CHECK(failures[0].restart_in == 10ms);
  CHECK(failures[1].step == "-");
  CHECK(failures[1].failures == 2);
  CHECK(failures[1].restart_in == 15ms);  // doubled, up to the maximum
  CHECK(task->failures() == 2);
  task->healthy();
  CHECK(task->failures() == 0);
}

TEST_CASE("a stopped supervised task is not restarted", "[service][supervise]") {
  using namespace std::chrono_literals;
  boost::asio::io_context io;
  int runs = 0;
  auto task = gk::service::spawn(
      io.get_executor(), "loop",
      [&]() -> boost::asio::awaitable<void> {
        ++runs;
        throw std::runtime_error("always");
        co_return;
      },
      {}, gk::service::Backoff{20ms, 20ms});
  io.run_for(5ms);  // the first run threw; its restart is due in 20 ms
  task->stop();
  io.restart();
  io.run_for(100ms);
  CHECK(runs == 1);
}
