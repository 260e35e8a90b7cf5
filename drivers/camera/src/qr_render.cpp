#include "gk/camera/qr_render.hpp"

#include <qrencode.h>

#include <memory>

#include "gk/camera/image_file.hpp"

namespace gk::camera {

cv::Mat render_qr_mat(const std::string& text, int module_px, int quiet_zone, int* version) {
  // Case-sensitive 8-bit mode off: libqrencode then picks alphanumeric mode for our
  // base45 passes by itself, which is what keeps them within version 10.
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), &QRcode_free);
  if (!code) return {};
  if (version) *version = code->version;
  const int w = code->width;
  const int size = (w + 2 * quiet_zone) * module_px;
  cv::Mat img(size, size, CV_8UC1, cv::Scalar(255));
  for (int y = 0; y < w; ++y)
    for (int x = 0; x < w; ++x)
      if (code->data[y * w + x] & 1)
        img(cv::Rect((x + quiet_zone) * module_px, (y + quiet_zone) * module_px, module_px,
                     module_px))
            .setTo(0);
  return img;
}

std::string render_qr_png(const std::string& text, const std::filesystem::path& file, int module_px,
                          int quiet_zone) {
  cv::Mat img = render_qr_mat(text, module_px, quiet_zone);
  if (img.empty()) return "text does not fit in a QR code";
  return write_png(img, file);
}

}  // namespace gk::camera
