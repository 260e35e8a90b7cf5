#include "gk/camera/video_camera.hpp"

#include <opencv2/imgproc.hpp>

namespace gk::camera {

VideoCamera::VideoCamera(std::string file) : file_(std::move(file)) {
  open();
}

bool VideoCamera::open() {
  capture_.open(file_, cv::CAP_ANY);
  return capture_.isOpened();
}

hal::DeviceResult<hal::GreyView> VideoCamera::next_frame() {
  if (!capture_.isOpened() && !open()) return hal::DeviceError::not_present;
  if (!capture_.read(bgr_) || bgr_.empty()) {
    capture_.release();  // the end of the file: opened again on a later call
    return hal::DeviceError::not_present;
  }
  if (bgr_.channels() == 1)
    grey_ = bgr_;
  else
    cv::cvtColor(bgr_, grey_, cv::COLOR_BGR2GRAY);
  // The view spelled out here rather than with frame_source's view_of: the module carries
  // no copy of gk_camera's code (see drivers/camera/CMakeLists.txt).
  return hal::GreyView{grey_.data, grey_.cols, grey_.rows, static_cast<int>(grey_.step)};
}

}  // namespace gk::camera

// The module's one entry point (video_module.cpp looks it up by this name): a camera that
// the caller owns and deletes through hal::Camera's virtual destructor.
extern "C" __attribute__((visibility("default"))) gk::hal::Camera* gk_video_camera_open(
    const char* file) {
  try {
    return new gk::camera::VideoCamera(file);
  } catch (...) {
    return nullptr;
  }
}
