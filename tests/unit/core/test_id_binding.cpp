// Resident ID cards: the site-keyed hash that stands for a serial or an ID number.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "gk/core/id_binding.hpp"
#include "gk_test_support.hpp"

using namespace gk;

TEST_CASE("id binding: keyed, domain-separated, 16 bytes", "[core][idcard]") {
  const IdBindingKey a, b;
  const Bytes serial{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  const Bytes h = a.bind(IdSource::card_serial, serial);
  CHECK(h.size() == kIdBindingBytes);
  CHECK(h == a.bind(IdSource::card_serial, serial));
  CHECK(h != b.bind(IdSource::card_serial, serial));  // another site: nothing matches
  CHECK(h != a.bind(IdSource::id_number, serial));    // a number never passes for a serial
  Bytes other = serial;
  other[7] ^= 1;
  CHECK(h != a.bind(IdSource::card_serial, other));
  // A fixed key gives a fixed answer (the property office and the kiosk agree).
  std::array<std::uint8_t, 32> k{};
  k[0] = 1;
  CHECK(IdBindingKey(k).bind(IdSource::card_serial, serial) ==
        IdBindingKey(k).bind(IdSource::card_serial, serial));
}

TEST_CASE("id binding key file: 0600, never overwritten, refused when readable", "[core][idcard]") {
  test::ScratchDir dir;
  const auto file = dir / "id.key";
  REQUIRE(create_id_binding_key(file));
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto again = create_id_binding_key(file);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == DocCode::unreadable);
  CHECK(again.error().detail.find("never overwritten") != std::string::npos);
  auto k1 = load_id_binding_key(file);
  REQUIRE(k1);
  auto k2 = load_id_binding_key(file);
  REQUIRE(k2);
  CHECK(k1->bytes() == k2->bytes());
  ::chmod(file.c_str(), 0644);
  auto open = load_id_binding_key(file);
  REQUIRE_FALSE(open);
  CHECK(open.error().code == DocCode::insecure);
  CHECK(open.error().detail.find("chmod 600") != std::string::npos);
  const auto bad = dir / "bad.key";
  std::ofstream(bad) << "not hex\n";
  ::chmod(bad.c_str(), 0600);
  auto not_hex = load_id_binding_key(bad);
  REQUIRE_FALSE(not_hex);
  CHECK(not_hex.error().code == DocCode::syntax);
  auto missing = load_id_binding_key(dir / "missing.key");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == DocCode::unreadable);
}

TEST_CASE("masked forms of a serial and a full ID number", "[core][idcard]") {
  CHECK(mask_card_serial(Bytes{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}) ==
        "01************ef");
  CHECK(mask_card_serial(Bytes{0x01}) == "**");
  CHECK(mask_full_id_number("410102199001011234") == "4101**********1234");
  CHECK(mask_full_id_number("41010219900101123X") == "4101**********123X");
  CHECK(mask_full_id_number("12345") == "*****");
}
