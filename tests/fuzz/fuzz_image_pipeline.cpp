// The camera side of a passage: image bytes (what the spool camera and `gatectl scan` read
// from a file) through decode_grey_image (header sniffed and bounded, then libpng or
// libjpeg-turbo), then QrDecoder::decode and decode_stream on the view. Inputs refused as
// images are taken as a raw grey frame instead (a 4-byte header: width, row padding, then
// pixels), the form V4L2 frames arrive in, so odd sizes and strides reach the decoder's
// cascade (half scale, inversion, CLAHE) directly.
#include <cstdint>
#include <cstdlib>
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <vector>

#include "gk/camera/image_file.hpp"
#include "gk/camera/qr_decoder.hpp"

namespace {
// The limits are the product's own check (decode_grey_image sniffs the header before
// OpenCV allocates); OpenCV's environment limits are deliberately not set, so that a header
// the sniffing misreads shows up as the fuzzer's out-of-memory or as the trap below.
constexpr int kMaxSide = 1280;  // the largest frame a board's camera delivers (720p)
constexpr std::size_t kMaxPixels = std::size_t{1} << 20;

void decode(gk::camera::QrDecoder& d, const gk::hal::GreyView& v) {
  // A read always names the pass of the cascade that made it (benchmarks and logs rely on it).
  if (d.decode(v).empty() != d.last_pass().empty()) __builtin_trap();
  if (d.decode_stream(v).empty() != d.last_pass().empty()) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  cv::setNumThreads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static gk::camera::QrDecoder decoder;  // one for the daemon's lifetime, as on the kiosk
  gk::camera::ImageLimits limits;
  limits.max_side = kMaxSide;
  limits.max_pixels = kMaxPixels;
  std::string why;
  const cv::Mat grey = gk::camera::decode_grey_image({data, size}, &why, limits);
  if (grey.empty() && why.empty()) __builtin_trap();  // every refusal says why
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
