// The daemon's outer ring, built in-process on board "sim" (daemon_rig.hpp): site state and
// alarms survive a restart, the ordering rule between upstream and guards, every alarm has a
// row, the kiosk screen shows passages only, events are valid JSON whatever the names.
#include <catch2/catch.hpp>

#include <random>
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

TEST_CASE("a lockdown the disk will not save is in force, said and alarmed",
          "[gated][daemon][site]") {
  DaemonRig rig;
  rig.start();
  // site.db stops taking writes (another process, a damaged file).
  auto other = sql::Database::open((rig.dir / "state" / "site.db").string());
  REQUIRE(other.ok());
  REQUIRE(other->exec("ALTER TABLE site_state RENAME TO site_state_away").ok());
  auto r = rig.daemon->set_outbreak(kGuard, "lockdown", {"5"}, "确诊病例");
  CHECK(r.ok);  // journaled, and in force
  CHECK(rig.daemon->site().state().outbreak == Outbreak::lockdown);
  CHECK(rig.present(rig.pass_text(Role::visitor)).verdict.decision != Decision::admit);
  bool alarmed = false;  // not silently lost at the next restart: the guard is told
  for (const auto& a : rig.daemon->alarms().open_alarms())
    alarmed |= a.kind == "site_state_unsaved";
  CHECK(alarmed);
  REQUIRE(other->exec("ALTER TABLE site_state_away RENAME TO site_state").ok());
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
  auto other = sql::Database::open((rig.dir / "state" / "journal.db").string());
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

namespace {
// Random UTF-8 as people and tools produce it: every plane, combining marks, quotes,
// backslashes, NUL and other controls, emoji, supplementary CJK, lengths from 0 to thousands.
std::string random_utf8(std::mt19937& rng, bool controls = true) {
  static const std::pair<char32_t, char32_t> ranges[] = {
      {0x00, 0x1f},        {0x20, 0x7e},       {'"', '"'},         {'\\', '\\'},
      {0x80, 0x7ff},       {0x300, 0x36f},     {0x4e00, 0x9fff},   {0xe000, 0xf8ff},
      {0xfe00, 0xfe0f},    {0x1f300, 0x1faff}, {0x20000, 0x2a6df}, {0xe0000, 0xe007f},
      {0x10fff0, 0x10ffff}};
  std::uniform_int_distribution<int> pick_length(0, 40), which(0, std::size(ranges) - 1);
  std::size_t n = pick_length(rng);
  if (n == 40) n = 3000;  // now and then, far longer than any field holds
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    auto [lo, hi] = ranges[which(rng)];
    if (!controls && hi < 0x20) continue;
    char32_t c = std::uniform_int_distribution<char32_t>(lo, hi)(rng);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xc0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xe0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (c & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return out;
}
}  // namespace

TEST_CASE("random UTF-8 in every guard field, building and name: events parse, sync uploads all",
          "[gated][daemon][utf8][sync]") {
  std::mt19937 rng(Catch::rngSeed());
  for (int round = 0; round < 3; ++round) {
    DaemonRig rig;
    // Names from the config: any UTF-8 but control characters (the config refuses those).
    rig.checkpoint = random_utf8(rng, false).substr(0, 200);
    if (!utf8::valid(rig.checkpoint) || rig.checkpoint.empty()) rig.checkpoint = "北门";
    rig.with_upstream();
    rig.start();
    const auto text = [&] { return random_utf8(rng); };
    for (int i = 0; i < 8; ++i) {
      CAPTURE(round, i);
      rig.daemon->register_without_id(kGuard, text(), "13812348058", {text(), text()});
      rig.daemon->register_delivery(kGuard, text(), "13812348058", {text(), text()});
      rig.daemon->manual_release(kGuard, text());
      rig.daemon->set_outbreak(kGuard, i % 2 ? "lockdown" : "normal", {text(), text(), "3\"栋"},
                               text());
      rig.daemon->visitor_with_consent(kGuard, text(), "13812348058", {text(), text()});
      rig.present(rig.pass_text(Role::resident, text()));
      rig.present(text());  // garbage where a pass should be
    }
    // Every event the screens and the console get is JSON, whatever was typed.
    std::size_t screen = 0, console = 0;
    for (const auto& e : rig.events) {
      if (auto m = for_kiosk_screen(e)) {
        ++screen;
        CHECK_NOTHROW(json::parse(m->data));
      }
      if (auto m = for_guard_console(e)) {
        ++console;
        CHECK_NOTHROW(json::parse(m->data));
      }
    }
    CHECK(screen > 0);
    CHECK(console > 0);
    // Every row stored is valid UTF-8, and a sync round uploads every one of them.
    const auto rows = rig.daemon->journal().entries(0, 100000);
    REQUIRE(rows.size() >= 8 * 4);  // some actions are refused (a consent already pending)
    for (const auto& r : rows) CHECK(utf8::valid(r.passage.detail));
    for (int attempt = 0; attempt < 5 && rig.upstream->rows("kiosk-01") < rows.size(); ++attempt) {
      auto s = rig.daemon->sync_once();
      REQUIRE(s);
      if (!*s) WARN(sync::describe(s->error()));
    }
    CHECK(rig.upstream->rows("kiosk-01") == rows.size());
  }
}

TEST_CASE("an exception in each sync step is said, counted and alarmed; the next round recovers",
          "[gated][daemon][sync]") {
  DaemonRig rig;
  rig.with_upstream();
  rig.start();
  rig.present(rig.pass_text());
  REQUIRE(rig.daemon->sync_client());
  for (const std::string step :
       {"time", "revocations", "site_state", "trust_list", "enrolment", "journal"}) {
    CAPTURE(step);
    rig.daemon->sync_client()->set_step_probe([step](const std::string& at) {
      if (at == step) throw std::runtime_error("injected in " + at);
    });
    const std::size_t events = rig.events.size();
    auto s = rig.daemon->sync_once();
    REQUIRE(s);
    REQUIRE_FALSE(*s);
    // The round's failure names the step and says it was an exception, not a layer's error.
    CHECK(s->error().step == step);
    CHECK(s->error().fault.layer == Layer::internal);
    CHECK(sync::describe(s->error()) == step + ": internal/exception: threw: injected in " + step);
    bool said = false;
    for (std::size_t i = events; i < rig.events.size(); ++i)
      said |= rig.events[i].kind == EventKind::task_failed && rig.events[i].step == step;
    CHECK(said);  // the log line and the console's feed
    CHECK(rig.daemon->metrics_text().find("gate_task_failures_total") != std::string::npos);
    bool alarmed = false;  // the guard sees it (one open task_failed alarm, not one a round)
    for (const auto& a : rig.daemon->alarms().open_alarms()) alarmed |= a.kind == "task_failed";
    CHECK(alarmed);
    // The connection was dropped; without the fault the next round goes through.
    rig.daemon->sync_client()->set_step_probe({});
    auto again = rig.daemon->sync_once();
    REQUIRE(again);
    CHECK(*again);
  }
  CHECK(rig.upstream->rows("kiosk-01") == rig.daemon->journal().entries(0, 1000).size());
}

TEST_CASE("a journal replaced while nobody passes is said and alarmed at the next watch",
          "[gated][daemon][journal]") {
  DaemonRig rig;
  rig.start();
  rig.present(rig.pass_text());
  rig.daemon->check_journal();  // healthy: nothing said
  CHECK(rig.of(EventKind::device).empty());
  {  // another file moved over it (a restore from an old backup, an attacker's copy)
    std::ofstream(rig.dir / "state" / "other.db") << "not this journal";
  }
  std::filesystem::rename(rig.dir / "state" / "other.db", rig.dir / "state" / "journal.db");
  rig.daemon->check_journal();
  const auto said = rig.of(EventKind::device);
  REQUIRE(said.size() == 1);
  CHECK(said[0]->what == "journal");
  bool alarmed = false;
  for (const auto& a : rig.daemon->alarms().open_alarms())
    alarmed |= a.kind == "journal_unavailable";
  CHECK(alarmed);
  rig.daemon->check_journal();  // still broken: said once, not at every watch
  CHECK(rig.of(EventKind::device).size() == 1);
  // And the gate stays shut: the next passage cannot be journaled.
  const PassageOutcome o = rig.present(rig.pass_text());
  CHECK_FALSE(o.gate_released);
  CHECK(o.verdict.reason == Reason::journal_unavailable);
}

TEST_CASE("a failed sync round names its step and the failing layer's error",
          "[gated][daemon][sync]") {
  // An upstream whose TLS key is not the pinned one: network/tls at step time.
  DaemonRig rig;
  rig.with_upstream();
  rig.upstream->pin = "sha256:" + std::string(64, '0');
  rig.start();
  auto s = rig.daemon->sync_once();
  REQUIRE(s);
  REQUIRE_FALSE(*s);
  CHECK(s->error().step == "time");
  CHECK(s->error().fault.layer == Layer::network);
  CHECK(s->error().fault.code == "tls");
  CHECK(s->error().fault.detail.find("does not match the pin") != std::string::npos);
  // The event the log, journald and the console's feed get carries the same three codes.
  bool said = false;
  for (const auto& e : rig.events)
    if (e.kind == EventKind::sync && !e.ok) {
      said = e.step == "time" && e.layer == "network" && e.reason == "tls";
      CHECK(e.body.at("failed") ==
            nlohmann::ordered_json::parse(R"({"step":"time","layer":"network","code":"tls"})"));
    }
  CHECK(said);
}

TEST_CASE("a screen port another program holds is network/listen, not a device fault",
          "[gated][daemon][net]") {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor taken(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  DaemonRig rig;
  rig.extra =
      "[screen]\nlisten = \"127.0.0.1:" + std::to_string(taken.local_endpoint().port()) + "\"\n";
  rig.start();
  auto s = rig.daemon->start_servers();
  REQUIRE_FALSE(s);
  CHECK(s.error().layer == Layer::network);
  CHECK(s.error().code == "listen");
  CHECK(describe(s.error()).rfind("network/listen: screen server on 127.0.0.1:", 0) == 0);
}
