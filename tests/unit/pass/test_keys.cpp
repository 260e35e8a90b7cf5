#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gk/pass/keys.hpp"
#include "gk_test_support.hpp"

using namespace gk;

TEST_CASE("a key pair saves 0600/0644 and loads back", "[pass][keys]") {
  test::ScratchDir dir;
  auto pair = generate_issuer_key({"sz-a", "sz-b"}, 100, 200);
  REQUIRE(save_key_pair(pair, dir.path()).ok());
  struct stat st {};
  REQUIRE(::stat((dir / "issuer.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto loaded = load_secret_key(dir / "issuer.key");
  REQUIRE(loaded.ok());
  CHECK(loaded->info == pair.info);
  CHECK(loaded->secret.bytes() == pair.secret.bytes());
  auto pub = load_public_key(dir / "issuer.pub");
  REQUIRE(pub.ok());
  CHECK(*pub == pair.info);
  CHECK(pub->id == key_id_of(pub->key));
}

TEST_CASE("keys are never overwritten", "[pass][keys]") {
  test::ScratchDir dir;
  REQUIRE(save_key_pair(generate_issuer_key(), dir.path()).ok());
  auto again = save_key_pair(generate_issuer_key(), dir.path());
  REQUIRE_FALSE(again.ok());
  CHECK(again.failure().detail.find("refusing to overwrite") != std::string::npos);
}

TEST_CASE("a secret key readable by others is refused", "[pass][keys]") {
  test::ScratchDir dir;
  REQUIRE(save_key_pair(generate_issuer_key(), dir.path()).ok());
  ::chmod((dir / "issuer.key").c_str(), 0644);
  auto r = load_secret_key(dir / "issuer.key");
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().detail.find("chmod 600") != std::string::npos);
}

TEST_CASE("tampered public keys are refused", "[pass][keys]") {
  auto info = generate_issuer_key().info;
  auto j = nlohmann::json::parse(public_key_json(info));
  SECTION("key id that does not match the key") {
    auto other = generate_issuer_key().info;
    j["key_id"] = to_hex(other.id);
    CHECK(parse_public_key_json(j.dump()).reason() == Reason::malformed);
  }
  SECTION("short key") {
    j["public_key"] = "abcd";
    CHECK(parse_public_key_json(j.dump()).reason() == Reason::malformed);
  }
  SECTION("wrong types and garbage") {
    j["sites"] = 5;
    CHECK_FALSE(parse_public_key_json(j.dump()).ok());
    CHECK_FALSE(parse_public_key_json("{").ok());
    CHECK_FALSE(parse_public_key_json("[]").ok());
    CHECK_FALSE(parse_public_key_json("").ok());
  }
  SECTION("intact") {
    CHECK(parse_public_key_json(j.dump()).ok());
  }
}

TEST_CASE("a secret key whose public half was swapped is refused", "[pass][keys]") {
  test::ScratchDir dir;
  auto pair = generate_issuer_key();
  REQUIRE(save_key_pair(pair, dir.path()).ok());
  std::ifstream in(dir / "issuer.key");
  auto j = nlohmann::json::parse(in);
  in.close();
  j["public"] = nlohmann::json::parse(public_key_json(generate_issuer_key().info));
  std::filesystem::remove(dir / "issuer.key");
  {
    std::ofstream out(dir / "issuer.key");
    out << j.dump();
  }
  ::chmod((dir / "issuer.key").c_str(), 0600);
  auto r = load_secret_key(dir / "issuer.key");
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().detail.find("does not match") != std::string::npos);
}
