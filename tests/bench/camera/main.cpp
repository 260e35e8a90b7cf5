// QR decoding frames/s on synthetic frames (noisy background, with and without a pass code)
// at 640x480 and 1280x720: our cascade vs raw ZBar on the same frames, same run.
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "bench_util.hpp"
#include "gk/camera/frame_source.hpp"
#include "gk/camera/qr_decoder.hpp"
#include "gk/camera/qr_render.hpp"

using namespace gk;
using namespace gk::camera;

int main() {
  const std::string text =
      "GK1:" + std::string(213, 'A').replace(10, 40, "V50HCL3CG2K2FR0S6VKW0DLHY L KGBCLR.CRNJW5");
  std::printf("QR decoding, frames per second on one core\n");
  std::printf("  ours = live-stream cascade (decode_stream); still = every pass (decode)\n");
  std::printf("  %-22s %10s %10s %10s %8s %s\n", "frame", "ours fps", "still fps", "raw fps",
              "ratio", "read (ours/raw)");
  for (auto [w, h, module] : {std::tuple{640, 480, 3}, std::tuple{1280, 720, 5}}) {
    for (bool with_code : {true, false}) {
      cv::Mat frame(h, w, CV_8UC1);
      cv::RNG rng(42);
      rng.fill(frame, cv::RNG::NORMAL, 128, 30);
      cv::GaussianBlur(frame, frame, cv::Size(3, 3), 0);
      if (with_code) {
        cv::Mat code = render_qr_mat(text, module, 4);
        code.copyTo(
            frame(cv::Rect((w - code.cols) / 2, (h - code.rows) / 2, code.cols, code.rows)));
      }
      const hal::GreyView view = view_of(frame);
      QrDecoder ours;
      bool ours_read = !ours.decode(view).empty();
      bool raw_read = !raw_zbar_decode(view).empty();
      double ours_fps = bench::rate([&] { (void)ours.decode_stream(view); }, 2.0);
      double still_fps = bench::rate([&] { (void)ours.decode(view); }, 1.0);
      double raw_fps = bench::rate([&] { (void)raw_zbar_decode(view); }, 2.0);
      char name[64];
      std::snprintf(name, sizeof name, "%dx%d %s", w, h, with_code ? "code" : "no code");
      std::printf("  %-22s %10.1f %10.1f %10.1f %8.2f %s/%s\n", name, ours_fps, still_fps, raw_fps,
                  ours_fps / raw_fps, ours_read ? "read" : "miss", raw_read ? "read" : "miss");
    }
  }
  return 0;
}
