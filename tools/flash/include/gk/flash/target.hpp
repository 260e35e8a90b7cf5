#pragma once
// Where an image goes: a regular image file (created or extended to the image's size) or a
// block device (an SD card or eMMC on a technician's reader). The checks here are the ones
// that stop a technician from overwriting the wrong disk.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "gk/flash/outcome.hpp"
#include "gk/hal/unique_fd.hpp"

namespace gk::flash {

enum class TargetKind { regular_file, block_device };

class Target {
 public:
  // Opens `path` read-write for an image of `image_size` bytes read from `image`.
  static Outcome<Target> open(const std::filesystem::path& path, std::uint64_t image_size,
                              const std::filesystem::path& image);

  int fd() const { return fd_.get(); }
  TargetKind kind() const { return kind_; }
  std::uint64_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  hal::UniqueFd fd_;
  TargetKind kind_ = TargetKind::regular_file;
  std::uint64_t size_ = 0;
  std::filesystem::path path_;
};

// The mount sources of a /proc/self/mounts text, with its octal escapes (\040) decoded.
std::vector<std::string> mount_sources(std::string_view mounts);

// Whether the block device `dev`, or a partition of it, is the source of a mount in
// `mounts` (sysfs tells which partitions belong to which disk).
bool block_device_in_use(dev_t dev, std::string_view mounts);

}  // namespace gk::flash
