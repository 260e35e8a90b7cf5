// The committed test vectors (firmware/pass/testvectors/vectors.json) are re-derived here
// byte for byte: a change to the encoder that alters the format fails this test.
// Regenerate deliberately with: GK_WRITE_VECTORS=1 build/tests/test_pass "[vectors]"
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gk/pass/codec.hpp"
#include "gk_test_support.hpp"

using namespace gk;
using nlohmann::json;

namespace {

IssuerKeyPair vector_key() {
  std::array<std::uint8_t, 32> seed{};
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(i + 1);
  return issuer_key_from_seed(seed);
}

std::vector<std::pair<std::string, Pass>> vector_passes() {
  Pass base;
  for (std::size_t i = 0; i < 16; ++i) base.id[i] = static_cast<std::uint8_t>(i * 17);
  base.site = "sz-futian-lianhua-01";
  base.building = "12";
  base.unit = "3-402";
  base.holder_name = "张伟";
  base.id_last4 = "123X";
  base.valid_from = 1581292800;  // 2020-02-10, the week the notices took effect
  base.valid_until = base.valid_from + 7 * 86400;
  std::vector<std::pair<std::string, Pass>> v;
  v.emplace_back("resident", base);
  Pass t = base;
  t.role = Role::temporary_resident;
  t.holder_name = "王芳";
  t.id_last4.clear();
  v.emplace_back("temporary_resident", t);
  Pass vis = base;
  vis.role = Role::visitor;
  vis.id[0] = 0xEE;
  vis.visit = Visit{base.id, base.valid_from + 3600, base.valid_from + 4 * 3600};
  vis.valid_until = vis.visit->until;
  v.emplace_back("visitor", vis);
  Pass staff = base;
  staff.role = Role::staff;
  staff.building.clear();
  staff.unit.clear();
  v.emplace_back("staff", staff);
  Pass del = base;
  del.role = Role::delivery;
  del.holder_name.clear();
  v.emplace_back("delivery", del);
  Pass card = base;
  card.card_uid = {0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66};
  card.holder_name = "李奶奶";
  v.emplace_back("card_bound_elderly", card);
  Pass sick = base;
  sick.health = Health::yellow;
  v.emplace_back("health_yellow", sick);
  return v;
}

json derive() {
  IssuerKeyPair key = vector_key();
  json out{{"seed", "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"},
           {"public_key", to_hex(key.info.key)},
           {"key_id", to_hex(key.info.id)},
           {"vectors", json::array()}};
  for (auto& [name, pass] : vector_passes()) {
    Bytes signed_pass = sign_pass(pass, key);
    Bytes body(signed_pass.begin(), signed_pass.end() - 64);
    out["vectors"].push_back({{"name", name},
                              {"body", to_hex(body)},
                              {"signature", to_hex(ByteView(signed_pass).last(64))},
                              {"text", to_pass_text(signed_pass)}});
  }
  return out;
}

}  // namespace

TEST_CASE("committed test vectors are re-derived byte for byte", "[pass][vectors]") {
  const auto file = test::source_dir() / "firmware/pass/testvectors/vectors.json";
  json derived = derive();
  if (std::getenv("GK_WRITE_VECTORS")) {
    std::ofstream(file) << derived.dump(2) << "\n";
    WARN("wrote " << file);
  }
  std::ifstream in(file);
  REQUIRE(in);
  json committed = json::parse(in);
  CHECK(committed == derived);
  // And every committed text parses to a pass that verifies under the vector key.
  for (const auto& v : committed["vectors"]) {
    auto parsed = parse_pass_text(v["text"].get<std::string>());
    REQUIRE(parsed);
    CHECK(signature_valid(*parsed, vector_key().info.key));
  }
}
