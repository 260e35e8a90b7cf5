#pragma once
// Helpers shared by tests: a scratch directory removed on scope exit, paths to the source
// tree and the built binaries (set by CTest through the environment).
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

namespace gk::test {

inline std::filesystem::path source_dir() {
  const char* s = std::getenv("GK_SOURCE_DIR");
  return s ? std::filesystem::path(s) : std::filesystem::current_path();
}

inline std::filesystem::path bin_dir() {
  const char* s = std::getenv("GK_BIN_DIR");
  return s ? std::filesystem::path(s) : source_dir() / "build" / "bin";
}

class ScratchDir {
 public:
  ScratchDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("gk-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace gk::test
