// QR decoding frames/s on synthetic frames (noisy background, with and without a pass code)
// at 1280x720 and 640x480: QrDecoder::decode (every pass of the cascade until one reads) vs
// one raw ZBar pass over the full frame, and one raw zxing-cpp read (the other QR decoder
// Debian ships), on the same frames, in the same run. The live-video path (decode_stream:
// one zxing-cpp read plus one costlier pass in turn) is shown for reference.
#include <cstdio>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "gk/camera/frame_source.hpp"
#include "gk/camera/qr_decoder.hpp"
#include "gk/camera/qr_render.hpp"

using namespace gk;
using namespace gk::camera;

namespace {

// "GK1:" + base45-alphabet characters, about the size of a typical resident pass.
std::string pass_like_text(std::size_t total) {
  static constexpr char kBase45[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  std::mt19937 rng(2020);
  std::uniform_int_distribution<int> pick(0, 44);
  std::string s = "GK1:";
  while (s.size() < total) s.push_back(kBase45[pick(rng)]);
  return s;
}

bool has(const std::vector<std::string>& codes, const std::string& text) {
  for (const auto& c : codes)
    if (c == text) return true;
  return false;
}

struct Kind {
  int w, h, module_px;
  bool with_code;
};

}  // namespace

int main() {
  const std::string text = pass_like_text(210);
  int version = 0;
  (void)render_qr_mat(text, 1, 4, &version);
  std::printf("QR decoding, frames per second on one core (%zu-char pass text, QR version %d)\n",
              text.size(), version);
  std::printf(
      "  ours = QrDecoder::decode (full cascade), zbar = raw_zbar_decode (one full-frame"
      " pass), zxing = raw_zxing_decode (ReadBarcodes, default hints)\n");
  std::printf(
      "  live = QrDecoder::decode_stream (what the kiosk runs on video: the finder-pattern gate,"
      " then the turn of passes); live ms = per frame (target without a code: <= 5 ms)\n");
  std::printf("  %-18s %9s %9s %9s %10s %11s %9s %8s %s\n", "frame", "ours fps", "zbar fps",
              "zxing fps", "ours/zbar", "ours/zxing", "live fps", "live ms",
              "read ours/zbar/zxing/live");

  const Kind kinds[] = {{1920, 1080, 5, true}, {1920, 1080, 5, false}, {1280, 720, 4, true},
                        {1280, 720, 4, false}, {640, 480, 3, true},    {640, 480, 3, false}};
  for (const Kind& k : kinds) {
    cv::Mat frame(k.h, k.w, CV_8UC1);
    cv::theRNG().state = 42;
    cv::randn(frame, cv::Scalar(128), cv::Scalar(30));
    cv::GaussianBlur(frame, frame, cv::Size(3, 3), 0);
    if (k.with_code) {
      cv::Mat code = render_qr_mat(text, k.module_px, 4);
      if (code.empty() || code.cols > k.w || code.rows > k.h) {
        std::fprintf(stderr, "bench_decoder: could not render the code\n");
        return 1;
      }
      code.copyTo(
          frame(cv::Rect((k.w - code.cols) / 2, (k.h - code.rows) / 2, code.cols, code.rows)));
    }
    const hal::GreyView view = view_of(frame);

    QrDecoder ours;  // constructed once, as the kiosk does
    QrDecoder live;
    // With a code: "read" only if the exact text came back. Without: "-", or "FALSE" if
    // the decoder reported a code that is not there.
    auto mark = [&](const std::vector<std::string>& codes) {
      if (k.with_code) return has(codes, text) ? "read" : "miss";
      return codes.empty() ? "-" : "FALSE";
    };
    const char* ours_read = mark(texts(ours.decode(view)));
    const char* raw_read = mark(texts(raw_zbar_decode(view)));
    const char* zxing_read = mark(texts(raw_zxing_decode(view)));
    const char* live_read = mark(texts(live.decode_stream(view)));

    const double ours_fps = bench::rate([&] { (void)ours.decode(view); }, 2.0);
    const double raw_fps = bench::rate([&] { (void)raw_zbar_decode(view); }, 2.0);
    const double zxing_fps = bench::rate([&] { (void)raw_zxing_decode(view); }, 2.0);
    const double live_fps = bench::rate([&] { (void)live.decode_stream(view); }, 1.0);

    char name[64];
    std::snprintf(name, sizeof name, "%dx%d %s", k.w, k.h, k.with_code ? "code" : "no code");
    std::printf("  %-18s %9.1f %9.1f %9.1f %10.2f %11.2f %9.1f %8.2f %s/%s/%s/%s\n", name, ours_fps,
                raw_fps, zxing_fps, ours_fps / raw_fps, ours_fps / zxing_fps, live_fps,
                1000.0 / live_fps, ours_read, raw_read, zxing_read, live_read);
  }
  return 0;
}
