#pragma once
// QR decoding: ZBar (QR symbology only) behind a small OpenCV preprocessing cascade.
// Frames arrive as non-owning grey views; no copy is made unless a pass needs one.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gk/hal/devices.hpp"

namespace gk::camera {

// Which passes the cascade runs, cheapest first; it stops at the first that reads a code.
struct DecoderOptions {
  bool half_scale_first = true;  // a phone held at the kiosk fills the frame: half is enough
  bool try_inverted = true;      // dark-mode codes (light modules on dark)
  bool try_equalized = true;     // low contrast, glare (CLAHE)
  bool try_full_scale = true;    // small or distant codes
};

class QrDecoder {
 public:
  explicit QrDecoder(DecoderOptions options = {});
  ~QrDecoder();
  QrDecoder(QrDecoder&&) noexcept;
  QrDecoder& operator=(QrDecoder&&) noexcept;

  std::vector<std::string> decode(const hal::GreyView& frame);
  // Which pass read the last code (for benchmarks and logs): "half", "full", ...
  const std::string& last_pass() const { return last_pass_; }

 private:
  struct Scanner;
  std::unique_ptr<Scanner> scanner_;
  DecoderOptions options_;
  std::string last_pass_;
};

// Baseline for benchmarks: one ZBar pass, QR only, over the full frame.
std::vector<std::string> raw_zbar_decode(const hal::GreyView& frame);

// The pipeline `gatectl scan` uses: the image read as grey by OpenCV, then QrDecoder.
// An unreadable file yields an empty list and sets `error`.
std::vector<std::string> scan_image_file(const std::filesystem::path& file, std::string* error = nullptr);

}  // namespace gk::camera
