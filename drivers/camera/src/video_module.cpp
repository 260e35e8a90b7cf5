#include "gk/camera/video_module.hpp"

#include <dlfcn.h>

#include <cstdlib>

namespace gk::camera {
namespace {

using OpenFn = hal::Camera* (*)(const char*);

struct ModuleHandle {
  void* handle = nullptr;
  ~ModuleHandle() {
    if (handle) ::dlclose(handle);
  }
};

// The camera from the module, with the module itself: the camera (whose code is in the
// module) is destroyed first, then the module is unloaded.
class ModuleCamera final : public hal::Camera {
 public:
  ModuleCamera(std::unique_ptr<ModuleHandle> module, std::unique_ptr<hal::Camera> inner)
      : module_(std::move(module)), inner_(std::move(inner)) {}
  hal::DeviceResult<hal::GreyView> next_frame() override { return inner_->next_frame(); }
  std::string describe() const override { return inner_->describe(); }
  bool is_fault(hal::DeviceError e) const override { return inner_->is_fault(e); }

 private:
  std::unique_ptr<ModuleHandle> module_;  // declared first: destroyed last
  std::unique_ptr<hal::Camera> inner_;
};

}  // namespace

std::filesystem::path default_video_module() {
  if (const char* env = std::getenv("GK_VIDEO_CAMERA_MODULE"); env && *env) return env;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (ec ? std::filesystem::path(".") : exe.parent_path()) / "gk-video-camera.so";
}

std::unique_ptr<hal::Camera> open_video_camera(const std::string& file, std::string* why,
                                               const std::filesystem::path& module) {
  auto m = std::make_unique<ModuleHandle>();
  m->handle = ::dlopen(module.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!m->handle) {
    if (why)
      *why = "video: sources need the gk-video-camera module of a development build (" +
             std::string(::dlerror()) + "); a kiosk's camera is v4l2:/dev/videoN";
    return nullptr;
  }
  auto open = reinterpret_cast<OpenFn>(::dlsym(m->handle, "gk_video_camera_open"));
  if (!open) {
    if (why) *why = module.string() + " has no gk_video_camera_open";
    return nullptr;
  }
  std::unique_ptr<hal::Camera> inner(open(file.c_str()));
  if (!inner) {
    if (why) *why = "the video module could not open " + file;
    return nullptr;
  }
  return std::make_unique<ModuleCamera>(std::move(m), std::move(inner));
}

}  // namespace gk::camera
