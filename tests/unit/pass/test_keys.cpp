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
  CHECK(again.error().code == DocCode::unreadable);
  CHECK(again.error().detail.find("refusing to overwrite") != std::string::npos);
}

TEST_CASE("a secret key group or others can read or write is refused", "[pass][keys]") {
  test::ScratchDir dir;
  REQUIRE(save_key_pair(generate_issuer_key(), dir.path()).ok());
  for (const mode_t mode : {0644, 0640, 0620, 0602}) {
    INFO("mode " << std::oct << mode);
    ::chmod((dir / "issuer.key").c_str(), mode);
    auto r = load_secret_key(dir / "issuer.key");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == DocCode::insecure);
    CHECK(r.error().detail.find("chmod 600") != std::string::npos);
  }
  ::chmod((dir / "issuer.key").c_str(), 0600);
  CHECK(load_secret_key(dir / "issuer.key").ok());
}

TEST_CASE("a missing or unreadable key file names the file", "[pass][keys]") {
  test::ScratchDir dir;
  auto secret = load_secret_key(dir / "none.key");
  REQUIRE_FALSE(secret.ok());
  CHECK(secret.error().code == DocCode::unreadable);
  CHECK(secret.error().detail.find("none.key") != std::string::npos);
  auto pub = load_public_key(dir / "none.pub");
  REQUIRE_FALSE(pub.ok());
  CHECK(pub.error().code == DocCode::unreadable);
  std::ofstream(dir / "garbage.pub") << "not json";
  auto garbage = load_public_key(dir / "garbage.pub");
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.error().code == DocCode::syntax);
  CHECK(garbage.error().detail.find("garbage.pub: public key is not JSON") != std::string::npos);
}

TEST_CASE("tampered public keys are refused", "[pass][keys]") {
  auto info = generate_issuer_key().info;
  auto j = nlohmann::json::parse(public_key_json(info));
  SECTION("key id that does not match the key") {
    auto other = generate_issuer_key().info;
    j["key_id"] = to_hex(other.id);
    CHECK(parse_public_key_json(j.dump()).error().code == DocCode::schema);
  }
  SECTION("short key") {
    j["public_key"] = "abcd";
    CHECK(parse_public_key_json(j.dump()).error().code == DocCode::schema);
  }
  SECTION("a version this firmware does not know") {
    j["version"] = 2;
    CHECK(parse_public_key_json(j.dump()).error().code == DocCode::unsupported_version);
  }
  SECTION("wrong types and garbage") {
    j["sites"] = 5;
    CHECK(parse_public_key_json(j.dump()).error().code == DocCode::schema);
    CHECK(parse_public_key_json("[]").error().code == DocCode::schema);
    CHECK(parse_public_key_json("{").error().code == DocCode::syntax);
    CHECK(parse_public_key_json("").error().code == DocCode::syntax);
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
  CHECK(r.error().code == DocCode::schema);
  CHECK(r.error().detail.find("does not match") != std::string::npos);
}
