#pragma once
// A V4L2 capture device (a USB UVC camera, the Pi's camera through its V4L2 driver) through
// the kernel API: the format negotiated once (grey, YUYV or Motion-JPEG), then memory-mapped
// streaming, each frame turned into 8-bit grey for the decoder: GREY as is, YUYV by taking the
// luma bytes, MJPEG by libjpeg-turbo's decoder asked for the luma plane only. No OpenCV
// videoio (which would link FFmpeg and GStreamer into the firmware) and no libv4l.
#include <cstdint>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <span>
#include <string>
#include <vector>

#include "gk/hal/devices.hpp"

namespace gk::camera {

struct V4l2Options {
  int width = 1280;  // asked for; the driver picks the nearest size it has
  int height = 720;
  unsigned buffers = 4;  // mmap'd capture buffers queued to the driver
  int frame_timeout_ms = 1000;
};

class V4l2Camera final : public hal::Camera {
 public:
  // `device`: "/dev/videoN" or "N". Opening is lazy and retried on every next_frame() until
  // it succeeds, so a camera plugged in later, or unplugged and back, needs no restart.
  explicit V4l2Camera(std::string device, V4l2Options options = {});
  ~V4l2Camera() override;
  V4l2Camera(const V4l2Camera&) = delete;
  V4l2Camera& operator=(const V4l2Camera&) = delete;

  // not_present while the device cannot be opened or streamed (the reason in last_error()),
  // timeout when no frame came within frame_timeout_ms, io for a frame the driver flagged
  // as corrupt or that does not convert.
  hal::DeviceResult<hal::GreyView> next_frame() override;
  std::string describe() const override;
  // A capture device that stops delivering frames is failing too.
  bool is_fault(hal::DeviceError e) const override { return e != hal::DeviceError::none; }
  const std::string& last_error() const { return error_; }

 private:
  struct Stream;
  bool open();
  std::string device_;
  V4l2Options options_;
  std::unique_ptr<Stream> stream_;
  cv::Mat grey_;
  std::string error_;
};

// The conversions, on their own for tests. Each writes a width x height CV_8UC1 image into
// `out` (reusing its memory) and returns an empty string, or the reason the frame is refused
// (too short for the size and stride, or a JPEG of another size).
std::string yuyv_to_grey(std::span<const std::uint8_t> frame, int width, int height,
                         int bytes_per_line, cv::Mat& out);
std::string grey_frame(std::span<const std::uint8_t> frame, int width, int height,
                       int bytes_per_line, cv::Mat& out);
std::string mjpeg_to_grey(std::span<const std::uint8_t> frame, int width, int height, cv::Mat& out);

}  // namespace gk::camera
