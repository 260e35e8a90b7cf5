#include "gk/flash/target.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace gk::flash {

namespace {

std::string errno_text() {
  return std::strerror(errno);
}

std::filesystem::path sysfs_of(dev_t dev) {
  std::error_code ec;
  auto p = std::filesystem::canonical(
      "/sys/dev/block/" + std::to_string(major(dev)) + ":" + std::to_string(minor(dev)), ec);
  return ec ? std::filesystem::path{} : p;
}

std::string read_mounts() {
  std::ifstream in("/proc/self/mounts");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

std::vector<std::string> mount_sources(std::string_view mounts) {
  std::vector<std::string> out;
  while (!mounts.empty()) {
    auto nl = mounts.find('\n');
    std::string_view line = mounts.substr(0, nl);
    mounts = nl == std::string_view::npos ? std::string_view{} : mounts.substr(nl + 1);
    auto sp = line.find(' ');
    std::string_view field = line.substr(0, sp);
    if (field.empty()) continue;
    std::string source;
    for (std::size_t i = 0; i < field.size(); ++i) {
      // The kernel escapes space, tab, newline and backslash as \ooo.
      if (field[i] == '\\' && i + 3 < field.size() && field[i + 1] >= '0' && field[i + 1] <= '3' &&
          field[i + 2] >= '0' && field[i + 2] <= '7' && field[i + 3] >= '0' &&
          field[i + 3] <= '7') {
        source.push_back(static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                           (field[i + 3] - '0')));
        i += 3;
      } else {
        source.push_back(field[i]);
      }
    }
    out.push_back(std::move(source));
  }
  return out;
}

bool block_device_in_use(dev_t dev, std::string_view mounts) {
  const auto disk = sysfs_of(dev);
  for (const auto& source : mount_sources(mounts)) {
    if (source.empty() || source[0] != '/') continue;  // proc, tmpfs, overlay, ...
    struct stat st {};
    if (::stat(source.c_str(), &st) != 0 || !S_ISBLK(st.st_mode)) continue;
    if (st.st_rdev == dev) return true;
    // A mounted partition of the disk: /sys/dev/block/8:17 -> .../block/sdb/sdb1.
    if (!disk.empty()) {
      const auto part = sysfs_of(st.st_rdev);
      if (!part.empty() && part.parent_path() == disk) return true;
    }
  }
  return false;
}

Outcome<Target> Target::open(const std::filesystem::path& path, std::uint64_t image_size,
                             const std::filesystem::path& image) {
  Target t;
  t.path_ = path;
  struct stat image_st {};
  if (::stat(image.c_str(), &image_st) != 0)
    return flash_error(Problem::bad_image,
                       "cannot stat image " + image.string() + ": " + errno_text());

  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (!exists && errno != ENOENT)
    return flash_error(Problem::bad_target, "cannot stat " + path.string() + ": " + errno_text());
  if (exists && st.st_dev == image_st.st_dev && st.st_ino == image_st.st_ino)
    return flash_error(Problem::bad_target, path.string() + " is the image itself");

  if (exists && S_ISBLK(st.st_mode)) {
    if (S_ISBLK(image_st.st_mode) && image_st.st_rdev == st.st_rdev)
      return flash_error(Problem::bad_target, path.string() + " is the image itself");
    if (block_device_in_use(st.st_rdev, read_mounts()))
      return flash_error(Problem::target_mounted,
                         path.string() + " or one of its partitions is mounted: unmount it first");
    // O_EXCL on a block device: the kernel refuses it while anything else claims the disk.
    t.fd_.reset(::open(path.c_str(), O_RDWR | O_EXCL | O_CLOEXEC));
    if (!t.fd_)
      return flash_error(errno == EBUSY ? Problem::target_mounted : Problem::bad_target,
                         "cannot open " + path.string() + ": " + errno_text());
    std::uint64_t bytes = 0;
    if (::ioctl(t.fd_.get(), BLKGETSIZE64, &bytes) != 0)
      return flash_error(Problem::bad_target, "cannot size " + path.string() + ": " + errno_text());
    if (bytes < image_size)
      return flash_error(Problem::target_too_small,
                         path.string() + " holds " + std::to_string(bytes) +
                             " bytes, the image needs " + std::to_string(image_size));
    t.kind_ = TargetKind::block_device;
    t.size_ = bytes;
    return t;
  }
  if (exists && !S_ISREG(st.st_mode))
    return flash_error(Problem::bad_target,
                       path.string() + " is neither a regular file nor a block device");

  t.fd_.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!t.fd_)
    return flash_error(Problem::bad_target, "cannot open " + path.string() + ": " + errno_text());
  if (::fstat(t.fd_.get(), &st) != 0)
    return flash_error(Problem::bad_target, "cannot stat " + path.string() + ": " + errno_text());
  // Extending leaves a hole that reads as zeros: the unmapped blocks of the image are zeros
  // too (or free space the file system does not care about).
  if (static_cast<std::uint64_t>(st.st_size) < image_size &&
      ::ftruncate(t.fd_.get(), static_cast<off_t>(image_size)) != 0)
    return flash_error(Problem::io_error,
                       "cannot extend " + path.string() + " to the image size: " + errno_text());
  t.kind_ = TargetKind::regular_file;
  t.size_ = std::max<std::uint64_t>(image_size, static_cast<std::uint64_t>(st.st_size));
  return t;
}

}  // namespace gk::flash
