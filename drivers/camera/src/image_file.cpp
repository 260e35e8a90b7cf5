#include "gk/camera/image_file.hpp"

#include <jpeglib.h>
#include <png.h>

#include <cctype>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
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

namespace {

// libjpeg reports errors through a callback that must not return: it jumps back to the
// setjmp in the function that called libjpeg, with the message kept. Warnings (corrupt data
// that libjpeg works around) are not printed: the caller decides from the result.
struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {};
};

[[noreturn]] void jpeg_fail(j_common_ptr info) {
  auto* e = reinterpret_cast<JpegError*>(info->err);
  (*info->err->format_message)(info, e->message);
  std::longjmp(e->jump, 1);
}
void jpeg_quiet(j_common_ptr, int) {}

// Sizes above which libjpeg refuses to allocate: a 4096x4096 progressive JPEG needs ~100 MB of
// coefficient buffers at most; the size check before decoding keeps frames far below that.
constexpr long kJpegMaxMemory = 128L << 20;

// The decoder object and the image it writes into are kept out of the function that calls
// setjmp, so no local it changes is left indeterminate by the jump.
struct JpegDecode {
  jpeg_decompress_struct info{};
  JpegError error{};
  JpegDecode() {
    info.err = jpeg_std_error(&error.mgr);
    error.mgr.error_exit = jpeg_fail;
    error.mgr.emit_message = jpeg_quiet;
    jpeg_create_decompress(&info);
    info.mem->max_memory_to_use = kJpegMaxMemory;
  }
  ~JpegDecode() { jpeg_destroy_decompress(&info); }
  JpegDecode(const JpegDecode&) = delete;
  JpegDecode& operator=(const JpegDecode&) = delete;
};

// 0 on success; 1 after a libjpeg error (message in d.error.message); 2 for a wrong size.
int run_jpeg_decode(JpegDecode& d, Bytes bytes, cv::Mat& out, int width, int height) {
  if (setjmp(d.error.jump)) return 1;
  jpeg_mem_src(&d.info, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&d.info, TRUE);
  if ((width && static_cast<int>(d.info.image_width) != width) ||
      (height && static_cast<int>(d.info.image_height) != height))
    return 2;
  d.info.out_color_space = JCS_GRAYSCALE;  // libjpeg keeps the luma plane: no colour work
  d.info.dct_method = JDCT_ISLOW;
  jpeg_start_decompress(&d.info);
  out.create(static_cast<int>(d.info.output_height), static_cast<int>(d.info.output_width),
             CV_8UC1);
  while (d.info.output_scanline < d.info.output_height) {
    JSAMPROW row = out.ptr(static_cast<int>(d.info.output_scanline));
    jpeg_read_scanlines(&d.info, &row, 1);
  }
  jpeg_finish_decompress(&d.info);
  return 0;
}

std::string decode_png_grey(Bytes bytes, cv::Mat& out) {
  // libpng's simplified API: any bit depth, palette or colour type, converted to 8-bit grey;
  // errors come back as a message, never as a jump through our frames.
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()))
    return std::string("PNG: ") + image.message;
  image.format = PNG_FORMAT_GRAY;
  out.create(static_cast<int>(image.height), static_cast<int>(image.width), CV_8UC1);
  if (!png_image_finish_read(&image, nullptr, out.data, static_cast<png_int_32>(out.step),
                             nullptr)) {
    std::string why = std::string("PNG: ") + image.message;
    png_image_free(&image);
    out.release();
    return why;
  }
  return {};
}

struct JpegEncode {
  jpeg_compress_struct info{};
  JpegError error{};
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  JpegEncode() {
    info.err = jpeg_std_error(&error.mgr);
    error.mgr.error_exit = jpeg_fail;
    error.mgr.emit_message = jpeg_quiet;
    jpeg_create_compress(&info);
  }
  ~JpegEncode() {
    jpeg_destroy_compress(&info);
    std::free(buffer);  // jpeg_mem_dest's buffer is malloc'd and left to the caller
  }
  JpegEncode(const JpegEncode&) = delete;
  JpegEncode& operator=(const JpegEncode&) = delete;
};

bool run_jpeg_encode(JpegEncode& e, const cv::Mat& grey, int quality) {
  if (setjmp(e.error.jump)) return false;
  jpeg_mem_dest(&e.info, &e.buffer, &e.size);
  e.info.image_width = static_cast<JDIMENSION>(grey.cols);
  e.info.image_height = static_cast<JDIMENSION>(grey.rows);
  e.info.input_components = 1;
  e.info.in_color_space = JCS_GRAYSCALE;
  jpeg_set_defaults(&e.info);
  jpeg_set_quality(&e.info, quality, TRUE);
  jpeg_start_compress(&e.info, TRUE);
  while (e.info.next_scanline < e.info.image_height) {
    auto row = const_cast<JSAMPROW>(grey.ptr(static_cast<int>(e.info.next_scanline)));
    jpeg_write_scanlines(&e.info, &row, 1);
  }
  jpeg_finish_compress(&e.info);
  return true;
}

}  // namespace

std::string decode_jpeg_grey(Bytes bytes, cv::Mat& out, int width, int height) {
  JpegDecode d;
  switch (run_jpeg_decode(d, bytes, out, width, height)) {
    case 0:
      return {};
    case 2:
      return "JPEG of " + std::to_string(d.info.image_width) + "x" +
             std::to_string(d.info.image_height) + ", expected " + std::to_string(width) + "x" +
             std::to_string(height);
    default:
      return std::string("JPEG: ") + d.error.message;
  }
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
  cv::Mat grey;
  std::string error;
  if (bytes[0] == 0x89) {
    error = decode_png_grey(bytes, grey);
  } else if (bytes[0] == 0xFF) {
    // The size the frame header announced is the size the decoder must deliver.
    error = decode_jpeg_grey(bytes, grey, size->width, size->height);
  } else {
    error = bytes[0] == 'B' ? "BMP images are not decoded (PNG or JPEG only)"
                            : "PNM images are not decoded (PNG or JPEG only)";
  }
  // The decoder must deliver what the header announced: a codec that read another size is
  // not trusted with the limits.
  if (error.empty() && (grey.cols != size->width || grey.rows != size->height))
    error = "image does not decode to the size its header announces";
  if (!error.empty()) {
    if (why) *why = error;
    return {};
  }
  return grey;
}

std::vector<std::uint8_t> encode_png(const cv::Mat& grey) {
  if (grey.empty() || grey.type() != CV_8UC1) return {};
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(grey.cols);
  image.height = static_cast<png_uint_32>(grey.rows);
  image.format = PNG_FORMAT_GRAY;
  const auto stride = static_cast<png_int_32>(grey.step);
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&image, nullptr, &size, 0, grey.data, stride, nullptr)) return {};
  std::vector<std::uint8_t> out(size);
  if (!png_image_write_to_memory(&image, out.data(), &size, 0, grey.data, stride, nullptr))
    return {};
  out.resize(size);
  return out;
}

std::vector<std::uint8_t> encode_jpeg(const cv::Mat& grey, int quality) {
  if (grey.empty() || grey.type() != CV_8UC1 || quality < 1 || quality > 100) return {};
  JpegEncode e;
  if (!run_jpeg_encode(e, grey, quality)) return {};
  return {e.buffer, e.buffer + e.size};
}

std::string write_png(const cv::Mat& grey, const std::filesystem::path& file) {
  const auto bytes = encode_png(grey);
  if (bytes.empty()) return "could not encode the image as PNG";
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out.write(reinterpret_cast<const char*>(bytes.data()),
                 static_cast<std::streamsize>(bytes.size())))
    return "could not write " + file.string();
  out.close();
  if (!out) return "could not write " + file.string();
  return {};
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
