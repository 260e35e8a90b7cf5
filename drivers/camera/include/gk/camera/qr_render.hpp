#pragma once
// Renders text as a QR code (libqrencode, error correction M, smallest version that fits).
#include <filesystem>
#include <opencv2/core.hpp>
#include <string>

namespace gk::camera {

// Black modules on white, `module_px` pixels per module, `quiet_zone` modules of margin.
// Empty Mat when the text does not fit any QR version.
cv::Mat render_qr_mat(const std::string& text, int module_px = 8, int quiet_zone = 4,
                      int* version = nullptr);
// Returns an empty string on success, else what went wrong.
std::string render_qr_png(const std::string& text, const std::filesystem::path& file,
                          int module_px = 8, int quiet_zone = 4);

}  // namespace gk::camera
