// The event loop while the camera path decodes 1080p frames without pause: real photographs
// (tests/corpus/photos, each letterboxed into a 1920x1080 grey frame) shown by a 30 fps camera
// to gk::CameraWorker (the daemon's capture and decode threads), whose results are posted to
// the loop as in gated. On the loop, as in gated: a periodic timer (its lateness is what the
// relay timer, the door watch, the servers and the watchdog see), the gate relay (gk::gpio::Door
// on simulated lines, released once a second for pulse_ms, ended by a timer at the pulse's end
// as gated's door watch does), and for every frame that carried codes one durable SQLite
// commit (WAL, synchronous=FULL), the journal's write before a gate opens.
// Figures: the loop timer's lateness p50/p99/max, the relay pulse lengths against pulse_ms, and
// frame -> committed on the loop (capture to the commit's end) p50/p99; baseline, same frames,
// same run, after the threaded run: raw zxing-cpp ReadBarcodes (QR only, default hints) on the
// frame plus one FULL commit, back to back on one thread.
#include <sqlite3.h>

// Boost 1.74 awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
// clang-format on
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "gk/camera/frame_source.hpp"
#include "gk/camera/image_file.hpp"
#include "gk/gated/camera_worker.hpp"
#include "gk/gpio/door.hpp"
#include "gk/gpio/lines.hpp"
#include "photos.hpp"

using namespace gk;
using bench::Clock;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr auto kRun = 20s;
constexpr auto kControl = 5s;
constexpr auto kTimerPeriod = 5ms;
constexpr auto kPulse = 200ms;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_loop: %s\n", what.c_str());
  std::exit(1);
}

double ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// A durable write like a journal row: INSERT + COMMIT, WAL + FULL.
struct FullCommit {
  explicit FullCommit(const fs::path& file) {
    if (sqlite3_open(file.c_str(), &db) != SQLITE_OK) die("sqlite open");
    const char* setup =
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
        "CREATE TABLE t(seq INTEGER PRIMARY KEY, time INTEGER, text TEXT)";
    if (sqlite3_exec(db, setup, nullptr, nullptr, nullptr) != SQLITE_OK) die("sqlite setup");
    if (sqlite3_prepare_v2(db, "INSERT INTO t VALUES(NULL,?,?)", -1, &st, nullptr) != SQLITE_OK)
      die("sqlite prepare");
  }
  ~FullCommit() {
    sqlite3_finalize(st);
    sqlite3_close(db);
  }
  FullCommit(const FullCommit&) = delete;
  FullCommit& operator=(const FullCommit&) = delete;
  void commit(const std::string& text) {
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_bind_int64(st, 1, ++n);
    sqlite3_bind_text(st, 2, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) die("sqlite insert");
    sqlite3_reset(st);
    if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) die("sqlite commit");
  }
  sqlite3* db = nullptr;
  sqlite3_stmt* st = nullptr;
  std::int64_t n = 0;
};

// The photographs as 1080p frames, shown one after the other, forever, at the camera's pace.
class PhotoCamera final : public hal::Camera {
 public:
  explicit PhotoCamera(const std::vector<cv::Mat>& frames) : frames_(frames) {}
  hal::DeviceResult<hal::GreyView> next_frame() override {
    const cv::Mat& f = frames_[next_++ % frames_.size()];
    return hal::GreyView{f.data, f.cols, f.rows, static_cast<int>(f.step)};
  }
  std::string describe() const override { return "photos"; }

 private:
  const std::vector<cv::Mat>& frames_;
  std::size_t next_ = 0;
};

cv::Mat letterbox_1080p(const cv::Mat& grey) {
  const double s = std::min(1920.0 / grey.cols, 1080.0 / grey.rows);
  cv::Mat scaled;
  cv::resize(grey, scaled, cv::Size(), s, s, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  cv::Mat frame(1080, 1920, CV_8UC1, cv::Scalar(100));
  scaled.copyTo(frame(
      cv::Rect((1920 - scaled.cols) / 2, (1080 - scaled.rows) / 2, scaled.cols, scaled.rows)));
  return frame;
}

void print_row(const char* name, const std::vector<double>& v) {
  std::printf("  %-34s %6zu %9.2f %9.2f %9.2f\n", name, v.size(), bench::percentile(v, 0.5),
              bench::percentile(v, 0.99), v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()));
}

}  // namespace

int main() {
  std::vector<cv::Mat> frames;
  for (const auto& p : photos::load(GK_PHOTOS_DIR)) {
    std::string why;
    const cv::Mat grey = camera::read_grey_image(p.image, &why);
    if (grey.empty()) die(p.image.string() + ": " + why);
    frames.push_back(letterbox_1080p(grey));
  }
  if (frames.empty()) die("no photographs under " GK_PHOTOS_DIR);
  const fs::path dir = fs::temp_directory_path() / ("gk-bench-loop-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  struct Cleanup {
    fs::path d;
    ~Cleanup() { fs::remove_all(d); }
  } cleanup{dir};
  FullCommit journal(dir / "ours.db");

  boost::asio::io_context io;
  gpio::SimLines lines;
  gpio::Door door(lines, gpio::DoorConfig{});
  PhotoCamera camera(frames);
  std::vector<double> lateness, idle_lateness, frame_to_commit;
  std::vector<std::pair<Clock::time_point, bool>> relay;
  CameraWorker worker(
      io, camera, 33ms, [](CameraCapture) {},
      [&](CameraCodes c) {
        journal.commit(c.texts.front());
        frame_to_commit.push_back(ms(Clock::now() - c.captured));
      });

  // First kControl with the camera idle (the machine's own scheduling noise, same timers),
  // then kRun with the camera path decoding.
  auto end = Clock::now() + kControl;
  std::vector<double>* late = &idle_lateness;
  boost::asio::steady_timer tick(io), release(io), pulse_end(io);
  std::function<void()> on_tick = [&] {
    tick.expires_at(tick.expiry() + kTimerPeriod);
    tick.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      late->push_back(ms(Clock::now() - tick.expiry()));
      if (Clock::now() < end) on_tick();
    });
  };
  std::function<void()> on_release = [&] {
    release.expires_at(release.expiry() + 1s);
    release.async_wait([&](const boost::system::error_code& ec) {
      if (ec || Clock::now() >= end) return;
      door.release(kPulse, 0);
      pulse_end.expires_after(kPulse);
      pulse_end.async_wait([&](const boost::system::error_code& e) {
        if (!e) door.tick(gpio::Door::Clock::now());
      });
      on_release();
    });
  };
  tick.expires_at(Clock::now());
  release.expires_at(Clock::now());
  on_tick();
  on_release();
  io.run();
  const std::size_t idle_edges = lines.edges().size();
  io.restart();
  end = Clock::now() + kRun;
  late = &lateness;
  tick.expires_at(Clock::now());
  release.expires_at(Clock::now());
  on_tick();
  on_release();
  worker.start();
  io.run();
  worker.stop();

  std::vector<double> pulses, idle_pulses;
  const gpio::SimLines::Edge* on = nullptr;
  for (std::size_t i = 0; i < lines.edges().size(); ++i) {
    const auto& e = lines.edges()[i];
    if (e.line != "RELAY") continue;
    if (e.active) on = &e;
    if (!e.active && on) (i < idle_edges ? idle_pulses : pulses).push_back(ms(e.at - on->at));
  }
  const double worst_pulse_error =
      pulses.empty() ? 0
                     : std::max(std::abs(*std::max_element(pulses.begin(), pulses.end()) - 200.0),
                                std::abs(*std::min_element(pulses.begin(), pulses.end()) - 200.0));

  // Baseline: the same frames, raw zxing-cpp then one FULL commit, back to back.
  FullCommit raw_journal(dir / "raw.db");
  std::vector<double> base;
  const std::size_t decoded = worker.decoded();
  for (std::size_t i = 0; i < std::min<std::size_t>(decoded, frames.size()); ++i) {
    const auto t0 = Clock::now();
    const auto codes = camera::raw_zxing_decode(camera::view_of(frames[i]));
    if (codes.empty()) continue;
    raw_journal.commit(codes.front().text);
    base.push_back(ms(Clock::now() - t0));
  }

  std::printf(
      "Event loop while 1080p frames are decoded without pause (%d s, %zu real photographs"
      " letterboxed to 1920x1080, camera at 30 fps)\n",
      static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(kRun).count()),
      frames.size());
  std::printf("  frames captured %llu, decoded %llu (the rest overtaken: latest frame wins)\n",
              static_cast<unsigned long long>(worker.captured()),
              static_cast<unsigned long long>(decoded));
  std::printf("  %-34s %6s %9s %9s %9s\n", "ms", "n", "p50", "p99", "max");
  print_row("control, camera idle: timer lateness", idle_lateness);
  print_row("control, camera idle: relay pulse", idle_pulses);
  print_row("loop timer lateness (5 ms period)", lateness);
  print_row("relay pulse length (pulse_ms 200)", pulses);
  print_row("ours: frame -> FULL commit on loop", frame_to_commit);
  print_row("base: raw zxing-cpp + FULL commit", base);
  std::printf(
      "  relay pulse: worst error %.2f ms (target <= 10); frame -> commit p50 %.2fx, p99 "
      "%.2fx the baseline\n",
      worst_pulse_error,
      bench::percentile(frame_to_commit, 0.5) / std::max(1e-9, bench::percentile(base, 0.5)),
      bench::percentile(frame_to_commit, 0.99) / std::max(1e-9, bench::percentile(base, 0.99)));
  return 0;
}
