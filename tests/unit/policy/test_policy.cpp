// Every rule of the policy and their precedence, as tables. Each row starts from a passage
// that is admitted and changes one or more things.
#include <catch2/catch.hpp>
#include <functional>

#include "gk/policy/policy.hpp"

using namespace gk;

namespace {

constexpr UnixTime kNow = 1'600'000'000;
constexpr std::int64_t kDay = 86400;

PassId id_of(std::uint8_t b) {
  PassId id{};
  id.fill(b);
  return id;
}

Pass resident() {
  Pass p;
  p.id = id_of(1);
  p.role = Role::resident;
  p.site = "sz-lianhua-01";
  p.building = "12";
  p.unit = "3-402";
  p.holder_name = "张三";
  p.valid_from = kNow - kDay;
  p.valid_until = kNow + 6 * kDay;
  return p;
}

Pass visitor() {
  Pass p = resident();
  p.id = id_of(2);
  p.role = Role::visitor;
  p.visit = Visit{id_of(1), kNow - 3600, kNow + 3600};
  p.valid_from = p.visit->from;  // as gatectl issue makes them: valid for the visit
  p.valid_until = p.visit->until;
  return p;
}

PassageContext admitted_context(Pass pass = resident()) {
  PassageContext c;
  c.credential.kind = CredentialKind::qr;
  c.credential.pass = std::move(pass);
  c.temperature.celsius = 36.5;
  c.now = kNow;
  return c;
}

SiteState site() {
  SiteState s;
  s.site = "sz-lianhua-01";
  return s;
}

struct Row {
  const char* name;
  std::function<void(PassageContext&, SiteState&)> change;
  Decision decision;
  Reason reason;
};

void check_rows(const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    SECTION(row.name) {
      PassageContext ctx = admitted_context();
      SiteState s = site();
      row.change(ctx, s);
      Verdict v = decide(ctx, s);
      INFO("got " << code(v.reason));
      CHECK(v.decision == row.decision);
      CHECK(v.reason == row.reason);
    }
  }
}

}  // namespace

TEST_CASE("a valid resident pass with a normal temperature is admitted", "[policy]") {
  Verdict v = decide(admitted_context(), site());
  CHECK(v.decision == Decision::admit);
  CHECK(v.reason == Reason::ok);
  CHECK_FALSE(v.alarm);
}

TEST_CASE("each rule alone", "[policy]") {
  auto d = Decision::deny;
  auto r = Decision::refer;
  auto a = Decision::admit;
  check_rows({
      {"no credential at all", [](auto& c, auto&) { c.credential = {}; }, d, Reason::malformed},
      {"verification failed: malformed",
       [](auto& c, auto&) {
         c.credential.pass.reset();
         c.credential.failure = Reason::malformed;
       },
       d, Reason::malformed},
      {"verification failed: unknown issuer",
       [](auto& c, auto&) {
         c.credential.pass.reset();
         c.credential.failure = Reason::unknown_issuer;
       },
       d, Reason::unknown_issuer},
      {"verification failed: bad signature",
       [](auto& c, auto&) {
         c.credential.pass.reset();
         c.credential.failure = Reason::bad_signature;
       },
       d, Reason::bad_signature},
      {"verification failed: unsupported version",
       [](auto& c, auto&) {
         c.credential.pass.reset();
         c.credential.failure = Reason::unsupported_version;
       },
       d, Reason::unsupported_version},
      {"revoked", [](auto& c, auto&) { c.credential.revoked = true; }, d, Reason::revoked},
      {"other compound", [](auto&, auto& s) { s.site = "gz-other"; }, d, Reason::wrong_site},
      {"card-bound pass read from another card",
       [](auto& c, auto&) {
         c.credential.kind = CredentialKind::card;
         c.credential.pass->card_uid = {1, 2, 3, 4, 5, 6, 7};
         c.credential.presented_card_uid = {1, 2, 3, 4, 5, 6, 8};
       },
       d, Reason::card_mismatch},
      {"card-bound pass read from its own card",
       [](auto& c, auto&) {
         c.credential.kind = CredentialKind::card;
         c.credential.pass->card_uid = {1, 2, 3, 4, 5, 6, 7};
         c.credential.presented_card_uid = {1, 2, 3, 4, 5, 6, 7};
       },
       a, Reason::ok},
      {"card-bound pass shown as printed QR",
       [](auto& c, auto&) {
         c.credential.pass->card_uid = {1, 2, 3, 4};
       },
       a, Reason::ok},
      {"clock not trusted", [](auto& c, auto&) { c.clock_trusted = false; }, r,
       Reason::clock_not_trusted},
      {"not yet valid", [](auto& c, auto&) { c.credential.pass->valid_from = kNow + 3600; }, d,
       Reason::not_yet_valid},
      {"starts within the skew grace",
       [](auto& c, auto&) { c.credential.pass->valid_from = kNow + 60; }, a, Reason::ok},
      {"expired after 7 days",
       [](auto& c, auto&) {
         c.credential.pass->valid_from = kNow - 8 * kDay;
         c.credential.pass->valid_until = kNow - kDay;
       },
       d, Reason::expired},
      {"expired a minute ago, within the grace",
       [](auto& c, auto&) { c.credential.pass->valid_until = kNow - 60; }, a, Reason::ok},
      {"health yellow", [](auto& c, auto&) { c.credential.pass->health = Health::yellow; }, d,
       Reason::health_status},
      {"health red", [](auto& c, auto&) { c.credential.pass->health = Health::red; }, d,
       Reason::health_status},
      {"delivery", [](auto& c, auto&) { c.credential.pass->role = Role::delivery; }, d,
       Reason::delivery_never_admitted},
      {"visitor without consent", [](auto& c, auto&) { c.credential.pass = visitor(); }, r,
       Reason::visitor_without_consent},
      {"visitor with the host's consent",
       [](auto& c, auto&) {
         c.credential.pass = visitor();
         c.consent = Consent{id_of(1), "guard-7"};
       },
       a, Reason::visitor_with_consent},
      {"visitor with another resident's consent",
       [](auto& c, auto&) {
         c.credential.pass = visitor();
         c.consent = Consent{id_of(9), "guard-7"};
       },
       r, Reason::visitor_without_consent},
      {"visitor outside the visit window",
       [](auto& c, auto&) {
         c.credential.pass = visitor();
         c.credential.pass->valid_until = kNow + 12 * 3600;  // the pass outlives the visit
         c.consent = Consent{id_of(1), "guard-7"};
         c.now = kNow + 7200;
       },
       d, Reason::visit_window},
      {"visitor in lockdown, even with consent",
       [](auto& c, auto& s) {
         c.credential.pass = visitor();
         c.consent = Consent{id_of(1), "guard-7"};
         s.outbreak = Outbreak::lockdown;
       },
       d, Reason::lockdown},
      {"visitor with consent while the lists are stale",
       [](auto& c, auto&) {
         c.credential.pass = visitor();
         c.consent = Consent{id_of(1), "guard-7"};
         c.lists_stale = true;
       },
       r, Reason::lists_stale},
      {"visitor in lockdown with stale lists is still refused outright",
       [](auto& c, auto& s) {
         c.credential.pass = visitor();
         c.consent = Consent{id_of(1), "guard-7"};
         c.lists_stale = true;
         s.outbreak = Outbreak::lockdown;
       },
       d, Reason::lockdown},
      {"resident passes while the lists are stale", [](auto& c, auto&) { c.lists_stale = true; }, a,
       Reason::ok},
      {"resident in lockdown still passes", [](auto&, auto& s) { s.outbreak = Outbreak::lockdown; },
       a, Reason::ok},
      {"resident of a quarantined building going out",
       [](auto& c, auto& s) {
         s.quarantined_buildings = {"12"};
         c.direction = Direction::out;
       },
       d, Reason::building_quarantined},
      {"resident of a quarantined building going home",
       [](auto&, auto& s) { s.quarantined_buildings = {"12"}; }, a, Reason::ok},
      {"resident of another building while 12 is quarantined",
       [](auto& c, auto& s) {
         s.quarantined_buildings = {"7"};
         c.direction = Direction::out;
       },
       a, Reason::ok},
      {"visitor to a quarantined building",
       [](auto& c, auto& s) {
         c.credential.pass = visitor();
         c.consent = Consent{id_of(1), "guard-7"};
         s.quarantined_buildings = {"12"};
       },
       d, Reason::building_quarantined},
      {"staff unaffected by building quarantine",
       [](auto& c, auto& s) {
         c.credential.pass->role = Role::staff;
         s.quarantined_buildings = {"12"};
         c.direction = Direction::out;
       },
       a, Reason::ok},
      {"temporary resident like a resident",
       [](auto& c, auto&) { c.credential.pass->role = Role::temporary_resident; }, a, Reason::ok},
      {"no temperature reading", [](auto& c, auto&) { c.temperature.celsius.reset(); }, r,
       Reason::temperature_not_measured},
      {"thermometer failed",
       [](auto& c, auto&) {
         c.temperature.celsius.reset();
         c.temperature.sensor_failed = true;
       },
       r, Reason::temperature_not_measured},
      {"implausibly low", [](auto& c, auto&) { c.temperature.celsius = 25.0; }, r,
       Reason::temperature_implausible},
      {"implausibly high", [](auto& c, auto&) { c.temperature.celsius = 45.0; }, r,
       Reason::temperature_implausible},
      {"fever at the threshold",
       [](auto& c, auto& s) { c.temperature.celsius = s.fever_threshold_c; }, d, Reason::fever},
      {"just below the fever threshold: the refer band",
       [](auto& c, auto& s) { c.temperature.celsius = s.fever_threshold_c - 0.1; }, r,
       Reason::temperature_recheck},
      {"at the bottom of the refer band",
       [](auto& c, auto& s) { c.temperature.celsius = s.refer_from_c; }, r,
       Reason::temperature_recheck},
      {"just below the refer band",
       [](auto& c, auto& s) { c.temperature.celsius = s.refer_from_c - 0.1; }, a, Reason::ok},
      {"no refer band when it starts at the fever threshold",
       [](auto& c, auto& s) {
         s.refer_from_c = s.fever_threshold_c = 37.3;
         c.temperature.celsius = 37.3;
       },
       d, Reason::fever},
      {"ambient outside the model's range",
       [](auto& c, auto&) {
         c.temperature.ambient_c = -25.0;
         c.temperature.skin_c = 30.0;
       },
       r, Reason::temperature_implausible},
      {"fever on the way out too",
       [](auto& c, auto&) {
         c.temperature.celsius = 38.0;
         c.direction = Direction::out;
       },
       d, Reason::fever},
      {"custom threshold 37.5",
       [](auto& c, auto& s) {
         s.fever_threshold_c = 37.5;
         s.refer_from_c = 37.5;
         c.temperature.celsius = 37.4;
       },
       a, Reason::ok},
      {"anti-passback hard: in twice",
       [](auto& c, auto& s) {
         s.anti_passback = AntiPassback::hard;
         c.last_direction = Direction::in;
       },
       r, Reason::anti_passback},
      {"anti-passback hard: in after out",
       [](auto& c, auto& s) {
         s.anti_passback = AntiPassback::hard;
         c.last_direction = Direction::out;
       },
       a, Reason::ok},
      {"anti-passback soft admits",
       [](auto& c, auto& s) {
         s.anti_passback = AntiPassback::soft;
         c.last_direction = Direction::in;
       },
       a, Reason::ok},
      {"anti-passback off ignores history",
       [](auto& c, auto&) { c.last_direction = Direction::in; }, a, Reason::ok},
  });
}

TEST_CASE("precedence: the first failing rule names the reason", "[policy]") {
  // Everything wrong at once; then the faults are repaired one at a time, from the top,
  // and each step must be refused for the next rule down.
  using Change = std::function<void(PassageContext&, SiteState&)>;
  const Change everything_wrong = [](PassageContext& c, SiteState& s) {
    c.credential.revoked = true;
    c.credential.pass->site = "elsewhere";
    c.clock_trusted = false;
    c.credential.pass->valid_from = kNow - 40 * kDay;
    c.credential.pass->valid_until = kNow - 30 * kDay;
    c.credential.pass->health = Health::red;
    c.credential.pass->role = Role::delivery;
    c.temperature.celsius = 39.0;
    s.anti_passback = AntiPassback::hard;
    c.last_direction = Direction::in;
  };
  struct Repair {
    Change fix;
    Decision decision;
    Reason then;
  };
  const std::vector<Repair> repairs{
      {[](auto& c, auto&) { c.credential.revoked = false; }, Decision::deny, Reason::wrong_site},
      {[](auto& c, auto& s) { c.credential.pass->site = s.site; }, Decision::refer,
       Reason::clock_not_trusted},
      {[](auto& c, auto&) { c.clock_trusted = true; }, Decision::deny, Reason::expired},
      {[](auto& c, auto&) { c.credential.pass->valid_until = kNow + kDay; }, Decision::deny,
       Reason::health_status},
      {[](auto& c, auto&) { c.credential.pass->health = Health::green; }, Decision::deny,
       Reason::delivery_never_admitted},
      {[](auto& c, auto&) { c.credential.pass->role = Role::resident; }, Decision::deny,
       Reason::validity_too_long},  // 41 days: too long for a resident, not for a courier
      {[](auto& c, auto&) { c.credential.pass->valid_from = kNow - kDay; }, Decision::deny,
       Reason::fever},
      {[](auto& c, auto&) { c.temperature.celsius = 36.4; }, Decision::refer,
       Reason::anti_passback},
      {[](auto& c, auto&) { c.last_direction = Direction::out; }, Decision::admit, Reason::ok},
  };
  PassageContext c = admitted_context();
  SiteState s = site();
  everything_wrong(c, s);
  CHECK(decide(c, s).reason == Reason::revoked);
  for (const Repair& r : repairs) {
    r.fix(c, s);
    Verdict v = decide(c, s);
    INFO("expected " << code(r.then) << ", got " << code(v.reason));
    CHECK(v.reason == r.then);
    CHECK(v.decision == r.decision);
  }

  check_rows({
      {"lockdown is decided before consent and temperature",
       [](auto& ctx, auto& st) {
         ctx.credential.pass = visitor();
         st.outbreak = Outbreak::lockdown;
         ctx.temperature.celsius.reset();
       },
       Decision::deny, Reason::lockdown},
      {"unmeasured temperature never admits a resident",
       [](auto& ctx, auto&) { ctx.temperature = {}; }, Decision::refer,
       Reason::temperature_not_measured},
  });
}

TEST_CASE("alarms go with the rules that must reach the guard", "[policy]") {
  SiteState s = site();
  PassageContext c = admitted_context();
  c.temperature.celsius = 38.5;
  CHECK(decide(c, s).alarm);
  c = admitted_context();
  c.credential.revoked = true;
  CHECK(decide(c, s).alarm);
  c = admitted_context();
  c.credential.pass->valid_until = kNow - 3 * kDay;
  c.credential.pass->valid_from = kNow - 10 * kDay;
  CHECK_FALSE(decide(c, s).alarm);
}

TEST_CASE("soft anti-passback admits and says so", "[policy]") {
  SiteState s = site();
  s.anti_passback = AntiPassback::soft;
  PassageContext c = admitted_context();
  c.last_direction = Direction::in;
  Verdict v = decide(c, s);
  CHECK(v.admitted());
  CHECK(v.note == "anti_passback(soft)");
}

TEST_CASE("the policy never admits without a green, measured, in-window pass", "[policy]") {
  // Sweep combinations: any admit must satisfy all the invariants.
  SiteState s = site();
  int admits = 0;
  for (int role = 1; role <= 5; ++role)
    for (int health = 1; health <= 3; ++health)
      for (double temp : {-1.0, 30.0, 36.5, 37.3, 39.0})
        for (bool consent : {false, true})
          for (bool lockdown : {false, true})
            for (int dir = 1; dir <= 2; ++dir) {
              PassageContext c = admitted_context(role == 3 ? visitor() : resident());
              c.credential.pass->role = static_cast<Role>(role);
              c.credential.pass->health = static_cast<Health>(health);
              if (temp < 0)
                c.temperature.celsius.reset();
              else
                c.temperature.celsius = temp;
              if (consent) c.consent = Consent{id_of(1), "g"};
              s.outbreak = lockdown ? Outbreak::lockdown : Outbreak::normal;
              c.direction = static_cast<Direction>(dir);
              Verdict v = decide(c, s);
              if (!v.admitted()) continue;
              ++admits;
              CHECK(c.credential.pass->health == Health::green);
              CHECK(c.temperature.celsius.has_value());
              CHECK(*c.temperature.celsius < s.fever_threshold_c);
              CHECK(*c.temperature.celsius < s.refer_from_c);
              CHECK(c.credential.pass->role != Role::delivery);
              if (c.credential.pass->role == Role::visitor) {
                CHECK(consent);
                CHECK_FALSE(lockdown);
              }
            }
  CHECK(admits > 0);
}

TEST_CASE("a guard-registered visitor enters on a resident's consent, by the same rules",
          "[policy][consent]") {
  SiteState s = site();
  PassageContext ctx = admitted_context();  // the resident's pass; the visitor's temperature
  CHECK(decide_consented_visitor(ctx, s).reason == Reason::visitor_with_consent);
  CHECK(decide_consented_visitor(ctx, s).admitted());

  SiteState lockdown = s;
  lockdown.outbreak = Outbreak::lockdown;
  CHECK(decide_consented_visitor(ctx, lockdown).reason == Reason::lockdown);

  PassageContext revoked = ctx;
  revoked.credential.revoked = true;
  CHECK(decide_consented_visitor(revoked, s).reason == Reason::revoked);

  PassageContext by_visitor = admitted_context(visitor());  // a visitor cannot vouch
  CHECK(decide_consented_visitor(by_visitor, s).reason == Reason::visitor_without_consent);

  SiteState quarantined = s;
  quarantined.quarantined_buildings = {"12"};
  CHECK(decide_consented_visitor(ctx, quarantined).reason == Reason::building_quarantined);

  PassageContext fever = ctx;
  fever.temperature.celsius = 38.0;
  CHECK(decide_consented_visitor(fever, s).reason == Reason::fever);

  PassageContext unmeasured = ctx;
  unmeasured.temperature = Temperature{};
  unmeasured.temperature.sensor_failed = true;
  CHECK(decide_consented_visitor(unmeasured, s).reason == Reason::temperature_not_measured);

  PassageContext expired = ctx;
  expired.now = kNow + 30 * kDay;
  CHECK(decide_consented_visitor(expired, s).reason == Reason::expired);
}

TEST_CASE("the body estimate: heat balance, and plausibility that follows the ambient",
          "[policy]") {
  SiteState s = site();
  const SkinModel& m = s.skin_model;
  // Within the fitted rooms: the skin plus the forehead-to-mouth gap.
  CHECK(estimate_body_c(35.0, 24.0, m) == Approx(35.0 + m.offset_c));
  CHECK(estimate_body_c(35.0, m.room_min_c, m) == Approx(estimate_body_c(35.0, m.room_max_c, m)));
  // Colder than those rooms, the same skin means a warmer body (more heat lost on the way),
  // by the skin's cooling slope per degree; hotter, a cooler one.
  CHECK(estimate_body_c(33.0, m.room_min_c - 10, m) == Approx(33.0 + m.offset_c + 10 * m.cooling));
  CHECK(estimate_body_c(36.0, m.room_max_c + 5, m) == Approx(36.0 + m.offset_c - 5 * m.cooling));
  // The inverse returns the skin the model expects, in and out of the fitted rooms.
  for (double a : {0.0, 5.0, 24.0, 33.0})
    CHECK(estimate_body_c(skin_for_body_c(36.8, a, m), a, m) == Approx(36.8));
  Temperature t = body_temperature(35.31, 24.0, s);
  CHECK(t.skin_c == Approx(35.31));
  CHECK(t.ambient_c == Approx(24.0));
  CHECK(*t.celsius == Approx(35.31 + m.offset_c));
  // A 32 °C forehead: a healthy one on a freezing morning, a hat or hair in a warm room.
  CHECK_FALSE(temperature_rules(body_temperature(32.0, 0.0, s), s));
  auto warm = temperature_rules(body_temperature(32.0, 25.0, s), s);
  REQUIRE(warm);
  CHECK(warm->reason == Reason::temperature_implausible);
}

TEST_CASE("the site's maximum validity per role holds whatever the issuer signed", "[policy]") {
  SiteState s = site();
  // A resident's pass for 136 years (valid_until = 2^32 - 1), from a trusted issuer.
  PassageContext c = admitted_context();
  c.credential.pass->valid_until = 4'294'967'295;
  Verdict v = decide(c, s);
  CHECK(v.decision == Decision::deny);
  CHECK(v.reason == Reason::validity_too_long);
  CHECK(v.alarm);
  CHECK(check_credential(c, s)->reason == Reason::validity_too_long);
  // Seven days exactly is the rule; a second more is too long.
  c = admitted_context();
  c.credential.pass->valid_until = c.credential.pass->valid_from + 7 * kDay;
  CHECK(decide(c, s).reason == Reason::ok);
  CHECK_FALSE(check_credential(c, s));
  c.credential.pass->valid_until += 1;
  CHECK(decide(c, s).reason == Reason::validity_too_long);
  c.credential.pass->role = Role::temporary_resident;
  CHECK(decide(c, s).reason == Reason::validity_too_long);
  // Configurable per site.
  s.max_resident_validity_s = 14 * kDay;
  CHECK(decide(c, s).reason == Reason::ok);

  // A ten-year visit window, consented: refused with its own code.
  s = site();
  PassageContext vc = admitted_context(visitor());
  vc.consent = Consent{id_of(1), "staff-1"};
  REQUIRE(decide(vc, s).reason == Reason::visitor_with_consent);
  vc.credential.pass->visit->until = kNow + 10 * 365 * kDay;
  vc.credential.pass->valid_until = vc.credential.pass->visit->until;
  CHECK(decide(vc, s).reason == Reason::visit_window_too_long);
  // A day is the default maximum; a visitor pass valid longer than a day is refused too.
  vc = admitted_context(visitor());
  vc.consent = Consent{id_of(1), "staff-1"};
  vc.credential.pass->visit->until = vc.credential.pass->visit->from + kDay;
  vc.credential.pass->valid_until = vc.credential.pass->valid_from + kDay;
  CHECK(decide(vc, s).reason == Reason::visitor_with_consent);
  vc.credential.pass->valid_until += 1;
  CHECK(decide(vc, s).reason == Reason::visit_window_too_long);
  // Before the role rules: even without consent, the window's length is refused first.
  vc.consent.reset();
  CHECK(decide(vc, s).reason == Reason::visit_window_too_long);
}
