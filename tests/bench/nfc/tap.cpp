// Tap -> decision through the whole daemon: a card enters pn532-sim's field (a line into its
// control FIFO) and gk::Daemon, on board sim with the card reader on libnfc's real
// pn532_uart driver, polls for it (type A, then type B, every [nfc] poll_ms: the default
// 200 ms), reads it, verifies the enrolled pass, measures (sim thermometer), decides,
// commits the journal row (WAL, synchronous=FULL) and writes its decision line: the clock
// stops when that line is written.
// Cards, alternating so that both meet the same machine load: a resident ID card (type B:
// found after the type A poll missed, then ATTRIB and APDU 00 36) and, as the baseline, a
// UID-only NTAG215 (type A, found by the first poll). Half the latency is the wait for the
// next poll (uniform over poll_ms): p99 is poll_ms plus one poll-and-decide.
// Also printed: one empty poll cycle (A and B, no card), the reader's own cost per poll.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <csignal>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <streambuf>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "gk/core/id_binding.hpp"
#include "gk/gated/daemon.hpp"
#include "gk/nfc/libnfc_reader.hpp"
#include "gk/pass/codec.hpp"

using namespace gk;
using bench::Clock;
namespace fs = std::filesystem;

namespace {
constexpr int kTaps = 40;  // per card kind
constexpr const char* kSite = "site-1";
constexpr const char* kSerial = "0123456789abcdef";

int g_stderr = 2;  // the terminal's stderr; fd 2 itself takes the daemon's log lines
[[noreturn]] void die(const std::string& what) {
  dprintf(g_stderr, "bench_nfc_tap: %s\n", what.c_str());
  std::exit(1);
}

// The daemon's JSON lines: each decision line is timestamped as it is written.
class DecisionClock : public std::streambuf {
 public:
  // Waits for the next decision line after `since`; its time, or nullopt after 3 s.
  std::optional<Clock::time_point> wait(std::string* line) {
    std::unique_lock lock(m_);
    if (!cv_.wait_for(lock, std::chrono::seconds(3), [&] { return !ready_.empty(); }))
      return std::nullopt;
    auto [t, l] = ready_.front();
    ready_.erase(ready_.begin());
    if (line) *line = l;
    return t;
  }
  void drop() {
    std::lock_guard lock(m_);
    ready_.clear();
  }

 protected:
  int_type overflow(int_type c) override {
    if (c == traits_type::eof()) return c;
    char ch = static_cast<char>(c);
    xsputn(&ch, 1);
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    std::lock_guard lock(m_);
    for (std::streamsize i = 0; i < n; ++i) {
      if (s[i] != '\n') {
        line_ += s[i];
        continue;
      }
      if (line_.find("\"decision\"") != std::string::npos) {
        ready_.push_back({Clock::now(), line_});
        cv_.notify_all();
      }
      line_.clear();
    }
    return n;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::string line_;
  std::vector<std::pair<Clock::time_point, std::string>> ready_;
};

struct Simulator {
  Simulator(const fs::path& exe, const fs::path& link, const fs::path& ctl) {
    pid = ::fork();
    if (pid == 0) {
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 2);
      ::execl(exe.c_str(), exe.c_str(), "--link", link.c_str(), "--control", ctl.c_str(), nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 100 && !(fs::exists(link) && fs::exists(ctl)); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!fs::exists(link)) die(exe.string() + " did not create " + link.string());
  }
  ~Simulator() {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
  }
  pid_t pid = -1;
};

void control(const fs::path& ctl, const std::string& line) {
  std::ofstream(ctl) << line << "\n";
}

// A blank NTAG215 with UID 04 a1 b2 c3 d4 e5 f6 (no pass on it: enrolled by UID).
void blank_ntag215(const fs::path& file) {
  std::vector<std::uint8_t> m(540, 0);
  const std::uint8_t uid[7] = {0x04, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6};
  m[0] = uid[0], m[1] = uid[1], m[2] = uid[2], m[3] = 0x88 ^ uid[0] ^ uid[1] ^ uid[2];
  m[4] = uid[3], m[5] = uid[4], m[6] = uid[5], m[7] = uid[6];
  m[8] = uid[3] ^ uid[4] ^ uid[5] ^ uid[6];
  m[9] = 0x48;
  const std::uint8_t cc_and_empty[7] = {0xe1, 0x10, 0x3e, 0x00, 0x03, 0x00, 0xfe};
  std::copy(std::begin(cc_and_empty), std::end(cc_and_empty), m.begin() + 12);
  std::ofstream(file, std::ios::binary)
      .write(reinterpret_cast<const char*>(m.data()), static_cast<std::streamsize>(m.size()));
}

std::string enrolled_pass(const IssuerKeyPair& key, const Bytes& binding) {
  Pass p;
  random_fill(p.id);
  p.role = Role::resident;
  p.site = kSite;
  p.building = "5";
  p.holder_name = "张三丰";
  p.valid_from = static_cast<UnixTime>(std::time(nullptr)) - 3600;
  p.valid_until = p.valid_from + 7 * 86400;
  p.card_uid = binding;
  return issue_pass_text(p, key);
}

}  // namespace

int main(int argc, char** argv) {
  const char* bin_env = std::getenv("GK_BIN_DIR");
  const fs::path bin = bin_env
                           ? fs::path(bin_env)
                           : fs::canonical("/proc/self/exe").parent_path().parent_path() / "bin";
  const fs::path exe = argc > 1 ? fs::path(argv[1]) : bin / "pn532-sim";
  if (!fs::exists(exe)) die(exe.string() + " not found (build pn532-sim, or set GK_BIN_DIR)");
  ::setenv("LIBNFC_LOG_LEVEL", "0", 1);
  const fs::path dir = fs::temp_directory_path() / ("gk-bench-tap-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "trust");
  fs::create_directories(dir / "keys");
  struct Cleanup {
    fs::path d;
    ~Cleanup() { fs::remove_all(d); }
  } cleanup{dir};

  auto key = generate_issuer_key({kSite});
  if (auto s = save_key_pair(key, dir / "keys"); !s) die("save key: " + s.error().detail);
  fs::copy_file(dir / "keys" / "issuer.pub", dir / "trust" / "issuer.pub");
  if (auto s = create_id_binding_key(dir / "id.key"); !s) die("id key");
  auto id_key = load_id_binding_key(dir / "id.key");
  if (!id_key) die("id key: " + id_key.error().detail);
  const Bytes serial = *from_hex(kSerial);
  blank_ntag215(dir / "ntag.bin");
  std::ofstream(dir / "enrolment.txt")
      << enrolled_pass(key, id_key->bind(IdSource::card_serial, serial)) << "\n"
      << enrolled_pass(key, {0x04, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6}) << "\n";

  Simulator sim(exe, dir / "pn532", dir / "ctl");
  const std::string conn = "pn532_uart:" + (dir / "pn532").string();
  // The reader's own cost: one poll with nothing in the field (type A, then type B).
  std::vector<double> empty;
  {
    nfc::LibnfcCardReader reader(conn);
    if (!reader.open()) die("libnfc could not open " + conn);
    for (int i = 0; i < 50; ++i) {
      const auto t0 = Clock::now();
      if (hal::has_value(reader.poll())) die("a card where there is none");
      empty.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
  }
  const std::string toml =
      "board = \"sim\"\nstate_dir = \"state\"\ntrust_dir = \"trust\"\n"
      "[site]\nid = \"" +
      std::string(kSite) +
      "\"\ncheckpoint = \"bench gate\"\n"
      "[nfc]\nconnstring = \"" +
      conn + "\"\nenrolment_file = \"enrolment.txt\"\nid_card_key = \"id.key\"\n";
  std::ofstream(dir / "gated.toml") << toml;
  auto config = load_config(dir / "gated.toml");
  if (!config) die("config: " + config.error().detail);
  const int poll_ms = config->nfc.poll_ms;
  DecisionClock clock;
  std::ostream out(&clock);
  g_stderr = ::dup(2);  // gated's operational log (one line a passage) stays off the table
  const int null = ::open("/dev/null", O_WRONLY);
  ::dup2(null, 2);
  auto daemon = Daemon::create(std::move(*config), DaemonOptions{std::nullopt, &out});
  if (!daemon) die("daemon: " + describe(daemon.error()));
  std::thread loop([&] { (*daemon)->run(); });

  std::vector<double> id_ms, a_ms;
  int admitted = 0;
  std::mt19937 rng(17);
  std::uniform_int_distribution<int> pause(0, poll_ms);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (int i = 0; i < 2 * kTaps; ++i) {
    const bool id_card = i % 2 == 0;
    clock.drop();
    const auto t0 = Clock::now();
    control(dir / "ctl",
            id_card ? std::string("id-card ") + kSerial : "place " + (dir / "ntag.bin").string());
    std::string line;
    auto t1 = clock.wait(&line);
    if (!t1) die(std::string("no decision for a ") + (id_card ? "ID card" : "type A card"));
    if (line.find("\"reason\":\"ok\"") != std::string::npos) ++admitted;
    (id_card ? id_ms : a_ms).push_back(std::chrono::duration<double, std::milli>(*t1 - t0).count());
    control(dir / "ctl", "remove");
    // The card is away for a while; the next one arrives at a random point of a poll cycle.
    std::this_thread::sleep_for(std::chrono::milliseconds(2 * poll_ms + pause(rng)));
  }
  boost::asio::post((*daemon)->io(), [&] { (*daemon)->stop(); });  // on the loop's thread
  loop.join();

  std::printf(
      "NFC tap -> decision through gk::Daemon (libnfc pn532_uart on pn532-sim), poll_ms %d,\n",
      poll_ms);
  std::printf(
      "  type A and type B polled in turn; %d taps each, alternating, arrival random in the\n"
      "  poll cycle; decision = verify + sim thermometer + policy + journal commit + JSON line\n",
      kTaps);
  std::printf("  %-28s %9s %9s %9s\n", "card", "p50", "p99", "max");
  auto row = [](const char* name, const std::vector<double>& v) {
    std::printf("  %-28s %7.1fms %7.1fms %7.1fms\n", name, bench::percentile(v, 0.5),
                bench::percentile(v, 0.99), bench::percentile(v, 1.0));
  };
  row("resident ID card (type B)", id_ms);
  row("UID-only NTAG215 (type A)", a_ms);
  row("empty poll (A + B, no card)", empty);
  std::printf("  ID card / type A card: %.2fx (p50), %.2fx (p99); admitted %d of %d\n",
              bench::percentile(id_ms, 0.5) / bench::percentile(a_ms, 0.5),
              bench::percentile(id_ms, 0.99) / bench::percentile(a_ms, 0.99), admitted, 2 * kTaps);
  return 0;
}
