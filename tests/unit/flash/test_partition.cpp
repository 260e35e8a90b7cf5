// The boot partition finder on crafted MBR and GPT tables, and on garbage.
#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gk/flash/partition.hpp"

using namespace gk::flash;

namespace {

constexpr std::uint64_t kDisk = 8u << 20;  // 8 MiB crafted disk

struct Disk {
  std::vector<std::uint8_t> bytes = std::vector<std::uint8_t>(kDisk, 0);

  ReadAt reader() const {
    return [this](std::uint64_t off, std::span<std::uint8_t> out) {
      if (off > bytes.size() || out.size() > bytes.size() - off) return false;
      std::memcpy(out.data(), bytes.data() + off, out.size());
      return true;
    };
  }
  void le(std::uint64_t off, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes[off + i] = static_cast<std::uint8_t>(v >> (8 * i));
  }
  void mbr_entry(int i, std::uint8_t type, std::uint32_t lba, std::uint32_t sectors) {
    const std::uint64_t e = 446 + 16 * static_cast<std::uint64_t>(i);
    bytes[e + 4] = type;
    le(e + 8, lba, 4);
    le(e + 12, sectors, 4);
    bytes[510] = 0x55;
    bytes[511] = 0xAA;
  }
  // The fields of a FAT boot sector the finder looks at (what mkfs.vfat writes).
  void fat_boot_sector(std::uint64_t off) {
    bytes[off] = 0xEB;
    bytes[off + 1] = 0x3C;
    bytes[off + 2] = 0x90;
    std::memcpy(&bytes[off + 3], "mkfs.fat", 8);
    le(off + 11, 512, 2);
    bytes[off + 13] = 4;
    le(off + 14, 4, 2);
    bytes[off + 16] = 2;
    bytes[off + 510] = 0x55;
    bytes[off + 511] = 0xAA;
  }
  void gpt(
      const std::vector<std::pair<const std::uint8_t*, std::pair<std::uint64_t, std::uint64_t>>>&
          parts) {
    mbr_entry(0, 0xEE, 1, static_cast<std::uint32_t>(kDisk / 512 - 1));
    const std::uint64_t h = 512, entries = 1024;
    std::memcpy(&bytes[h], "EFI PART", 8);
    le(h + 8, 0x00010000, 4);
    le(h + 12, 92, 4);
    le(h + 24, 1, 8);
    le(h + 72, 2, 8);    // entries at LBA 2
    le(h + 80, 128, 4);  // 128 entries
    le(h + 84, 128, 4);  // of 128 bytes
    for (std::size_t i = 0; i < parts.size(); ++i) {
      std::memcpy(&bytes[entries + 128 * i], parts[i].first, 16);
      bytes[entries + 128 * i + 16] = static_cast<std::uint8_t>(i + 1);  // unique GUID
      le(entries + 128 * i + 32, parts[i].second.first, 8);
      le(entries + 128 * i + 40, parts[i].second.second, 8);
    }
    le(h + 88, crc32(std::span(&bytes[entries], 128 * 128)), 4);
    le(h + 16, 0, 4);
    le(h + 16, crc32(std::span(&bytes[h], 92)), 4);
  }
};

const std::uint8_t kLinuxFs[16] = {0xAF, 0x3D, 0xC6, 0x0F, 0x83, 0x84, 0x72, 0x47,
                                   0x8E, 0x79, 0x3D, 0x69, 0xD8, 0x47, 0x7D, 0xE4};
const std::uint8_t kBasicData[16] = {0xA2, 0xA0, 0xD0, 0xEB, 0xE5, 0xB9, 0x33, 0x44,
                                     0x87, 0xC0, 0x68, 0xB6, 0xB7, 0x26, 0x99, 0xC7};
const std::uint8_t kEfiSystem[16] = {0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11,
                                     0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B};

}  // namespace

TEST_CASE("partition: CRC-32 is zlib's", "[flash][partition]") {
  const std::string s = "123456789";
  CHECK(crc32(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size())) == 0xCBF43926u);
}

TEST_CASE("partition: the first FAT partition of an MBR", "[flash][partition]") {
  Disk d;
  d.mbr_entry(0, 0x83, 2048, 4096);  // Linux first: skipped
  d.mbr_entry(1, 0x0c, 8192, 4096);  // FAT32 LBA
  d.fat_boot_sector(8192ull * 512);
  auto p = find_boot_partition(d.reader(), kDisk);
  REQUIRE(p.ok());
  CHECK(p->number == 2);
  CHECK(p->scheme == "mbr");
  CHECK(p->offset == 8192ull * 512);
  CHECK(p->size == 4096ull * 512);
}

TEST_CASE("partition: FAT types without a FAT file system, or out of bounds, are skipped",
          "[flash][partition]") {
  Disk d;
  d.mbr_entry(0, 0x0c, 2048, 4096);     // no boot sector written: empty
  d.mbr_entry(1, 0x0e, 16000, 100000);  // beyond the 8 MiB disk
  auto none = find_boot_partition(d.reader(), kDisk);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().problem == Problem::no_boot_partition);
  CHECK_THAT(none.error().detail, Catch::Contains("partition 1 has a FAT type but no FAT"));
  CHECK_THAT(none.error().detail, Catch::Contains("partition 2 lies outside"));

  d.fat_boot_sector(2048ull * 512);
  auto found = find_boot_partition(d.reader(), kDisk);
  REQUIRE(found.ok());
  CHECK(found->number == 1);

  // NTFS also uses "basic data" and 0x07-alike layouts: its boot sector is told apart.
  std::memcpy(&d.bytes[2048ull * 512 + 3], "NTFS    ", 8);
  CHECK_FALSE(find_boot_partition(d.reader(), kDisk).ok());
}

TEST_CASE("partition: only Linux partitions means no boot partition", "[flash][partition]") {
  Disk d;
  d.mbr_entry(0, 0x83, 2048, 4096);
  auto p = find_boot_partition(d.reader(), kDisk);
  REQUIRE_FALSE(p.ok());
  CHECK_THAT(p.error().detail, Catch::Contains("no FAT partition in the MBR"));
}

TEST_CASE("partition: GPT basic data and EFI system partitions", "[flash][partition]") {
  Disk d;
  d.gpt({{kLinuxFs, {2048, 4095}}, {kEfiSystem, {4096, 8191}}, {kBasicData, {8192, 12287}}});
  d.fat_boot_sector(4096ull * 512);
  auto p = find_boot_partition(d.reader(), kDisk);
  REQUIRE(p.ok());
  CHECK(p->scheme == "gpt");
  CHECK(p->number == 2);
  CHECK(p->offset == 4096ull * 512);
  CHECK(p->size == 4096ull * 512);

  // A damaged header is refused, not trusted.
  d.bytes[512 + 40] ^= 0xFF;
  auto bad = find_boot_partition(d.reader(), kDisk);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().detail, Catch::Contains("header CRC"));
}

TEST_CASE("partition: GPT entries with a bad CRC are refused", "[flash][partition]") {
  Disk d;
  d.gpt({{kBasicData, {2048, 4095}}});
  d.fat_boot_sector(2048ull * 512);
  REQUIRE(find_boot_partition(d.reader(), kDisk).ok());
  d.bytes[1024 + 32] ^= 0x01;  // first LBA of entry 1
  auto bad = find_boot_partition(d.reader(), kDisk);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().detail, Catch::Contains("array CRC"));
}

TEST_CASE("partition: garbage and short devices give an error, never a crash",
          "[flash][partition]") {
  Disk d;
  CHECK_THAT(find_boot_partition(d.reader(), kDisk).error().detail, Catch::Contains("0x55AA"));
  CHECK_FALSE(find_boot_partition(d.reader(), 100).ok());
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    for (std::size_t i = 0; i < 8192; ++i) d.bytes[i] = static_cast<std::uint8_t>(rng());
    d.bytes[510] = 0x55;
    d.bytes[511] = 0xAA;
    if (round % 2) d.bytes[446 + 4] = 0xEE;
    if (round % 4 == 1) std::memcpy(&d.bytes[512], "EFI PART", 8);
    auto p = find_boot_partition(d.reader(), kDisk);
    if (p.ok()) CHECK(p->offset + p->size <= kDisk);
  }
}
