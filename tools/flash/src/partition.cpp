#include "gk/flash/partition.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

namespace gk::flash {

namespace {

constexpr std::uint64_t kSector = 512;  // MBR LBAs are 512-byte sectors on SD cards and images

std::uint32_t le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}
std::uint64_t le64(const std::uint8_t* p) {
  return static_cast<std::uint64_t>(le32(p)) | static_cast<std::uint64_t>(le32(p + 4)) << 32;
}
std::uint16_t le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | p[1] << 8);
}

FlashError none(std::string detail) {
  return flash_error(Problem::no_boot_partition, std::move(detail));
}

// GPT type GUIDs as stored on disk (the first three fields little-endian).
constexpr std::array<std::uint8_t, 16> kBasicData = {
    0xA2, 0xA0, 0xD0, 0xEB, 0xE5, 0xB9, 0x33, 0x44, 0x87, 0xC0, 0x68, 0xB6, 0xB7, 0x26, 0x99, 0xC7};
constexpr std::array<std::uint8_t, 16> kEfiSystem = {
    0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11, 0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B};

bool is_fat_mbr_type(std::uint8_t t) {
  return t == 0x06 || t == 0x0b || t == 0x0c || t == 0x0e || t == 0x01 || t == 0x04;
}

// A FAT boot sector: jump instruction, a sane BIOS parameter block, the 0x55AA signature.
// GPT "basic data" is also NTFS and exFAT, which this tells apart.
bool looks_like_fat(const ReadAt& read, std::uint64_t offset) {
  std::array<std::uint8_t, 512> s{};
  if (!read(offset, s)) return false;
  if (s[510] != 0x55 || s[511] != 0xAA) return false;
  if (s[0] != 0xEB && s[0] != 0xE9) return false;
  if (std::memcmp(&s[3], "NTFS    ", 8) == 0 || std::memcmp(&s[3], "EXFAT   ", 8) == 0)
    return false;
  const std::uint16_t bytes_per_sector = le16(&s[11]);
  const std::uint8_t sectors_per_cluster = s[13];
  const std::uint16_t reserved = le16(&s[14]);
  const std::uint8_t fats = s[16];
  const bool pow2_sector = bytes_per_sector >= 512 && bytes_per_sector <= 4096 &&
                           (bytes_per_sector & (bytes_per_sector - 1)) == 0;
  const bool pow2_cluster =
      sectors_per_cluster != 0 && (sectors_per_cluster & (sectors_per_cluster - 1)) == 0;
  return pow2_sector && pow2_cluster && reserved != 0 && fats >= 1 && fats <= 4;
}

Outcome<BootPartition> check(const ReadAt& read, std::uint64_t device_size, BootPartition p,
                             std::string& skipped) {
  if (p.size == 0 || p.offset == 0 || p.offset > device_size || p.size > device_size - p.offset) {
    skipped += " partition " + std::to_string(p.number) + " lies outside the device;";
    return none("");
  }
  if (!looks_like_fat(read, p.offset)) {
    skipped += " partition " + std::to_string(p.number) + " has a FAT type but no FAT boot sector;";
    return none("");
  }
  return p;
}

Outcome<BootPartition> from_gpt(const ReadAt& read, std::uint64_t device_size) {
  // The GPT header sits in LBA 1; try 512- then 4096-byte logical sectors.
  for (std::uint64_t sector : {std::uint64_t{512}, std::uint64_t{4096}}) {
    std::array<std::uint8_t, 512> h{};
    if (!read(sector, h) || std::memcmp(h.data(), "EFI PART", 8) != 0) continue;
    const std::uint32_t header_size = le32(&h[12]);
    if (header_size < 92 || header_size > h.size()) return none("GPT header size is invalid");
    std::array<std::uint8_t, 512> copy = h;
    std::memset(&copy[16], 0, 4);
    if (crc32(std::span(copy.data(), header_size)) != le32(&h[16]))
      return none("GPT header CRC does not match");
    const std::uint64_t entries_lba = le64(&h[72]);
    const std::uint32_t count = le32(&h[80]);
    const std::uint32_t entry_size = le32(&h[84]);
    if (count == 0 || count > 1024 || entry_size < 128 || entry_size > 1024 || entry_size % 8 != 0)
      return none("GPT partition array geometry is invalid");
    if (entries_lba == 0 || entries_lba > device_size / sector)
      return none("GPT partition array lies outside the device");
    std::vector<std::uint8_t> entries(static_cast<std::size_t>(count) * entry_size);
    if (!read(entries_lba * sector, entries)) return none("cannot read the GPT partition array");
    if (crc32(entries) != le32(&h[88])) return none("GPT partition array CRC does not match");
    std::string skipped;
    for (std::uint32_t i = 0; i < count; ++i) {
      const std::uint8_t* e = &entries[static_cast<std::size_t>(i) * entry_size];
      const bool fat_type =
          std::memcmp(e, kBasicData.data(), 16) == 0 || std::memcmp(e, kEfiSystem.data(), 16) == 0;
      if (!fat_type) continue;
      const std::uint64_t first = le64(e + 32), last = le64(e + 40);
      if (last < first || first > device_size / sector) {
        skipped += " partition " + std::to_string(i + 1) + " has an invalid extent;";
        continue;
      }
      BootPartition p{static_cast<int>(i + 1), "gpt", first * sector, (last - first + 1) * sector};
      auto ok = check(read, device_size, p, skipped);
      if (ok) return ok;
    }
    return none("no FAT partition in the GPT;" + skipped);
  }
  return none("protective MBR but no valid GPT header");
}

}  // namespace

std::uint32_t crc32(std::span<const std::uint8_t> bytes) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::uint8_t b : bytes) c = table[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

Outcome<BootPartition> find_boot_partition(const ReadAt& read, std::uint64_t device_size) {
  std::array<std::uint8_t, 512> mbr{};
  if (device_size < kSector || !read(0, mbr))
    return none("the target is too short for a partition table");
  if (mbr[510] != 0x55 || mbr[511] != 0xAA) return none("no partition table (no 0x55AA signature)");
  for (int i = 0; i < 4; ++i)
    if (mbr[446 + 16 * i + 4] == 0xEE) return from_gpt(read, device_size);
  std::string skipped;
  for (int i = 0; i < 4; ++i) {
    const std::uint8_t* e = &mbr[446 + 16 * i];
    if (e[0] != 0x00 && e[0] != 0x80)
      return none("MBR entry " + std::to_string(i + 1) + " has an invalid status byte");
    if (!is_fat_mbr_type(e[4])) continue;
    BootPartition p{i + 1, "mbr", le32(e + 8) * kSector, le32(e + 12) * kSector};
    auto ok = check(read, device_size, p, skipped);
    if (ok) return ok;
  }
  return none("no FAT partition in the MBR;" + skipped);
}

Outcome<BootPartition> find_boot_partition(int fd, std::uint64_t device_size) {
  ReadAt read = [fd, device_size](std::uint64_t offset, std::span<std::uint8_t> out) {
    if (offset > device_size || out.size() > device_size - offset) return false;
    std::size_t done = 0;
    while (done < out.size()) {
      ssize_t n =
          ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  };
  return find_boot_partition(read, device_size);
}

}  // namespace gk::flash
