// The live path's gate: is anything like a QR finder pattern in view? A QR code has three,
// each a dark-light-dark-light-dark run of widths 1:1:3:1:1 across its centre, whatever the
// rotation, horizontally and vertically alike. Scanning every third row of the frame for that
// ratio against a local threshold, and checking each hit down its column, costs about a
// millisecond at 1920x1080; a zxing-cpp read of the same frame costs tens. A frame without
// three such candidates, each met on two scanned rows, is not read at all.
#include <algorithm>
#include <array>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "gk/camera/qr_decoder.hpp"

namespace gk::camera {
namespace {

constexpr int kBlock = 32;         // the local threshold: the mean of a 32x32 block
constexpr int kRowStep = 3;        // a finder's centre band is 3 modules high: >= 3 px here
constexpr int kMinModulePx = 1;    // below a pixel per module nothing reads anyway
constexpr int kContrast = 10;      // grey levels below/above the local mean to count as dark/light
constexpr int kRowsToConfirm = 2;  // scanned rows a candidate must be met on
constexpr int kFindersToOpen = 3;  // confirmed candidates that open the gate: a QR code has three

// Whether five consecutive run widths read 1:1:3:1:1 (the tolerance zxing-cpp's finder
// search uses too: half a module on the outer runs, a module and a half on the centre).
bool finder_ratio(const std::array<int, 5>& w) {
  int total = 0;
  for (int x : w) total += x;
  if (total < 7 * kMinModulePx) return false;
  const float m = static_cast<float>(total) / 7.0F;
  const float tol = m * 0.5F;
  return std::abs(w[0] - m) < tol && std::abs(w[1] - m) < tol && std::abs(w[2] - 3 * m) < 3 * tol &&
         std::abs(w[3] - m) < tol && std::abs(w[4] - m) < tol;
}

struct Classifier {
  const cv::Mat& grey;
  const cv::Mat& means;  // one per kBlock x kBlock block
  // 1 dark, 0 light, -1 neither (close to the local mean: keeps the previous run going).
  int at(int x, int y) const {
    const int t = means.at<std::uint8_t>(std::min(y / kBlock, means.rows - 1),
                                         std::min(x / kBlock, means.cols - 1));
    const int v = grey.at<std::uint8_t>(y, x);
    return v < t - kContrast ? 1 : v > t + kContrast ? 0 : -1;
  }
};

// The run widths through (x, y) along a column, centred on the run that holds y.
bool vertical_check(const Classifier& c, int x, int y, int centre_colour, int module) {
  const int limit = module * 6;
  auto run = [&](int y0, int dir, int colour, int& end) {
    int n = 0, yy = y0;
    while (yy >= 0 && yy < c.grey.rows && n <= limit) {
      const int k = c.at(x, yy);
      if (k != -1 && k != colour) break;
      ++n;
      yy += dir;
    }
    end = yy;
    return n;
  };
  int up_end = 0, down_end = 0;
  const int centre = run(y, -1, centre_colour, up_end) + run(y + 1, 1, centre_colour, down_end);
  int e = 0;
  const int a1 = run(up_end, -1, 1 - centre_colour, e);
  const int a0 = run(e, -1, centre_colour, e);
  const int b1 = run(down_end, 1, 1 - centre_colour, e);
  const int b0 = run(e, 1, centre_colour, e);
  return finder_ratio({a0, a1, centre, b1, b0});
}

}  // namespace

bool finder_patterns_in_view(const hal::GreyView& frame) {
  if (!frame.data || frame.width < 21 || frame.height < 21) return false;
  const cv::Mat grey(frame.height, frame.width, CV_8UC1, const_cast<std::uint8_t*>(frame.data),
                     static_cast<std::size_t>(frame.stride));
  cv::Mat block_means, means;
  cv::resize(grey, block_means,
             cv::Size(std::max(1, grey.cols / kBlock), std::max(1, grey.rows / kBlock)), 0, 0,
             cv::INTER_AREA);
  // Each block's threshold takes in its neighbours: a block that is all quiet zone (pure white
  // on a clean screen or print) would otherwise have its own white as its mean, read white as
  // "neither" and let the finder's outer dark ring run on into the quiet zone (1 code in 4 of
  // gatectl's own PNGs then never opened the gate).
  cv::blur(block_means, means, cv::Size(3, 3), cv::Point(-1, -1), cv::BORDER_REPLICATE);
  const Classifier c{grey, means};
  // A finder's centre band is 3 modules high, so a real one is met on several scanned rows
  // at the same column; sensor noise makes 1:1:3:1:1 by chance on one row, not on two.
  struct Candidate {
    int x, y, module, rows;
  };
  int confirmed = 0;
  std::vector<Candidate> found;
  for (int y = 0; y < grey.rows; y += kRowStep) {
    std::array<int, 5> w{};    // the last five run widths
    std::array<int, 5> col{};  // and their colours
    int runs = 0, colour = -1, width = 0;
    for (int x = 0; x <= grey.cols; ++x) {
      int k = x < grey.cols ? c.at(x, y) : 1 - std::max(colour, 0);
      if (k == -1) k = colour;
      if (k == colour) {
        ++width;
        continue;
      }
      if (colour != -1) {
        std::rotate(w.begin(), w.begin() + 1, w.end());
        std::rotate(col.begin(), col.begin() + 1, col.end());
        w[4] = width;
        col[4] = colour;
        ++runs;
        // Either polarity: dark rings on light (print, most screens) or light on dark.
        if (runs >= 5 && finder_ratio(w)) {
          const int module = (w[0] + w[1] + w[2] + w[3] + w[4]) / 7;
          const int cx = x - w[4] - w[3] - w[2] / 2;
          if (vertical_check(c, cx, y, col[2], module)) {
            auto same = std::find_if(found.begin(), found.end(), [&](const Candidate& f) {
              return std::abs(f.x - cx) <= std::max(2, module) &&
                     std::abs(f.y - y) <= 4 * std::max(f.module, module) &&
                     2 * module >= f.module && module <= 2 * f.module;
            });
            if (same == found.end()) {
              found.push_back({cx, y, module, 1});
            } else if (++same->rows == kRowsToConfirm) {
              same->y = y;
              if (++confirmed >= kFindersToOpen) return true;
            } else {
              same->y = y;
            }
          }
        }
      }
      colour = k;
      width = 1;
    }
  }
  return false;
}

}  // namespace gk::camera
