#pragma once
// The block map of a board image, as written by `bmaptool create` (bmap-tools): which
// blocks hold data and, per range, a checksum of those bytes. Format versions 1.0-1.3 (SHA-1)
// and 1.4/2.x (ChecksumType sha1/sha256/sha512) are read; anything inconsistent is refused
// rather than guessed at, because a wrong map silently leaves blocks unwritten.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gk/flash/digest.hpp"
#include "gk/flash/outcome.hpp"

namespace gk::flash {

struct BlockRange {
  std::uint64_t first = 0;  // block numbers, inclusive
  std::uint64_t last = 0;
  std::string checksum;  // lowercase hex; empty when the bmap has none for this range
};

struct BlockMap {
  int version_major = 0;
  int version_minor = 0;
  std::uint64_t image_size = 0;
  std::uint64_t block_size = 0;
  std::uint64_t blocks_count = 0;
  std::uint64_t mapped_blocks_count = 0;
  HashKind checksum_kind = HashKind::sha256;  // of range checksums; always SHA-1 in 1.x
  std::vector<BlockRange> ranges;             // sorted, non-overlapping, inside the image

  // Bytes the ranges cover (the image's last block may be partial).
  std::uint64_t mapped_bytes() const;
};

// Refuses bmap files larger than this: 32 MiB is ~300k ranges, far beyond a board image.
inline constexpr std::size_t kMaxBmapBytes = 32u << 20;

// Parses and cross-checks a bmap document, including its own file checksum
// (BmapFileChecksum / BmapFileSHA1) when the format has one.
Outcome<BlockMap> parse_bmap(std::string_view document);
Outcome<BlockMap> load_bmap(const std::filesystem::path& file);

}  // namespace gk::flash
