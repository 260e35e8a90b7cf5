// The live path's gate: is anything like a QR finder pattern in view? A QR code has three,
// each a dark-light-dark-light-dark run of widths 1:1:3:1:1 across its centre, whatever the
// rotation, horizontally and vertically alike. Scanning every third row of the frame for that
// ratio against a local threshold, and checking each hit down its column, costs about 3.5 ms
// at 1920x1080 on sensor noise; a zxing-cpp read of the same frame costs tens. A frame
// without three such candidates, each met on two scanned rows and placed as one code's
// three corners, is not read at all.
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
// finder_codes stops collecting past this many regions: a scene (a printed sheet of codes,
// a textured wall) can pair its finders in many ways, and each region costs a read.
constexpr std::size_t kMaxCodes = 16;

// Whether five consecutive run widths read 1:1:3:1:1 (the tolerance zxing-cpp's finder
// search uses too: half a module on the outer runs, a module and a half on the centre), in
// integers: |w - total/7| < total/14 is |14w - 2 total| < total.
bool finder_ratio(const std::array<int, 5>& w) {
  const int total = w[0] + w[1] + w[2] + w[3] + w[4];
  if (total < 7 * kMinModulePx) return false;
  // 0 or 1 as an int, combined with & rather than &&: on noise the outcome is a coin toss, a
  // branch would mispredict.
  auto near = [&](int width, int modules) -> int {
    return std::abs(14 * width - 2 * modules * total) < modules * total;
  };
  return (near(w[0], 1) & near(w[1], 1) & near(w[2], 3) & near(w[3], 1) & near(w[4], 1)) != 0;
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

// The total width of the 1:1:3:1:1 runs through (x, y) down the column, centred on the run
// that holds y; 0 if they do not read 1:1:3:1:1.
int vertical_total(const Classifier& c, int x, int y, int centre_colour, int module) {
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
  return finder_ratio({a0, a1, centre, b1, b0}) ? a0 + a1 + centre + b1 + b0 : 0;
}

struct Candidate {
  int x, y, module, rows;
  int span;  // the five runs' total width, 7 modules: finer than `module` at 2 px a module
};

// Whether three confirmed candidates sit as one code's three finders: module sizes within a
// factor of two of each other, and, seen from the corner finder, two legs within a factor of
// two of each other, of 8 to 180 modules (a version 1 code has its centres 14 modules apart,
// version 40 170; a module measured along a row of a code turned 45 degrees is 1.4 true
// ones), at 50 to 130 degrees. The tolerances are wide for tilt and for the centres' row
// estimate (the last row a candidate was met on): tighter ones (1.45, 70 to 110 degrees)
// lost 4 of the corpus's 10 codes tilted 45 degrees on the live path. Noise and texture make
// confirmed 1:1:3:1:1 rings too, but scattered: three in this arrangement are rare.
// The index (0 to 2) of the corner finder when a, b and c fit, else -1.
int one_code(const Candidate& a, const Candidate& b, const Candidate& c) {
  const int lo = std::min({a.span, b.span, c.span});
  const int hi = std::max({a.span, b.span, c.span});
  if (hi > 2 * lo) return -1;
  const double m = (a.span + b.span + c.span) / 21.0;
  auto leg_fits = [&](double len) { return len >= 8 * m && len <= 180 * m; };
  const Candidate* p[3] = {&a, &b, &c};
  for (int corner = 0; corner < 3; ++corner) {
    const Candidate& o = *p[corner];
    const Candidate& u = *p[(corner + 1) % 3];
    const Candidate& v = *p[(corner + 2) % 3];
    const double ux = u.x - o.x, uy = u.y - o.y, vx = v.x - o.x, vy = v.y - o.y;
    const double lu = std::hypot(ux, uy), lv = std::hypot(vx, vy);
    if (!leg_fits(lu) || !leg_fits(lv)) continue;
    if (std::max(lu, lv) > 2 * std::min(lu, lv)) continue;
    if (std::abs(ux * vx + uy * vy) <= 0.64 * lu * lv) return corner;  // |cos| <= cos 50
  }
  return -1;
}

// The region a code with these three finders covers: its four corners' centres (the fourth
// finder-less corner completes the parallelogram) and, around them, the finders' own 3.5
// modules plus the 4-module quiet zone the standard asks for, plus a module for the centres'
// row estimate.
FinderCode code_region(const Candidate* p[3], int corner) {
  const Candidate& o = *p[corner];
  const Candidate& u = *p[(corner + 1) % 3];
  const Candidate& v = *p[(corner + 2) % 3];
  const float m = static_cast<float>(o.span + u.span + v.span) / 21.0F;
  const float xs[4] = {static_cast<float>(o.x), static_cast<float>(u.x), static_cast<float>(v.x),
                       static_cast<float>(u.x + v.x - o.x)};
  const float ys[4] = {static_cast<float>(o.y), static_cast<float>(u.y), static_cast<float>(v.y),
                       static_cast<float>(u.y + v.y - o.y)};
  const float margin = 8.5F * m;
  return {*std::min_element(xs, xs + 4) - margin, *std::min_element(ys, ys + 4) - margin,
          *std::max_element(xs, xs + 4) + margin, *std::max_element(ys, ys + 4) + margin, m};
}

// The scan behind both entry points: with `all` false it stops at the first three finders
// placed as one code (the live gate needs a yes or no only), else it goes on to the end of
// the frame and collects every such region.
bool scan(const hal::GreyView& frame, bool all, std::vector<FinderCode>* codes) {
  if (!frame.data || frame.width < 21 || frame.height < 21) return false;
  const cv::Mat grey(frame.height, frame.width, CV_8UC1, const_cast<std::uint8_t*>(frame.data),
                     static_cast<std::size_t>(frame.stride));
  // The block means over the whole blocks only: a frame a whole number of blocks in size
  // takes OpenCV's fast area resize (the general one cost 3 ms at 1920x1080). The pixels of a
  // last partial block take the threshold of the block before.
  const int bw = std::max(1, grey.cols / kBlock), bh = std::max(1, grey.rows / kBlock);
  cv::Mat block_means, means;
  cv::resize(
      grey(cv::Rect(0, 0, std::min(grey.cols, bw * kBlock), std::min(grey.rows, bh * kBlock))),
      block_means, cv::Size(bw, bh), 0, 0, cv::INTER_AREA);
  // Each block's threshold takes in its neighbours: a block that is all quiet zone (pure white
  // on a clean screen or print) would otherwise have its own white as its mean, read white as
  // "neither" and let the finder's outer dark ring run on into the quiet zone (1 code in 4 of
  // gatectl's own PNGs then never opened the gate).
  cv::blur(block_means, means, cv::Size(3, 3), cv::Point(-1, -1), cv::BORDER_REPLICATE);
  const Classifier c{grey, means};
  // A finder's centre band is 3 modules high, so a real one is met on several scanned rows
  // at the same column; sensor noise makes 1:1:3:1:1 by chance on one row, not on two.
  std::vector<Candidate> found;
  std::vector<Candidate> confirmed;
  // The row scan is most of the gate's cost and on noise or texture every pixel is a coin
  // toss, so it runs without data-dependent branches: one pass writes where each run starts
  // (a pixel close to the mean continues the run it is in), then the ratio test on every
  // five consecutive runs. Branching per pixel cost 10 ns a
  // pixel (mispredictions), about 12 ms at 1920x1080.
  const int cols = grey.cols;
  std::vector<std::uint8_t> lo(cols), hi(cols);
  std::vector<int> start(cols + 1);
  std::vector<std::uint8_t> start_colour(cols + 1);
  int thresholds_for = -1;
  for (int y = 0; y < grey.rows; y += kRowStep) {
    const int by = std::min(y / kBlock, means.rows - 1);
    if (by != thresholds_for) {
      const std::uint8_t* m = means.ptr<std::uint8_t>(by);
      for (int x = 0; x < cols; ++x) {
        const int t = m[std::min(x / kBlock, means.cols - 1)];
        lo[x] = static_cast<std::uint8_t>(std::max(t - kContrast, 0));
        hi[x] = static_cast<std::uint8_t>(std::min(t + kContrast, 255));
      }
      thresholds_for = by;
    }
    const std::uint8_t* row = grey.ptr<std::uint8_t>(y);
    int runs = 0;
    int previous = 2;  // no colour yet
    for (int x = 0; x < cols; ++x) {
      const int dark = row[x] < lo[x];
      const int marked = dark | static_cast<int>(row[x] > hi[x]);
      start[runs] = x;
      start_colour[runs] = static_cast<std::uint8_t>(dark);
      runs += marked & static_cast<int>(dark != previous);
      previous = marked ? dark : previous;
    }
    start[runs] = cols;  // the last run ends with the row
    for (int j = 4; j < runs; ++j) {
      const std::array<int, 5> w{start[j - 3] - start[j - 4], start[j - 2] - start[j - 3],
                                 start[j - 1] - start[j - 2], start[j] - start[j - 1],
                                 start[j + 1] - start[j]};
      // Either polarity: dark rings on light (print, most screens) or light on dark.
      if (!finder_ratio(w)) continue;
      const int total = w[0] + w[1] + w[2] + w[3] + w[4];
      const int module = total / 7;
      const int cx = start[j - 2] + w[2] / 2;
      // Down the column the rings must read 1:1:3:1:1 too, and about as wide (within a factor
      // of two: a 2 px module resampled at 30 degrees needs that): a square ring is as wide
      // across its centre in both directions whatever its rotation, where a texture's chance
      // 1:1:3:1:1 along a row seldom has a match of its size down the column.
      const int vtotal = vertical_total(c, cx, y, start_colour[j - 2], module);
      if (vtotal == 0 || vtotal > 2 * total || total > 2 * vtotal) continue;
      auto same = std::find_if(found.begin(), found.end(), [&](const Candidate& f) {
        return std::abs(f.x - cx) <= std::max(2, module) &&
               std::abs(f.y - y) <= 4 * std::max(f.module, module) && 2 * module >= f.module &&
               module <= 2 * f.module;
      });
      if (same == found.end()) {
        found.push_back({cx, y, module, 1, total});
        continue;
      }
      same->y = y;
      if (++same->rows != kRowsToConfirm) continue;
      bool met = false;
      for (std::size_t i = 0; i < confirmed.size(); ++i)
        for (std::size_t k = i + 1; k < confirmed.size(); ++k) {
          const Candidate* t[3] = {&confirmed[i], &confirmed[k], &*same};
          const int corner = one_code(*t[0], *t[1], *t[2]);
          if (corner < 0) continue;
          if (!all) return true;
          met = true;
          codes->push_back(code_region(t, corner));
        }
      confirmed.push_back(*same);
      if (met && codes->size() > kMaxCodes) return true;
    }
  }
  return all && !codes->empty();
}

}  // namespace

bool finder_patterns_in_view(const hal::GreyView& frame) {
  return scan(frame, false, nullptr);
}

std::vector<FinderCode> finder_codes(const hal::GreyView& frame) {
  std::vector<FinderCode> codes;
  scan(frame, true, &codes);
  return codes;
}

}  // namespace gk::camera
