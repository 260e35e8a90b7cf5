#include "gk/flash/bundle.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "gk/flash/digest.hpp"
#include "gk/hal/unique_fd.hpp"
#include "tool_process.hpp"

namespace gk::flash {

namespace {

constexpr std::chrono::seconds kToolDeadline{60};

FlashError failed(std::string detail) {
  return flash_error(Problem::bundle_failed, std::move(detail));
}

Outcome<std::string> read_bundle(const std::filesystem::path& bundle) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(bundle, ec))
    return flash_error(Problem::bad_bundle, bundle.string() + " is not a readable file");
  const auto size = std::filesystem::file_size(bundle, ec);
  if (ec)
    return flash_error(Problem::bad_bundle, "cannot size " + bundle.string() + ": " + ec.message());
  if (size > kMaxBundleBytes)
    return flash_error(Problem::bad_bundle, bundle.string() + " is " + std::to_string(size) +
                                                " bytes; a bundle is at most 1 MiB");
  std::ifstream in(bundle, std::ios::binary);
  std::string bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>{});
  if (!in.good() && !in.eof())
    return flash_error(Problem::bad_bundle, "cannot read " + bundle.string());
  return bytes;
}

Outcome<ToolRun> mtools(std::vector<std::string> argv, std::size_t max_out = 64 * 1024) {
  // mtools otherwise refuses FATs whose geometry fields do not match a floppy's idea of
  // tracks and heads, which partitions made by mkfs.vfat routinely have.
  return run_tool(argv, {"MTOOLS_SKIP_CHECK=1"}, max_out, kToolDeadline);
}

std::string first_line(const std::string& s) {
  auto nl = s.find('\n');
  return s.substr(0, nl);
}

}  // namespace

Outcome<BundlePlacement> place_bundle(const std::filesystem::path& target,
                                      const std::filesystem::path& bundle) {
  auto bytes = read_bundle(bundle);
  if (!bytes) return bytes.error();
  // mtools reads "FILE@@OFFSET"; a path that already contains "@@" would be cut there.
  if (target.string().find("@@") != std::string::npos)
    return failed("the target path contains '@@', which mtools cannot take");

  BundlePlacement placement;
  {
    hal::UniqueFd fd(::open(target.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return failed("cannot open " + target.string() + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return failed("cannot stat " + target.string());
    std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
    if (S_ISBLK(st.st_mode) && ::ioctl(fd.get(), BLKGETSIZE64, &size) != 0)
      return failed("cannot size " + target.string());
    auto partition = find_boot_partition(fd.get(), size);
    if (!partition) return partition.error();
    placement.partition = *partition;
  }

  const std::string image = target.string() + "@@" + std::to_string(placement.partition.offset);
  // Absolute, so that mcopy cannot read a "c:name" bundle path as a DOS drive letter.
  const std::string source = std::filesystem::absolute(bundle).string();

  auto dir = mtools({"mdir", "-b", "-i", image, std::string(kBundleDir)});
  if (!dir) return dir.error();
  if (dir->exit_status != 0) {
    auto made = mtools({"mmd", "-i", image, std::string(kBundleDir)});
    if (!made) return made.error();
    if (made->exit_status != 0)
      return failed("mmd " + std::string(kBundleDir) + " failed: " + first_line(made->err));
  }
  auto copy = mtools({"mcopy", "-o", "-i", image, source, std::string(kBundlePath)});
  if (!copy) return copy.error();
  if (copy->exit_status != 0) return failed("mcopy of the bundle failed: " + first_line(copy->err));

  // The card leaves the technician's hands next: make mtools' writes durable first.
  {
    hal::UniqueFd fd(::open(target.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd || ::fsync(fd.get()) != 0)
      return failed("cannot sync " + target.string() + " after placing the bundle");
    ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED);
  }
  auto back =
      mtools({"mcopy", "-n", "-i", image, std::string(kBundlePath), "-"}, kMaxBundleBytes + 1);
  if (!back) return back.error();
  if (back->exit_status != 0)
    return flash_error(Problem::bundle_mismatch,
                       "the bundle cannot be read back from the FAT: " + first_line(back->err));
  if (back->out != *bytes)
    return flash_error(Problem::bundle_mismatch, "the bundle read back from the FAT differs (" +
                                                     std::to_string(back->out.size()) + " of " +
                                                     std::to_string(bytes->size()) + " bytes)");
  placement.bytes = bytes->size();
  placement.sha256 = sha256_hex(back->out);
  return placement;
}

}  // namespace gk::flash
