#include "gk/camera/qr_decoder.hpp"

#include <zbar.h>

// zxing-cpp 1.4 returns text as UTF-8 only with this set (its default is still std::wstring).
#define ZX_USE_UTF8 1
#include <ZXing/ReadBarcode.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <opencv2/imgproc.hpp>

#include "gk/camera/image_file.hpp"

// zbar.h declares its C API inside namespace zbar when compiled as C++.
using namespace zbar;  // NOLINT(google-build-using-namespace)

namespace gk::camera {

Point QrCode::centre() const {
  Point c;
  for (const auto& p : corners) {
    c.x += p.x / 4;
    c.y += p.y / 4;
  }
  return c;
}

std::vector<std::string> texts(const std::vector<QrCode>& codes) {
  std::vector<std::string> out;
  out.reserve(codes.size());
  for (const auto& c : codes) out.push_back(c.text);
  return out;
}

namespace {

cv::Mat as_mat(const hal::GreyView& v) {
  // Non-owning: OpenCV wraps the camera's buffer as it is.
  return cv::Mat(v.height, v.width, CV_8UC1, const_cast<std::uint8_t*>(v.data),
                 static_cast<std::size_t>(v.stride));
}

// zxing-cpp's ReadBarcodes on grey pixels, as its authors intend it for a still frame: QR
// only, no rotations (a QR code's finder patterns give its orientation, so rotating the image
// only repeats the search). The pyramid is ours (passes at set scales), so its own
// downscaling is off. `harder` is its try-harder search (every row scanned for finder
// patterns, not every few): on tests/corpus/photos the full frame without it reads 123
// images for 7.5 ms against 131 for 9.1 ms with it, so the cheap search runs first and the
// thorough one later on the sharpened frame. `scale` maps the pixels back to the frame's.
// ReadBarcode, not ReadBarcodes, returns the first symbol of the first layer only: on screens
// photographed by a phone that is nothing (../FACTS.md).
std::vector<QrCode> zxing_read(const cv::Mat& grey, ZXing::Binarizer binarizer, bool harder,
                               float scale) {
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode)
      .setTryHarder(harder)
      .setTryRotate(false)
      .setTryDownscale(false)
      .setBinarizer(binarizer);
  const ZXing::ImageView view(grey.data, grey.cols, grey.rows, ZXing::ImageFormat::Lum,
                              static_cast<int>(grey.step));
  std::vector<QrCode> out;
  for (const ZXing::Result& r : ZXing::ReadBarcodes(view, hints)) {
    if (!r.isValid()) continue;
    QrCode c{r.text(), {}};
    for (int i = 0; i < 4; ++i)
      c.corners[i] = {static_cast<float>(r.position()[i].x) * scale,
                      static_cast<float>(r.position()[i].y) * scale};
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

// RAII over zbar_image_scanner_t, configured for QR only: other symbologies cost time
// and produce false reads from text and patterns in the scene.
// ZBar 0.23 keeps every QR symbol it decoded in the scanner's recycle buckets and never reuses
// them (mchehab/zbar#258): 336 bytes per read, held until the scanner is destroyed, which on a
// kiosk decoding all day is never (found by tests/soak). So the scanner is replaced after
// kReadsPerScanner reads, which bounds that memory at a few kilobytes.
namespace {
struct ZbarScanner {
  static constexpr int kReadsPerScanner = 64;

  ZbarScanner() { open(); }
  ~ZbarScanner() { zbar_image_scanner_destroy(s); }
  ZbarScanner(const ZbarScanner&) = delete;
  ZbarScanner& operator=(const ZbarScanner&) = delete;

  void open() {
    s = zbar_image_scanner_create();
    zbar_image_scanner_set_config(s, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(s, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
  }

  std::vector<QrCode> scan(const cv::Mat& grey, float scale) {
    cv::Mat contiguous = grey.isContinuous() ? grey : grey.clone();
    zbar_image_t* img = zbar_image_create();
    zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(img, static_cast<unsigned>(contiguous.cols),
                        static_cast<unsigned>(contiguous.rows));
    zbar_image_set_data(img, contiguous.data, contiguous.total(), nullptr);
    std::vector<QrCode> out;
    if (zbar_scan_image(s, img) > 0) {
      for (const zbar_symbol_t* sym = zbar_image_first_symbol(img); sym;
           sym = zbar_symbol_next(sym)) {
        if (zbar_symbol_get_type(sym) != ZBAR_QRCODE) continue;
        QrCode c{std::string(zbar_symbol_get_data(sym), zbar_symbol_get_data_length(sym)), {}};
        // ZBar gives a QR symbol's four corners; anything else, its points' bounding corners.
        const unsigned n = zbar_symbol_get_loc_size(sym);
        for (unsigned i = 0; i < 4 && n > 0; ++i) {
          const unsigned k = i < n ? i : n - 1;
          c.corners[i] = {static_cast<float>(zbar_symbol_get_loc_x(sym, k)) * scale,
                          static_cast<float>(zbar_symbol_get_loc_y(sym, k)) * scale};
        }
        out.push_back(std::move(c));
      }
    }
    zbar_image_destroy(img);
    if (!out.empty() && ++reads_ >= kReadsPerScanner) {
      zbar_image_scanner_destroy(s);  // frees the recycle buckets
      open();
      reads_ = 0;
    }
    return out;
  }

  zbar_image_scanner_t* s = nullptr;
  int reads_ = 0;
};
}  // namespace

struct QrDecoder::Scanner : ZbarScanner {};

// One read of the cascade: an engine on the frame scaled by 1/divisor, optionally prepared.
struct QrDecoder::Pass {
  enum class Engine { zxing, zbar } engine;
  int divisor;  // 1: full frame; 3: a third of each side (INTER_AREA)
  ZXing::Binarizer binarizer;
  bool harder;  // zxing-cpp's try-harder finder search
  enum class Prep { none, inverted, equalized, sharpened } prep;
  const char* name;
};

namespace {
using Pass = QrDecoder::Pass;
using ZXing::Binarizer;
using Engine = Pass::Engine;
using Prep = Pass::Prep;
// Why each pass, and why in this place: every pass was measured alone on every image of
// tests/corpus/photos (hits, and CPU ms per image at up to 1920 px), and the order is the one
// that reads the most per millisecond spent on the images the earlier passes left; a pass
// that reads only what another reads, or reads one image for many ms, is not here.
// - zxing-cpp at a quarter (140 images alone, 1.1 ms with the frame already scaled, 2 ms
//   with the scaling): the cheapest pass that reads the most, so it goes first; in a 1080p
//   frame a version-5 e-pass (37 modules) filling a fifth of the width still has modules of
//   2.6 px there, and denser or smaller codes fall to the later passes. Put after
//   the third it read only 6 more, but first it takes 78 of the images the third and the
//   full frame read later for 2 to 6 times the cost: `gatectl scan` CPU 1.49 -> 1.44x raw
//   zxing-cpp (tests/bench/camera/scan.sh, old and new binaries in one run), same 204 reads;
// - zxing-cpp at a third (119 images, 2.7 ms): phone screens photographed by a camera carry
//   a moire from their pixel grid that the full frame's binariser turns into noise and a
//   third of the frame averages away (every `monitor` photo is read there, none at full
//   scale); codes that fill the frame are read there too;
// - zxing-cpp on the full frame without try-harder (123, 7.5 ms): small and dense codes, at
//   four fifths of the try-harder search's cost;
// - ZBar at a quarter (92, 6.7 ms): its scan-line detector reads blurred, curved and glared
//   codes that zxing-cpp 1.4's finder-pattern search misses, and a quarter is its cheapest
//   scale that still does (+19 after the two above; at full scale ZBar costs 68 ms);
// - zxing-cpp, try-harder, on the unsharp-masked full frame (124, 11.8 ms): blur and fine
//   modules; +13 after the passes above, more than any other pass at its cost;
// - zxing-cpp with its global-histogram binariser at a quarter: codes under shadows and
//   uneven light that the local-average binariser splits;
// - zxing-cpp on the inverted third: dark-mode screens (zxing-cpp 1.4 does not invert);
// - zxing-cpp on the contrast-equalised (CLAHE) third: glare and washed-out screens;
// - ZBar at a third last: what its quarter missed for want of pixels (dense codes).
// Each pass but the inverted third reads images on tests/corpus/photos that no other pass
// reads (leaving any other out lost 1 to 8 images). The still cascade is not gated by the
// finder scan (finder_gate.cpp): the photos no pass reads do hold codes and nearly all show a
// confirmed finder, so skipping the passes after the first two on a frame without one saved
// under a tenth of the cost and lost 8 of 202 images; asking for three finders placed as one
// code after the first pass lost 27.
constexpr Pass kThird{Engine::zxing, 3, Binarizer::LocalAverage, true, Prep::none, "zxing/3"};
constexpr Pass kQuarter{Engine::zxing, 4, Binarizer::LocalAverage, true, Prep::none, "zxing/4"};
constexpr Pass kFull{Engine::zxing, 1, Binarizer::LocalAverage, false, Prep::none, "zxing"};
constexpr Pass kZbarQuarter{Engine::zbar, 4, Binarizer::LocalAverage, false, Prep::none, "zbar/4"};
constexpr Pass kSharpened{Engine::zxing,    1, Binarizer::LocalAverage, true, Prep::sharpened,
                          "zxing-sharpened"};
constexpr Pass kHistogramQuarter{Engine::zxing, 4,          Binarizer::GlobalHistogram,
                                 true,          Prep::none, "zxing-histogram/4"};
constexpr Pass kInvertedThird{Engine::zxing,     3, Binarizer::LocalAverage, true, Prep::inverted,
                              "zxing-inverted/3"};
constexpr Pass kEqualizedThird{
    Engine::zxing, 3, Binarizer::LocalAverage, true, Prep::equalized, "zxing-equalized/3"};
constexpr Pass kZbarThird{Engine::zbar, 3, Binarizer::LocalAverage, false, Prep::none, "zbar/3"};

constexpr const Pass* kStill[] = {&kQuarter,       &kThird,          &kFull,
                                  &kZbarQuarter,   &kSharpened,      &kHistogramQuarter,
                                  &kInvertedThird, &kEqualizedThird, &kZbarThird};
// Live video: after the gate, the third on every frame, then one of these in turn, each about
// one or two full reads' cost. A code in view meets every pass of the still cascade within
// three frames (the bound; at 30 fps, 100 ms).
struct Turn {
  const Pass* passes[5];
  std::size_t n;
};
constexpr Turn kTurn[] = {
    {{&kThird, &kFull, &kZbarQuarter}, 3},
    {{&kThird, &kSharpened, &kHistogramQuarter, &kInvertedThird, &kEqualizedThird}, 5},
    {{&kThird, &kZbarThird}, 2},
};

// A scaled frame smaller than this on its short side is not worth a pass of its own: the full
// frame's pass sees the same modules. Nor is a scale that would leave a QR module of a
// typical phone-held code below a pixel.
constexpr int kMinScaledSide = 240;

// The prepared copy of a scaled frame a pass reads.
void prepare(const cv::Mat& in, Prep prep, cv::Mat& out) {
  switch (prep) {
    case Prep::none:
      out = in;
      break;
    case Prep::inverted:
      cv::bitwise_not(in, out);
      break;
    case Prep::equalized:
      cv::createCLAHE(3.0, cv::Size(8, 8))->apply(in, out);
      break;
    case Prep::sharpened: {
      // Unsharp mask, 1 px Gaussian, 1.5 times the detail added back: restores the module
      // edges that focus blur and JPEG soften. Measured against a 2 px mask (127 images,
      // 13.1 ms) and a 3 px one (126, 16.9 ms): this one read as many for the least.
      cv::Mat blurred;
      cv::GaussianBlur(in, blurred, cv::Size(0, 0), 1.0);
      cv::addWeighted(in, 2.5, blurred, -1.5, 0, out);
      break;
    }
  }
}
}  // namespace

QrDecoder::QrDecoder(DecoderOptions options)
    : scanner_(std::make_unique<Scanner>()), options_(options) {}
QrDecoder::~QrDecoder() = default;
QrDecoder::QrDecoder(QrDecoder&&) noexcept = default;
QrDecoder& QrDecoder::operator=(QrDecoder&&) noexcept = default;

std::vector<QrCode> QrDecoder::decode(const hal::GreyView& frame) {
  auto r = run(frame, kStill, std::size(kStill));
  if (!r.empty()) return r;
  return read_regions(frame);
}

// The last resort of the still cascade: where the finder scan places a code, that region
// alone, scaled so its modules are about kCropModulePx wide, read by zxing-cpp with
// try-harder. On the full frame zxing-cpp's finder search and binariser work at the frame's
// scale: a small or far code has modules of 1 to 2 px that its local-average blocks smear,
// and in a scene of many codes (`lots`) a crop keeps the others' finders out of its
// pairing. Measured on tests/corpus/photos after the whole cascade: +2 images (one in
// `lots`). Tried and left out, as they read nothing more there or cost more than they read:
// ZBar, the sharpened, inverted, equalised and global-histogram crops, 6 px modules, eight
// regions instead of two, and the crops placed before the costlier full-frame passes (the
// same images read, more often twice the work) or instead of them on frames with a region
// (17 images lost: the scan's region is not always the code's).
std::vector<QrCode> QrDecoder::read_regions(const hal::GreyView& frame) {
  constexpr float kCropModulePx = 4;
  constexpr float kMaxUpscale = 4;
  constexpr float kMaxCropPx = 1e6F;  // bounds one crop's read at about a full frame's
  constexpr std::size_t kMaxRegions = 2;
  const cv::Mat full = as_mat(frame);
  std::vector<cv::Rect> done;
  for (const FinderCode& f : finder_codes(frame)) {
    const cv::Rect r = cv::Rect(cv::Point(static_cast<int>(f.x0), static_cast<int>(f.y0)),
                                cv::Point(static_cast<int>(f.x1), static_cast<int>(f.y1))) &
                       cv::Rect(0, 0, full.cols, full.rows);
    if (r.width < 21 || r.height < 21) continue;
    // Finders of one code pair with an alignment pattern or with each other in several ways:
    // a region centred inside one already read is the same code again.
    const cv::Point mid(r.x + r.width / 2, r.y + r.height / 2);
    if (std::any_of(done.begin(), done.end(), [&](const cv::Rect& d) { return d.contains(mid); }))
      continue;
    if (done.size() >= kMaxRegions) break;
    done.push_back(r);
    float s = std::min(kCropModulePx / std::max(f.module, 0.5F), kMaxUpscale);
    s = std::min(s, std::sqrt(kMaxCropPx / static_cast<float>(r.area())));
    // Within a third of the target the crop is read as it is: resampling costs more than it
    // gives there.
    if (s > 0.75F && s < 1.34F) s = 1;
    cv::Mat crop;
    if (s == 1)
      crop = full(r);
    else
      cv::resize(full(r), crop, cv::Size(), s, s, s > 1 ? cv::INTER_CUBIC : cv::INTER_AREA);
    std::vector<QrCode> got = zxing_read(crop, Binarizer::LocalAverage, true, 1);
    if (got.empty()) continue;
    for (QrCode& c : got)
      for (Point& p : c.corners) {
        p.x = p.x / s + static_cast<float>(r.x);
        p.y = p.y / s + static_cast<float>(r.y);
      }
    last_pass_ = "zxing-region";
    return got;
  }
  return {};
}

std::vector<QrCode> QrDecoder::decode_stream(const hal::GreyView& frame) {
  last_pass_.clear();
  if (!finder_patterns_in_view(frame)) return {};
  const Turn& t = kTurn[turn_++ % std::size(kTurn)];
  auto r = run(frame, t.passes, t.n);
  if (!r.empty()) turn_ = 0;  // the next code starts its turn from the full read again
  return r;
}

std::vector<QrCode> QrDecoder::run(const hal::GreyView& frame, const Pass* const* passes,
                                   std::size_t n) {
  last_pass_.clear();
  if (!frame.data || frame.width <= 0 || frame.height <= 0) return {};
  const cv::Mat full = as_mat(frame);
  const int short_side = std::min(full.cols, full.rows);
  // Scaled frames are made once per call and shared by the passes that use the same scale.
  cv::Mat scaled[5];
  cv::Mat prepared[5][4];  // by scale and Prep
  // What has run on this frame: a frame too small to scale has its scaled passes run on the
  // full frame, where one may repeat a read already made (same engine, binariser and prep,
  // no more effort), which is then skipped.
  struct Ran {
    Pass::Engine engine;
    int divisor;
    Binarizer binarizer;
    bool harder;
    Pass::Prep prep;
  };
  std::vector<Ran> ran;
  for (std::size_t i = 0; i < n; ++i) {
    const Pass& p = *passes[i];
    if (p.engine == Pass::Engine::zxing && !options_.try_zxing) continue;
    if (p.engine == Pass::Engine::zbar && !options_.try_zbar) continue;
    const int d = p.divisor > 1 && short_side / p.divisor < kMinScaledSide ? 1 : p.divisor;
    const bool repeat = std::any_of(ran.begin(), ran.end(), [&](const Ran& r) {
      return r.engine == p.engine && r.divisor == d && r.binarizer == p.binarizer &&
             r.prep == p.prep && (r.harder || !p.harder || p.engine == Pass::Engine::zbar);
    });
    if (repeat) continue;
    ran.push_back({p.engine, d, p.binarizer, p.harder, p.prep});
    cv::Mat& m = scaled[d];
    if (m.empty()) {
      if (d == 1)
        m = full;
      else
        cv::resize(full, m, cv::Size(full.cols / d, full.rows / d), 0, 0, cv::INTER_AREA);
    }
    const cv::Mat* input = &m;
    if (p.prep != Pass::Prep::none) {
      cv::Mat& q = prepared[d][static_cast<int>(p.prep)];
      if (q.empty()) prepare(m, p.prep, q);
      input = &q;
    }
    // The scaled frame's pixel (x, y) covers the full frame's (x*sx, y*sy).
    const float sx = static_cast<float>(full.cols) / static_cast<float>(input->cols);
    std::vector<QrCode> r = p.engine == Pass::Engine::zxing
                                ? zxing_read(*input, p.binarizer, p.harder, sx)
                                : scanner_->scan(*input, sx);
    if (!r.empty()) {
      // A scaled pass that ran on the full frame is named without its scale.
      last_pass_ = d == p.divisor ? std::string(p.name)
                                  : std::string(p.name).substr(0, std::string(p.name).find('/'));
      return r;
    }
  }
  return {};
}

std::vector<QrCode> raw_zbar_decode(const hal::GreyView& frame) {
  if (!frame.data || frame.width <= 0 || frame.height <= 0) return {};
  return ZbarScanner().scan(as_mat(frame), 1.0F);
}

std::vector<QrCode> raw_zxing_decode(const hal::GreyView& frame) {
  if (!frame.data || frame.width <= 0 || frame.height <= 0) return {};
  ZXing::DecodeHints hints;  // its defaults: try harder, rotations, downscaling
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  const ZXing::ImageView view(frame.data, frame.width, frame.height, ZXing::ImageFormat::Lum,
                              frame.stride);
  std::vector<QrCode> out;
  for (const ZXing::Result& r : ZXing::ReadBarcodes(view, hints)) {
    if (!r.isValid()) continue;
    QrCode c{r.text(), {}};
    for (int i = 0; i < 4; ++i)
      c.corners[i] = {static_cast<float>(r.position()[i].x), static_cast<float>(r.position()[i].y)};
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<QrCode> scan_image_file(QrDecoder& decoder, const std::filesystem::path& file,
                                    std::string* error) {
  std::string why;
  cv::Mat grey = read_grey_image(file, &why);
  if (grey.empty()) {
    if (error) *error = file.string() + ": " + why;
    return {};
  }
  return decoder.decode({grey.data, grey.cols, grey.rows, static_cast<int>(grey.step)});
}

}  // namespace gk::camera
