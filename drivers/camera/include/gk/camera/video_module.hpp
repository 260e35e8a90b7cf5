#pragma once
// Loading the gk-video-camera module (see video_camera.hpp) from gated and gatectl, which
// do not link OpenCV's videoio: dlopen on demand, for camera.source = "video:FILE" only.
#include <filesystem>
#include <memory>
#include <string>

#include "gk/hal/devices.hpp"

namespace gk::camera {

// Where the module is looked for: $GK_VIDEO_CAMERA_MODULE when set, else gk-video-camera.so
// beside the running executable (build/bin/ in a build tree).
std::filesystem::path default_video_module();

// A camera reading `file` through the module, which stays loaded as long as the camera
// lives; nullptr with the reason in *why when the module is missing or refuses the file.
std::unique_ptr<hal::Camera> open_video_camera(
    const std::string& file, std::string* why,
    const std::filesystem::path& module = default_video_module());

}  // namespace gk::camera
