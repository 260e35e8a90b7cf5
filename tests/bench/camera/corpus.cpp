// Decode rate on the QR corpus (tests/corpus, synthetic: see its README.md): per category and
// overall, QrDecoder::decode (the still-image cascade) vs one raw ZBar pass, on the same images
// in the same run, as points difference and ratio, with the mean decode time per image.
// A read counts only when the exact expected text came back. "live" is the kiosk's video path
// (QrDecoder::decode_stream) given the same image as 4 consecutive frames, one full turn of
// its rotation of costlier passes: what a code held still for ~130 ms at 30 fps gets.
#include <chrono>
#include <cstdio>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "corpus.hpp"
#include "gk/camera/frame_source.hpp"
#include "gk/camera/qr_decoder.hpp"

using namespace gk;

namespace {

struct Tally {
  int n = 0, ours = 0, raw = 0, zxing = 0, live = 0, misread = 0;
  double ours_ms = 0, raw_ms = 0;  // summed over rounds
};

constexpr int kRounds = 2;  // decode every image this many times for the timing
constexpr int kLiveFrames = 4;

template <class F>
double time_ms(F f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

void row(const char* name, const Tally& t) {
  const double ours = 100.0 * t.ours / t.n, raw = 100.0 * t.raw / t.n;
  char ratio[16] = "-";
  if (t.raw > 0) std::snprintf(ratio, sizeof ratio, "%.2f", ours / raw);
  std::printf("  %-13s %4d %7.1f %7.1f %+7.1f %7s %8.1f %9.1f %9.1f %7.1f %5d\n", name, t.n, ours,
              raw, ours - raw, ratio, 100.0 * t.zxing / t.n, t.ours_ms / (t.n * kRounds),
              t.raw_ms / (t.n * kRounds), 100.0 * t.live / t.n, t.misread);
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path root = argc > 1 ? argv[1] : GK_CORPUS_DIR;
  const auto entries = corpus::load(root);
  if (entries.empty()) {
    std::fprintf(stderr, "bench_corpus: no images under %s\n", root.c_str());
    return 1;
  }
  camera::QrDecoder ours;  // constructed once, as the kiosk does
  std::map<std::string, Tally> per;
  Tally all;
  for (const auto& e : entries) {
    const cv::Mat grey = cv::imread(e.image.string(), cv::IMREAD_GRAYSCALE);
    if (grey.empty()) {
      std::fprintf(stderr, "bench_corpus: cannot read %s\n", e.image.c_str());
      return 1;
    }
    const hal::GreyView view = camera::view_of(grey);
    std::vector<std::string> mine, raw, zxing;
    double ours_ms = 0, raw_ms = 0;
    for (int i = 0; i < kRounds; ++i) {
      ours_ms += time_ms([&] { mine = camera::texts(ours.decode(view)); });
      raw_ms += time_ms([&] { raw = camera::texts(camera::raw_zbar_decode(view)); });
    }
    zxing = camera::texts(camera::raw_zxing_decode(view));
    camera::QrDecoder live;  // a fresh rotation per code, as when a resident steps up
    bool live_read = false;
    for (int i = 0; i < kLiveFrames && !live_read; ++i)
      live_read = corpus::judge(camera::texts(live.decode_stream(view)), e.expected) ==
                  corpus::Outcome::read;
    const auto m = corpus::judge(mine, e.expected);
    for (Tally* t : {&per[e.category], &all}) {
      ++t->n;
      t->ours += m == corpus::Outcome::read;
      t->misread += m == corpus::Outcome::misread;
      t->raw += corpus::judge(raw, e.expected) == corpus::Outcome::read;
      t->zxing += corpus::judge(zxing, e.expected) == corpus::Outcome::read;
      t->live += live_read;
      t->ours_ms += ours_ms;
      t->raw_ms += raw_ms;
    }
  }
  std::printf("QR corpus decode rate (%s, %zu images; synthetic, see its README.md)\n",
              root.c_str(), entries.size());
  std::printf(
      "  ours = QrDecoder::decode (still-image cascade), raw = raw_zbar_decode, zxing ="
      " raw_zxing_decode (the other decoder Debian ships, for reference)\n");
  std::printf("  %-13s %4s %7s %7s %7s %7s %8s %9s %9s %7s %5s\n", "category", "n", "ours %",
              "raw %", "points", "ratio", "zxing %", "ours ms", "raw ms", "live %", "misrd");
  for (const auto& [c, t] : per) row(c.c_str(), t);
  row("overall", all);
  return 0;
}
