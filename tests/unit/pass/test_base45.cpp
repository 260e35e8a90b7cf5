#include <catch2/catch.hpp>
#include <random>

#include "gk/pass/base45.hpp"

using namespace gk;

TEST_CASE("base45 matches the RFC 9285 examples", "[pass][base45]") {
  auto enc = [](std::string_view s) { return base45_encode(as_bytes(s)); };
  CHECK(enc("AB") == "BB8");
  CHECK(enc("Hello!!") == "%69 VD92EX0");
  CHECK(enc("base-45") == "UJCLQE7W581");
  CHECK(enc("ietf!") == "QED8WEX0");
  auto dec = base45_decode("QED8WEX0");
  REQUIRE(dec);
  CHECK(std::string(dec->begin(), dec->end()) == "ietf!");
}

TEST_CASE("base45 refuses what RFC 9285 calls invalid", "[pass][base45]") {
  CHECK_FALSE(base45_decode("GGW"));    // 65535 < value: overflow
  CHECK_FALSE(base45_decode("ZZZ"));    // overflow
  CHECK_FALSE(base45_decode("A"));      // dangling character
  CHECK_FALSE(base45_decode("abc"));    // lower case is not in the alphabet
  CHECK_FALSE(base45_decode("BB8\n"));  // newline
  CHECK_FALSE(base45_decode("::"));     // a pair over 255
  CHECK(base45_decode("")->empty());
}

TEST_CASE("base45 round-trips random bytes of every length", "[pass][base45]") {
  std::mt19937 rng(7);
  for (std::size_t n = 0; n < 300; ++n) {
    Bytes b(n);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    auto back = base45_decode(base45_encode(b));
    REQUIRE(back);
    CHECK(*back == b);
  }
}
