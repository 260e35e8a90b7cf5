#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>

#include "gk/sync/batch.hpp"
#include "gk_test_support.hpp"

using namespace gk;
using namespace gk::sync;

namespace {
JournalBatch batch_from_journal(test::ScratchDir& dir, int n) {
  auto j = Journal::open(dir / "journal.db");
  REQUIRE(j.ok());
  for (int i = 0; i < n; ++i) {
    Passage p;
    p.time = 1'700'000'000 + i;
    p.gate = "北门, \"east\"";
    p.credential_kind = CredentialKind::qr;
    p.pass_id = PassId{static_cast<std::uint8_t>(i)};
    p.role = Role::resident;
    p.decision = i % 3 ? Decision::admit : Decision::deny;
    p.reason = i % 3 ? Reason::ok : Reason::fever;
    p.temperature_c = 36.0 + i * 0.1;
    if (i % 2) {  // the readings behind the estimate, on every other row
      p.skin_c = 34.5 + i * 0.01;
      p.ambient_c = 21.25;
    }
    p.phone = "13812348058";
    p.sealed = i % 2 ? Bytes{1, 2, 3} : Bytes{};
    REQUIRE(j->append(p).ok());
  }
  return JournalBatch{"kiosk-01", j->entries(0, 1000)};
}
}  // namespace

TEST_CASE("a journal batch round-trips and every hash re-derives", "[sync][batch]") {
  test::ScratchDir dir;
  JournalBatch b = batch_from_journal(dir, 50);
  auto parsed = parse_batch(encode_batch(b));
  REQUIRE(parsed.ok());
  REQUIRE(parsed->entries.size() == 50);
  CHECK(parsed->entries[7].hash == b.entries[7].hash);
  CHECK(parsed->entries[7].passage.phone == "138**8058");
  CHECK(encode_batch(*parsed) == encode_batch(b));
}

TEST_CASE("altered, cut and reordered batches are refused whole", "[sync][batch]") {
  test::ScratchDir dir;
  JournalBatch b = batch_from_journal(dir, 10);
  auto j = nlohmann::json::parse(encode_batch(b));
  SECTION("a decision changed in transit") {
    j["entries"][3]["decision"] = "admit";  // row 3 was a fever refusal
    j["entries"][3]["reason"] = "ok";
    CHECK(parse_batch(j.dump()).error().code == DocCode::bad_signature);
  }
  SECTION("a row dropped") {
    j["entries"].erase(3);
    CHECK(parse_batch(j.dump()).error().code == DocCode::schema);
  }
  SECTION("two rows swapped") {
    std::swap(j["entries"][2], j["entries"][3]);
    CHECK(parse_batch(j.dump()).error().code == DocCode::schema);
  }
  SECTION("the skin reading nudged") {
    j["entries"][1]["skin_c"] = j["entries"][1]["skin_c"].get<double>() + 0.5;
    CHECK(parse_batch(j.dump()).error().code == DocCode::bad_signature);
  }
  SECTION("a batch from a kiosk that journals no readings still parses") {
    auto first = j["entries"][0];  // a row without readings; older kiosks send no such keys
    first.erase("skin_c");
    first.erase("ambient_c");
    j["entries"] = nlohmann::json::array({first});
    CHECK(parse_batch(j.dump()).ok());
  }
  SECTION("the temperature nudged") {
    j["entries"][1]["temperature_c"] = j["entries"][1]["temperature_c"].get<double>() - 0.1;
    CHECK(parse_batch(j.dump()).error().code == DocCode::bad_signature);
  }
}

TEST_CASE("garbage batches are refused with a reason, never a crash", "[sync][batch][fuzz]") {
  test::ScratchDir dir;
  const std::string good = encode_batch(batch_from_journal(dir, 3));
  for (const char* s :
       {"", "[]", "{}", "null", "{\"kind\":\"gk-journal-batch\",\"version\":2}",
        "{\"kind\":\"gk-journal-batch\",\"version\":1,\"device\":\"d\",\"entries\":[]}"})
    CHECK_FALSE(parse_batch(s).ok());
  CHECK_FALSE(parse_batch(std::string(kMaxBatchBytes + 1, ' ')).ok());
  // A second "entries" (json's tree would keep the last one): refused, not guessed at.
  std::string twice = good;
  twice.insert(twice.find(R"("kind")"),
               good.substr(good.find(R"("entries")"),
                           good.find(R"(,"kind")") - good.find(R"("entries")") + 1));
  REQUIRE(nlohmann::json::parse(twice).is_object());
  CHECK(parse_batch(twice).error().code == DocCode::schema);
  // Keys in any order, and keys it does not know (a newer kiosk's), are read alike.
  auto reordered = nlohmann::json::parse(good);
  reordered["entries"][0]["a_newer_field"] = nlohmann::json::array({nlohmann::json::object()});
  nlohmann::ordered_json backwards;
  for (const char* k : {"version", "kind", "entries", "device"}) backwards[k] = reordered[k];
  CHECK(parse_batch(backwards.dump()).ok());
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) {
    std::string t = good;
    for (int k = 0; k < 2; ++k) t[rng() % t.size()] = static_cast<char>(rng() % 128);
    auto r = parse_batch(t);
    if (!r.ok()) CHECK_FALSE(r.error().detail.empty());
  }
}

TEST_CASE("a row that is not valid UTF-8 still encodes, and its hash still verifies",
          "[sync][batch][utf8]") {
  // Rows written before text was validated on entry: a detail cut at byte 80 inside '门'.
  test::ScratchDir dir;
  auto j = Journal::open(dir / "journal.db");
  REQUIRE(j.ok());
  Passage p;
  p.time = 1'700'000'000;
  p.gate = "北门";
  p.decision = Decision::admit;
  p.reason = Reason::guard_override;
  p.operator_id = std::string("staff-\xE9");
  p.detail = std::string("manual release: \xE9\x97", 18);
  REQUIRE(j->append(p).ok());
  JournalBatch b{"kiosk-01", j->entries(0, 10)};
  std::string text;
  REQUIRE_NOTHROW(text = encode_batch(b));
  CHECK(nlohmann::json::parse(text)["entries"][0].contains("detail_hex"));
  auto parsed = parse_batch(text);
  REQUIRE(parsed.ok());
  CHECK(parsed->entries[0].passage.detail == p.detail);
  CHECK(parsed->entries[0].passage.operator_id == p.operator_id);
  CHECK(parsed->entries[0].hash == b.entries[0].hash);
}

TEST_CASE("an entry is written as json itself would write it, whatever its texts hold",
          "[sync][batch][utf8]") {
  // The upstream stores encode_entry()'s text for every passage and answers operators with
  // it; the writer builds it without a JSON tree, so it must stay json's canonical form:
  // parsing it and writing it again gives the same bytes (key order, escapes, numbers).
  std::mt19937 rng(19);
  const std::vector<std::string> pieces = {"北门",      "\"",
                                           "\\",        std::string(1, '\0'),
                                           "\x01",      "\x1f",
                                           "\x7f",      "\b\f\n\r\t",
                                           "é",         "\xF0\x9F\x98\xB7",
                                           "\xE9\x97",  "\xFF",
                                           "'",         "/",
                                           "</script>", "a"};
  auto text = [&] {
    std::string t;
    for (int n = static_cast<int>(rng() % 6); n > 0; --n) t += pieces[rng() % pieces.size()];
    return t;
  };
  auto maybe = [&]() -> std::optional<std::string> {
    if (rng() % 3 == 0) return std::nullopt;
    return text();
  };
  const std::vector<double> numbers = {36.0, 37.3, 34.56, -0.0, 1e-7, 1e300, 21.25, 0.1 + 0.2};
  for (int i = 0; i < 500; ++i) {
    JournalEntry e;
    e.seq = static_cast<std::int64_t>(rng()) * 4096;
    Passage& p = e.passage;
    p.time = 1'700'000'000 + static_cast<std::int64_t>(rng() % 100000);
    p.gate = text();
    p.detail = text();
    p.operator_id = maybe();
    p.holder = maybe();
    p.phone = maybe();
    if (rng() % 2) p.pass_id = PassId{static_cast<std::uint8_t>(rng())};
    if (rng() % 2) p.consenting_resident = PassId{1, 2, 3};
    if (rng() % 2) p.role = Role::visitor;
    if (rng() % 2) p.temperature_c = numbers[rng() % numbers.size()];
    if (rng() % 2) p.skin_c = numbers[rng() % numbers.size()];
    if (rng() % 2) p.ambient_c = numbers[rng() % numbers.size()];
    p.sealed = rng() % 2 ? Bytes{0, 255} : Bytes{};
    e.prev_hash = "ab";
    e.hash = "cd";
    const std::string written = encode_entry(e);
    INFO(written);
    CHECK(nlohmann::json::parse(written).dump() == written);
    const std::string batch = encode_batch({"kiosk-01", {e, e}});
    CHECK(nlohmann::json::parse(batch).dump() == batch);
    CHECK(nlohmann::json::parse(batch)["entries"][1].dump() == written);
  }
}
