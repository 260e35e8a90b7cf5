#pragma once
// Reading a configuration-sized file the daemon depends on (config, guards, enrolment, keys,
// bundles): it must be a regular file (not a device such as /dev/zero, a FIFO or a
// directory) of at most `max_bytes`, checked on the open descriptor and again while reading,
// so that a file that grows or lies about its size is refused, not slurped.
#include <cstddef>
#include <filesystem>
#include <string>

#include "gk/core/errors.hpp"

namespace gk {

inline constexpr std::size_t kMaxConfigFileBytes = 1u << 20;      // config, guards, keys
inline constexpr std::size_t kMaxEnrolmentFileBytes = 16u << 20;  // ~50 000 card passes

// The whole file, or an error naming the path: unreadable (missing, not a regular file, an
// OS error) or too_large.
DocResult<std::string> read_regular_file(const std::filesystem::path& file, std::size_t max_bytes);

}  // namespace gk
