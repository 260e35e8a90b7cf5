#include "gk/camera/image_file.hpp"

#include <cctype>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <vector>

namespace gk::camera {
namespace {

using Bytes = std::span<const std::uint8_t>;

std::optional<ImageSize> refuse(std::string* why, const char* reason) {
  if (why) *why = reason;
  return std::nullopt;
}

std::uint32_t be16(Bytes b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) << 8 | b[at + 1];
}
std::uint32_t be32(Bytes b, std::size_t at) {
  return be16(b, at) << 16 | be16(b, at + 2);
}
std::uint32_t le16(Bytes b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at + 1]) << 8 | b[at];
}
std::uint32_t le32(Bytes b, std::size_t at) {
  return le16(b, at + 2) << 16 | le16(b, at);
}

// Sizes are kept as 64-bit until checked, so a header's 0xFFFFFFFF never wraps into range.
std::optional<ImageSize> checked(std::int64_t w, std::int64_t h, std::string* why) {
  if (w <= 0 || h <= 0) return refuse(why, "image header announces an empty image");
  if (w > 1'000'000 || h > 1'000'000)
    return refuse(why, "image header announces over 1e6 pixels a side");
  return ImageSize{static_cast<int>(w), static_cast<int>(h)};
}

std::optional<ImageSize> png_size(Bytes b, std::string* why) {
  // Signature (8), then the IHDR chunk: length (4), "IHDR" (4), width (4), height (4).
  if (b.size() < 24) return refuse(why, "truncated PNG header");
  static constexpr std::uint8_t kIhdr[4] = {'I', 'H', 'D', 'R'};
  if (!std::equal(kIhdr, kIhdr + 4, b.begin() + 12)) return refuse(why, "PNG without IHDR first");
  return checked(be32(b, 16), be32(b, 20), why);
}

bool is_jpeg_sof(std::uint8_t m) {
  // SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
  return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

std::optional<ImageSize> jpeg_size(Bytes b, std::string* why) {
  std::size_t at = 2;  // after SOI
  while (at + 4 <= b.size()) {
    if (b[at] != 0xFF) return refuse(why, "JPEG marker expected");
    std::uint8_t marker = b[at + 1];
    if (marker == 0xFF) {  // fill byte before a marker
      ++at;
      continue;
    }
    at += 2;
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no length
    if (marker == 0xD9 || marker == 0xDA) return refuse(why, "JPEG without a frame header");
    std::size_t length = be16(b, at);
    if (length < 2) return refuse(why, "JPEG segment length below 2");
    if (is_jpeg_sof(marker)) {
      // length, precision (1), height (2), width (2); height 0 defers to a DNL marker,
      // which is refused rather than chased through the scan.
      if (at + 7 > b.size()) return refuse(why, "truncated JPEG frame header");
      return checked(be16(b, at + 5), be16(b, at + 3), why);
    }
    at += length;
  }
  return refuse(why, "truncated JPEG header");
}

std::optional<ImageSize> bmp_size(Bytes b, std::string* why) {
  if (b.size() < 26) return refuse(why, "truncated BMP header");
  std::uint32_t header = le32(b, 14);
  if (header == 12)  // OS/2 BITMAPCOREHEADER: 16-bit unsigned sizes
    return checked(le16(b, 18), le16(b, 20), why);
  if (header < 40) return refuse(why, "unknown BMP header");
  // BITMAPINFOHEADER and later: signed; a negative height means top-down rows.
  auto width = static_cast<std::int32_t>(le32(b, 18));
  auto height = static_cast<std::int32_t>(le32(b, 22));
  return checked(width, height < 0 ? -static_cast<std::int64_t>(height) : height, why);
}

std::optional<ImageSize> pnm_size(Bytes b, std::string* why) {
  // "P1".."P6", then width and height as decimal text, separated by whitespace and
  // '#' comments running to the end of the line.
  std::size_t at = 2;
  std::int64_t values[2] = {0, 0};
  for (auto& v : values) {
    for (;;) {
      if (at >= b.size()) return refuse(why, "truncated PNM header");
      if (b[at] == '#') {
        while (at < b.size() && b[at] != '\n' && b[at] != '\r') ++at;
      } else if (std::isspace(b[at])) {
        ++at;
      } else {
        break;
      }
    }
    if (!std::isdigit(b[at])) return refuse(why, "PNM size is not a number");
    while (at < b.size() && std::isdigit(b[at])) {
      v = v * 10 + (b[at++] - '0');
      if (v > 1'000'000) return refuse(why, "image header announces over 1e6 pixels a side");
    }
  }
  return checked(values[0], values[1], why);
}

bool starts_with(Bytes b, std::initializer_list<std::uint8_t> prefix) {
  return b.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), b.begin());
}

}  // namespace

std::optional<ImageSize> sniff_image_size(Bytes bytes, std::string* why) {
  if (starts_with(bytes, {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}))
    return png_size(bytes, why);
  if (starts_with(bytes, {0xFF, 0xD8, 0xFF})) return jpeg_size(bytes, why);
  if (starts_with(bytes, {'B', 'M'})) return bmp_size(bytes, why);
  if (bytes.size() >= 3 && bytes[0] == 'P' && bytes[1] >= '1' && bytes[1] <= '6' &&
      std::isspace(bytes[2]))
    return pnm_size(bytes, why);
  return refuse(why, "not a PNG, JPEG, BMP or PNM image");
}

cv::Mat decode_grey_image(Bytes bytes, std::string* why, const ImageLimits& limits) {
  auto size = sniff_image_size(bytes, why);
  if (!size) return {};
  if (size->width > limits.max_side || size->height > limits.max_side ||
      static_cast<std::size_t>(size->width) * static_cast<std::size_t>(size->height) >
          limits.max_pixels) {
    if (why)
      *why = "image of " + std::to_string(size->width) + "x" + std::to_string(size->height) +
             " exceeds the limit of " + std::to_string(limits.max_side) + " a side, " +
             std::to_string(limits.max_pixels) + " pixels";
    return {};
  }
  const cv::Mat raw(1, static_cast<int>(bytes.size()), CV_8UC1,
                    const_cast<std::uint8_t*>(bytes.data()));
  cv::Mat grey;
  try {
    grey = cv::imdecode(raw, cv::IMREAD_GRAYSCALE);
  } catch (const cv::Exception&) {
    grey.release();
  }
  // The decoder must deliver what the header announced (turned by a JPEG's EXIF orientation
  // at most): a codec that read another size is not trusted with the limits.
  const bool as_announced = (grey.cols == size->width && grey.rows == size->height) ||
                            (grey.cols == size->height && grey.rows == size->width);  // EXIF turn
  if (grey.empty() || !as_announced) {
    if (why) *why = "image does not decode";
    return {};
  }
  return grey;
}

cv::Mat read_grey_image(const std::filesystem::path& file, std::string* why,
                        const ImageLimits& limits) {
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) {
    if (why) *why = "cannot open";
    return {};
  }
  auto length = static_cast<std::streamoff>(in.tellg());
  if (length < 0 || static_cast<std::size_t>(length) > limits.max_file_bytes) {
    if (why) *why = "file larger than " + std::to_string(limits.max_file_bytes) + " bytes";
    return {};
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(length));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), length)) {
    if (why) *why = "read failed";
    return {};
  }
  return decode_grey_image(bytes, why, limits);
}

}  // namespace gk::camera
