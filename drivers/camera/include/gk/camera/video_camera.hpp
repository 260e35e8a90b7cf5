#pragma once
// Video files as a camera, for the sim board and tests (camera.source = "video:FILE"). They
// are read by OpenCV's videoio, which links FFmpeg and GStreamer (~200 shared libraries): so
// this lives in a library of its own, gk_camera_video, and gated reaches it only through the
// gk-video-camera module, loaded with dlopen when a config names a video: source. A kiosk's
// gated (the .deb installs no module; real boards use v4l2:) never maps any of it.
#include <filesystem>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>
#include <string>

#include "gk/hal/devices.hpp"

namespace gk::camera {

// Each frame of a video file, in order, then not_present. Re-opens the file on a later call.
class VideoCamera final : public hal::Camera {
 public:
  explicit VideoCamera(std::string file);
  hal::DeviceResult<hal::GreyView> next_frame() override;
  std::string describe() const override { return "video:" + file_; }
  bool is_fault(hal::DeviceError) const override { return false; }  // a file, not a device

 private:
  bool open();
  std::string file_;
  cv::VideoCapture capture_;
  cv::Mat bgr_, grey_;
};

}  // namespace gk::camera
