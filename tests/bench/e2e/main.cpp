// End-to-end latency on the sim board, from frame arrival to gate command, through the
// daemon's own object: gk::Daemon::on_frame (the live-video decode cascade, de-duplication,
// pass verification, policy, the sim thermometer, the journal commit with WAL and
// synchronous=FULL, then the gate). The gate is the "sim-gpio" kind, so the command is the
// relay line being driven, which SimLines timestamps: the figure stops exactly there.
// Baseline, same frames, same run, same disk: one raw ZBar pass over the frame plus one
// SQLite INSERT + COMMIT (WAL, synchronous=FULL), i.e. the two unavoidable costs. Like
// bench_decoder's baseline, raw_zbar_decode sets up a ZBar scanner per call; the daemon keeps
// one, so at 640x480 (no half-scale pass) the whole passage can cost less than the baseline.
// Every frame shows a different person's pass, so every passage is new and admitted.
#include <sqlite3.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "gk/camera/frame_source.hpp"
#include "gk/camera/qr_decoder.hpp"
#include "gk/camera/qr_render.hpp"
#include "gk/gated/daemon.hpp"
#include "gk/pass/codec.hpp"

using namespace gk;
using bench::Clock;
namespace fs = std::filesystem;

namespace {
constexpr int kFrames = 120;  // per frame size, after kWarmUp
constexpr int kWarmUp = 5;
constexpr const char* kSite = "site-1";

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_e2e: %s\n", what.c_str());
  std::exit(1);
}

double ms_since(Clock::time_point t0, Clock::time_point t1) {
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

// A resident's pass for `n`, shown on a phone in front of a noisy scene.
cv::Mat frame_with_pass(const IssuerKeyPair& key, int n, int w, int h, std::string* text) {
  Pass p;
  random_fill(p.id);
  p.role = Role::resident;
  p.site = kSite;
  p.building = std::to_string(1 + n % 30);
  p.unit = std::to_string(1 + n % 6) + "-" + std::to_string(101 + n % 20);
  p.holder_name = "张伟";
  p.valid_from = static_cast<UnixTime>(std::time(nullptr)) - 3600;
  p.valid_until = p.valid_from + 7 * 86400;
  *text = issue_pass_text(p, key);
  cv::Mat frame(h, w, CV_8UC1);
  cv::theRNG().state = static_cast<std::uint64_t>(1000 + n);
  cv::randn(frame, cv::Scalar(128), cv::Scalar(30));
  cv::GaussianBlur(frame, frame, cv::Size(3, 3), 0);
  cv::Mat code = camera::render_qr_mat(*text, w >= 1280 ? 4 : 3, 4);
  if (code.empty() || code.cols > w || code.rows > h) die("could not render a code");
  code.copyTo(frame(cv::Rect((w - code.cols) / 2, (h - code.rows) / 2, code.cols, code.rows)));
  return frame;
}

// The baseline's durable write: a row like a journal row, INSERT + COMMIT, WAL + FULL.
struct RawCommit {
  explicit RawCommit(const fs::path& file) {
    if (sqlite3_open(file.c_str(), &db) != SQLITE_OK) die("sqlite open");
    const char* setup =
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
        "CREATE TABLE t(seq INTEGER PRIMARY KEY, time INTEGER, gate TEXT, pass_id TEXT,"
        " decision TEXT, reason TEXT, temp REAL, holder TEXT, hash TEXT)";
    if (sqlite3_exec(db, setup, nullptr, nullptr, nullptr) != SQLITE_OK) die("sqlite setup");
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO t VALUES(NULL,?,'bench gate','0011223344556677',"
                           "'admit','ok',36.5,'张*','8f3a9c0e1b2d4f5a6e7c8b9a0d1e2f3a')",
                           -1, &st, nullptr) != SQLITE_OK)
      die("sqlite prepare");
  }
  ~RawCommit() {
    sqlite3_finalize(st);
    sqlite3_close(db);
  }
  void commit(int i) {
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_bind_int64(st, 1, 1'600'000'000 + i);
    if (sqlite3_step(st) != SQLITE_DONE) die("sqlite insert");
    sqlite3_reset(st);
    if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) die("sqlite commit");
  }
  sqlite3* db = nullptr;
  sqlite3_stmt* st = nullptr;
};

struct Row {
  std::vector<double> ours, base;
  int admitted = 0;
};

}  // namespace

int main() {
  // On the same file system as the benchmarks' other durable writes (bench_journal).
  const fs::path dir = fs::temp_directory_path() / ("gk-bench-e2e-" + std::to_string(::getpid()));
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
  const std::string toml =
      "board = \"sim\"\nstate_dir = \"state\"\ntrust_dir = \"trust\"\n"
      "[site]\nid = \"" +
      std::string(kSite) +
      "\"\ncheckpoint = \"bench gate\"\n"
      "[camera]\nsource = \"none\"\ndedup_window_ms = 0\n"
      "[gate]\nkind = \"sim-gpio\"\npulse_ms = 200\n";
  std::ofstream(dir / "gated.toml") << toml;
  auto config = load_config(dir / "gated.toml");
  if (!config) die("config: " + config.error().detail);
  std::ostringstream decisions;  // the daemon's JSON lines, kept off the terminal
  auto daemon = Daemon::create(std::move(*config), DaemonOptions{std::nullopt, &decisions});
  if (!daemon) die("daemon: " + describe(daemon.error()));
  gpio::SimLines& lines = *(*daemon)->board().sim_lines;
  gpio::Door& door = *(*daemon)->board().door;
  RawCommit raw(dir / "raw.db");

  std::printf(
      "End-to-end latency on the sim board, frame arrival -> gate command (relay driven)\n");
  std::printf(
      "  ours = gk::Daemon::on_frame (decode_stream, dedup, verify, policy, sim thermometer,\n"
      "         journal commit WAL+FULL, gate); %d frames per size, each a new pass\n",
      kFrames);
  std::printf("  base = raw_zbar_decode of the same frame + one SQLite INSERT+COMMIT (WAL+FULL)\n");
  std::printf("  %-10s %9s %9s %9s %9s %9s %9s %s\n", "frame", "ours p50", "ours p99", "base p50",
              "base p99", "p50 x", "p99 x", "admitted");

  int n = 0;
  for (auto [w, h] : {std::pair{640, 480}, std::pair{1280, 720}}) {
    Row row;
    for (int i = 0; i < kWarmUp + kFrames; ++i, ++n) {
      std::string text;
      const cv::Mat frame = frame_with_pass(key, n, w, h, &text);
      const hal::GreyView view = camera::view_of(frame);

      // Baseline, on the same frame: the decode must read the code, or it proves nothing.
      auto baseline = [&] {
        const auto b0 = Clock::now();
        const auto codes = camera::texts(camera::raw_zbar_decode(view));
        raw.commit(n);
        const auto b1 = Clock::now();
        if (codes.size() != 1 || codes[0] != text) die("raw ZBar did not read the frame");
        return ms_since(b0, b1);
      };
      // Alternate which goes first, so that neither always finds the frame in the cache.
      const double base_ms = i % 2 ? baseline() : 0;
      const std::size_t edges_before = lines.edges().size();
      const auto t0 = Clock::now();
      const auto outcomes = (*daemon)->on_frame(view, std::nullopt, true);
      std::optional<Clock::time_point> gate_at;
      for (std::size_t e = edges_before; e < lines.edges().size(); ++e)
        if (lines.edges()[e].line == "RELAY" && !gate_at) gate_at = lines.edges()[e].at;
      // End the relay pulse before the next person, as the daemon's door timer does.
      door.tick(gpio::Door::Clock::now() + std::chrono::seconds(1));
      const double base = i % 2 ? base_ms : baseline();
      if (outcomes.size() != 1) die("the daemon did not decide on frame " + std::to_string(n));
      if (!gate_at) die("no gate command for frame " + std::to_string(n) + ": " + decisions.str());
      if (i < kWarmUp) continue;
      ++row.admitted;
      row.ours.push_back(ms_since(t0, *gate_at));
      row.base.push_back(base);
    }
    const double o50 = bench::percentile(row.ours, 0.5), o99 = bench::percentile(row.ours, 0.99);
    const double b50 = bench::percentile(row.base, 0.5), b99 = bench::percentile(row.base, 0.99);
    char frame_name[32];
    std::snprintf(frame_name, sizeof frame_name, "%dx%d", w, h);
    std::printf("  %-10s %7.2fms %7.2fms %7.2fms %7.2fms %8.2fx %8.2fx %d/%d\n", frame_name, o50,
                o99, b50, b99, o50 / b50, o99 / b99, row.admitted, kFrames);
  }
  return 0;
}
