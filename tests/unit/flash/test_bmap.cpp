// The bmap parser: real bmaptool output in, every kind of damage refused with a reason.
#include <catch2/catch.hpp>
#include <random>

#include "flash_fixture.hpp"
#include "gk/flash/bmap.hpp"

using namespace gk::flash;
using namespace gk::flash::test;

namespace {

// A 2.0 bmap for an 8-block image with the given ranges; sealed unless asked not to.
const std::string kCounts =
    "<ImageSize>32768</ImageSize><BlockSize>4096</BlockSize><BlocksCount>8</BlocksCount>";

std::string crafted(const std::string& ranges, const std::string& counts = kCounts,
                    const std::string& mapped = "2", const std::string& version = "2.0") {
  return seal("<?xml version=\"1.0\" ?>\n<bmap version=\"" + version + "\">\n" + counts +
              "<MappedBlocksCount>" + mapped +
              "</MappedBlocksCount><ChecksumType>sha256</ChecksumType>\n"
              "<BmapFileChecksum>" +
              std::string(64, '0') + "</BmapFileChecksum>\n<BlockMap>" + ranges +
              "</BlockMap>\n</bmap>\n");
}

std::string refusal(std::string_view doc) {
  auto m = parse_bmap(doc);
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().problem == Problem::bad_bmap);
  return m.error().detail;
}

}  // namespace

TEST_CASE("bmap: real bmaptool 2.0 output is read exactly", "[flash][bmap]") {
  auto m = parse_bmap(fixture_bmap());
  REQUIRE(m.ok());
  CHECK(m->version_major == 2);
  CHECK(m->version_minor == 0);
  CHECK(m->image_size == kFixtureImageSize);
  CHECK(m->block_size == 4096);
  CHECK(m->blocks_count == 256);
  CHECK(m->mapped_blocks_count == 5);
  CHECK(m->checksum_kind == HashKind::sha256);
  REQUIRE(m->ranges.size() == 4);
  CHECK(m->ranges[2].first == 100);
  CHECK(m->ranges[2].last == 101);
  CHECK(m->ranges[2].checksum ==
        "84270e6c762ea1c4732a6225457b0aebcd7b63a378e9c748e8db1dd4a280a225");
  CHECK(m->ranges[3].first == 255);
  // The last block is partial: 1000 bytes short of a whole block.
  CHECK(m->mapped_bytes() == 4 * 4096 + 4096 - 1000);
  // Its checksums are those of the fixture image's bytes.
  const std::string img = fixture_image_bytes();
  CHECK(sha256_hex(img.substr(409600, 8192)) == m->ranges[2].checksum);
  CHECK(sha256_hex(img.substr(1044480)) == m->ranges[3].checksum);
}

TEST_CASE("bmap: an edited bmap fails its own file checksum", "[flash][bmap]") {
  std::string doc = fixture_bmap();
  auto pos = doc.find("> 100-101 <");
  REQUIRE(pos != std::string::npos);
  doc.replace(pos, 11, "> 100-102 <");
  // MappedBlocksCount now disagrees first; fix it too so only the file checksum is left.
  auto mpos = doc.find("<MappedBlocksCount> 5 ");
  REQUIRE(mpos != std::string::npos);
  doc.replace(mpos, 22, "<MappedBlocksCount> 6 ");
  CHECK_THAT(refusal(doc), Catch::Contains("own checksum"));
}

TEST_CASE("bmap: garbage, truncation and noise are refused, never a crash", "[flash][bmap]") {
  CHECK_THAT(refusal(""), Catch::Contains("root"));
  refusal("hello");
  refusal("<bmap>");
  refusal("<notbmap version=\"2.0\"></notbmap>");
  CHECK_THAT(refusal("<!DOCTYPE bmap [<!ENTITY x \"y\">]><bmap version=\"2.0\"/>"),
             Catch::Contains("DOCTYPE"));
  refusal(std::string(100, '<'));
  refusal(std::string(1000, '\0'));
  std::string deep;
  for (int i = 0; i < 50; ++i) deep += "<a>";
  CHECK_THAT(refusal(deep), Catch::Contains("deeply"));

  const std::string doc = fixture_bmap();
  for (std::size_t n = 0; n < doc.size(); n += 7) {
    INFO("prefix " << n);
    refusal(doc.substr(0, n));
  }
  std::mt19937 rng(42);
  for (int i = 0; i < 300; ++i) {
    std::string mutated = doc;
    const auto pos = rng() % mutated.size();
    mutated[pos] = static_cast<char>(rng() & 0xff);
    auto m = parse_bmap(mutated);  // may pass if the byte was in a comment: no crash either way
    if (m.ok()) CHECK(m->ranges.size() == 4);
  }
}

TEST_CASE("bmap: crafted inconsistent maps are refused with the reason", "[flash][bmap]") {
  // The crafted baseline itself is fine.
  auto ok = parse_bmap(crafted("<Range>1-2</Range>"));
  REQUIRE(ok.ok());
  CHECK(ok->ranges[0].checksum.empty());
  CHECK(ok->mapped_bytes() == 8192);

  CHECK_THAT(refusal(crafted("<Range>7-8</Range>")), Catch::Contains("outside"));
  CHECK_THAT(refusal(crafted("<Range>4</Range><Range>1</Range>")), Catch::Contains("precedes"));
  CHECK_THAT(refusal(crafted("<Range>1-3</Range><Range>3-4</Range>", kCounts, "6")),
             Catch::Contains("overlaps"));
  CHECK_THAT(refusal(crafted("<Range>3-1</Range>")), Catch::Contains("backwards"));
  CHECK_THAT(refusal(crafted("<Range>0x1</Range>")), Catch::Contains("malformed"));
  CHECK_THAT(refusal(crafted("<Range>-1</Range>")), Catch::Contains("malformed"));
  CHECK_THAT(refusal(crafted("<Range>99999999999999999999999</Range>")),
             Catch::Contains("malformed"));
  CHECK_THAT(refusal(crafted("<Range>1</Range>")), Catch::Contains("MappedBlocksCount"));
  CHECK_THAT(refusal(crafted("<Range chksum=\"abc\">1-2</Range>")), Catch::Contains("hex"));
  CHECK_THAT(refusal(crafted("<Range sha1=\"" + std::string(40, 'a') + "\">1-2</Range>")),
             Catch::Contains("unexpected attribute"));
  CHECK_THAT(refusal(crafted("<Extent>1-2</Extent>")), Catch::Contains("Extent"));
  CHECK_THAT(refusal(crafted("<Range>1-2</Range>",
                             "<ImageSize>32768</ImageSize><BlockSize>4096</BlockSize>"
                             "<BlocksCount>9</BlocksCount>")),
             Catch::Contains("BlocksCount"));
  CHECK_THAT(refusal(crafted("<Range>1-2</Range>",
                             "<ImageSize>32768</ImageSize><BlockSize>3000</BlockSize>"
                             "<BlocksCount>11</BlocksCount>")),
             Catch::Contains("power of two"));
  CHECK_THAT(refusal(crafted("<Range>1-2</Range>", "<ImageSize>32768</ImageSize>")),
             Catch::Contains("missing <BlockSize>"));
  CHECK_THAT(refusal(crafted("<Range>1-2</Range>", kCounts, "2", "3.0")),
             Catch::Contains("not supported"));
  CHECK_THAT(refusal(crafted("<Range>1-2</Range>", kCounts, "2", "two")),
             Catch::Contains("version"));
  // Unsealed: the file checksum field is still zeros.
  std::string unsealed = crafted("<Range>1-2</Range>");
  unsealed.replace(unsealed.find("<BmapFileChecksum>") + 18, 64, std::string(64, '0'));
  CHECK_THAT(refusal(unsealed), Catch::Contains("own checksum"));
  CHECK_THAT(refusal(crafted("<Range>1-2</Range>",
                             "<ImageSize>32768</ImageSize><ImageSize>1"
                             "</ImageSize><BlockSize>4096</BlockSize>"
                             "<BlocksCount>8</BlocksCount>")),
             Catch::Contains("twice"));
}

TEST_CASE("bmap: format 1.3 (SHA-1 everywhere) is read", "[flash][bmap]") {
  const std::string data(4096, 'x');
  gk::flash::Hasher h(HashKind::sha1);
  h.update(data);
  const std::string doc = seal(
      "<?xml version=\"1.0\" ?>\n<bmap version=\"1.3\">\n<ImageSize> 8192 </ImageSize>\n"
      "<BlockSize> 4096 </BlockSize>\n<BlocksCount> 2 </BlocksCount>\n"
      "<MappedBlocksCount> 1 </MappedBlocksCount>\n<BmapFileSHA1> " +
          std::string(40, '0') + " </BmapFileSHA1>\n<BlockMap>\n<Range sha1=\"" + h.finish_hex() +
          "\"> 1 </Range>\n</BlockMap>\n</bmap>\n",
      HashKind::sha1);
  auto m = parse_bmap(doc);
  REQUIRE(m.ok());
  CHECK(m->checksum_kind == HashKind::sha1);
  REQUIRE(m->ranges.size() == 1);
  CHECK(m->ranges[0].checksum.size() == 40);
  // 1.0 had no checksums at all and is still accepted.
  auto old = parse_bmap(
      "<bmap version=\"1.0\"><ImageSize>8192</ImageSize><BlockSize>4096</BlockSize>"
      "<BlocksCount>2</BlocksCount><MappedBlocksCount>1</MappedBlocksCount>"
      "<BlockMap><Range>0</Range></BlockMap></bmap>");
  REQUIRE(old.ok());
  CHECK(old->ranges[0].checksum.empty());
}

TEST_CASE("bmap: load_bmap names the file", "[flash][bmap]") {
  gk::test::ScratchDir dir;
  write_file(dir / "x.bmap", "not xml at all");
  auto m = load_bmap(dir / "x.bmap");
  REQUIRE_FALSE(m.ok());
  CHECK_THAT(m.error().detail, Catch::Contains("x.bmap"));
  auto missing = load_bmap(dir / "missing.bmap");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().problem == Problem::bad_bmap);
}
