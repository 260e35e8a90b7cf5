// gk-attack: the listener attacks of tests/security, on loopback only, bounded in count and
// time, with passes presented to gated's spool camera before and during each flood.
//
//   gk-attack --flood KIND --port P [--count N] [--seconds S] --spool DIR --decisions FILE
//             --passes PNG... [--ratio R] [--metrics-port P]
//
// KIND: idle (connections that send nothing), slow (headers a byte a second), streams (held
// GET /events), logins (wrong PINs on keep-alive connections), handshakes (idle sockets to a
// TLS listener). Attackers connect from 127.0.0.2 ... 127.0.0.250, standing in for LAN hosts
// (the listeners treat only 127.0.0.1 and ::1 as the kiosk itself).
//
// What it asserts (exit 1 otherwise, with the figures):
//   - every pass presented is decided (one new "decision" line in FILE per pass, within 5 s);
//   - the median decision latency under the flood is within R (default 2) times the quiet
//     median of the same run, and so is the p99, measured against a quiet p99 of at least
//     100 ms; quiet and flooded rounds alternate, so a machine that gets busier or quieter
//     meanwhile weighs on both figures alike. Why the tail has a floor: a round holds a
//     dozen passages, so its p99 is its slowest one, and one passage that met another
//     test's burst of work (22 ms quiet, 45 ms flooded, seen in CI) is the scheduler, not
//     the flood. A passage under 100 ms is instant to the person at the gate; a flood that
//     stalls the gate costs seconds and still fails, and a flood that slows every passage
//     moves the median;
//   - the flood ends cleanly: every attacker socket is closed, and when --metrics-port is
//     given, gated's screen answers /metrics and shows no connection left on the attacked
//     listener within 5 s.
// It prints one JSON line with the figures.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

struct Options {
  std::string flood;
  int port = 0;
  int metrics_port = 0;
  std::string listener;  // the metrics label of the attacked listener
  int count = 100;
  int seconds = 4;
  fs::path spool, decisions;
  std::vector<fs::path> passes;
  double ratio = 2.0;
  int rounds = 2;  // quiet, flood, quiet, flood ...
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "gk-attack: " << why << "\n";
  std::exit(2);
}

std::string source_address(int i) {
  return "127.0.0." + std::to_string(2 + i % 249);
}

// A connected socket from `source`, or -1.
int connect_from(const std::string& source, int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, std::string_view s) {
  while (!s.empty()) {
    const auto n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    s.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Whether the server closed `fd` (EOF or reset) by now; reads and drops anything it sent.
bool closed_by_server(int fd, std::string* got = nullptr) {
  char buf[4096];
  for (;;) {
    const auto n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) return true;
    if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
    if (got) got->append(buf, static_cast<std::size_t>(n));
  }
}

// One HTTP exchange on a kept-alive socket: the status of the answer, or 0.
int exchange(int fd, const std::string& request) {
  if (!send_all(fd, request)) return 0;
  std::string got;
  const auto deadline = Clock::now() + 5s;
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return 0;
    got.append(buf, static_cast<std::size_t>(n));
    const auto end = got.find("\r\n\r\n");
    if (end == std::string::npos) continue;
    const auto cl = got.find("Content-Length: ");
    std::size_t length = 0;
    if (cl != std::string::npos && cl < end) length = std::stoul(got.substr(cl + 16));
    if (got.size() >= end + 4 + length) return std::atoi(got.c_str() + 9);
  }
  return 0;
}

struct FloodResult {
  int opened = 0;               // sockets connected
  int refused_at_once = 0;      // closed by the server within a second of connecting
  int cut_later = 0;            // closed by the server while held (time limits)
  int held_to_end = 0;          // still open when the flood stopped
  std::map<int, int> statuses;  // HTTP answers seen (streams, logins)
};

// Runs the flood until `stop`; every socket it opened is closed when it returns.
FloodResult flood(const Options& o, const std::atomic<bool>& stop) {
  FloodResult r;
  std::vector<int> fds;
  std::vector<Clock::time_point> opened_at;
  std::vector<bool> gone;
  const std::string host = "Host: 127.0.0.1:" + std::to_string(o.port) + "\r\n";
  for (int i = 0; i < o.count && !stop; ++i) {
    const int fd = connect_from(source_address(i), o.port);
    if (fd < 0) continue;
    ++r.opened;
    fds.push_back(fd);
    opened_at.push_back(Clock::now());
    gone.push_back(false);
    if (o.flood == "slow") send_all(fd, "GET / HTTP/1.1\r\nH");
    if (o.flood == "streams") send_all(fd, "GET /events HTTP/1.1\r\n" + host + "\r\n");
  }
  auto last_byte = Clock::now();
  while (!stop) {
    std::this_thread::sleep_for(20ms);
    const bool drip = o.flood == "slow" && Clock::now() - last_byte > 1s;
    if (drip) last_byte = Clock::now();
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (gone[i]) continue;
      std::string got;
      if (drip && !send_all(fds[i], "o")) { /* noticed below */
      }
      const bool closed = closed_by_server(fds[i], &got);
      if (!got.empty() && got.starts_with("HTTP/1.")) ++r.statuses[std::atoi(got.c_str() + 9)];
      if (!closed) continue;
      gone[i] = true;
      if (Clock::now() - opened_at[i] < 1s)
        ++r.refused_at_once;
      else
        ++r.cut_later;
    }
    if (o.flood == "logins") {
      // Wrong PINs as fast as the answers come, one keep-alive connection per address.
      const std::string body = R"({"pass":"GK1:not-a-pass","pin":"000000"})";
      for (std::size_t i = 0; i < fds.size() && !stop; ++i) {
        if (gone[i]) continue;
        const int status =
            exchange(fds[i], "POST /api/login HTTP/1.1\r\n" + host +
                                 "Content-Type: application/json\r\nContent-Length: " +
                                 std::to_string(body.size()) + "\r\n\r\n" + body);
        if (status == 0) {
          gone[i] = true;
          ++r.cut_later;
        } else {
          ++r.statuses[status];
        }
      }
    }
  }
  for (std::size_t i = 0; i < fds.size(); ++i) {
    if (!gone[i]) ++r.held_to_end;
    ::close(fds[i]);
  }
  return r;
}

std::size_t count_decisions(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line))
    if (line.find("\"decision\":") != std::string::npos) ++n;
  return n;
}

// Shows one pass to the camera (a PNG renamed into the spool) and waits for its decision.
// Milliseconds, or a negative number when none came within 5 s.
double present(const Options& o, const fs::path& png, int serial) {
  const std::size_t before = count_decisions(o.decisions);
  const fs::path tmp = o.spool / ("pass-" + std::to_string(serial) + ".tmp");
  const fs::path shown = o.spool / ("pass-" + std::to_string(100000 + serial) + ".png");
  fs::copy_file(png, tmp, fs::copy_options::overwrite_existing);
  const auto t0 = Clock::now();
  fs::rename(tmp, shown);
  while (Clock::now() - t0 < 5s) {
    if (count_decisions(o.decisions) > before)
      return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    std::this_thread::sleep_for(2ms);
  }
  return -1;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// The quiet p99 the flooded one is measured against (see the header).
constexpr double kTailFloorMs = 100;

// gated's /metrics on the screen, from the kiosk's own address; "" when it does not answer.
std::string scrape(int port) {
  const int fd = connect_from("127.0.0.1", port);
  if (fd < 0) return {};
  std::string req = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nConnection: close\r\n\r\n";
  std::string got;
  if (send_all(fd, req)) {
    const auto deadline = Clock::now() + 3s;
    while (Clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[8192];
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return got;
}

// The kiosk's own page (127.0.0.1) asks for its stream: 1 when it gets a 200 and the
// screen's state, 0 otherwise.
int kiosk_gets_stream(int port) {
  const int fd = connect_from("127.0.0.1", port);
  if (fd < 0) return 0;
  send_all(fd, "GET /events HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n\r\n");
  std::string got;
  const auto deadline = Clock::now() + 3s;
  while (Clock::now() < deadline && got.find("event: state") == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return got.starts_with("HTTP/1.1 200") && got.find("event: state") != std::string::npos;
}

long metric(const std::string& text, const std::string& name) {
  const auto at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::atol(text.c_str() + at + name.size() + 2);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--flood")
      o.flood = next();
    else if (a == "--port")
      o.port = std::stoi(next());
    else if (a == "--metrics-port")
      o.metrics_port = std::stoi(next());
    else if (a == "--listener")
      o.listener = next();
    else if (a == "--count")
      o.count = std::stoi(next());
    else if (a == "--seconds")
      o.seconds = std::stoi(next());
    else if (a == "--spool")
      o.spool = next();
    else if (a == "--decisions")
      o.decisions = next();
    else if (a == "--ratio")
      o.ratio = std::stod(next());
    else if (a == "--rounds")
      o.rounds = std::stoi(next());
    else if (a == "--passes") {
      while (i + 1 < argc && argv[i + 1][0] != '-') o.passes.emplace_back(argv[++i]);
    } else
      usage("unknown argument " + a);
  }
  const std::vector<std::string> kinds{"idle", "slow", "streams", "logins", "handshakes"};
  if (std::find(kinds.begin(), kinds.end(), o.flood) == kinds.end()) usage("--flood KIND");
  if (o.port <= 0) usage("--port is needed");
  if (!o.passes.empty() && (o.spool.empty() || o.decisions.empty()))
    usage("--passes need --spool and --decisions");
  if (o.passes.empty()) o.rounds = 1;  // the flood alone (another program probes meanwhile)
  // Loopback only, bounded: never more than a few thousand sockets, never for long.
  o.count = std::clamp(o.count, 1, 3000);
  o.seconds = std::clamp(o.seconds, 1, 20);
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);

  std::vector<double> quiet, flooded;
  int kiosk_stream = -1;  // streams flood: whether the kiosk's own page got its stream
  int serial = 0, undecided = 0;
  FloodResult total;
  const std::size_t per_round = std::max<std::size_t>(1, o.passes.size() / (2 * o.rounds));
  std::size_t next_pass = 0;
  const auto show = [&](std::vector<double>& into) {
    for (std::size_t k = 0; k < per_round && next_pass < o.passes.size(); ++k) {
      const double ms = present(o, o.passes[next_pass++], serial++);
      if (ms < 0)
        ++undecided;
      else
        into.push_back(ms);
    }
  };
  for (int round = 0; round < o.rounds; ++round) {
    show(quiet);
    std::atomic<bool> stop{false};
    FloodResult r;
    std::thread attacker([&] { r = flood(o, stop); });
    std::this_thread::sleep_for(1s);  // the flood is in place (sockets open, streams held)
    const auto flood_start = Clock::now();
    if (o.flood == "streams" && round == 0) kiosk_stream = kiosk_gets_stream(o.port);
    show(flooded);
    while (Clock::now() - flood_start < std::chrono::seconds(o.seconds))
      std::this_thread::sleep_for(50ms);
    stop = true;
    attacker.join();
    total.opened += r.opened;
    total.refused_at_once += r.refused_at_once;
    total.cut_later += r.cut_later;
    total.held_to_end += r.held_to_end;
    for (auto [k, v] : r.statuses) total.statuses[k] += v;
  }

  // The flood has ended: the attacked listener has no connection of it left.
  long left = -1;
  std::string metrics;
  if (o.metrics_port > 0) {
    const auto deadline = Clock::now() + 5s;
    do {
      metrics = scrape(o.metrics_port);
      left = metric(metrics, "gate_http_connections{listener=\"" + o.listener + "\"}");
      if (o.listener == "screen" && left > 0) --left;  // the scrape itself
      if (left == 0) break;
      std::this_thread::sleep_for(100ms);
    } while (Clock::now() < deadline);
  }
  const double q = quantile(quiet, 0.99), f = quantile(flooded, 0.99);
  const double qm = quantile(quiet, 0.5), fm = quantile(flooded, 0.5);
  std::ostringstream statuses;
  for (auto [k, v] : total.statuses)
    statuses << (statuses.tellp() > 0 ? "," : "") << '"' << k << "\":" << v;
  std::cout << "{\"flood\":\"" << o.flood << "\",\"opened\":" << total.opened
            << ",\"refused_at_once\":" << total.refused_at_once
            << ",\"cut_later\":" << total.cut_later << ",\"held_to_end\":" << total.held_to_end
            << ",\"statuses\":{" << statuses.str() << "},\"passes\":" << serial
            << ",\"undecided\":" << undecided << ",\"quiet_p50_ms\":" << qm
            << ",\"flood_p50_ms\":" << fm << ",\"p50_ratio\":" << (qm > 0 ? fm / qm : 0)
            << ",\"quiet_p99_ms\":" << q << ",\"flood_p99_ms\":" << f
            << ",\"ratio\":" << (q > 0 ? f / q : 0) << ",\"allowed_ratio\":" << o.ratio
            << ",\"kiosk_stream\":" << kiosk_stream << ",\"connections_left\":" << left << "}\n";
  bool ok = true;
  const auto check = [&](bool cond, const std::string& what) {
    if (!cond) {
      std::cerr << "gk-attack: FAIL: " << what << "\n";
      ok = false;
    }
  };
  check(kiosk_stream != 0, "the kiosk page did not get its event stream during the flood");
  check(undecided == 0, std::to_string(undecided) + " passes were not decided");
  check(o.passes.empty() || fm <= o.ratio * qm,
        "median under the flood above " + std::to_string(o.ratio) + "x the quiet median");
  check(o.passes.empty() || f <= o.ratio * std::max(q, kTailFloorMs),
        "p99 under the flood above " + std::to_string(o.ratio) + "x the quiet p99 (floor " +
            std::to_string(kTailFloorMs) + " ms)");
  check(o.metrics_port == 0 || left == 0, "connections left on the " + o.listener + " listener");
  if (!metrics.empty() || o.metrics_port == 0) {
  } else {
    check(false, "gated's screen did not answer /metrics after the flood");
  }
  return ok ? 0 : 1;
}
