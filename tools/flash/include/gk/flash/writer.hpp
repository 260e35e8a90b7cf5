#pragma once
// Writing an image to a target: the mapped ranges only (every byte without a block map),
// each range checked against its bmap checksum as it is read, synced, then read back and
// compared by SHA-256.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "gk/flash/bmap.hpp"
#include "gk/flash/outcome.hpp"
#include "gk/flash/progress.hpp"
#include "gk/flash/target.hpp"

namespace gk::flash {

// One contiguous stretch of the image to copy.
struct Extent {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::uint64_t first_block = 0;  // as named in the bmap, for messages
  std::uint64_t last_block = 0;
  std::string checksum;  // hex, of `checksum_kind`; empty: nothing to check while reading
};

struct WritePlan {
  std::uint64_t image_size = 0;
  std::uint64_t block_size = 0;
  HashKind checksum_kind = HashKind::sha256;
  bool from_bmap = false;
  std::vector<Extent> extents;

  std::uint64_t mapped_bytes() const;
  std::string describe(const Extent& e) const;  // "blocks 100-101 (bytes 409600-417791)"

  // Without a bmap: every byte, in 16 MiB extents so that a mismatch is located.
  static WritePlan whole_image(std::uint64_t image_size);
  static WritePlan from(const BlockMap& map);
};

struct Written {
  std::uint64_t written_bytes = 0;
  std::uint64_t skipped_bytes = 0;
  std::string image_sha256;                // hex, over the extents in order
  std::vector<std::string> extent_sha256;  // raw, one per extent, to locate a mismatch
};

inline constexpr std::size_t kBufferBytes = 1u << 20;

// Copies the plan's extents from image to target and syncs the target.
Outcome<Written> write_extents(int image_fd, int target_fd, const WritePlan& plan,
                               Progress& progress, const std::string& image_name);
// Reads the extents back from the target, bypassing the page cache where the kernel lets
// us, and compares them with what was written. Returns the target's SHA-256 (hex).
Outcome<std::string> verify_extents(int target_fd, const WritePlan& plan, const Written& written,
                                    Progress& progress);

struct FlashRequest {
  std::filesystem::path image;
  std::filesystem::path target;
  std::optional<BlockMap> bmap;  // nullopt: write every block
  bool verify = true;
};

struct FlashReport {
  std::uint64_t image_size = 0;
  std::uint64_t written_bytes = 0;
  std::uint64_t skipped_bytes = 0;
  std::size_t extents = 0;
  std::string image_sha256;
  std::string target_sha256;  // empty when not verified
  bool verified = false;
  TargetKind target_kind = TargetKind::regular_file;
};

Outcome<FlashReport> flash_image(const FlashRequest& request, Progress& progress);

}  // namespace gk::flash
