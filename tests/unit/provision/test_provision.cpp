#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "gk/provision/apply.hpp"
#include "gk/provision/bundle.hpp"
#include "gk_test_support.hpp"

namespace fs = std::filesystem;
using namespace gk;
using namespace gk::provision;

namespace {

struct Keys {
  IssuerKeyPair root = generate_issuer_key();
  IssuerKeyPair device = generate_issuer_key();
  IssuerKeyPair authority = generate_issuer_key();
  IssuerKeyPair issuer = generate_issuer_key({"site-1"});
};

Manifest manifest_for(const Keys& k) {
  Manifest m;
  m.device_id = "north-1";
  m.device_key = k.device.info;
  m.site = "site-1";
  m.checkpoint = "莲花北村北门";
  m.board = "sim";
  m.upstream_url = "https://127.0.0.1:8443";
  m.upstream_pin = "sha256:" + std::string(64, 'a');
  m.authority = k.authority.info;
  m.issuers = {k.issuer.info};
  m.issued_at = 1795431680;
  return m;
}

TrustStore roots_of(const IssuerKeyPair& root) {
  TrustStore t;
  t.add(root.info);
  return t;
}

}  // namespace

TEST_CASE("provision: a bundle opens with its root and gives back manifest and key",
          "[provision]") {
  Keys k;
  auto b = open_bundle(write_bundle(manifest_for(k), k.device, k.root), roots_of(k.root));
  REQUIRE(b);
  CHECK(b->manifest.device_id == "north-1");
  CHECK(b->manifest.checkpoint == "莲花北村北门");
  CHECK(b->manifest.issuers.size() == 1);
  CHECK(b->device.info.key == k.device.info.key);
}

TEST_CASE("provision: refusals name their reason", "[provision]") {
  Keys k;
  const std::string good = write_bundle(manifest_for(k), k.device, k.root);
  SECTION("another root") {
    Keys other;
    CHECK(open_bundle(good, roots_of(other.root)).error().code == DocCode::unknown_signer);
  }
  SECTION("manifest edited after signing") {
    std::string bad = good;
    bad.replace(bad.find("site-1"), 6, "site-2");
    CHECK(open_bundle(bad, roots_of(k.root)).error().code == DocCode::bad_signature);
  }
  SECTION("a secret key that is not the manifest's device key") {
    Keys other;
    auto b = open_bundle(write_bundle(manifest_for(k), other.device, k.root), roots_of(k.root));
    REQUIRE_FALSE(b);
    CHECK(b.error().detail.find("not the key the manifest names") != std::string::npos);
  }
  SECTION("no issuers") {
    Manifest m = manifest_for(k);
    m.issuers.clear();
    CHECK(open_bundle(write_bundle(m, k.device, k.root), roots_of(k.root)).error().code ==
          DocCode::schema);
  }
  SECTION("an upstream without https or with a malformed pin") {
    Manifest m = manifest_for(k);
    m.upstream_url = "http://127.0.0.1:80";
    CHECK_FALSE(open_bundle(write_bundle(m, k.device, k.root), roots_of(k.root)));
    m = manifest_for(k);
    m.upstream_pin = "sha256:XYZ";
    CHECK_FALSE(open_bundle(write_bundle(m, k.device, k.root), roots_of(k.root)));
  }
  SECTION("garbage, truncation, wrong format") {
    for (std::string_view text : {"", "{", "[]", "null", R"({"format":"gk-provision-bundle-v2"})",
                                  R"({"format":"gk-provision-bundle-v1","manifest":1})"})
      CHECK(open_bundle(text, roots_of(k.root)).error().code == DocCode::schema);
    for (std::size_t n = 0; n < good.size(); n += 97)
      CHECK_FALSE(open_bundle(good.substr(0, n), roots_of(k.root)));
  }
}

TEST_CASE("provision: ids and the checkpoint follow the rules gated and the upstream apply",
          "[provision]") {
  Keys k;
  const auto opens = [&](const Manifest& m) {
    return open_bundle(write_bundle(m, k.device, k.root), roots_of(k.root));
  };
  Manifest m = manifest_for(k);
  // Free text: quotes, backslashes and 256 bytes of Chinese are a checkpoint.
  m.checkpoint = "北门 \\ \"东\" ";
  while (m.checkpoint.size() + 3 <= 256) m.checkpoint += "门";
  auto b = opens(m);
  REQUIRE(b);
  CHECK(b->manifest.checkpoint == m.checkpoint);
  m.checkpoint += "xx";
  CHECK(opens(m).error().detail.find("checkpoint: longer than 256 bytes") != std::string::npos);
  m.checkpoint = std::string("北\0门", 7);
  CHECK(opens(m).error().detail.find("checkpoint: contains NUL") != std::string::npos);
  // Ids are never escaped where they go (file names, metric labels, log lines).
  for (std::string bad :
       {std::string("north\"1"), std::string("north\\1"), std::string(65, 'n'), std::string()}) {
    m = manifest_for(k);
    m.device_id = bad;
    CHECK(opens(m).error().detail.find("device_id: ") != std::string::npos);
    m = manifest_for(k);
    m.site = bad;
    CHECK(opens(m).error().detail.find("site: ") != std::string::npos);
    m = manifest_for(k);
    m.board = bad;
    CHECK(opens(m).error().detail.find("board: ") != std::string::npos);
  }
}

TEST_CASE("provision: apply installs the identity once and binds the config", "[provision]") {
  Keys k;
  gk::test::ScratchDir dir;
  const fs::path bundle = dir.path() / "provision.bundle";
  REQUIRE(write_new_file(bundle, write_bundle(manifest_for(k), k.device, k.root), 0600));
  REQUIRE(save_key_pair(k.root, dir.path(), "root"));

  Config c;
  c.board = "sim";
  c.state_dir = dir.path() / "state";
  c.provisioning = {bundle.string(), (dir.path() / "root.pub").string()};
  REQUIRE(check(c));  // touches nothing
  CHECK_FALSE(fs::exists(c.state_dir / "provisioned"));

  Config applied = c;
  REQUIRE(apply(applied));
  CHECK(applied.site.site == "site-1");
  CHECK(applied.checkpoint == "莲花北村北门");
  CHECK(applied.sync.url == "https://127.0.0.1:8443");
  CHECK(applied.sync.device_id == "north-1");
  struct stat st {};
  REQUIRE(::stat(applied.sync.device_key.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto installed = load_secret_key(applied.sync.device_key);
  REQUIRE(installed);
  CHECK(installed->info.key == k.device.info.key);
  TrustStore trust;
  REQUIRE(trust.load_directory(applied.trust_dir));
  CHECK(trust.size() == 1);

  Config again = c;  // a restart finds everything in place
  REQUIRE(apply(again));
  CHECK(again.trust_dir == applied.trust_dir);

  SECTION("a config stating another site, checkpoint or board") {
    Config other = c;
    other.site.site = "site-2";
    auto site = apply(other);
    REQUIRE_FALSE(site);
    CHECK(site.error().code == DocCode::refused);
    CHECK(site.error().detail.find("is for site site-1") != std::string::npos);
    other = c;
    other.checkpoint = "南门";
    auto checkpoint = apply(other);
    REQUIRE_FALSE(checkpoint);
    CHECK(checkpoint.error().code == DocCode::refused);
    CHECK(checkpoint.error().detail.find("disagree on the checkpoint") != std::string::npos);
    other = c;
    other.board = "rpi4-pn532";
    auto board = apply(other);
    REQUIRE_FALSE(board);
    CHECK(board.error().code == DocCode::refused);
    CHECK(board.error().detail.find("is for board sim") != std::string::npos);
  }
  SECTION("a bundle others can read") {
    fs::permissions(bundle, fs::perms::group_read, fs::perm_options::add);
    auto open = apply(again);
    REQUIRE_FALSE(open);
    CHECK(open.error().code == DocCode::insecure);
    CHECK(open.error().detail.find("readable by group or others") != std::string::npos);
  }
  SECTION("an extra issuer key placed next to the installed ones") {
    REQUIRE(save_key_pair(generate_issuer_key(), applied.trust_dir, "intruder"));
    fs::remove(applied.trust_dir / "intruder.key");
    Config third = c;
    auto extra = apply(third);
    REQUIRE_FALSE(extra);
    CHECK(extra.error().code == DocCode::refused);
    CHECK(extra.error().detail.find("not the pass issuers") != std::string::npos);
  }
}

TEST_CASE("provision: a manifest time far out of range is malformed (fuzz regression)",
          "[provision][fuzz]") {
  // fuzz_provision_bundle's finding (committed as regress-issued-at-1e46.json): a huge
  // issued_at was cast from a float to int64, undefined behaviour. Numbers that are no
  // integer in range are now refused, here in a manifest that is otherwise good.
  Keys k;
  const std::string good = payload_of(manifest_for(k));
  REQUIRE(parse_manifest(good));
  const std::string at = "\"issued_at\":1795431680";
  REQUIRE(good.find(at) != std::string::npos);
  for (const char* bad : {"17956666666666666666666666666666666666666435445", "1.79e46",
                          "1795431680.5", "18446744073709551615", "\"1795431680\""}) {
    INFO(bad);
    std::string text = good;
    text.replace(text.find(at), at.size(), std::string("\"issued_at\":") + bad);
    auto m = parse_manifest(text);
    REQUIRE_FALSE(m);
    CHECK(m.error().code == DocCode::schema);
  }
  // A key's validity times go the same way.
  std::string text = good;
  const std::string from = "\"valid_from\":0";
  REQUIRE(text.find(from) != std::string::npos);
  text.replace(text.find(from), from.size(), "\"valid_from\":1e300");
  CHECK_FALSE(parse_manifest(text));
}
