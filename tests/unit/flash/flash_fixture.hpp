#pragma once
// The board image behind fixtures/board.bmap (made once with `bmaptool create`): 1047576
// bytes, data in blocks 0, 3, 100-101 and the partial last block 255, holes elsewhere.
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "gk/flash/digest.hpp"
#include "gk_test_support.hpp"

namespace gk::flash::test {

inline constexpr std::uint64_t kFixtureImageSize = 1048576 - 1000;
inline const std::vector<std::pair<std::uint64_t, std::uint64_t>> kFixtureData = {
    {0, 4096}, {12288, 16384}, {409600, 417792}, {1044480, kFixtureImageSize}};

inline std::uint8_t fixture_byte(std::uint64_t offset) {
  return static_cast<std::uint8_t>((offset * 131 + 7) % 251);
}

inline std::string fixture_image_bytes() {
  std::string img(kFixtureImageSize, '\0');
  for (auto [a, b] : kFixtureData)
    for (auto o = a; o < b; ++o) img[o] = static_cast<char>(fixture_byte(o));
  return img;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string fixture_bmap() {
  return read_file(gk::test::source_dir() / "tests/unit/flash/fixtures/board.bmap");
}

// Puts the right BmapFileChecksum into a crafted bmap whose checksum field is all zeros,
// the way bmaptool computes it.
inline std::string seal(std::string doc, HashKind kind = HashKind::sha256) {
  const std::string zeros(hex_length(kind), '0');
  Hasher h(kind);
  h.update(doc);
  const auto pos = doc.find(zeros);
  if (pos != std::string::npos) doc.replace(pos, zeros.size(), h.finish_hex());
  return doc;
}

}  // namespace gk::flash::test
