#pragma once
// Still images from files (the spool and folder cameras, `gatectl scan`): read with a size
// cap, the pixel size taken from the header and checked *before* anything is decoded. A
// decoder alone would allocate whatever the header announces, up to a gigapixel (a few
// hundred bytes of PNG can announce 30000x30000). PNG (libpng) and JPEG (libjpeg-turbo) are
// decoded: the formats a camera spool, a phone screenshot or a test fixture use. BMP and PNM
// headers are still recognised, so that such a file is refused by name; OpenCV's imgcodecs
// is not used, because it links every codec it was built with (TIFF, JPEG 2000, OpenEXR,
// GDAL, and through them HDF5, netCDF, poppler, libpq: 200 libraries) into the firmware.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <opencv2/core/mat.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

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

// Decodes a PNG or JPEG to 8-bit grey (colour converted by the codec); an empty Mat with the
// reason in *why when the bytes are not a supported image, announce a size beyond the
// limits, or do not decode to the size they announce.
cv::Mat decode_grey_image(std::span<const std::uint8_t> bytes, std::string* why,
                          const ImageLimits& limits = {});

// The same for a file, which is refused unread when larger than limits.max_file_bytes.
cv::Mat read_grey_image(const std::filesystem::path& file, std::string* why,
                        const ImageLimits& limits = {});

// A JPEG (or a Motion-JPEG frame from a camera, which may leave out its Huffman tables) decoded
// to grey into `out`, which is reused when it has the size already. It must be exactly
// `width` x `height` when those are given (a camera frame of the negotiated size). Empty
// string on success, else the reason.
std::string decode_jpeg_grey(std::span<const std::uint8_t> bytes, cv::Mat& out, int width = 0,
                             int height = 0);

// 8-bit grey images (CV_8UC1) encoded as PNG or as baseline JPEG (quality 1-100); empty on
// failure (not 8-bit grey, or empty).
std::vector<std::uint8_t> encode_png(const cv::Mat& grey);
std::vector<std::uint8_t> encode_jpeg(const cv::Mat& grey, int quality);
// Writes encode_png's bytes to `file`; empty string on success, else what went wrong.
std::string write_png(const cv::Mat& grey, const std::filesystem::path& file);

}  // namespace gk::camera
