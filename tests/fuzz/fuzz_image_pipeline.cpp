// The camera side of a passage: image bytes (what the spool camera and `gatectl scan` read
// from a file) through cv::imdecode as grey, then QrDecoder::decode and decode_stream on
// the view. Inputs that are not an image OpenCV knows are taken as a raw grey frame instead
// (a 4-byte header: width, row padding, then pixels), the form V4L2 frames arrive in, so
// odd sizes and strides reach the decoder's cascade (half scale, inversion, CLAHE) directly.
#include <cstdint>
#include <cstdlib>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <vector>

#include "gk/camera/qr_decoder.hpp"

namespace {
// Decoded images are capped so that a header announcing 60000x60000 pixels is refused by
// OpenCV rather than allocated: the fuzzer's 2 GB RSS limit would report it as a crash,
// while on the kiosk the files come from the camera at a known size.
constexpr int kMaxSide = 1280;  // the largest frame a board's camera delivers (720p)
constexpr std::size_t kMaxPixels = std::size_t{1} << 20;

void decode(gk::camera::QrDecoder& d, const gk::hal::GreyView& v) {
  // A read always names the pass of the cascade that made it (benchmarks and logs rely on it).
  if (d.decode(v).empty() != d.last_pass().empty()) __builtin_trap();
  if (d.decode_stream(v).empty() != d.last_pass().empty()) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Read by OpenCV on first use of imgcodecs, hence before any input.
  setenv("OPENCV_IO_MAX_IMAGE_WIDTH", std::to_string(kMaxSide).c_str(), 1);
  setenv("OPENCV_IO_MAX_IMAGE_HEIGHT", std::to_string(kMaxSide).c_str(), 1);
  setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(kMaxPixels).c_str(), 1);
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  cv::setNumThreads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static gk::camera::QrDecoder decoder;  // one for the daemon's lifetime, as on the kiosk
  const cv::Mat bytes(1, static_cast<int>(size), CV_8UC1, const_cast<std::uint8_t*>(data));
  const cv::Mat grey = size ? cv::imdecode(bytes, cv::IMREAD_GRAYSCALE) : cv::Mat();
  if (!grey.empty()) {
    if (grey.type() != CV_8UC1 || grey.cols > kMaxSide || grey.rows > kMaxSide) __builtin_trap();
    decode(decoder, {grey.data, grey.cols, grey.rows, static_cast<int>(grey.step)});
    return 0;
  }
  if (size < 5) return 0;
  const int width = 1 + (data[0] | data[1] << 8) % 1280;
  const int stride = width + data[2] % 16;
  const std::size_t pixels = size - 4;
  if (pixels < static_cast<std::size_t>(width)) return 0;
  // Rows that fit entirely: the last row needs only `width` bytes, not a whole stride.
  const int height = 1 + static_cast<int>((pixels - static_cast<std::size_t>(width)) /
                                          static_cast<std::size_t>(stride));
  decode(decoder, {data + 4, width, height, stride});
  return 0;
}
