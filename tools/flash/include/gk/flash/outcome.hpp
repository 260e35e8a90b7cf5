#pragma once
// gk::flash's error model: a value, or a FlashError naming a stable Problem code plus a
// human detail. The passage Reason enum (gk/core/reason.hpp) is the journal's vocabulary
// and is deliberately not reused: flashing a board is not a passage.
#include <string>
#include <string_view>
#include <utility>

#include "gk/core/result.hpp"

namespace gk::flash {

enum class Problem {
  bad_bmap,           // the block map is not a well-formed, consistent bmap file
  bad_image,          // the image cannot be read or does not match its block map
  corrupt_range,      // a mapped range of the image fails its bmap checksum
  bad_target,         // the target cannot be used (type, same file as the image, I/O)
  target_mounted,     // the target (or one of its partitions) is mounted
  target_too_small,   // a block device smaller than the image
  io_error,           // a read, write or sync failed mid-way
  verify_mismatch,    // the read-back of the target differs from what was written
  no_boot_partition,  // no FAT partition in the written target's partition table
  bad_bundle,         // the bundle file is missing, unreadable or too large
  bundle_failed,      // mtools could not place the bundle
  bundle_mismatch,    // the bundle read back from the FAT differs from the file
};

// Stable machine code ("corrupt_range", ...) for JSON output and scripts.
std::string_view code(Problem p);
// gatectl's exit status: 1 for an image or write that does not verify, 2 for input errors.
int exit_code(Problem p);

struct FlashError {
  Problem problem = Problem::bad_target;
  std::string detail;
};

inline FlashError flash_error(Problem p, std::string detail) {
  return FlashError{p, std::move(detail)};
}

// The value-or-error template of every layer (gk/core/result.hpp) with flashing's error.
template <class T>
using Outcome = gk::Expected<T, FlashError>;

using Status = Outcome<gk::Done>;

}  // namespace gk::flash
