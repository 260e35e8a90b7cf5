// Writes the SYNTHETIC QR corpus under tests/corpus/: one JPEG per shot with the exact expected
// text beside it. No real photographs could be fetched on the build machine (see README.md
// there), so each shot is rendered through a small physical model instead of pasting a clean
// code onto a picture:
//   surface  a phone screen (emissive: content^2.2 through an RGB-stripe subpixel grid with a
//            black matrix) or a printed pass card (reflective: paper texture, ink bleed);
//   scene    the surface placed in 3-D (tilt about an in-plane axis, roll, distance) and
//            projected by a pinhole camera (foreshortening), over a cluttered, defocused room,
//            lit by a gradient; glass/lamination adds veiling reflection and specular glare;
//   camera   the scene sampled at 2x then area-integrated to the sensor (the screen grid
//            aliases into moire as it does on a real sensor), lens blur, linear motion blur,
//            exposure, shot + read noise, gamma 1/2.2, optional ISP sharpening, JPEG 70-90.
// Deterministic: every shot has its own fixed seed. Usage:
//   gk_make_corpus tests/corpus/payloads.txt tests/corpus
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <string>
#include <vector>

#include "gk/camera/qr_render.hpp"

namespace fs = std::filesystem;

namespace {

struct Rng {
  explicit Rng(std::uint32_t seed) : g(seed), cv_rng(seed) {}
  double uni(double a, double b) { return std::uniform_real_distribution<double>(a, b)(g); }
  int pick(int a, int b) { return std::uniform_int_distribution<int>(a, b)(g); }
  bool chance(double p) { return uni(0, 1) < p; }
  std::mt19937 g;
  cv::RNG cv_rng;
};

// Everything that varies between shots; categories override the mild defaults.
struct Shot {
  bool card = false;       // printed pass card instead of a phone screen
  bool dark_mode = false;  // light modules on a dark app background
  cv::Size frame{640, 480};
  double code_frac = 0.5;             // code width (with quiet zone) / frame height, untilted
  double tilt = 0, tilt_axis = 0;     // degrees: rotation about an axis lying in the surface
  double roll = 0;                    // degrees, in-plane
  double off_x = 0, off_y = 0;        // code centre offset, fraction of frame size
  int screen_px_per_module = 11;      // phone display pixels per QR module
  double brightness = 1.1;            // screen white vs paper white under the room light
  double veil = 0.03;                 // ambient light reflected by the glass (screens)
  double bloom = 0.08;                // backlight bloom / lens veiling glare
  double paper = 0.85, ink = 0.06;    // card reflectances
  double bleed = 0.12;                // ink bleed, in modules
  double glare = 0, glare_r = 0.2;    // specular blob peak and radius (fraction of code)
  double motion = 0, motion_dir = 0;  // motion blur length (camera px) and direction
  double focus = 0.7;                 // lens blur sigma, camera px
  double exposure = 1.0;
  double noise = 1.0;
  double sharpen = 0;
  int jpeg = 85;
};

double rad(double deg) {
  return deg * CV_PI / 180.0;
}

// Fine-grained two-scale texture in [-1, 1]-ish, for paper and screen mura.
cv::Mat texture(Rng& r, cv::Size s, double coarse_sigma) {
  cv::Mat n(s, CV_32F), c(s, CV_32F);
  r.cv_rng.fill(n, cv::RNG::NORMAL, 0, 1);
  cv::GaussianBlur(n, c, cv::Size(), coarse_sigma);
  double mn, mx;
  cv::minMaxLoc(c, &mn, &mx);
  c = c / std::max(std::abs(mn), mx);
  cv::GaussianBlur(n, n, cv::Size(), 0.8);
  return c * 0.7 + n * 0.3;
}

struct Surface {
  cv::Mat radiance;  // CV_32F: emission (screen) or reflectance (card)
  cv::Mat alpha;     // CV_32F: 1 on the phone/card, 0 outside its rounded outline
  cv::Point2f code_centre;
  float code_width = 0;
  float glass = 1;  // how strongly it mirrors light: phone glass, laminated card
};

void rounded_mask(cv::Mat& alpha, float radius) {
  alpha.setTo(0);
  const int w = alpha.cols, h = alpha.rows, r = static_cast<int>(radius);
  cv::rectangle(alpha, cv::Rect(r, 0, w - 2 * r, h), 1, cv::FILLED);
  cv::rectangle(alpha, cv::Rect(0, r, w, h - 2 * r), 1, cv::FILLED);
  for (cv::Point c : {cv::Point(r, r), cv::Point(w - r - 1, r), cv::Point(r, h - r - 1),
                      cv::Point(w - r - 1, h - r - 1)})
    cv::circle(alpha, c, r, 1, cv::FILLED, cv::LINE_AA);
}

// A phone showing the pass in an app: content at display resolution, then each display pixel
// as 3x3 surface pixels (R, G, B stripes as a grey sensor weighs them; a darker black-matrix
// row), emission = brightness * content^2.2.
Surface phone(const cv::Mat& modules, const Shot& s, Rng& r) {
  const int p = s.screen_px_per_module;
  const int code_w = modules.cols * p;
  const int sw = static_cast<int>(code_w * r.uni(1.25, 1.45)), sh = sw * 2;
  const float bg = s.dark_mode ? 18 : 250, fg = s.dark_mode ? 225 : 30;
  cv::Mat content(sh, sw, CV_8UC1, cv::Scalar(bg));
  // App chrome: status bar, title, caption lines, a button; what a pass app shows.
  cv::rectangle(content, cv::Rect(0, 0, sw, sh / 22), s.dark_mode ? 40 : 225, cv::FILLED);
  const double fs = sw / 700.0;
  cv::putText(content, "12:41", cv::Point(sw / 20, sh / 30), cv::FONT_HERSHEY_SIMPLEX, fs, fg, 2);
  cv::putText(content, "Gate pass  LH01", cv::Point(sw / 10, sh / 9), cv::FONT_HERSHEY_SIMPLEX,
              fs * 1.6, fg, 3);
  const int cx = (sw - code_w) / 2, cy = sh / 6;
  cv::Mat code;
  cv::resize(modules, code, cv::Size(code_w, code_w), 0, 0, cv::INTER_NEAREST);
  // Dark modules take the foreground shade: light ones in dark mode, so the code is inverted.
  code.convertTo(code, CV_8U, (bg - fg) / 255.0, fg);
  code.copyTo(content(cv::Rect(cx, cy, code_w, code_w)));
  const int below = cy + code_w + sh / 25;
  for (int i = 0; i < 4; ++i)
    cv::putText(content, i == 0 ? "B3-1204  resident" : "valid until 2026-11-30 23:59",
                cv::Point(sw / 10, below + i * sh / 22), cv::FONT_HERSHEY_SIMPLEX, fs * 1.1,
                s.dark_mode ? 160 : 90, 2);
  cv::rectangle(content, cv::Rect(sw / 8, sh - sh / 8, sw * 3 / 4, sh / 16), s.dark_mode ? 60 : 200,
                cv::FILLED);

  cv::Mat lin;
  content.convertTo(lin, CV_32F, 1 / 255.0);
  cv::pow(lin, 2.2, lin);
  lin *= s.brightness;
  // Display mura: a few percent of slow luminance variation.
  lin = lin.mul(1 + 0.03 * texture(r, lin.size(), sw / 8.0));
  cv::Mat sub;
  cv::resize(lin, sub, cv::Size(sw * 3, sh * 3), 0, 0, cv::INTER_NEAREST);
  static const float col_w[3] = {0.72f, 1.55f, 0.73f}, row_w[3] = {1.12f, 1.12f, 0.76f};
  for (int y = 0; y < sub.rows; ++y) {
    float* row = sub.ptr<float>(y);
    for (int x = 0; x < sub.cols; ++x) row[x] *= col_w[x % 3] * row_w[y % 3];
  }
  // Bezel: a dark frame around the display, part of the phone's outline.
  const int bz = sw * 3 / 25;
  Surface out;
  out.radiance = cv::Mat(sub.rows + 2 * bz, sub.cols + 2 * bz, CV_32F, cv::Scalar(0.015));
  sub.copyTo(out.radiance(cv::Rect(bz, bz, sub.cols, sub.rows)));
  out.alpha = cv::Mat(out.radiance.size(), CV_32F);
  rounded_mask(out.alpha, out.radiance.cols * 0.12f);
  out.code_width = static_cast<float>(code_w * 3);
  out.code_centre = {static_cast<float>(bz + (cx + code_w / 2.0) * 3),
                     static_cast<float>(bz + (cy + code_w / 2.0) * 3)};
  out.glass = 1;
  return out;
}

// An ID-1 pass card (85.6 x 54 mm) with the code printed on its right half: paper grain,
// ink bleed (dot gain that rounds and fattens modules), uneven ink density.
Surface card(const cv::Mat& modules, const Shot& s, Rng& r) {
  const int p = 10;
  const int code_w = modules.cols * p;
  const int cw = static_cast<int>(code_w * 2.05), ch = static_cast<int>(cw * 54 / 85.6);
  cv::Mat ink(ch, cw, CV_32F, cv::Scalar(0));
  const int cx = cw - code_w - cw / 40, cy = (ch - code_w) / 2;
  cv::Mat code;
  cv::resize(modules, code, cv::Size(code_w, code_w), 0, 0, cv::INTER_NEAREST);
  code.convertTo(code, CV_32F, -1 / 255.0, 1);
  code.copyTo(ink(cv::Rect(cx, cy, code_w, code_w)));
  cv::rectangle(ink, cv::Rect(0, 0, cw, ch / 9), 0.55, cv::FILLED);  // printed header band
  cv::rectangle(ink, cv::Rect(cw / 20, ch / 5, cw / 5, ch / 3), 0.35, cv::FILLED);  // photo
  const double fs = cw / 900.0;
  const char* lines[] = {"LH01 RESIDENT", "B3-1204", "LI WEI", "ID **4321"};
  for (int i = 0; i < 4; ++i)
    cv::putText(ink, lines[i], cv::Point(cw / 20, ch * 6 / 10 + i * ch / 10),
                cv::FONT_HERSHEY_SIMPLEX, fs, 1, 3, cv::LINE_AA);
  // Ink bleed: spread then a soft threshold slightly below half, so dark areas grow.
  cv::GaussianBlur(ink, ink, cv::Size(), std::max(0.5, s.bleed * p));
  cv::Mat grown;
  cv::max(cv::min((ink - 0.35) * 3.5, 1), 0, grown);
  cv::Mat density = 1 + 0.08 * texture(r, ink.size(), p * 6.0);
  cv::Mat cover = grown.mul(density);
  cv::Mat paper = s.paper * (1 + 0.035 * texture(r, ink.size(), p * 2.0));
  Surface out;
  out.radiance = paper - cover.mul(paper - s.ink);
  cv::max(out.radiance, 0.01, out.radiance);
  out.alpha = cv::Mat(out.radiance.size(), CV_32F);
  rounded_mask(out.alpha, cw * 0.04f);
  out.code_width = static_cast<float>(code_w);
  out.code_centre = {cx + code_w / 2.0f, cy + code_w / 2.0f};
  out.glass = 0.6f;  // laminated
  return out;
}

// Room behind the code: a lit wall, furniture-like blocks, signs with text, cables; defocused
// because the camera focuses on the code.
cv::Mat clutter(cv::Size sz, Rng& r, const cv::Mat& light) {
  cv::Mat bg(sz, CV_32F, cv::Scalar(r.uni(0.25, 0.6)));
  const int n = r.pick(12, 26);
  for (int i = 0; i < n; ++i) {
    const cv::Point a(r.pick(-sz.width / 4, sz.width), r.pick(-sz.height / 4, sz.height));
    const double v = r.uni(0.05, 0.9);
    switch (r.pick(0, 3)) {
      case 0:
        cv::rectangle(bg,
                      cv::Rect(a, cv::Size(r.pick(20, sz.width / 3), r.pick(20, sz.height / 3))), v,
                      cv::FILLED);
        break;
      case 1:
        cv::circle(bg, a, r.pick(10, sz.height / 6), v, cv::FILLED, cv::LINE_AA);
        break;
      case 2:
        cv::line(bg, a, cv::Point(r.pick(0, sz.width), r.pick(0, sz.height)), v, r.pick(2, 12),
                 cv::LINE_AA);
        break;
      default:
        cv::putText(bg, r.chance(0.5) ? "EXIT" : "NOTICE 2026 No.17", a, cv::FONT_HERSHEY_SIMPLEX,
                    r.uni(0.8, 3.0), v, r.pick(2, 6), cv::LINE_AA);
    }
  }
  cv::GaussianBlur(bg, bg, cv::Size(), r.uni(1.5, 5.0));
  return bg.mul(light);
}

// Rotation by `angle` about the unit vector `a`.
cv::Matx33d rodrigues(cv::Vec3d a, double angle) {
  const double c = std::cos(angle), s = std::sin(angle);
  const cv::Matx33d cross(0, -a[2], a[1], a[2], 0, -a[0], -a[1], a[0], 0);
  return cv::Matx33d::eye() * c + (a * a.t()) * (1 - c) + cross * s;
}

cv::Mat render(const Shot& s, const cv::Mat& modules, Rng& r) {
  const int k = 2;  // supersampling of the scene before the sensor integrates it
  const cv::Size big(s.frame.width * k, s.frame.height * k);
  const double f = 0.75 * big.width;  // ~67 degrees horizontal field of view

  cv::Mat light(big, CV_32F);
  {
    const double a = r.uni(0.7, 1.0), gx = r.uni(-0.3, 0.3), gy = r.uni(-0.3, 0.3);
    for (int y = 0; y < big.height; ++y)
      for (int x = 0; x < big.width; ++x)
        light.at<float>(y, x) = static_cast<float>(a + gx * (x / double(big.width) - 0.5) +
                                                   gy * (y / double(big.height) - 0.5));
  }
  cv::Mat scene = clutter(big, r, light);

  Surface surf = s.card ? card(modules, s, r) : phone(modules, s, r);
  if (s.card) {
    // Optics integrate the print before the sensor samples it: keep paper grain from aliasing.
    const double shrink = surf.code_width / (s.code_frac * big.height);
    if (shrink > 1.5) cv::GaussianBlur(surf.radiance, surf.radiance, cv::Size(), 0.4 * shrink);
  }

  // Place the surface: pivot at the code centre, tilt about an in-plane axis, then roll.
  const cv::Matx33d R =
      rodrigues({0, 0, 1}, rad(s.roll)) *
      rodrigues({std::cos(rad(s.tilt_axis)), std::sin(rad(s.tilt_axis)), 0}, rad(s.tilt));
  double off_x = s.off_x, off_y = s.off_y, frac = s.code_frac;
  std::vector<cv::Point2f> src, dst, code_dst;
  const float W = static_cast<float>(surf.radiance.cols),
              H = static_cast<float>(surf.radiance.rows);
  for (int attempt = 0; attempt < 12; ++attempt) {
    const double D = f * surf.code_width / (frac * big.height);
    const cv::Vec3d t(off_x * big.width * D / f, off_y * big.height * D / f, D);
    auto project = [&](cv::Point2f p) {
      const cv::Vec3d q = R * cv::Vec3d(p.x - surf.code_centre.x, p.y - surf.code_centre.y, 0) + t;
      return cv::Point2f(static_cast<float>(f * q[0] / q[2] + big.width / 2.0),
                         static_cast<float>(f * q[1] / q[2] + big.height / 2.0));
    };
    src = {{0, 0}, {W, 0}, {W, H}, {0, H}};
    dst.clear();
    for (auto p : src) dst.push_back(project(p));
    const float h = surf.code_width / 2;
    code_dst.clear();
    for (cv::Point2f d :
         {cv::Point2f(-h, -h), cv::Point2f(h, -h), cv::Point2f(h, h), cv::Point2f(-h, h)})
      code_dst.push_back(project(surf.code_centre + d));
    const cv::Rect2f inside(big.width * 0.03f, big.height * 0.03f, big.width * 0.94f,
                            big.height * 0.94f);
    bool fits = true;
    for (auto p : code_dst) fits = fits && inside.contains(p);
    if (fits) break;
    off_x *= 0.6;
    off_y *= 0.6;
    if (attempt > 3) frac *= 0.9;
  }
  const cv::Mat Hm = cv::getPerspectiveTransform(src, dst);

  // A hand holding it: a skin-toned blob under the lower part of the surface.
  const cv::Point2f hand = dst[3] * 0.6f + dst[2] * 0.2f + dst[0] * 0.2f;
  cv::ellipse(scene, hand,
              cv::Size(static_cast<int>(cv::norm(dst[2] - dst[3]) * 0.45),
                       static_cast<int>(cv::norm(dst[2] - dst[3]) * 0.35)),
              r.uni(-30, 30), 0, 360,
              cv::Scalar(0.42 * light.at<float>(big.height / 2, big.width / 2)), cv::FILLED,
              cv::LINE_AA);

  cv::Mat rad_w, alpha_w;
  cv::warpPerspective(surf.radiance, rad_w, Hm, big, cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  cv::warpPerspective(surf.alpha, alpha_w, Hm, big, cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  cv::Mat on_surface = s.card ? rad_w.mul(light) : rad_w + s.veil * light;
  scene = scene.mul(1 - alpha_w) + on_surface.mul(alpha_w);

  if (!s.card && s.bloom > 0) {  // a bright backlight glows into the dark modules around it
    cv::Mat glow;
    cv::GaussianBlur(rad_w.mul(alpha_w), glow, cv::Size(), big.height * 0.012);
    scene += s.bloom * glow;
  }
  if (s.glare > 0) {  // specular reflection of a ceiling light on the glass or lamination
    cv::Point2f c(0, 0);
    for (auto p : code_dst) c += p * 0.25f;
    const float cw = static_cast<float>(cv::norm(code_dst[1] - code_dst[0]));
    c += cv::Point2f(static_cast<float>(r.uni(-0.3, 0.3) * cw),
                     static_cast<float>(r.uni(-0.3, 0.3) * cw));
    const double rx = s.glare_r * cw, ry = rx * r.uni(0.45, 1.0), th = r.uni(0, CV_PI);
    cv::Mat blob(big, CV_32F);
    for (int y = 0; y < big.height; ++y)
      for (int x = 0; x < big.width; ++x) {
        const double dx = x - c.x, dy = y - c.y;
        const double u = (dx * std::cos(th) + dy * std::sin(th)) / rx;
        const double v = (-dx * std::sin(th) + dy * std::cos(th)) / ry;
        blob.at<float>(y, x) = static_cast<float>(std::exp(-0.5 * std::pow(u * u + v * v, 1.6)));
      }
    scene += (s.glare * surf.glass) * blob.mul(alpha_w);
  }

  // The sensor: area integration of the supersampled scene, lens and motion blur, exposure,
  // noise, then the ISP's gamma (and sometimes its sharpening).
  cv::Mat img;
  cv::resize(scene, img, s.frame, 0, 0, cv::INTER_AREA);
  cv::GaussianBlur(img, img, cv::Size(), s.focus);
  if (s.motion >= 1) {
    const int n = static_cast<int>(std::ceil(s.motion)) | 1;
    cv::Mat kern(n * 2 + 1, n * 2 + 1, CV_32F, cv::Scalar(0));
    const cv::Point2f d(static_cast<float>(std::cos(rad(s.motion_dir)) * s.motion / 2),
                        static_cast<float>(std::sin(rad(s.motion_dir)) * s.motion / 2));
    const cv::Point2f o(static_cast<float>(n), static_cast<float>(n));
    cv::line(kern, (o - d) * 16, (o + d) * 16, 1, 1, cv::LINE_AA, 4);
    kern /= cv::sum(kern)[0];
    cv::filter2D(img, img, -1, kern);
  }
  img *= s.exposure;
  cv::Mat sigma, gauss(img.size(), CV_32F);
  cv::sqrt(cv::max(img, 0) * (0.0006 * s.noise) + 0.00004 * s.noise, sigma);
  r.cv_rng.fill(gauss, cv::RNG::NORMAL, 0, 1);
  img += gauss.mul(sigma);
  cv::min(cv::max(img, 0), 1, img);
  cv::pow(img, 1 / 2.2, img);
  if (s.sharpen > 0) {
    cv::Mat soft;
    cv::GaussianBlur(img, soft, cv::Size(), 1.0);
    img = img + s.sharpen * (img - soft);
  }
  cv::Mat out;
  img.convertTo(out, CV_8U, 255);
  return out;
}

// The mild conditions every shot has: hand-held, a little tilted and rolled, indoor light.
Shot baseline(Rng& r) {
  Shot s;
  s.frame = r.chance(0.65) ? cv::Size(640, 480) : cv::Size(1280, 720);
  s.code_frac = r.uni(0.42, 0.75);
  s.tilt = r.uni(0, 8);
  s.tilt_axis = r.uni(0, 180);
  s.roll = r.uni(-15, 15);
  s.off_x = r.uni(-0.15, 0.15);
  s.off_y = r.uni(-0.12, 0.12);
  s.screen_px_per_module = r.pick(8, 14);
  s.brightness = r.uni(0.9, 1.3);
  s.veil = r.uni(0.01, 0.05);
  s.bloom = r.uni(0.03, 0.1);
  s.motion = r.uni(0, 1.2);
  s.motion_dir = r.uni(0, 180);
  s.focus = r.uni(0.5, 0.9);
  s.exposure = r.uni(0.85, 1.1);
  s.noise = r.uni(0.4, 1.0);  // after the ISP's own noise reduction
  s.sharpen = r.chance(0.5) ? r.uni(0.2, 0.6) : 0;
  s.jpeg = r.pick(70, 86);
  s.bleed = r.uni(0.06, 0.18);
  return s;
}

struct Category {
  const char* name;
  int count;
  void (*apply)(Shot&, Rng&);
};

const Category kCategories[] = {
    {"screen", 12,
     [](Shot& s, Rng& r) {  // older, coarser displays; overdriven backlight
       s.screen_px_per_module = r.pick(5, 9);
       s.code_frac = r.uni(0.35, 0.6);
       s.brightness = r.uni(1.3, 2.0);
       s.bloom = r.uni(0.12, 0.3);
     }},
    {"glare", 12,
     [](Shot& s, Rng& r) {
       s.card = r.chance(0.4);
       s.glare = r.uni(1.2, 4.0);
       s.glare_r = r.uni(0.1, 0.24);
     }},
    {"low_contrast", 12,
     [](Shot& s, Rng& r) {
       if (r.chance(0.5)) {  // dimmed screen under bright ambient light
         s.brightness = r.uni(0.2, 0.4);
         s.veil = r.uni(0.12, 0.3);
       } else {  // faded print on grey stock
         s.card = true;
         s.paper = r.uni(0.55, 0.75);
         s.ink = s.paper * r.uni(0.45, 0.6);
       }
       s.exposure = r.uni(0.5, 0.9);
     }},
    {"dark_mode", 12,
     [](Shot& s, Rng& r) {
       s.dark_mode = true;
       s.brightness = r.uni(0.8, 1.4);
     }},
    {"tilt_15", 8, [](Shot& s, Rng& r) { s.tilt = 15 + r.uni(-2, 2); }},
    {"tilt_30", 8, [](Shot& s, Rng& r) { s.tilt = 30 + r.uni(-2, 2); }},
    {"tilt_45", 10,
     [](Shot& s, Rng& r) {
       s.tilt = 45 + r.uni(-2, 1);
       s.card = r.chance(0.3);
     }},
    {"motion_blur", 12,
     [](Shot& s, Rng& r) {
       s.motion = r.uni(3, 9);
       s.card = r.chance(0.3);
     }},
    {"printed_card", 12,
     [](Shot& s, Rng& r) {
       s.card = true;
       s.tilt = r.uni(0, 12);
       s.jpeg = r.pick(70, 80);
       s.bleed = r.uni(0.1, 0.25);
     }},
    {"combined", 12,
     [](Shot& s, Rng& r) {
       s.card = r.chance(0.4);
       s.dark_mode = !s.card && r.chance(0.3);
       s.tilt = r.uni(15, 40);
       s.motion = r.uni(1.5, 4);
       if (r.chance(0.5)) {
         s.glare = r.uni(1.0, 3.0);
         s.glare_r = r.uni(0.08, 0.18);
       } else if (s.card) {
         s.ink = s.paper * r.uni(0.35, 0.5);
       } else {
         s.brightness = r.uni(0.3, 0.5);
         s.veil = r.uni(0.08, 0.2);
       }
     }},
};

std::uint32_t seed_of(const std::string& category, int index) {
  std::uint32_t h = 2166136261u;  // FNV-1a: stable across platforms, unlike std::hash
  for (char c : category) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return h ^ static_cast<std::uint32_t>(index * 7919);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s PAYLOADS.txt OUTDIR\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1]);
  std::vector<std::string> payloads;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) payloads.push_back(line);
  if (payloads.empty()) {
    std::fprintf(stderr, "%s: no payloads in %s\n", argv[0], argv[1]);
    return 1;
  }
  const fs::path out = argv[2];
  std::size_t bytes = 0, images = 0;
  int c_index = 0;
  for (const Category& c : kCategories) {
    fs::create_directories(out / c.name);
    for (int i = 0; i < c.count; ++i) {
      Rng r(seed_of(c.name, i));
      const std::string& text =
          payloads[static_cast<std::size_t>(i * 7 + c_index * 3) % payloads.size()];
      const cv::Mat modules = gk::camera::render_qr_mat(text, 1, 4);
      if (modules.empty()) {
        std::fprintf(stderr, "%s: payload does not fit a QR code\n", argv[0]);
        return 1;
      }
      Shot s = baseline(r);
      c.apply(s, r);
      const cv::Mat img = render(s, modules, r);
      char name[96];
      std::snprintf(name, sizeof name, "%02d_%dx%d_%s", i, s.frame.width, s.frame.height,
                    s.card ? "card" : "phone");
      const fs::path jpg = out / c.name / (std::string(name) + ".jpg");
      if (!cv::imwrite(jpg.string(), img, {cv::IMWRITE_JPEG_QUALITY, s.jpeg})) {
        std::fprintf(stderr, "%s: cannot write %s\n", argv[0], jpg.c_str());
        return 1;
      }
      std::ofstream(out / c.name / (std::string(name) + ".txt"), std::ios::binary) << text;
      bytes += fs::file_size(jpg);
      ++images;
    }
    ++c_index;
  }
  std::printf("%zu images, %.2f MB\n", images, static_cast<double>(bytes) / 1e6);
  return 0;
}
