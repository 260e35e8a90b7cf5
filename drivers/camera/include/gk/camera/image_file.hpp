#pragma once
// Still images from files (the spool and folder cameras, `gatectl scan`): read with a size
// cap, the pixel size taken from the header and checked *before* OpenCV decodes. OpenCV
// alone would allocate whatever the header announces, up to a gigapixel (a few hundred
// bytes of PNG can announce 30000x30000), and would hand unknown formats to every codec it
// was built with (TIFF, JPEG 2000, OpenEXR, GDAL...). Only PNG, JPEG, BMP and PNM pass:
// the formats a camera spool, a phone screenshot or a test fixture use.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <opencv2/core/mat.hpp>
#include <optional>
#include <span>
#include <string>

namespace gk::camera {

struct ImageLimits {
  std::size_t max_file_bytes = std::size_t{32} << 20;
  int max_side = 4096;                                // a 4K camera frame is 3840x2160
  std::size_t max_pixels = std::size_t{4096} * 4096;  // 16.7 MP, 16 MiB as grey
};

struct ImageSize {
  int width = 0;
  int height = 0;
};

// The width and height an image's header announces, for PNG, JPEG, BMP and PNM (P1-P6);
// nullopt for anything else or a truncated header, with the reason in *why.
std::optional<ImageSize> sniff_image_size(std::span<const std::uint8_t> bytes, std::string* why);

// Decodes to 8-bit grey; an empty Mat with the reason in *why when the bytes are not a
// supported image, announce a size beyond the limits, or do not decode.
cv::Mat decode_grey_image(std::span<const std::uint8_t> bytes, std::string* why,
                          const ImageLimits& limits = {});

// The same for a file, which is refused unread when larger than limits.max_file_bytes.
cv::Mat read_grey_image(const std::filesystem::path& file, std::string* why,
                        const ImageLimits& limits = {});

}  // namespace gk::camera
