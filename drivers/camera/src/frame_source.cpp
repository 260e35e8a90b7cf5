#include "gk/camera/frame_source.hpp"

#include <algorithm>
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
    // Writers create "name.tmp" (or a hidden ".name") and rename: a half-written image is
    // never read, nor deleted under its writer.
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file() || e.path().extension() == ".tmp" || name.starts_with('.')) continue;
    if (!oldest || e.path() < *oldest) oldest = e.path();
  }
  if (ec) return hal::DeviceError::not_present;
  if (!oldest) return hal::DeviceError::not_present;
  frame_ = read_grey_image(*oldest, nullptr);
  std::filesystem::remove(*oldest, ec);
  if (frame_.empty()) return hal::DeviceError::io;
  return view_of(frame_);
}

}  // namespace gk::camera
