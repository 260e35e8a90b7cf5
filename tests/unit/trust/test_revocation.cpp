#include <catch2/catch.hpp>
#include <cstring>
#include <random>

#include "gk/trust/revocation_document.hpp"
#include "gk/trust/revocation_store.hpp"
#include "gk_test_support.hpp"

using namespace gk;

namespace {
std::vector<PassId> random_ids(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<PassId> ids(n);
  for (auto& id : ids)
    for (std::size_t i = 0; i < 16; i += 8) {
      std::uint64_t v = rng();
      std::memcpy(id.data() + i, &v, 8);
    }
  return ids;
}

RevocationDocument snapshot(std::uint64_t number, std::vector<PassId> ids) {
  RevocationDocument d;
  d.number = number;
  d.site = "*";
  d.added = std::move(ids);
  return d;
}

RevocationDocument delta(std::uint64_t base, std::uint64_t number, std::vector<PassId> add,
                         std::vector<PassId> remove) {
  RevocationDocument d;
  d.kind = RevocationDocument::Kind::delta;
  d.base_number = base;
  d.number = number;
  d.site = "*";
  d.added = std::move(add);
  d.removed = std::move(remove);
  return d;
}
}  // namespace

TEST_CASE("revocation list is exact at a million entries", "[trust][revocation]") {
  auto revoked = random_ids(1'000'000, 1);
  auto others = random_ids(1'000'000, 2);
  RevocationList list = RevocationList::snapshot(5, revoked);
  CHECK(list.size() == 1'000'000);
  CHECK(list.number() == 5);
  for (const auto& id : revoked) REQUIRE(list.contains(id));
  std::size_t false_hits = 0;
  for (const auto& id : others) false_hits += list.contains(id);
  CHECK(false_hits == 0);
  // The size budget: at most 12.5 bytes per entry all included.
  CHECK(list.memory_bytes() < 1'000'000 * 25 / 2);
}

TEST_CASE("ids sharing their first 8 bytes are told apart", "[trust][revocation]") {
  PassId a{}, b{};
  a.fill(0x42);
  b.fill(0x42);
  b[11] = 0x43;  // same 64-bit prefix, different next bytes
  RevocationList list = RevocationList::snapshot(1, {a});
  CHECK(list.contains(a));
  CHECK_FALSE(list.contains(b));
}

TEST_CASE("numbering: snapshots move forward, deltas apply to their base only",
          "[trust][revocation]") {
  auto ids = random_ids(10, 3);
  RevocationList list;
  REQUIRE(list.apply(snapshot(3, {ids[0], ids[1]})).ok());
  CHECK(list.apply(snapshot(3, {ids[2]})).error().code == DocCode::out_of_order);  // not newer
  CHECK(list.apply(snapshot(2, {})).error().code == DocCode::out_of_order);        // older: replay
  CHECK(list.contains(ids[0]));
  CHECK(list.apply(delta(2, 4, {ids[2]}, {})).error().code == DocCode::out_of_order);  // base
  REQUIRE(list.apply(delta(3, 4, {ids[2]}, {ids[0]})).ok());
  CHECK_FALSE(list.contains(ids[0]));
  CHECK(list.contains(ids[1]));
  CHECK(list.contains(ids[2]));
  CHECK(list.number() == 4);
}

TEST_CASE("signed revocation documents: round trip, tamper, scope", "[trust][revocation]") {
  auto key = generate_issuer_key({"sz-a"});
  TrustStore trust;
  trust.add(key.info);
  auto doc = snapshot(9, random_ids(5, 4));
  doc.site = "sz-a";
  Bytes signed_doc = sign_revocation_document(doc, key);
  auto parsed = parse_revocation_document(signed_doc, trust);
  REQUIRE(parsed.ok());
  CHECK(parsed->added == doc.added);
  CHECK(parsed->number == 9);

  SECTION("every byte flipped is refused") {
    for (std::size_t i = 0; i < signed_doc.size(); ++i) {
      Bytes b = signed_doc;
      b[i] ^= 0x01;
      INFO("byte " << i);
      CHECK_FALSE(parse_revocation_document(b, trust).ok());
    }
    Bytes b = signed_doc;
    b.back() ^= 0x01;  // in the signature
    CHECK(parse_revocation_document(b, trust).error().code == DocCode::bad_signature);
  }
  SECTION("truncated at every length is refused") {
    for (std::size_t n = 0; n < signed_doc.size(); ++n)
      CHECK_FALSE(parse_revocation_document(ByteView(signed_doc).first(n), trust).ok());
  }
  SECTION("a huge count in a tiny document is refused without allocating") {
    Bytes b = signed_doc;
    std::size_t count_at = 4 + 1 + 1 + 8 + 24 + 1 + doc.site.size();
    b[count_at] = 0xFF;
    CHECK(parse_revocation_document(b, trust).error().code == DocCode::syntax);
  }
  SECTION("a key scoped to one site may not revoke for all") {
    auto all = doc;
    all.site = "*";
    auto r = parse_revocation_document(sign_revocation_document(all, key), trust);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == DocCode::unknown_signer);
    CHECK(r.error().detail == "signer may not revoke for *");
  }
  SECTION("an untrusted signer") {
    CHECK(parse_revocation_document(sign_revocation_document(doc, generate_issuer_key()), trust)
              .error()
              .code == DocCode::unknown_signer);
  }
}

TEST_CASE("revocation store persists through a real SQLite file", "[trust][revocation]") {
  test::ScratchDir dir;
  auto ids = random_ids(1000, 5);
  {
    auto store = RevocationStore::open(dir / "revocation.db");
    REQUIRE(store.ok());
    REQUIRE(store->apply(snapshot(1, {ids.begin(), ids.begin() + 500})).ok());
    REQUIRE(store->apply(delta(1, 2, {ids.begin() + 500, ids.end()}, {ids[0]})).ok());
    CHECK_FALSE(store->apply(delta(1, 3, {}, {})).ok());  // stale base, refused, nothing changes
  }
  auto store = RevocationStore::open(dir / "revocation.db");
  REQUIRE(store.ok());
  CHECK(store->number() == 2);
  auto list = store->load();
  REQUIRE(list.ok());
  CHECK(list->number() == 2);
  CHECK(list->size() == 999);
  CHECK_FALSE(list->contains(ids[0]));
  CHECK(list->contains(ids[999]));
}
