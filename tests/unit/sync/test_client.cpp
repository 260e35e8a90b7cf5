// The kiosk's sync bookkeeping: resumable downloads, the trusted-time floor, the backoff
// schedule and list-age grading (the network side is tested in tests/integration/sync).
#include <catch2/catch.hpp>

#include "gk/sync/client.hpp"
#include "gk_test_support.hpp"

using namespace gk;
using namespace gk::sync;

TEST_CASE("a revocation download resumes only where it stopped", "[sync][client]") {
  test::ScratchDir dir;
  auto st = SyncState::open(dir / "sync.db");
  REQUIRE(st.ok());
  PartialDownload id{0, 3, 10, 0};
  const Bytes a{1, 2, 3, 4}, b{5, 6, 7, 8, 9, 10};
  CHECK_FALSE(st->append_chunk(id, 4, b).ok());  // nothing in progress: must start at 0
  REQUIRE(st->append_chunk(id, 0, a).ok());
  CHECK_FALSE(st->append_chunk(id, 2, b).ok());            // overlaps
  CHECK_FALSE(st->append_chunk(id, 4, Bytes(7, 0)).ok());  // past the end
  REQUIRE(st->append_chunk(id, 4, b).ok());
  CHECK(st->partial()->received == 10);
  Bytes whole = st->assemble().value();
  CHECK(whole == Bytes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  // A different list replaces the download in progress.
  REQUIRE(st->append_chunk({0, 4, 2, 0}, 0, Bytes{9}).ok());
  CHECK(st->partial()->number == 4);
  CHECK(st->partial()->received == 1);
  REQUIRE(st->clear_partial().ok());
  CHECK_FALSE(st->partial().has_value());
}

TEST_CASE("the trusted time only moves forward and survives a restart", "[sync][client]") {
  test::ScratchDir dir;
  {
    auto st = SyncState::open(dir / "sync.db");
    REQUIRE(st->note_trusted_time(1'700'000'000).ok());
    REQUIRE(st->note_trusted_time(1'600'000'000).ok());
  }
  auto st = SyncState::open(dir / "sync.db");
  CHECK(st->last_trusted_time() == 1'700'000'000);

  // A board whose clock reads earlier than the floor (no RTC, or set back) is not trusted
  // until a signed time arrives; then time runs on from the upstream's.
  hal::ManualClock board(1'000, true);
  hal::TrustedClock clock(board, st->last_trusted_time());
  CHECK_FALSE(clock.trusted());
  CHECK(clock.now() == 1'000);
  clock.anchor(1'700'000'100);
  CHECK(clock.trusted());
  CHECK(clock.now() >= 1'700'000'100);
  CHECK(clock.floor() == 1'700'000'100);
}

TEST_CASE("failed rounds back off exponentially with jitter, within bounds", "[sync][client]") {
  test::ScratchDir dir;
  auto device = generate_issuer_key();
  auto authority = generate_issuer_key();
  REQUIRE(save_key_pair(device, dir.path(), "device").ok());
  REQUIRE(save_key_pair(authority, dir.path(), "authority").ok());
  SyncConfig c;
  c.url = "https://127.0.0.1:9";
  c.pin = "sha256:" + std::string(64, '0');
  c.device_id = "kiosk-01";
  c.device_key = (dir / "device.key").string();
  c.authority_key = (dir / "authority.pub").string();
  c.backoff_min_s = 2;
  c.backoff_max_s = 60;
  c.max_age_revocations_s = 100;
  auto journal = Journal::open(dir / "journal.db");
  auto st = SyncState::open(dir / "sync.db");
  hal::ManualClock board(1'700'000'000, true);
  hal::TrustedClock clock(board, 0);
  boost::asio::io_context io;
  auto client = SyncClient::create(io, c, *journal, *st, clock, {});
  REQUIRE(client.ok());
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 12; ++i) delays.push_back((*client)->next_backoff().count());
  for (auto d : delays) {
    CHECK(d >= 2);
    CHECK(d <= 60);
  }
  CHECK(delays[0] <= 2);  // first retry soon
  // Later retries spread up to the cap: some are well above the minimum.
  CHECK(*std::max_element(delays.begin() + 6, delays.end()) > 10);

  // Never confirmed: stale. Confirmed just now: fresh. Older than the maximum: stale again.
  CHECK((*client)->lists_stale());
  for (auto list : {"revocations", "site_state", "trust_list"})
    REQUIRE(st->confirm(list, board.now()).ok());
  CHECK_FALSE((*client)->lists_stale());
  board.advance(101);
  CHECK((*client)->lists_stale());
  CHECK((*client)->status().age_revocations == 101);
}

TEST_CASE("a client refuses a bad configuration with a clear reason", "[sync][client]") {
  test::ScratchDir dir;
  SyncConfig c;
  c.url = "http://insecure.example";
  auto journal = Journal::open(dir / "journal.db");
  auto st = SyncState::open(dir / "sync.db");
  hal::ManualClock board(0, true);
  hal::TrustedClock clock(board, 0);
  boost::asio::io_context io;
  auto client = SyncClient::create(io, c, *journal, *st, clock, {});
  REQUIRE_FALSE(client.ok());
  CHECK(client.error().layer == Layer::network);
  CHECK(client.error().code == code_name(NetCode::bad_url));
  CHECK(client.error().detail.find("https://") != std::string::npos);
  CHECK_FALSE(parse_https_url("https://host/path").ok());
  CHECK_FALSE(parse_https_url("https://host:99999").ok());
  CHECK(parse_https_url("https://host:8443")->port == "8443");
  CHECK(parse_https_url("https://host")->port == "443");
}
