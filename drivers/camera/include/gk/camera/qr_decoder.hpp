#pragma once
// QR decoding, for still images and for live video. Both are a cascade of reads by zxing-cpp
// 1.4 (ReadBarcodes, QR only) and ZBar 0.23 (QR only) over a small image pyramid; the
// cascade stops at the first read that finds a code. The order comes from real photographs
// (tests/corpus/photos): a third of the frame first, then the full frame, ZBar at a quarter,
// the sharpened full frame, then the other binariser, the inverted (dark-mode) and the
// equalised frame, and ZBar at a third (qr_decoder.cpp gives each pass's figures). On video a cheap
// finder-pattern gate runs first, so that an empty lane costs a scan of the frame and no read at
// all. Frames arrive as non-owning grey views; no copy is made unless a pass needs one.
#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gk/hal/devices.hpp"

namespace gk::camera {

struct Point {
  float x = 0, y = 0;
};

// One code read: its text and its four corners in the frame's pixels (the order the decoder
// gave them; the centre is what scoring and logs use).
struct QrCode {
  std::string text;
  std::array<Point, 4> corners{};
  Point centre() const;
};
std::vector<std::string> texts(const std::vector<QrCode>& codes);

struct DecoderOptions {
  bool try_zbar = true;   // ZBar's passes (tests that need one engine only turn it off)
  bool try_zxing = true;  // zxing-cpp's passes
};

class QrDecoder {
 public:
  explicit QrDecoder(DecoderOptions options = {});
  ~QrDecoder();
  QrDecoder(QrDecoder&&) noexcept;
  QrDecoder& operator=(QrDecoder&&) noexcept;

  // Every pass of the cascade on this frame until one reads: for single images.
  std::vector<QrCode> decode(const hal::GreyView& frame);
  // Live video: the finder-pattern gate; when it sees candidate finder patterns, the cheap
  // read (a third of the frame) and the costlier passes in a turn of three, so that a code
  // held in view meets every pass of the still cascade within three frames.
  std::vector<QrCode> decode_stream(const hal::GreyView& frame);
  // Which pass read the last code (for benchmarks and logs), e.g. "zxing/3", "zxing",
  // "zbar/4", "zxing-sharpened", "zxing-inverted/3", "zxing-region"; empty when none read.
  const std::string& last_pass() const { return last_pass_; }

  struct Pass;

 private:
  std::vector<QrCode> run(const hal::GreyView& frame, const Pass* const* passes, std::size_t n);
  std::vector<QrCode> read_regions(const hal::GreyView& frame);
  struct Scanner;
  std::unique_ptr<Scanner> scanner_;
  DecoderOptions options_;
  std::string last_pass_;
  unsigned turn_ = 0;
};

// Whether the frame shows three finder patterns arranged as one QR code's corners (the
// 1:1:3:1:1 rings, either polarity), found on every third row with a local threshold and
// checked down the column. About 3.5 ms at 1920x1080 on noise: the live path's gate.
bool finder_patterns_in_view(const hal::GreyView& frame);

// Where the same scan, run over the whole frame, finds three finders placed as one code: the
// region that code would cover with its quiet zone (frame pixels, not clipped to the frame)
// and the module size its finders measured. In the order their third finder was confirmed.
struct FinderCode {
  float x0, y0, x1, y1;
  float module;
};
std::vector<FinderCode> finder_codes(const hal::GreyView& frame);

// Baselines for tests and benchmarks, as a new user would call each library: one ZBar scan,
// QR only, of the full frame; one zxing-cpp 1.4 ReadBarcodes, QR only, its default hints.
std::vector<QrCode> raw_zbar_decode(const hal::GreyView& frame);
std::vector<QrCode> raw_zxing_decode(const hal::GreyView& frame);

// The pipeline `gatectl scan` uses: the image read as grey, then `decoder.decode`.
// An unreadable file yields an empty list and sets `error`.
std::vector<QrCode> scan_image_file(QrDecoder& decoder, const std::filesystem::path& file,
                                    std::string* error = nullptr);

}  // namespace gk::camera
