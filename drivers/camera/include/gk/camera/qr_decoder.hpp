#pragma once
// QR decoding: one zxing-cpp read first (fast, copes with codes held at an angle), then ZBar
// (QR symbology only) behind a small OpenCV preprocessing cascade for what zxing-cpp 1.4
// misses (blur, glare, low contrast), then zxing-cpp again on inverted and equalized frames.
// Frames arrive as non-owning grey views; no copy is made unless a pass needs one.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <initializer_list>
#include <opencv2/imgproc.hpp>

#include "gk/hal/devices.hpp"

namespace gk::camera {

// Which passes the cascade runs; it stops at the first that reads a code.
struct DecoderOptions {
  bool half_scale_first = true;  // ZBar: a phone held at the kiosk fills the frame, half will do
  bool try_inverted = true;      // dark-mode codes (light modules on dark)
  bool try_equalized = true;     // low contrast, glare (CLAHE)
  bool try_full_scale = true;    // small or distant codes
  bool try_zxing = true;         // zxing-cpp: first (plain) and last (inverted, equalized) passes
};

class QrDecoder {
 public:
  explicit QrDecoder(DecoderOptions options = {});
  ~QrDecoder();
  QrDecoder(QrDecoder&&) noexcept;
  QrDecoder& operator=(QrDecoder&&) noexcept;

  // Every pass of the cascade on this frame, until one reads: for single images.
  std::vector<std::string> decode(const hal::GreyView& frame);
  // Live video: the zxing-cpp read on every frame, plus one of the costlier passes in turn
  // (ZBar half scale, inverted, equalized, zxing-cpp inverted + equalized), so a frame without
  // a code costs two passes instead of the whole cascade, and a code held in view meets every
  // pass within four frames.
  std::vector<std::string> decode_stream(const hal::GreyView& frame);
  // Which pass read the last code (for benchmarks and logs): "zxing", "half", "full",
  // "inverted", "equalized", "zxing-inverted", "zxing-equalized"; empty when none read.
  const std::string& last_pass() const { return last_pass_; }

 private:
  std::vector<std::string> run(const hal::GreyView& frame, std::initializer_list<int> passes);
  struct Scanner;
  std::unique_ptr<Scanner> scanner_;
  cv::Ptr<cv::CLAHE> clahe_;
  DecoderOptions options_;
  std::string last_pass_;
  unsigned turn_ = 0;
};

// Baselines for benchmarks: one ZBar pass, QR only, over the full frame; one zxing-cpp
// ReadBarcode, QR only, with its default hints (try harder, try rotations).
std::vector<std::string> raw_zbar_decode(const hal::GreyView& frame);
std::vector<std::string> raw_zxing_decode(const hal::GreyView& frame);

// The pipeline `gatectl scan` uses: the image read as grey by OpenCV, then QrDecoder.
// An unreadable file yields an empty list and sets `error`.
std::vector<std::string> scan_image_file(const std::filesystem::path& file,
                                         std::string* error = nullptr);

}  // namespace gk::camera
