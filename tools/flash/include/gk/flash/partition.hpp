#pragma once
// Finding the FAT boot partition of a written board image from its partition table: an MBR
// (types 0x06, 0x0b, 0x0c, 0x0e) or a GPT behind a protective MBR (basic data or EFI system
// partitions). Works on raw bytes through a read callback, so it is tested on crafted tables.
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "gk/flash/outcome.hpp"

namespace gk::flash {

struct BootPartition {
  int number = 0;            // 1-based, as Linux names it (sdb1, mmcblk0p1)
  std::string scheme;        // "mbr" or "gpt"
  std::uint64_t offset = 0;  // bytes from the start of the device
  std::uint64_t size = 0;    // bytes
};

// Fills `out` from `offset`; false when the bytes are not there (beyond the end, I/O error).
using ReadAt = std::function<bool(std::uint64_t offset, std::span<std::uint8_t> out)>;

// The first partition whose type says FAT and whose first sector looks like a FAT boot
// sector. `device_size` bounds every partition.
Outcome<BootPartition> find_boot_partition(const ReadAt& read, std::uint64_t device_size);
Outcome<BootPartition> find_boot_partition(int fd, std::uint64_t device_size);

// The CRC-32 GPT uses (IEEE 802.3, as zlib's crc32).
std::uint32_t crc32(std::span<const std::uint8_t> bytes);

}  // namespace gk::flash
