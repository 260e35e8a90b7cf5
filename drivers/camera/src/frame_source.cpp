#include "gk/camera/frame_source.hpp"

#include <algorithm>
#include <opencv2/imgproc.hpp>
#include <optional>

#include "gk/camera/image_file.hpp"

namespace gk::camera {

hal::GreyView view_of(const cv::Mat& grey) {
  return {grey.data, grey.cols, grey.rows, static_cast<int>(grey.step)};
}

hal::DeviceResult<hal::GreyView> ImageFileCamera::next_frame() {
  if (frame_.empty()) frame_ = read_grey_image(file_, nullptr);
  if (frame_.empty()) return hal::DeviceError::io;
  return view_of(frame_);
}

ImageFolderCamera::ImageFolderCamera(const std::filesystem::path& folder) : folder_(folder) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(folder, ec))
    if (e.is_regular_file()) files_.push_back(e.path());
  std::sort(files_.begin(), files_.end());
}

hal::DeviceResult<hal::GreyView> ImageFolderCamera::next_frame() {
  if (next_ >= files_.size()) return hal::DeviceError::not_present;
  frame_ = read_grey_image(files_[next_++], nullptr);
  if (frame_.empty()) return hal::DeviceError::io;
  return view_of(frame_);
}

hal::DeviceResult<hal::GreyView> SpoolFolderCamera::next_frame() {
  std::error_code ec;
  std::optional<std::filesystem::path> oldest;
  for (const auto& e : std::filesystem::directory_iterator(folder_, ec)) {
    // Writers create "name.tmp" and rename: a half-written image is never read.
    if (!e.is_regular_file() || e.path().extension() == ".tmp") continue;
    if (!oldest || e.path() < *oldest) oldest = e.path();
  }
  if (ec) return hal::DeviceError::not_present;
  if (!oldest) return hal::DeviceError::not_present;
  frame_ = read_grey_image(*oldest, nullptr);
  std::filesystem::remove(*oldest, ec);
  if (frame_.empty()) return hal::DeviceError::io;
  return view_of(frame_);
}

VideoCamera::VideoCamera(std::string source) : source_(std::move(source)) {
  open();
}

bool VideoCamera::open() {
  bool is_index = !source_.empty() && std::all_of(source_.begin(), source_.end(), ::isdigit);
  if (is_index)
    capture_.open(std::stoi(source_), cv::CAP_V4L2);
  else
    capture_.open(source_, source_.starts_with("/dev/video") ? cv::CAP_V4L2 : cv::CAP_ANY);
  return capture_.isOpened();
}

hal::DeviceResult<hal::GreyView> VideoCamera::next_frame() {
  if (!capture_.isOpened() && !open()) return hal::DeviceError::not_present;
  if (!capture_.read(bgr_) || bgr_.empty()) {
    capture_.release();  // a device that stopped delivering is re-opened next time
    return hal::DeviceError::not_present;
  }
  if (bgr_.channels() == 1)
    grey_ = bgr_;
  else
    cv::cvtColor(bgr_, grey_, cv::COLOR_BGR2GRAY);
  return view_of(grey_);
}

}  // namespace gk::camera
