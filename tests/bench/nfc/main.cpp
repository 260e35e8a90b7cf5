// NFC pass-card reads through libnfc's real pn532_uart driver against pn532-sim on a
// pseudo-terminal: LibnfcCardReader::read_card (list + select + GET_VERSION + READ of the
// whole NTAG215 user memory) + the NDEF parse + the pass decode, as on a tap.
// Baselines, same run: (1) the bus time the bytes actually exchanged would take on a real
// PN532 UART at 115200 baud (10 bits per byte, start + 8 + stop); the bytes are counted
// from pn532-sim's own read()/write() totals (/proc/PID/io rchar + wchar), which during the
// loop are nothing but the link; (2) a raw libnfc loop: select + the same READ commands
// through nfc_initiator_transceive_bytes, with no parsing.
// The pty does not pace bytes at the baud rate, so "x bus" below 1 means the software stack
// costs less than the wire would; on a real reader the wire time adds to it.
#include <fcntl.h>
#include <nfc/nfc.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "gk/nfc/libnfc_reader.hpp"
#include "gk/nfc/ndef.hpp"
#include "gk/pass/codec.hpp"

using namespace gk;
using bench::Clock;
namespace fs = std::filesystem;

namespace {
constexpr int kRounds = 8;  // ours and raw alternate, so both meet the same machine load
constexpr int kReadsPerRound = 10;
constexpr double kBaud = 115200.0;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_nfc: %s\n", what.c_str());
  std::exit(1);
}

// pn532-sim as a child process, killed (and its tag memory saved) when this goes away.
struct Simulator {
  Simulator(const fs::path& exe, const fs::path& link, const fs::path& card) {
    pid = ::fork();
    if (pid == 0) {
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 2);
      ::execl(exe.c_str(), exe.c_str(), "--link", link.c_str(), "--card", card.c_str(), nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 100 && !fs::exists(link); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!fs::exists(link)) die(exe.string() + " did not create " + link.string());
  }
  ~Simulator() {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
  }
  // Bytes the simulator has read and written so far (the link is its only traffic).
  std::uint64_t bytes() const {
    std::ifstream io("/proc/" + std::to_string(pid) + "/io");
    std::string key;
    std::uint64_t value = 0, total = 0;
    while (io >> key >> value)
      if (key == "rchar:" || key == "wchar:") total += value;
    return total;
  }
  pid_t pid = -1;
};

// A blank NTAG215 dump (UID 04 a1 b2 c3 d4 e5 f6, empty NDEF), as pn532_sim.sh makes it.
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

struct Figures {
  std::vector<double> ms;
  std::uint64_t bytes = 0;  // exchanged during the timed reads only
  double bytes_per_read() const {
    return static_cast<double>(bytes) / static_cast<double>(ms.size());
  }
};

// What `gatectl card write` does: the card holds a real signed pass from here on.
void write_card(const std::string& conn, const Bytes& pass) {
  nfc::LibnfcCardReader reader(conn);
  if (!reader.open()) die("libnfc could not open " + conn);
  std::string error;
  if (reader.write_pass(pass, &error) != hal::DeviceError::none) die("write_pass: " + error);
}

void ours(const Simulator& sim, const std::string& conn, const Bytes& pass, Figures& f) {
  nfc::LibnfcCardReader reader(conn);
  if (!reader.open()) die("libnfc could not open " + conn);
  const auto before = sim.bytes();
  for (int i = 0; i < kReadsPerRound; ++i) {
    const auto t0 = Clock::now();
    auto card = reader.read_card();
    if (!hal::has_value(card)) die("read_card failed");
    auto ndef = nfc::parse_pass_tlv(std::get<nfc::LibnfcCardReader::CardInfo>(card).user_memory);
    if (!ndef.pass || *ndef.pass != pass) die("the card did not hold the pass: " + ndef.error);
    auto decoded = parse_pass_binary(ByteView(ndef.pass->data(), ndef.pass->size()));
    if (!decoded) die("pass decode: " + decoded.failure().detail);
    f.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  f.bytes += sim.bytes() - before;
}

// The same exchange by hand: select, GET_VERSION, READ 4 pages at a time over 504 bytes.
void raw_libnfc(const Simulator& sim, const std::string& conn, Figures& f) {
  nfc_context* ctx = nullptr;
  nfc_init(&ctx);
  if (!ctx) die("nfc_init");
  nfc_device* dev = nfc_open(ctx, conn.c_str());
  if (!dev || nfc_initiator_init(dev) < 0) die("raw libnfc could not open " + conn);
  nfc_device_set_property_bool(dev, NP_INFINITE_SELECT, false);
  const nfc_modulation mod{NMT_ISO14443A, NBR_106};
  const auto before = sim.bytes();
  for (int i = 0; i < kReadsPerRound; ++i) {
    const auto t0 = Clock::now();
    nfc_target t;
    if (nfc_initiator_select_passive_target(dev, mod, nullptr, 0, &t) <= 0) die("raw select");
    std::uint8_t get_version = 0x60, v[8];
    if (nfc_initiator_transceive_bytes(dev, &get_version, 1, v, sizeof v, 200) != 8)
      die("raw GET_VERSION");
    for (int page = 4; page < 4 + 504 / 4; page += 4) {
      std::uint8_t cmd[2] = {0x30, static_cast<std::uint8_t>(page)}, rx[16];
      if (nfc_initiator_transceive_bytes(dev, cmd, 2, rx, sizeof rx, 200) != 16) die("raw READ");
    }
    f.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  f.bytes += sim.bytes() - before;
  nfc_close(dev);
  nfc_exit(ctx);
}

}  // namespace

int main(int argc, char** argv) {
  // pn532-sim from GK_BIN_DIR, else next to this build's other binaries.
  const char* bin_env = std::getenv("GK_BIN_DIR");
  const fs::path bin = bin_env
                           ? fs::path(bin_env)
                           : fs::canonical("/proc/self/exe").parent_path().parent_path() / "bin";
  const fs::path exe = argc > 1 ? fs::path(argv[1]) : bin / "pn532-sim";
  if (!fs::exists(exe)) die(exe.string() + " not found (build pn532-sim, or set GK_BIN_DIR)");
  ::setenv("LIBNFC_LOG_LEVEL", "0", 1);

  const fs::path dir = fs::temp_directory_path() / ("gk-bench-nfc-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  struct Cleanup {
    fs::path d;
    ~Cleanup() { fs::remove_all(d); }
  } cleanup{dir};
  blank_ntag215(dir / "card.bin");

  auto key = generate_issuer_key({"site-1"});
  Pass p;  // a resident's card-bound pass
  random_fill(p.id);
  p.role = Role::resident;
  p.site = "site-1";
  p.building = "12";
  p.unit = "3-402";
  p.holder_name = "李奶奶";
  p.valid_from = 1'600'000'000;
  p.valid_until = p.valid_from + 7 * 86400;
  p.card_uid = {0x04, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6};
  const Bytes pass = sign_pass(p, key);

  const std::string conn = "pn532_uart:" + (dir / "pn532").string();
  Figures mine, raw;
  {
    Simulator sim(exe, dir / "pn532", dir / "card.bin");
    write_card(conn, pass);
    for (int round = 0; round < kRounds; ++round) {
      ours(sim, conn, pass, mine);
      raw_libnfc(sim, conn, raw);
    }
  }
  auto bus_ms = [](double bytes) { return bytes * 10.0 / kBaud * 1000.0; };
  const double bus = bus_ms(mine.bytes_per_read()), raw_bus = bus_ms(raw.bytes_per_read());
  std::printf(
      "NFC pass-card read (NTAG215, %zu-byte signed pass) through libnfc pn532_uart on pn532-sim\n",
      pass.size());
  std::printf(
      "  ours = LibnfcCardReader::read_card + NDEF parse + pass decode; raw = libnfc select +\n"
      "  the same READs; bus = the bytes each exchanged, at 115200 baud, 10 bits a byte\n");
  std::printf("  %-6s %9s %9s %11s %9s %8s\n", "path", "p50", "p99", "bytes/read", "bus time",
              "x bus");
  const double m50 = bench::percentile(mine.ms, 0.5), r50 = bench::percentile(raw.ms, 0.5);
  std::printf("  %-6s %7.2fms %7.2fms %11.0f %7.2fms %7.3fx\n", "ours", m50,
              bench::percentile(mine.ms, 0.99), mine.bytes_per_read(), bus, m50 / bus);
  std::printf("  %-6s %7.2fms %7.2fms %11.0f %7.2fms %7.3fx\n", "raw", r50,
              bench::percentile(raw.ms, 0.99), raw.bytes_per_read(), raw_bus, r50 / raw_bus);
  std::printf("  ours/raw libnfc: %.2fx (p50), over %d reads each\n", m50 / r50,
              kRounds * kReadsPerRound);
  return 0;
}
