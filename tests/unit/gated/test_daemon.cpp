// The daemon's outer ring, built in-process on board "sim" (daemon_rig.hpp): site state and
// alarms survive a restart, the ordering rule between upstream and guards, every alarm has a
// row, the kiosk screen shows passages only, events are valid JSON whatever the names.
#include <catch2/catch.hpp>

#include "daemon_rig.hpp"
#include "gk/core/utf8.hpp"

using namespace gk;
using gk::test::DaemonRig;
using nlohmann::json;

namespace {
const guard::Guard kGuard{"staff-1a2b3c4d", "李**"};
}

TEST_CASE("a guard's lockdown survives a restart of gated", "[gated][daemon][site]") {
  DaemonRig rig;
  rig.start();
  auto r = rig.daemon->set_outbreak(kGuard, "lockdown", {"3\"栋", "5"}, "确诊病例");
  REQUIRE(r.ok);
  rig.start();  // watchdog restart, power cut
  const SiteState& s = rig.daemon->site().state();
  CHECK(s.outbreak == Outbreak::lockdown);
  CHECK(s.quarantined_buildings == std::set<std::string>{"3\"栋", "5"});
  CHECK(rig.daemon->site().origin() == SiteOrigin::guard);
  // And the kiosk decides with it: a visitor is refused in lockdown.
  CHECK(rig.present(rig.pass_text(Role::visitor)).verdict.decision != Decision::admit);
}

TEST_CASE("upstream and guard changes follow the written rule", "[gated][daemon][site]") {
  test::ScratchDir dir;
  SiteState live;
  {
    auto k = SiteStateKeeper::open(dir / "site.db", live);
    REQUIRE(k.ok());
    REQUIRE(k->apply_upstream(5, {Outbreak::normal, {"7"}, 37.5}).value());
    CHECK(live.fever_threshold_c == 37.5);
    REQUIRE(k->apply_local(SiteOrigin::guard, "staff-1", {Outbreak::lockdown, {"3"}, {}}).ok());
    // The same document again (the sync client's restore after a restart): not newer.
    CHECK_FALSE(k->apply_upstream(5, {Outbreak::normal, {}, {}}).value());
    CHECK(live.outbreak == Outbreak::lockdown);
  }
  SiteState after_restart;
  auto k = SiteStateKeeper::open(dir / "site.db", after_restart);
  REQUIRE(k.ok());
  CHECK(after_restart.outbreak == Outbreak::lockdown);
  CHECK(after_restart.fever_threshold_c == 37.5);
  CHECK(k->upstream_number() == 5);
  CHECK_FALSE(k->apply_upstream(4, {Outbreak::normal, {}, {}}).value());
  // A newer upstream state replaces the guard's change.
  CHECK(k->apply_upstream(6, {Outbreak::normal, {}, {}}).value());
  CHECK(after_restart.outbreak == Outbreak::normal);
  CHECK(k->origin() == SiteOrigin::upstream);
}

TEST_CASE("open alarms survive a restart and are acknowledged by id", "[gated][daemon][alarm]") {
  DaemonRig rig;
  rig.start();
  rig.daemon->board().sim_thermometer->set_idle(38.4);  // fever
  auto o = rig.present(rig.pass_text());
  REQUIRE(o.verdict.reason == Reason::fever);
  REQUIRE(rig.daemon->alarms().open_count() == 1);
  const Alarm a = rig.daemon->alarms().open_alarms().front();
  CHECK(a.kind == "fever");
  CHECK(a.seq == o.seq);
  rig.start();
  REQUIRE(rig.daemon->alarms().open_count() == 1);
  CHECK(rig.daemon->alarms().open_alarms().front().id == a.id);
  auto state = json::parse(rig.daemon->state_json());
  REQUIRE(state["alarms"].size() == 1);
  CHECK(state["alarms"][0]["id"] == a.id);
  CHECK_FALSE(rig.daemon->acknowledge_alarm(kGuard, a.id + 100).ok);
  CHECK(rig.daemon->acknowledge_alarm(kGuard, a.id).ok);
  CHECK(rig.daemon->alarms().open_count() == 0);
  rig.start();
  CHECK(rig.daemon->alarms().open_count() == 0);
}

TEST_CASE("journal_unavailable has its own alarm row, counted while it lasts",
          "[gated][daemon][alarm]") {
  DaemonRig rig;
  rig.start();
  // The journal's table goes away under it (another process, a damaged file): no passage
  // can commit, at once (a held lock would make each attempt wait out the busy timeout).
  auto other = sql::Database::open((rig.dir / "state" / "journal.db").string(), Reason::malformed);
  REQUIRE(other.ok());
  REQUIRE(other->exec("ALTER TABLE passages RENAME TO passages_away").ok());
  for (int i = 0; i < 3; ++i) {
    auto o = rig.present(rig.pass_text());
    CHECK(o.verdict.reason == Reason::journal_unavailable);
    CHECK_FALSE(o.gate_released);
  }
  REQUIRE(other->exec("ALTER TABLE passages_away RENAME TO passages").ok());
  REQUIRE(rig.daemon->alarms().open_count() == 1);
  const Alarm a = rig.daemon->alarms().open_alarms().front();
  CHECK(a.kind == "journal_unavailable");
  CHECK_FALSE(a.seq);
  CHECK(a.count == 3);
  CHECK(rig.daemon->metrics_text().find("gate_alarms_open 1\n") != std::string::npos);
  rig.start();
  CHECK(rig.daemon->alarms().open_count() == 1);
}

TEST_CASE("the kiosk screen shows passages only, never record rows", "[gated][daemon][screen]") {
  DaemonRig rig;
  rig.start();
  rig.present(rig.pass_text());
  rig.daemon->login_failed("staff-ffffffff", "malformed");  // a record row
  std::optional<ScreenMessage> last_passage;
  std::size_t console_passages = 0;
  for (const auto& e : rig.events) {
    if (auto m = for_kiosk_screen(e); m && m->event == "passage") last_passage = m;
    if (auto m = for_guard_console(e); m && m->event == "passage") ++console_passages;
  }
  REQUIRE(last_passage);
  CHECK(json::parse(last_passage->data)["decision"] == "admit");
  CHECK(console_passages == 2);  // the guard's feed has both
}

TEST_CASE("a building named 3\"栋 cannot break or forge the state event",
          "[gated][daemon][screen]") {
  DaemonRig rig;
  rig.checkpoint = "北门\",\"outbreak\":\"normal";
  rig.start();
  REQUIRE(
      rig.daemon->set_outbreak(kGuard, "lockdown", {"3\"栋", "\",\"outbreak\":\"normal"}, "x").ok);
  std::optional<ScreenMessage> state;
  for (const auto& e : rig.events)
    if (auto m = for_kiosk_screen(e); m && m->event == "state") state = m;
  REQUIRE(state);
  const json s = json::parse(state->data);
  CHECK(s["outbreak"] == "lockdown");
  CHECK(s["quarantined_buildings"].size() == 2);
  CHECK(s["checkpoint"] == rig.checkpoint);
}

TEST_CASE("a manual-release reason of 30 Chinese characters is journaled whole characters",
          "[gated][daemon][utf8]") {
  DaemonRig rig;
  rig.start();
  std::string reason;
  for (int i = 0; i < 30; ++i) reason += "门";
  auto r = rig.daemon->manual_release(kGuard, reason);
  REQUIRE(r.ok);
  auto rows = rig.daemon->journal().entries(0, 10);
  REQUIRE(rows.size() == 1);
  CHECK(utf8::valid(rows[0].passage.detail));
  CHECK(rows[0].passage.detail.find(utf8::truncate(reason, 80)) != std::string::npos);
}
