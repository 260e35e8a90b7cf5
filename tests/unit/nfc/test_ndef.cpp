#include <catch2/catch.hpp>
#include <random>

#include "gk/nfc/ndef.hpp"

using namespace gk::nfc;

namespace {
Bytes pass_bytes(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 7);
  return b;
}
}  // namespace

TEST_CASE("a pass round-trips through the NDEF TLV, short and long records", "[nfc][ndef]") {
  for (std::size_t n : {1u, 126u, 142u, 254u, 255u, 300u, 480u}) {
    Bytes tlv = encode_pass_tlv(pass_bytes(n));
    tlv.resize(tlv.size() + 16, 0x00);  // the rest of the tag memory
    auto r = parse_pass_tlv(tlv);
    INFO("payload " << n);
    REQUIRE(r.pass);
    CHECK(*r.pass == pass_bytes(n));
  }
}

TEST_CASE("a typical pass fits an NTAG215 but not an NTAG213", "[nfc][ndef]") {
  Bytes tlv = encode_pass_tlv(pass_bytes(142));
  CHECK(tlv.size() > 144);
  CHECK(tlv.size() <= 504);
}

TEST_CASE("empty tags, other records and broken lengths are not a pass", "[nfc][ndef]") {
  CHECK_FALSE(parse_pass_tlv({0x03, 0x00, 0xFE}).pass);
  CHECK(parse_pass_tlv({0x03, 0x00, 0xFE}).error.empty());
  CHECK(parse_pass_tlv({0xFE}).error.empty());
  // A URI record (TNF 1, type "U") is somebody else's data.
  auto uri = parse_pass_tlv({0x03, 0x06, 0xD1, 0x01, 0x02, 'U', 0x04, 'x', 0xFE});
  CHECK_FALSE(uri.pass);
  CHECK_FALSE(uri.error.empty());
  CHECK_FALSE(parse_pass_tlv({0x03, 0x40, 0xD4}).pass);              // TLV longer than memory
  CHECK_FALSE(parse_pass_tlv({0x03, 0xFF, 0x01}).pass);              // 3-byte length truncated
  CHECK_FALSE(parse_pass_tlv({0x03, 0x03, 0xD4, 0x0C, 0x7F}).pass);  // payload past the end
  CHECK_FALSE(parse_pass_tlv({}).pass);
}

TEST_CASE("every truncation and random byte flips never crash the NDEF parser",
          "[nfc][ndef][fuzz]") {
  Bytes good = encode_pass_tlv(pass_bytes(142));
  for (std::size_t n = 0; n < good.size(); ++n) {
    auto r = parse_pass_tlv(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n)));
    if (r.pass) CHECK(r.pass->size() <= n);
  }
  std::mt19937 rng(11);
  for (int i = 0; i < 3000; ++i) {
    Bytes b = good;
    for (int k = 0; k < 3; ++k) b[rng() % b.size()] = static_cast<std::uint8_t>(rng());
    auto r = parse_pass_tlv(b);
    if (r.pass) CHECK(r.pass->size() <= b.size());
  }
}
