// The writer on real files: only mapped blocks change, damage is found and named, the
// read-back catches a target that does not hold what was written.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <sstream>

#include "flash_fixture.hpp"
#include "gk/flash/target.hpp"
#include "gk/flash/writer.hpp"
#include "gk/hal/unique_fd.hpp"

using namespace gk::flash;
using namespace gk::flash::test;

namespace {

struct Board {
  gk::test::ScratchDir dir;
  std::filesystem::path image = dir / "board.img";
  std::filesystem::path target = dir / "target.img";
  BlockMap map;

  Board() {
    write_file(image, fixture_image_bytes());
    auto m = parse_bmap(fixture_bmap());
    REQUIRE(m.ok());
    map = *m;
  }
  void prefill_target(std::uint64_t size, char pattern) {
    write_file(target, std::string(size, pattern));
  }
};

bool in_data(std::uint64_t offset) {
  for (auto [a, b] : kFixtureData)
    if (offset >= a && offset < b) return true;
  return false;
}

}  // namespace

TEST_CASE("writer: only mapped blocks are written, holes keep the target's bytes",
          "[flash][writer]") {
  Board b;
  b.prefill_target(kFixtureImageSize, '\xAA');
  SilentProgress quiet;
  auto r = flash_image({b.image, b.target, b.map, true}, quiet);
  REQUIRE(r.ok());
  CHECK(r->written_bytes == 4 * 4096 + 4096 - 1000);
  CHECK(r->skipped_bytes == kFixtureImageSize - r->written_bytes);
  CHECK(r->verified);
  CHECK(r->image_sha256 == r->target_sha256);

  const std::string img = fixture_image_bytes();
  const std::string out = read_file(b.target);
  REQUIRE(out.size() == kFixtureImageSize);
  std::string mapped;
  std::uint64_t wrong = 0;
  for (std::uint64_t o = 0; o < out.size(); ++o) {
    const bool data = in_data(o);
    if (data) mapped.push_back(img[o]);
    if (data ? out[o] != img[o] : out[o] != '\xAA') ++wrong;
  }
  CHECK(wrong == 0);
  // The reported hash is that of the mapped bytes in order.
  CHECK(r->image_sha256 == sha256_hex(mapped));
}

TEST_CASE("writer: without a bmap every byte is written and hashed", "[flash][writer]") {
  Board b;
  b.prefill_target(100, '\x55');  // too short: a regular file is extended
  SilentProgress quiet;
  auto r = flash_image({b.image, b.target, std::nullopt, true}, quiet);
  REQUIRE(r.ok());
  CHECK(r->written_bytes == kFixtureImageSize);
  CHECK(r->skipped_bytes == 0);
  CHECK(read_file(b.target) == fixture_image_bytes());
  CHECK(r->image_sha256 == sha256_hex(fixture_image_bytes()));
  CHECK(r->target_sha256 == r->image_sha256);
}

TEST_CASE("writer: a corrupt mapped range is refused and named", "[flash][writer]") {
  Board b;
  std::string img = fixture_image_bytes();
  img[409600 + 5000] ^= 0x01;  // inside blocks 100-101
  write_file(b.image, img);
  SilentProgress quiet;
  auto r = flash_image({b.image, b.target, b.map, true}, quiet);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().problem == Problem::corrupt_range);
  CHECK(exit_code(r.error().problem) == 1);
  CHECK_THAT(r.error().detail, Catch::Contains("blocks 100-101"));

  // Damage in a hole is not the bmap's business: that byte is never written.
  img = fixture_image_bytes();
  img[200000] = 'Z';
  write_file(b.image, img);
  auto hole = flash_image({b.image, b.target, b.map, true}, quiet);
  CHECK(hole.ok());
}

TEST_CASE("writer: read-back detects a target that differs from what was written",
          "[flash][writer]") {
  Board b;
  const WritePlan plan = WritePlan::from(b.map);
  gk::hal::UniqueFd image(::open(b.image.c_str(), O_RDONLY | O_CLOEXEC));
  auto target = Target::open(b.target, kFixtureImageSize, b.image);
  REQUIRE(target.ok());
  SilentProgress quiet;
  auto written = write_extents(image.get(), target->fd(), plan, quiet, "board.img");
  REQUIRE(written.ok());
  auto good = verify_extents(target->fd(), plan, *written, quiet);
  REQUIRE(good.ok());
  CHECK(*good == written->image_sha256);

  // A card that silently drops a write: one byte of block 3 is not what we sent.
  const char bad = 'Q';
  REQUIRE(::pwrite(target->fd(), &bad, 1, 12288 + 10) == 1);
  auto mismatch = verify_extents(target->fd(), plan, *written, quiet);
  REQUIRE_FALSE(mismatch.ok());
  CHECK(mismatch.error().problem == Problem::verify_mismatch);
  CHECK_THAT(mismatch.error().detail, Catch::Contains("blocks 3-3"));
  CHECK_THAT(mismatch.error().detail, Catch::Contains(written->image_sha256));
}

TEST_CASE("writer: wrong inputs are refused before anything is written", "[flash][writer]") {
  Board b;
  SilentProgress quiet;
  auto same = flash_image({b.image, b.image, b.map, true}, quiet);
  REQUIRE_FALSE(same.ok());
  CHECK(same.error().problem == Problem::bad_target);
  CHECK(read_file(b.image) == fixture_image_bytes());

  // Same file through another name.
  std::filesystem::create_hard_link(b.image, b.dir / "alias.img");
  auto alias = flash_image({b.image, b.dir / "alias.img", b.map, true}, quiet);
  REQUIRE_FALSE(alias.ok());
  CHECK_THAT(alias.error().detail, Catch::Contains("image itself"));

  auto dir_target = flash_image({b.image, b.dir.path(), b.map, true}, quiet);
  REQUIRE_FALSE(dir_target.ok());
  CHECK(dir_target.error().problem == Problem::bad_target);

  write_file(b.image, fixture_image_bytes() + "extra");
  auto wrong_map = flash_image({b.image, b.target, b.map, true}, quiet);
  REQUIRE_FALSE(wrong_map.ok());
  CHECK(wrong_map.error().problem == Problem::bad_image);
  CHECK_FALSE(std::filesystem::exists(b.target));

  auto missing = flash_image({b.dir / "nope.img", b.target, std::nullopt, true}, quiet);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().problem == Problem::bad_image);
}

TEST_CASE("writer: JSON progress lines per percent, first and last", "[flash][progress]") {
  Board b;
  std::ostringstream lines;
  JsonLinesProgress json(lines);
  auto r = flash_image({b.image, b.target, std::nullopt, true}, json);
  REQUIRE(r.ok());
  const std::string s = lines.str();
  CHECK(s.rfind(R"({"phase":"write","bytes":0,"total":1047576})"
                "\n",
                0) == 0);
  CHECK_THAT(s, Catch::Contains(R"({"phase":"write","bytes":1047576,"total":1047576})"));
  CHECK_THAT(s, Catch::Contains(R"({"phase":"verify","bytes":1047576,"total":1047576})"));
  std::size_t n = 0;
  for (char c : s) n += c == '\n';
  CHECK(n <= 2 * 102);
}

TEST_CASE("target: mount table sources decode the kernel's escapes", "[flash][target]") {
  const auto sources = mount_sources(
      "/dev/sdb1 /media/tech/BOOT vfat rw 0 0\n"
      "proc /proc proc rw 0 0\n"
      "/dev/disk\\040with\\040space /mnt ext4 rw 0 0\n"
      "\n"
      "/dev/trailing\\04 /x y z 0 0");
  REQUIRE(sources.size() == 4);
  CHECK(sources[0] == "/dev/sdb1");
  CHECK(sources[1] == "proc");
  CHECK(sources[2] == "/dev/disk with space");
  CHECK(sources[3] == "/dev/trailing\\04");
  CHECK_FALSE(block_device_in_use(makedev(8, 16), "proc /proc proc rw 0 0\n"));
}

TEST_CASE("target: this machine's mounted block devices count as in use", "[flash][target]") {
  const std::string mounts = read_file("/proc/self/mounts");
  int checked = 0;
  for (const auto& source : mount_sources(mounts)) {
    struct stat st {};
    if (source.rfind("/dev/", 0) != 0 || ::stat(source.c_str(), &st) != 0 || !S_ISBLK(st.st_mode))
      continue;
    INFO(source);
    CHECK(block_device_in_use(st.st_rdev, mounts));
    ++checked;
    // A mounted partition puts its whole disk in use too (sysfs: .../sda/sda1/partition).
    const auto sys = std::filesystem::path("/sys/dev/block") /
                     (std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev)));
    if (std::filesystem::exists(sys / "partition")) {
      unsigned disk_major = 0, disk_minor = 0;
      const std::string dev = read_file(std::filesystem::canonical(sys).parent_path() / "dev");
      std::sscanf(dev.c_str(), "%u:%u", &disk_major, &disk_minor);
      CHECK(block_device_in_use(makedev(disk_major, disk_minor), mounts));
    }
  }
  if (checked == 0) WARN("no block device is mounted here (container root): nothing to check");
}

TEST_CASE("writer: SHA-1 range checksums (bmap 1.3) are checked too", "[flash][writer]") {
  Board b;
  const std::string img = fixture_image_bytes();
  Hasher sha1(HashKind::sha1);
  sha1.update(std::string_view(img).substr(409600, 8192));
  WritePlan plan;
  plan.image_size = kFixtureImageSize;
  plan.block_size = 4096;
  plan.checksum_kind = HashKind::sha1;
  plan.from_bmap = true;
  plan.extents.push_back({409600, 8192, 100, 101, sha1.finish_hex()});
  gk::hal::UniqueFd image(::open(b.image.c_str(), O_RDONLY | O_CLOEXEC));
  auto target = Target::open(b.target, kFixtureImageSize, b.image);
  REQUIRE(target.ok());
  SilentProgress quiet;
  REQUIRE(write_extents(image.get(), target->fd(), plan, quiet, "board.img").ok());
  plan.extents[0].checksum[0] = plan.extents[0].checksum[0] == '0' ? '1' : '0';
  auto bad = write_extents(image.get(), target->fd(), plan, quiet, "board.img");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().problem == Problem::corrupt_range);
  CHECK_THAT(bad.error().detail, Catch::Contains("sha1"));
}
