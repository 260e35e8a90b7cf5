#include "gk/camera/qr_decoder.hpp"

#include <zbar.h>

// zxing-cpp 1.4 returns text as UTF-8 only with this set (its default is still std::wstring).
#define ZX_USE_UTF8 1
#include <ZXing/ReadBarcode.h>

#include <iterator>
#include <opencv2/imgproc.hpp>

#include "gk/camera/image_file.hpp"

// zbar.h declares its C API inside namespace zbar when compiled as C++.
using namespace zbar;  // NOLINT(google-build-using-namespace)

namespace gk::camera {
namespace {

cv::Mat as_mat(const hal::GreyView& v) {
  // Non-owning: OpenCV wraps the camera's buffer as it is.
  return cv::Mat(v.height, v.width, CV_8UC1, const_cast<std::uint8_t*>(v.data),
                 static_cast<std::size_t>(v.stride));
}

// zxing-cpp on the same grey pixels (no copy). It finds the three finder patterns and samples
// the grid through a perspective transform, where ZBar 0.23 loses most codes tilted by 30-45
// degrees (tests/corpus: tilt_30, tilt_45), at a fraction of a ZBar pass's time.
std::vector<std::string> zxing_scan(const cv::Mat& grey) {
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  hints.setTryHarder(true);
  hints.setTryRotate(false);  // the finder patterns already give the orientation for QR
  const ZXing::ImageView view(grey.data, grey.cols, grey.rows, ZXing::ImageFormat::Lum,
                              static_cast<int>(grey.step));
  const ZXing::Result r = ZXing::ReadBarcode(view, hints);
  if (!r.isValid()) return {};
  return {r.text()};
}

}  // namespace

// RAII over zbar_image_scanner_t, configured for QR only: other symbologies cost time
// and produce false reads from text and patterns in the scene.
// ZBar 0.23 keeps every QR symbol it decoded in the scanner's recycle buckets and never reuses
// them (mchehab/zbar#258): 336 bytes per read, held until the scanner is destroyed, which on a
// kiosk decoding all day is never (found by tests/soak). So the scanner is replaced after
// kReadsPerScanner reads, which bounds that memory at a few kilobytes.
struct QrDecoder::Scanner {
  static constexpr int kReadsPerScanner = 64;

  Scanner() { open(); }
  ~Scanner() { zbar_image_scanner_destroy(s); }
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  void open() {
    s = zbar_image_scanner_create();
    zbar_image_scanner_set_config(s, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(s, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
  }

  std::vector<std::string> scan(const cv::Mat& grey) {
    cv::Mat contiguous = grey.isContinuous() ? grey : grey.clone();
    zbar_image_t* img = zbar_image_create();
    zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(img, static_cast<unsigned>(contiguous.cols),
                        static_cast<unsigned>(contiguous.rows));
    zbar_image_set_data(img, contiguous.data, contiguous.total(), nullptr);
    std::vector<std::string> out;
    if (zbar_scan_image(s, img) > 0) {
      for (const zbar_symbol_t* sym = zbar_image_first_symbol(img); sym;
           sym = zbar_symbol_next(sym)) {
        if (zbar_symbol_get_type(sym) != ZBAR_QRCODE) continue;
        out.emplace_back(zbar_symbol_get_data(sym), zbar_symbol_get_data_length(sym));
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

QrDecoder::QrDecoder(DecoderOptions options)
    : scanner_(std::make_unique<Scanner>()),
      clahe_(cv::createCLAHE(3.0, cv::Size(8, 8))),
      options_(options) {}
QrDecoder::~QrDecoder() = default;
QrDecoder::QrDecoder(QrDecoder&&) noexcept = default;
QrDecoder& QrDecoder::operator=(QrDecoder&&) noexcept = default;

namespace {
// zxing: one zxing-cpp read of the frame as it is; zbar: ZBar at half scale (full for small
// frames); inverted, equalized: ZBar on the inverted or CLAHE-equalized half; full: ZBar at
// full scale; zxing_hard: zxing-cpp on the inverted and on the equalized full frame.
enum class Pass { zxing, zbar, inverted, equalized, full, zxing_hard };
}  // namespace

// zxing-cpp goes first: on the same frames it is 3-8x faster than one ZBar pass and reads
// tilted codes, so a plain code costs one zxing read (tests/bench/run.sh decoder: live 1280x720
// with a code went from 64 to 157 frames/s, 640x480 from 76 to 438 in the same session); ZBar
// still reads what zxing-cpp 1.4 does not: blur, glare, low contrast (tests/corpus).
std::vector<std::string> QrDecoder::decode(const hal::GreyView& frame) {
  return run(frame, {int(Pass::zxing), int(Pass::zbar), int(Pass::inverted), int(Pass::equalized),
                     int(Pass::full), int(Pass::zxing_hard)});
}

// ZBar at full scale is not in the turn: the zxing read of every frame is at full scale.
std::vector<std::string> QrDecoder::decode_stream(const hal::GreyView& frame) {
  static constexpr Pass kTurn[] = {Pass::zbar, Pass::inverted, Pass::equalized, Pass::zxing_hard};
  // Without zxing-cpp (options), ZBar at half scale is the pass every frame gets.
  const Pass every_frame = options_.try_zxing ? Pass::zxing : Pass::zbar;
  return run(frame, {int(every_frame), int(kTurn[turn_++ % std::size(kTurn)])});
}

std::vector<std::string> QrDecoder::run(const hal::GreyView& frame,
                                        std::initializer_list<int> passes) {
  last_pass_.clear();
  if (!frame.data || frame.width <= 0 || frame.height <= 0) return {};
  const cv::Mat full = as_mat(frame);
  cv::Mat work = full;
  // A frame one row high (a strip from the spool, a truncated file) has no half: resizing it
  // to zero rows would throw out of cv::resize and end the daemon (found by fuzzing).
  if (options_.half_scale_first && full.cols >= 960 && full.rows >= 2)
    cv::resize(full, work, cv::Size(full.cols / 2, full.rows / 2), 0, 0, cv::INTER_AREA);

  auto attempt = [&](const cv::Mat& m, const char* name) {
    auto r = scanner_->scan(m);
    if (!r.empty()) last_pass_ = name;
    return r;
  };
  for (int p : passes) {
    std::vector<std::string> r;
    switch (static_cast<Pass>(p)) {
      case Pass::zxing:
        if (options_.try_zxing) {
          r = zxing_scan(full);
          if (!r.empty()) last_pass_ = "zxing";
        }
        break;
      case Pass::zbar:
        r = attempt(work, work.cols == full.cols ? "full" : "half");
        break;
      case Pass::inverted:
        if (options_.try_inverted) {
          cv::Mat inv;
          cv::bitwise_not(work, inv);
          r = attempt(inv, "inverted");
        }
        break;
      case Pass::equalized:
        if (options_.try_equalized) {
          cv::Mat eq;
          clahe_->apply(work, eq);
          r = attempt(eq, "equalized");
        }
        break;
      case Pass::full:
        if (options_.try_full_scale && work.cols != full.cols) r = attempt(full, "full");
        break;
      case Pass::zxing_hard:
        // On the full frame: a tilted code's far side has the smallest modules. zxing-cpp 1.4
        // does not invert by itself, so a dark-mode screen held at an angle needs its own
        // try; CLAHE then helps it through glare and low contrast as it helps ZBar.
        if (options_.try_zxing) {
          cv::Mat m;
          cv::bitwise_not(full, m);
          r = zxing_scan(m);
          if (!r.empty()) {
            last_pass_ = "zxing-inverted";
            break;
          }
          clahe_->apply(full, m);
          r = zxing_scan(m);
          if (!r.empty()) last_pass_ = "zxing-equalized";
        }
        break;
    }
    if (!r.empty()) return r;
  }
  return {};
}

std::vector<std::string> raw_zbar_decode(const hal::GreyView& frame) {
  DecoderOptions none{false, false, false, false, false};
  QrDecoder d(none);
  return d.decode(frame);
}

std::vector<std::string> raw_zxing_decode(const hal::GreyView& frame) {
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  const ZXing::ImageView view(frame.data, frame.width, frame.height, ZXing::ImageFormat::Lum,
                              frame.stride);
  const ZXing::Result r = ZXing::ReadBarcode(view, hints);
  if (!r.isValid()) return {};
  return {r.text()};
}

std::vector<std::string> scan_image_file(const std::filesystem::path& file, std::string* error) {
  std::string why;
  cv::Mat grey = read_grey_image(file, &why);
  if (grey.empty()) {
    if (error) *error = file.string() + ": " + why;
    return {};
  }
  QrDecoder decoder;
  return decoder.decode({grey.data, grey.cols, grey.rows, static_cast<int>(grey.step)});
}

}  // namespace gk::camera
