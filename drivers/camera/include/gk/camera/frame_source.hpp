#pragma once
// Frame sources behind gk::hal::Camera made of image files, for the sim board and tests.
// Real cameras: v4l2_camera.hpp; video files (sim and tests only): video_camera.hpp.
#include <filesystem>
#include <opencv2/core.hpp>
#include <vector>

#include "gk/hal/devices.hpp"

namespace gk::camera {

hal::GreyView view_of(const cv::Mat& grey);

// One image file, shown as every frame (a phone held still in front of the camera).
class ImageFileCamera final : public hal::Camera {
 public:
  explicit ImageFileCamera(std::filesystem::path file) : file_(std::move(file)) {}
  hal::DeviceResult<hal::GreyView> next_frame() override;
  std::string describe() const override { return "image:" + file_.string(); }
  bool is_fault(hal::DeviceError) const override { return false; }  // files, not a device

 private:
  std::filesystem::path file_;
  cv::Mat frame_;
};

// The sorted image files of a folder, one per frame, then not_present. A file that does
// not decode yields DeviceError::io for its frame and the sequence goes on.
class ImageFolderCamera final : public hal::Camera {
 public:
  explicit ImageFolderCamera(const std::filesystem::path& folder);
  hal::DeviceResult<hal::GreyView> next_frame() override;
  std::string describe() const override { return "folder:" + folder_.string(); }
  bool is_fault(hal::DeviceError) const override { return false; }  // files, not a device
  std::size_t size() const { return files_.size(); }

 private:
  std::filesystem::path folder_;
  std::vector<std::filesystem::path> files_;
  std::size_t next_ = 0;
  cv::Mat frame_;
};

// A spool folder for the sim board and live tests: each call takes the oldest image file
// that appeared in the folder (by name), decodes it as the frame and deletes it; an empty
// folder is an empty scene (not_present). Dropping a PNG into the folder is holding a
// phone up to the camera.
class SpoolFolderCamera final : public hal::Camera {
 public:
  explicit SpoolFolderCamera(std::filesystem::path folder) : folder_(std::move(folder)) {}
  hal::DeviceResult<hal::GreyView> next_frame() override;
  std::string describe() const override { return "spool:" + folder_.string(); }
  bool is_fault(hal::DeviceError) const override { return false; }  // files, not a device
  bool frames_are_scenes() const override { return true; }          // one file, one passage

 private:
  std::filesystem::path folder_;
  cv::Mat frame_;
};

}  // namespace gk::camera
