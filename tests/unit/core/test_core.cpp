#include <catch2/catch.hpp>
#include <limits>
#include <set>

#include "gk/core/bytes.hpp"
#include "gk/core/json_int.hpp"
#include "gk/core/mask.hpp"
#include "gk/core/passage.hpp"
#include "gk/core/reason.hpp"

using namespace gk;

TEST_CASE("every reason has a unique stable code and both languages", "[core]") {
  std::set<std::string_view> codes;
  for (int i = 0; i < kReasonCount; ++i) {
    const auto r = static_cast<Reason>(i);
    const ReasonText& t = describe(r);
    INFO("reason " << i << " " << t.code);
    CHECK_FALSE(t.code.empty());
    CHECK_FALSE(t.zh.empty());
    CHECK_FALSE(t.en.empty());
    CHECK(codes.insert(t.code).second);
    CHECK(reason_from_code(t.code) == r);
  }
  // Codes are part of the journal format: pin a few so a reorder is caught.
  CHECK(code(Reason::ok) == "ok");
  CHECK(code(Reason::expired) == "expired");
  CHECK(code(Reason::fever) == "fever");
  CHECK(code(Reason::revoked) == "revoked");
  CHECK(code(Reason::temperature_not_measured) == "temperature_not_measured");
  CHECK_FALSE(reason_from_code("no_such_reason"));
}

TEST_CASE("phone numbers are masked as the Henan app shows them", "[core]") {
  CHECK(mask_phone("13812348058") == "138**8058");
  CHECK(mask_phone("123") == "***");
  CHECK(mask_phone("") == "***");
  CHECK(mask_id_number("440301199001011234") == "**1234");
  CHECK(mask_id_number("12") == "**");
  CHECK(mask_name("张三丰") == "张**");
  CHECK(mask_name("Li Wei") == "L**");
  CHECK(mask_name("") == "");
  // A broken UTF-8 lead byte near the end never reads past the string.
  CHECK(mask_name("\xE5") == "\xEF\xBF\xBD**");  // masks give valid UTF-8 only
}

TEST_CASE("hex is strict", "[core]") {
  Bytes b{0x00, 0xAB, 0xFF};
  CHECK(to_hex(b) == "00abff");
  CHECK(from_hex("00abff") == b);
  CHECK(from_hex("00ABFF") == b);
  CHECK_FALSE(from_hex("0"));
  CHECK_FALSE(from_hex("zz"));
  CHECK_FALSE(from_hex("0g"));
  CHECK(fixed_from_hex<3>("00abff").has_value());
  CHECK_FALSE(fixed_from_hex<4>("00abff").has_value());
}

TEST_CASE("passage vocabulary round-trips through its strings", "[core]") {
  for (auto d : {Direction::in, Direction::out}) CHECK(direction_from_string(to_string(d)) == d);
  for (auto d : {Decision::admit, Decision::deny, Decision::refer})
    CHECK(decision_from_string(to_string(d)) == d);
  CHECK_FALSE(direction_from_string("sideways"));
}

#include <sodium.h>

#include "gk/core/seal.hpp"

TEST_CASE("sealed personal data opens only with the upstream's secret key", "[core][seal]") {
  std::array<std::uint8_t, 32> pk{};
  std::array<std::uint8_t, 64> sk{};
  crypto_sign_keypair(pk.data(), sk.data());
  const std::string plain = R"({"name":"赵敏","phone":"13812348058"})";
  auto sealed = gk::seal_to(pk, gk::as_bytes(plain));
  REQUIRE(sealed);
  CHECK(std::string(sealed->begin(), sealed->end()).find("138123") == std::string::npos);
  auto opened = gk::open_sealed(sk, *sealed);
  REQUIRE(opened);
  CHECK(std::string(opened->begin(), opened->end()) == plain);
  // Another key, or one flipped bit, opens nothing.
  std::array<std::uint8_t, 32> pk2{};
  std::array<std::uint8_t, 64> sk2{};
  crypto_sign_keypair(pk2.data(), sk2.data());
  CHECK_FALSE(gk::open_sealed(sk2, *sealed));
  (*sealed)[sealed->size() / 2] ^= 1;
  CHECK_FALSE(gk::open_sealed(sk, *sealed));
  CHECK_FALSE(gk::open_sealed(sk, gk::Bytes{1, 2, 3}));
}

TEST_CASE("JSON integers are read strictly: no float casts, no wrapping", "[core][json]") {
  using nlohmann::json;
  CHECK(gk::strict_integer(json(42)) == 42);
  CHECK(gk::strict_integer(json(-7)) == -7);
  CHECK(gk::strict_integer(json(std::numeric_limits<std::int64_t>::max())) ==
        std::numeric_limits<std::int64_t>::max());
  // A float, even a whole one, and 1e46 (undefined behaviour through nlohmann's own cast).
  CHECK_THROWS_AS(gk::strict_integer(json(3.0)), json::type_error);
  CHECK_THROWS_AS(
      gk::strict_integer(json::parse("17956666666666666666666666666666666666666435445")),
      json::type_error);
  // Above INT64_MAX as an unsigned would wrap negative; below a narrower type's range.
  CHECK_THROWS_AS(gk::strict_integer(json(std::uint64_t{1} << 63)), json::type_error);
  CHECK_THROWS_AS(gk::strict_integer<std::uint8_t>(json(256)), json::type_error);
  CHECK_THROWS_AS(gk::strict_integer<std::uint32_t>(json(-1)), json::type_error);
  CHECK(gk::strict_integer<std::uint8_t>(json(255)) == 255);
  CHECK_THROWS_AS(gk::strict_integer(json("12")), json::type_error);
  CHECK_THROWS_AS(gk::strict_integer(json(nullptr)), json::type_error);
}
