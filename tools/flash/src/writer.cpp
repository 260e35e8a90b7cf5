#include "gk/flash/writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace gk::flash {

namespace {

constexpr std::uint64_t kWholeImageExtent = 16u << 20;

std::string errno_text() {
  return std::strerror(errno);
}

// pread/pwrite until done: both may transfer less than asked (signals, device limits).
// Returns bytes read; fewer than asked only at end of file.
ssize_t read_fully(int fd, std::uint8_t* buf, std::size_t len, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd, buf + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

bool write_fully(int fd, const std::uint8_t* buf, std::size_t len, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < len) {
    ssize_t n = ::pwrite(fd, buf + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::uint64_t WritePlan::mapped_bytes() const {
  std::uint64_t total = 0;
  for (const auto& e : extents) total += e.length;
  return total;
}

std::string WritePlan::describe(const Extent& e) const {
  const std::string bytes =
      "bytes " + std::to_string(e.offset) + "-" + std::to_string(e.offset + e.length - 1);
  if (!from_bmap) return bytes;
  return "blocks " + std::to_string(e.first_block) + "-" + std::to_string(e.last_block) + " (" +
         bytes + ")";
}

WritePlan WritePlan::whole_image(std::uint64_t image_size) {
  WritePlan plan;
  plan.image_size = image_size;
  plan.block_size = 4096;
  for (std::uint64_t off = 0; off < image_size; off += kWholeImageExtent) {
    Extent e;
    e.offset = off;
    e.length = std::min(kWholeImageExtent, image_size - off);
    e.first_block = off / plan.block_size;
    e.last_block = (off + e.length - 1) / plan.block_size;
    plan.extents.push_back(e);
  }
  return plan;
}

WritePlan WritePlan::from(const BlockMap& map) {
  WritePlan plan;
  plan.image_size = map.image_size;
  plan.block_size = map.block_size;
  plan.checksum_kind = map.checksum_kind;
  plan.from_bmap = true;
  for (const auto& r : map.ranges) {
    Extent e;
    e.offset = r.first * map.block_size;
    e.length = std::min((r.last + 1) * map.block_size, map.image_size) - e.offset;
    e.first_block = r.first;
    e.last_block = r.last;
    e.checksum = r.checksum;
    plan.extents.push_back(std::move(e));
  }
  return plan;
}

Outcome<Written> write_extents(int image_fd, int target_fd, const WritePlan& plan,
                               Progress& progress, const std::string& image_name) {
  std::vector<std::uint8_t> buf(kBufferBytes);
  Written out;
  const std::uint64_t total = plan.mapped_bytes();
  Hasher whole(HashKind::sha256), extent_hash(HashKind::sha256), range_hash(plan.checksum_kind);
  // bmap 2.0 range checksums are SHA-256 already: the extent digest doubles as the range
  // checksum, saving a third pass over every byte.
  const bool range_is_extent = plan.checksum_kind == HashKind::sha256;
  progress.update(Phase::write, 0, total);
  for (const auto& e : plan.extents) {
    for (std::uint64_t done = 0; done < e.length;) {
      const auto want =
          static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), e.length - done));
      const ssize_t got = read_fully(image_fd, buf.data(), want, e.offset + done);
      if (got < 0)
        return flash_error(Problem::io_error, "reading " + image_name + " at byte " +
                                                  std::to_string(e.offset + done) + ": " +
                                                  errno_text());
      if (static_cast<std::size_t>(got) != want)
        return flash_error(Problem::bad_image, image_name + " ends inside " + plan.describe(e));
      const std::span<const std::uint8_t> chunk(buf.data(), want);
      whole.update(chunk);
      extent_hash.update(chunk);
      if (!e.checksum.empty() && !range_is_extent) range_hash.update(chunk);
      if (!write_fully(target_fd, buf.data(), want, e.offset + done))
        return flash_error(
            Problem::io_error,
            "writing the target at byte " + std::to_string(e.offset + done) + ": " + errno_text());
      done += want;
      out.written_bytes += want;
      progress.update(Phase::write, out.written_bytes, total);
    }
    out.extent_sha256.push_back(extent_hash.finish());
    const auto range_hex = [&] {
      return range_is_extent ? to_hex(out.extent_sha256.back()) : range_hash.finish_hex();
    };
    if (!e.checksum.empty() && range_hex() != e.checksum)
      return flash_error(Problem::corrupt_range,
                         image_name + ": " + plan.describe(e) + " fail their " +
                             std::string(hash_name(plan.checksum_kind)) +
                             " checksum from the bmap: the image is damaged (the target is "
                             "partly written and must be flashed again from a good image)");
  }
  // Durable before we claim anything: a technician pulls the card as soon as we say done.
  if (::fsync(target_fd) != 0)
    return flash_error(Problem::io_error, "syncing the target: " + errno_text());
  out.skipped_bytes = plan.image_size - total;
  out.image_sha256 = whole.finish_hex();
  return out;
}

namespace {

// Reads the plan's extents from the target, feeding each chunk to `sink(extent index, bytes)`.
template <class Sink>
Status read_extents(int target_fd, const WritePlan& plan, Progress& progress, Sink&& sink) {
  std::vector<std::uint8_t> buf(kBufferBytes);
  const std::uint64_t total = plan.mapped_bytes();
  std::uint64_t read_bytes = 0;
  progress.update(Phase::verify, 0, total);
  for (std::size_t i = 0; i < plan.extents.size(); ++i) {
    const auto& e = plan.extents[i];
    for (std::uint64_t done = 0; done < e.length;) {
      const auto want =
          static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), e.length - done));
      const ssize_t got = read_fully(target_fd, buf.data(), want, e.offset + done);
      if (got < 0)
        return flash_error(Problem::io_error, "reading back the target at byte " +
                                                  std::to_string(e.offset + done) + ": " +
                                                  errno_text());
      if (static_cast<std::size_t>(got) != want)
        return flash_error(Problem::verify_mismatch, "the target ends inside " + plan.describe(e));
      sink(i, std::span<const std::uint8_t>(buf.data(), want));
      done += want;
      read_bytes += want;
      progress.update(Phase::verify, read_bytes, total);
    }
  }
  return Done{};
}

}  // namespace

Outcome<std::string> verify_extents(int target_fd, const WritePlan& plan, const Written& written,
                                    Progress& progress) {
  if (written.extent_sha256.size() != plan.extents.size())
    return flash_error(Problem::verify_mismatch, "nothing written to verify against");
  // Drop the target's cached pages (they are clean after fsync) so that the read-back
  // comes from the card, not from the memory we just wrote from.
  ::posix_fadvise(target_fd, 0, 0, POSIX_FADV_DONTNEED);
  Hasher whole(HashKind::sha256);
  auto read = read_extents(target_fd, plan, progress,
                           [&](std::size_t, std::span<const std::uint8_t> b) { whole.update(b); });
  if (!read) return read.error();
  const std::string target_sha256 = whole.finish_hex();
  if (target_sha256 == written.image_sha256) return target_sha256;

  // Only on a mismatch: a second read, extent by extent, to say where. Keeping the good
  // path to one hash pass matters on a technician's slow laptop.
  Hasher extent_hash(HashKind::sha256);
  std::vector<std::string> digests(plan.extents.size());
  SilentProgress quiet;
  std::size_t current = 0;
  auto reread = read_extents(target_fd, plan, quiet, [&](std::size_t i, auto b) {
    if (i != current) {
      digests[current] = extent_hash.finish();
      current = i;
    }
    extent_hash.update(b);
  });
  if (!reread) return reread.error();
  if (!plan.extents.empty()) digests[current] = extent_hash.finish();
  std::string where = "an extent that then read back differently";
  for (std::size_t i = 0; i < plan.extents.size(); ++i) {
    if (digests[i] != written.extent_sha256[i]) {
      where = plan.describe(plan.extents[i]);
      break;
    }
  }
  return flash_error(Problem::verify_mismatch,
                     "read-back differs from the image, first in " + where + " (image sha256 " +
                         written.image_sha256 + ", target sha256 " + target_sha256 + ")");
}

Outcome<FlashReport> flash_image(const FlashRequest& request, Progress& progress) {
  hal::UniqueFd image(::open(request.image.c_str(), O_RDONLY | O_CLOEXEC));
  if (!image)
    return flash_error(Problem::bad_image,
                       "cannot open image " + request.image.string() + ": " + errno_text());
  struct stat st {};
  if (::fstat(image.get(), &st) != 0 || !S_ISREG(st.st_mode))
    return flash_error(Problem::bad_image, request.image.string() + " is not a regular file");
  const auto image_size = static_cast<std::uint64_t>(st.st_size);
  if (image_size == 0) return flash_error(Problem::bad_image, request.image.string() + " is empty");
  if (request.bmap && request.bmap->image_size != image_size)
    return flash_error(Problem::bad_image, request.image.string() + " is " +
                                               std::to_string(image_size) +
                                               " bytes but its bmap describes " +
                                               std::to_string(request.bmap->image_size) +
                                               ": wrong bmap for this image?");
  ::posix_fadvise(image.get(), 0, 0, POSIX_FADV_SEQUENTIAL);

  auto target = Target::open(request.target, image_size, request.image);
  if (!target) return target.error();
  const WritePlan plan =
      request.bmap ? WritePlan::from(*request.bmap) : WritePlan::whole_image(image_size);

  auto written = write_extents(image.get(), target->fd(), plan, progress, request.image.string());
  if (!written) return written.error();
  FlashReport report;
  report.image_size = image_size;
  report.written_bytes = written->written_bytes;
  report.skipped_bytes = written->skipped_bytes;
  report.extents = plan.extents.size();
  report.image_sha256 = written->image_sha256;
  report.target_kind = target->kind();
  if (request.verify) {
    auto target_sha = verify_extents(target->fd(), plan, *written, progress);
    if (!target_sha) return target_sha.error();
    report.target_sha256 = *target_sha;
    report.verified = true;
  }
  return report;
}

}  // namespace gk::flash
