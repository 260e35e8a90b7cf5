// One passage through the kiosk with simulated devices and a real journal file.
#include <catch2/catch.hpp>
#include <fstream>

#include "gk/hal/sim_devices.hpp"
#include "gk/kiosk/kiosk.hpp"
#include "gk/trust/revocation_document.hpp"
#include "gk_test_support.hpp"

using namespace gk;

namespace {
constexpr UnixTime kNow = 1'700'000'000;

struct Rig {
  test::ScratchDir dir;
  IssuerKeyPair key = generate_issuer_key();
  TrustStore trust;
  RevocationList revocations;
  Journal journal = std::move(*Journal::open(dir / "journal.db"));
  hal::SimThermometer thermometer{35.3, 24.0};  // a healthy forehead in a 24 °C room
  hal::SimGate gate;
  hal::SimIndicator indicator;
  hal::ManualClock clock{kNow};
  Config config;
  std::unique_ptr<Kiosk> kiosk;

  Rig() {
    trust.add(key.info);
    config.checkpoint = "北门";
    config.site.site = "site-1";
    config.thermometer.readings = 3;
    kiosk = std::make_unique<Kiosk>(config, trust, revocations, journal,
                                    KioskDevices{thermometer, gate, &indicator, clock});
  }
  std::string pass_text(Role role = Role::resident) {
    Pass p;
    random_fill(p.id);
    p.role = role;
    p.site = "site-1";
    p.building = "1";
    p.valid_from = kNow - 10;
    p.valid_until = kNow + 86400;
    return issue_pass_text(p, key);
  }
  PassageOutcome present(const std::string& text) {
    Presentation p;
    p.text = text;
    return kiosk->process(p);
  }
};
}  // namespace

TEST_CASE("an admitted passage is journaled, then the gate pulses with its seq", "[kiosk]") {
  Rig rig;
  auto o = rig.present(rig.pass_text());
  CHECK(o.verdict.decision == Decision::admit);
  REQUIRE(o.seq);
  CHECK(o.gate_released);
  REQUIRE(rig.gate.pulses().size() == 1);
  CHECK(rig.gate.pulses()[0].journal_seq == *o.seq);
  CHECK(rig.journal.count() == 1);
  CHECK(rig.indicator.shown().back() == hal::Tone::admit);
}

TEST_CASE("a refused passage is journaled and the gate stays shut", "[kiosk]") {
  Rig rig;
  auto o = rig.present("GK1:garbage");
  CHECK(o.verdict.reason == Reason::malformed);
  CHECK(o.seq);
  CHECK_FALSE(o.gate_released);
  CHECK(rig.gate.pulses().empty());
  auto rows = rig.journal.entries(0, 10);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].passage.reason == Reason::malformed);
}

TEST_CASE("no journal, no gate: fail closed", "[kiosk]") {
  Rig rig;
  auto locker = sql::Database::open((rig.dir / "journal.db").string());
  REQUIRE(locker->exec("BEGIN EXCLUSIVE").ok());
  auto o = rig.present(rig.pass_text());
  CHECK(o.verdict.decision == Decision::deny);
  CHECK(o.verdict.reason == Reason::journal_unavailable);
  CHECK_FALSE(o.seq);
  CHECK(rig.gate.pulses().empty());
}

TEST_CASE("temperature: median of readings, failures referred to the guard", "[kiosk]") {
  Rig rig;
  SECTION("one wild reading does not decide") {
    rig.thermometer.script({{35.2, {}}, {39.9, {}}, {35.4, {}}});
    auto o = rig.present(rig.pass_text());
    CHECK(o.passage.skin_c == Approx(35.4));
    CHECK(o.passage.ambient_c == Approx(24.0));
    // The estimate, journaled to 0.1 °C.
    CHECK(*o.passage.temperature_c ==
          Approx(*body_temperature(35.4, 24.0, rig.config.site).celsius).margin(0.05));
    CHECK(o.verdict.admitted());
    auto row = rig.journal.entries(0, 1).at(0).passage;  // journaled: skin, ambient, estimate
    CHECK(row.skin_c == Approx(35.4));
    CHECK(row.ambient_c == Approx(24.0));
    CHECK(row.temperature_c == o.passage.temperature_c);
  }
  SECTION("a forehead that the old rule let in: 36.6 °C skin in a 24 °C room is a fever") {
    rig.thermometer.set_idle(36.6);
    auto o = rig.present(rig.pass_text());
    CHECK(o.passage.skin_c == Approx(36.6));
    CHECK(*o.passage.temperature_c >= rig.config.site.fever_threshold_c);
    CHECK(o.verdict.reason == Reason::fever);
  }
  SECTION("the refer band: the guard re-measures with a clinical thermometer") {
    const SiteState& site = rig.config.site;
    const double band = (site.refer_from_c + site.fever_threshold_c) / 2;
    rig.thermometer.set_idle(skin_for_body_c(band, 24.0, site.skin_model));
    auto o = rig.present(rig.pass_text());
    REQUIRE(o.verdict.reason == Reason::temperature_recheck);
    CHECK(o.verdict.decision == Decision::refer);
    CHECK(rig.gate.pulses().empty());
    // A wrong seq, an absurd reading: refused, nothing journaled.
    CHECK_FALSE(rig.kiosk->clinical_remeasure("guard-7", *o.seq + 5, 36.8).ok());
    CHECK_FALSE(rig.kiosk->clinical_remeasure("guard-7", *o.seq, 3.68).ok());
    CHECK(rig.journal.count() == 1);
    auto normal = rig.kiosk->clinical_remeasure("guard-7", *o.seq, 36.8);
    REQUIRE(normal.ok());
    CHECK(normal->verdict.reason == Reason::remeasured_normal);
    CHECK(normal->gate_released);
    auto row = rig.journal.entries(*normal->seq - 1, 1).at(0).passage;
    CHECK(row.operator_id == "guard-7");
    CHECK(row.temperature_c == Approx(36.8));
    CHECK(row.pass_id == o.passage.pass_id);
    // Once per referral.
    CHECK_FALSE(rig.kiosk->clinical_remeasure("guard-7", *o.seq, 36.8).ok());
    // A clinical fever is a fever refusal with an alarm, the gate stays shut.
    auto again = rig.present(rig.pass_text());
    REQUIRE(again.verdict.reason == Reason::temperature_recheck);
    const std::size_t pulses = rig.gate.pulses().size();
    auto fever = rig.kiosk->clinical_remeasure("guard-8", *again.seq, 37.6);
    REQUIRE(fever.ok());
    CHECK(fever->verdict.reason == Reason::fever);
    CHECK(fever->verdict.alarm);
    CHECK(rig.gate.pulses().size() == pulses);
    // Not a referral for temperature: refused.
    rig.thermometer.set_idle(35.3);
    auto ok = rig.present(rig.pass_text());
    CHECK_FALSE(rig.kiosk->clinical_remeasure("guard-7", *ok.seq, 36.8).ok());
  }
  SECTION("a referral older than the window is not re-measured") {
    const SiteState& site = rig.config.site;
    rig.thermometer.set_idle(skin_for_body_c(site.refer_from_c + 0.05, 24.0, site.skin_model));
    auto o = rig.present(rig.pass_text());
    REQUIRE(o.verdict.reason == Reason::temperature_recheck);
    rig.clock.advance(Kiosk::kRemeasureWindowS + 1);
    CHECK_FALSE(rig.kiosk->clinical_remeasure("guard-7", *o.seq, 36.8).ok());
  }
  SECTION("most readings failing means not measured") {
    rig.thermometer.script({{0, hal::DeviceError::timeout}, {36.5, {}}, {0, hal::DeviceError::io}});
    auto o = rig.present(rig.pass_text());
    CHECK(o.verdict.reason == Reason::temperature_not_measured);
    CHECK(rig.gate.pulses().empty());
  }
  SECTION("fever") {
    rig.thermometer.script({{37.3, {}}, {37.4, {}}, {37.5, {}}});  // skin
    auto o = rig.present(rig.pass_text());
    CHECK(o.verdict.reason == Reason::fever);
    CHECK(rig.indicator.shown().back() == hal::Tone::alarm);
  }
}

TEST_CASE("revocation and anti-passback come from the kiosk's stores", "[kiosk]") {
  Rig rig;
  std::string text = rig.pass_text();
  auto id = parse_pass_text(text)->pass.id;
  RevocationDocument doc;
  doc.number = 1;
  doc.added = {id};
  REQUIRE(rig.revocations.apply(doc).ok());
  CHECK(rig.present(text).verdict.reason == Reason::revoked);

  rig.kiosk->site_state().anti_passback = AntiPassback::hard;
  std::string other = rig.pass_text();
  CHECK(rig.present(other).verdict.admitted());
  CHECK(rig.present(other).verdict.reason == Reason::anti_passback);
}

TEST_CASE("an untrusted clock refers every passage", "[kiosk]") {
  Rig rig;
  rig.clock.set_trusted(false);
  CHECK(rig.present(rig.pass_text()).verdict.reason == Reason::clock_not_trusted);
}

TEST_CASE("outcome JSON carries both languages and no raw personal data", "[kiosk]") {
  Rig rig;
  Pass p;
  random_fill(p.id);
  p.site = "site-1";
  p.holder_name = "张三丰";
  p.valid_from = kNow - 1;
  p.valid_until = kNow + 100;
  auto o = rig.present(issue_pass_text(p, rig.key));
  std::string j = outcome_json(o);
  CHECK(j.find("\"reason\":\"ok\"") != std::string::npos);
  CHECK(j.find("请通行") != std::string::npos);
  CHECK(j.find("Please pass") != std::string::npos);
  CHECK(j.find("张**") != std::string::npos);
  CHECK(j.find("张三丰") == std::string::npos);
  CHECK(j.find(to_hex(p.id)) == std::string::npos);  // only a short prefix is shown
}

TEST_CASE("UID-only cards pass through the enrolment list as card-bound passes", "[kiosk]") {
  Rig rig;
  const Bytes uid{0x04, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60};
  Pass p;
  random_fill(p.id);
  p.site = "site-1";
  p.valid_from = kNow - 10;
  p.valid_until = kNow + 86400;
  p.card_uid = uid;
  rig.kiosk->enrol(uid, sign_pass(p, rig.key));
  Presentation tap;
  tap.kind = CredentialKind::card_uid;
  tap.card_uid = uid;
  auto o = rig.kiosk->process(tap);
  CHECK(o.verdict.reason == Reason::ok);
  CHECK(o.passage.credential_kind == CredentialKind::card_uid);
  tap.card_uid = {0x04, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99};
  o = rig.kiosk->process(tap);
  CHECK(o.verdict.reason == Reason::card_not_enrolled);
  CHECK(o.seq);  // refused, and journaled
}

TEST_CASE("enrolment files: card-bound passes only, errors with line numbers", "[kiosk]") {
  Rig rig;
  Pass bound;
  random_fill(bound.id);
  bound.site = "site-1";
  bound.valid_until = kNow;
  bound.card_uid = {1, 2, 3, 4};
  Pass unbound = bound;
  unbound.card_uid.clear();
  {
    std::ofstream f(rig.dir / "enrolment.txt");
    f << "# property office, building 3\n" << issue_pass_text(bound, rig.key) << "\n";
  }
  auto ok = load_enrolment(rig.dir / "enrolment.txt");
  REQUIRE(ok.ok());
  CHECK(ok->size() == 1);
  {
    std::ofstream f(rig.dir / "enrolment.txt", std::ios::app);
    f << issue_pass_text(unbound, rig.key) << "\nGK1:garbage\n";
  }
  auto bad = load_enrolment(rig.dir / "enrolment.txt");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == DocCode::schema);  // line 3: a pass, but bound to no card
  CHECK(bad.error().detail.find("enrolment.txt:3: pass is not bound to a card UID") !=
        std::string::npos);
  {
    std::ofstream f(rig.dir / "garbage.txt");
    f << issue_pass_text(bound, rig.key) << "\nGK1:garbage\n";
  }
  auto garbage = load_enrolment(rig.dir / "garbage.txt");
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.error().code == DocCode::syntax);
  CHECK(garbage.error().detail.find("garbage.txt:2:") != std::string::npos);
  auto missing = load_enrolment(rig.dir / "missing.txt");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == DocCode::unreadable);
}

TEST_CASE("a visitor enters on a resident's consent; the row names resident, visitor, guard",
          "[kiosk][guard]") {
  Rig rig;
  auto registered = rig.kiosk->await_consent(
      {"guard-7", "赵敏", "13812348058", "visiting her mother", Bytes{1, 2, 3}},
      std::chrono::seconds(120));
  REQUIRE(registered.ok());
  REQUIRE(rig.kiosk->pending_consent());
  const std::string resident = rig.pass_text();
  auto o = rig.present(resident);
  CHECK(o.verdict.reason == Reason::visitor_with_consent);
  CHECK(o.gate_released);
  CHECK_FALSE(rig.kiosk->pending_consent());
  auto rows = rig.journal.entries(0, 10);
  REQUIRE(rows.size() == 2);  // the registration, then the entry
  CHECK(rows[0].passage.decision == Decision::record);
  const Passage& entry = rows[1].passage;
  CHECK(entry.operator_id == "guard-7");
  CHECK(entry.consenting_resident == parse_pass_text(resident)->pass.id);
  REQUIRE(entry.holder);
  CHECK(entry.holder->starts_with("赵"));
  CHECK(entry.holder->find("敏") == std::string::npos);
  CHECK(entry.phone == "138**8058");
  CHECK(entry.sealed == Bytes{1, 2, 3});
  CHECK(entry.role == Role::visitor);
  CHECK(rig.gate.pulses().back().journal_seq == rows[1].seq);
  // The next person is an ordinary passage again.
  CHECK(rig.present(rig.pass_text()).verdict.reason == Reason::ok);
}

TEST_CASE("consent: refused in lockdown, only from a resident, and it expires", "[kiosk][guard]") {
  Rig rig;
  rig.kiosk->site_state().outbreak = Outbreak::lockdown;
  CHECK(rig.kiosk
            ->await_consent({"guard-7", "赵敏", "13812348058", "x", {}}, std::chrono::seconds(60))
            .reason() == Reason::lockdown);
  CHECK_FALSE(rig.kiosk->pending_consent());
  rig.kiosk->site_state().outbreak = Outbreak::normal;

  REQUIRE(rig.kiosk
              ->await_consent({"guard-7", "赵敏", "13812348058", "x", {}}, std::chrono::seconds(60))
              .ok());
  auto by_visitor = rig.present(rig.pass_text(Role::staff));  // staff cannot vouch either
  CHECK(by_visitor.verdict.reason == Reason::visitor_without_consent);
  CHECK_FALSE(by_visitor.gate_released);

  REQUIRE(rig.kiosk
              ->await_consent({"guard-7", "赵敏", "13812348058", "x", {}}, std::chrono::seconds(60))
              .ok());
  rig.clock.advance(61);  // the resident never came: the next person is just a passage
  CHECK(rig.present(rig.pass_text()).verdict.reason == Reason::ok);
}

TEST_CASE("manual release, registration, delivery and records are journaled with the guard",
          "[kiosk][guard]") {
  Rig rig;
  auto release = rig.kiosk->manual_release("guard-7", "ambulance crew");
  CHECK(release.gate_released);
  CHECK(release.passage.reason == Reason::guard_override);
  CHECK(rig.gate.pulses().back().journal_seq == *release.seq);

  rig.thermometer.script({{38.2}, {38.1}, {38.3}});
  auto fever =
      rig.kiosk->register_entrant({"guard-7", "王老伯", "13900001111", "no phone", {}, {}});
  CHECK(fever.verdict.reason == Reason::fever);
  CHECK_FALSE(fever.gate_released);
  auto ok = rig.kiosk->register_entrant({"guard-7", "王老伯", "13900001111", "no phone", {}, {}});
  CHECK(ok.verdict.reason == Reason::registered_at_gate);
  CHECK(ok.gate_released);

  const auto pulses = rig.gate.pulses().size();
  auto delivery = rig.kiosk->register_delivery("guard-7", "SF Express", Bytes{9});
  CHECK(delivery.passage.reason == Reason::delivery_never_admitted);
  CHECK(rig.gate.pulses().size() == pulses);

  auto rec = rig.kiosk->record("guard-7", Reason::outbreak_changed, "lockdown: case in bldg 3");
  CHECK(rec.passage.decision == Decision::record);
  CHECK(rig.gate.pulses().size() == pulses);
  for (const auto& e : rig.journal.entries(0, 100)) CHECK(e.passage.operator_id == "guard-7");
  CHECK(rig.journal.verify().ok);
}

#include <sys/stat.h>

#include "gk/kiosk/guards.hpp"

TEST_CASE("guards log in with a staff pass of this compound and the right PIN", "[kiosk][guard]") {
  Rig rig;
  auto staff_text = rig.pass_text(Role::staff);
  const PassId staff_id = parse_pass_text(staff_text)->pass.id;
  const auto file = rig.dir / "guards";
  REQUIRE(GuardRegistry::set_pin(file, staff_id, "246810").ok());
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  for (const char* pin : {"12", "12ab56"}) {
    auto refused = GuardRegistry::set_pin(file, staff_id, pin);
    REQUIRE_FALSE(refused.ok());
    CHECK(describe(refused.error()) == "document/schema: a PIN is 4 to 12 digits");
  }
  auto reg = GuardRegistry::load(file);
  REQUIRE(reg.ok());
  auto ok = reg->authenticate(staff_text, "246810", rig.trust, rig.revocations, "site-1", kNow);
  REQUIRE(ok.ok());
  CHECK(ok->guard_id.rfind("staff-", 0) == 0);
  CHECK(reg->authenticate(staff_text, "246811", rig.trust, rig.revocations, "site-1", kNow)
            .failure()
            .detail == "wrong PIN");
  CHECK(reg->authenticate(staff_text, "246810", rig.trust, rig.revocations, "site-2", kNow)
            .reason() == Reason::wrong_site);
  CHECK(reg->authenticate(rig.pass_text(), "246810", rig.trust, rig.revocations, "site-1", kNow)
            .failure()
            .detail == "not a staff pass");
  CHECK(reg->authenticate(rig.pass_text(Role::staff), "246810", rig.trust, rig.revocations,
                          "site-1", kNow)
            .failure()
            .detail == "not a guard of this checkpoint");
  CHECK(reg->authenticate(staff_text, "246810", rig.trust, rig.revocations, "site-1",
                          kNow + 3 * 86400)
            .reason() == Reason::expired);
  TrustStore other;
  CHECK(reg->authenticate(staff_text, "246810", other, rig.revocations, "site-1", kNow).reason() ==
        Reason::unknown_issuer);
  // Lock-outs count per registered guard: named only when the pass was a guard's.
  std::string registered;
  (void)reg->authenticate(staff_text, "000000", rig.trust, rig.revocations, "site-1", kNow,
                          &registered);
  CHECK(registered == ok->guard_id);
  registered.clear();
  (void)reg->authenticate(rig.pass_text(Role::staff), "000000", rig.trust, rig.revocations,
                          "site-1", kNow, &registered);
  (void)reg->authenticate("GK1:forged", "000000", rig.trust, rig.revocations, "site-1", kNow,
                          &registered);
  CHECK(registered.empty());
  ::chmod(file.c_str(), 0644);
  auto open = GuardRegistry::load(file);
  REQUIRE_FALSE(open.ok());
  CHECK(open.error().code == DocCode::insecure);
}

TEST_CASE("resident ID cards: the keyed hash of the serial finds the enrolled pass", "[kiosk]") {
  Rig rig;
  const IdBindingKey site_key;
  const Bytes serial{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  Pass p;
  random_fill(p.id);
  p.site = "site-1";
  p.holder_name = "张三";
  p.valid_from = kNow - 10;
  p.valid_until = kNow + 86400;
  p.card_uid = site_key.bind(IdSource::card_serial, serial);
  std::map<Bytes, Bytes> enrolled;
  REQUIRE(add_enrolled_pass(issue_pass_text(p, rig.key), enrolled));
  rig.kiosk->replace_enrolment(enrolled);
  Presentation tap;
  tap.kind = CredentialKind::id_card;
  tap.id_card_serial = serial;
  // Without the site's key no ID card is recognised.
  CHECK(rig.kiosk->process(tap).verdict.reason == Reason::card_not_enrolled);
  rig.kiosk->set_id_binding_key(site_key);
  auto o = rig.kiosk->process(tap);
  CHECK(o.verdict.reason == Reason::ok);
  CHECK(o.gate_released);
  CHECK(o.passage.credential_kind == CredentialKind::id_card);
  const std::string j = outcome_json(o);
  CHECK(j.find("0123456789") == std::string::npos);
  CHECK(j.find(to_hex(p.card_uid)) == std::string::npos);
  // Another card, and the same card read at a site with another key: not enrolled.
  tap.id_card_serial[7] ^= 1;
  CHECK(rig.kiosk->process(tap).verdict.reason == Reason::card_not_enrolled);
  tap.id_card_serial = serial;
  rig.kiosk->set_id_binding_key(IdBindingKey{});
  CHECK(rig.kiosk->process(tap).verdict.reason == Reason::card_not_enrolled);
  rig.kiosk->set_id_binding_key(site_key);
  // Every other rule applies as to any pass: fever, expiry, revocation.
  rig.thermometer.script({{38.2}, {38.3}, {38.1}});
  CHECK(rig.kiosk->process(tap).verdict.reason == Reason::fever);
  rig.clock.advance(2 * 86400);
  CHECK(rig.kiosk->process(tap).verdict.reason == Reason::expired);
  rig.clock.set(kNow);
  rig.revocations = RevocationList::snapshot(1, {p.id});
  CHECK(rig.kiosk->process(tap).verdict.reason == Reason::revoked);
  // A serial of the wrong length is no serial.
  tap.id_card_serial = {0x01, 0x02};
  CHECK(rig.kiosk->process(tap).verdict.reason == Reason::card_not_enrolled);
  // The journal has the kind and never the serial or its hash.
  for (const auto& e : rig.journal.entries(0, 100)) {
    CHECK(e.passage.credential_kind == CredentialKind::id_card);
    CHECK(e.passage.detail.find("0123456789") == std::string::npos);
  }
}
