#include <catch2/catch.hpp>
#include <random>

#include "gk/config/config.hpp"
#include "gk_test_support.hpp"

using namespace gk;

namespace {
const char* kGood = R"(
board = "sim"
state_dir = "state"
trust_dir = "/etc/gated/trust"

[site]
id = "sz-lianhua-01"
checkpoint = "莲花北村北门"
outbreak = "normal"
quarantined_buildings = ["12", "7"]
fever_threshold_c = 37.3
anti_passback = "soft"

[camera]
source = "folder:frames"
fps = 30

[thermometer]
kind = "sim"
readings = 5

[gate]
direction = "out"
pulse_ms = 600
)";

std::string error_of(std::string_view text) {
  auto r = parse_config(text, "/etc/gated/gated.toml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.reason() == Reason::malformed);
  return r.failure().detail;
}
}  // namespace

TEST_CASE("a complete config is read with every field", "[config]") {
  auto r = parse_config(kGood, "/etc/gated/gated.toml");
  INFO((r.ok() ? "" : r.failure().detail));
  REQUIRE(r.ok());
  const Config& c = *r;
  CHECK(c.site.site == "sz-lianhua-01");
  CHECK(c.checkpoint == "莲花北村北门");
  CHECK(c.site.quarantined_buildings == std::set<std::string>{"12", "7"});
  CHECK(c.site.anti_passback == AntiPassback::soft);
  CHECK(c.state_dir == "/etc/gated/state");  // relative to the file
  CHECK(c.trust_dir == "/etc/gated/trust");
  CHECK(c.camera.source == "folder:/etc/gated/frames");
  CHECK(c.camera.fps == 30);
  CHECK(c.thermometer.readings == 5);
  CHECK(c.gate.direction == Direction::out);
  CHECK(c.gate.pulse_ms == 600);
}

TEST_CASE("errors name file, line and column", "[config]") {
  SECTION("syntax error") {
    auto e = error_of("board = \"sim\"\n[site\nid = 1\n");
    CHECK(e.find("/etc/gated/gated.toml:2:") == 0);
  }
  SECTION("wrong type") {
    std::string text = kGood;
    text.replace(text.find("fps = 30"), 8, "fps = \"30\"");
    auto e = error_of(text);
    CHECK(e.find(":16:") != std::string::npos);
    CHECK(e.find("camera.fps must be an integer") != std::string::npos);
  }
  SECTION("out of range") {
    std::string text = kGood;
    text.replace(text.find("37.3"), 4, "42.0");
    auto e = error_of(text);
    CHECK(e.find(":11:") != std::string::npos);
    CHECK(e.find("fever_threshold_c must be between") != std::string::npos);
  }
  SECTION("unknown key is a typo, not a default") {
    std::string text = kGood;
    text.replace(text.find("pulse_ms"), 8, "pulse_sm");
    auto e = error_of(text);
    CHECK(e.find("unknown key 'gate.pulse_sm'") != std::string::npos);
    CHECK(e.find(":24:") != std::string::npos);
  }
  SECTION("bad enum value lists the allowed ones") {
    std::string text = kGood;
    text.replace(text.find("\"out\""), 5, "\"up\"");
    CHECK(error_of(text).find("'up' is not one of in, out") != std::string::npos);
  }
  SECTION("missing required") {
    auto e = error_of("board = \"sim\"\n");
    CHECK(e.find("[site] id is required") != std::string::npos);
    CHECK(e.find("[site] checkpoint is required") != std::string::npos);
    CHECK(e.find("state_dir is required") != std::string::npos);
    CHECK(e.find("trust_dir is required") != std::string::npos);
  }
  SECTION("a provisioned device leaves site, checkpoint and trust to its bundle") {
    auto c = gk::parse_config(
        "board = \"sim\"\nstate_dir = \"/var/lib/gated\"\n[provisioning]\n"
        "bundle = \"provision.bundle\"\nroot_key = \"/usr/share/gatekeeper/root.pub\"\n",
        "/etc/gated/gated.toml");
    REQUIRE(c);
    CHECK(c->provisioning.bundle == "/etc/gated/provision.bundle");
    CHECK(c->provisioning.root_key == "/usr/share/gatekeeper/root.pub");
    CHECK(error_of("board = \"sim\"\nstate_dir = \"s\"\n[provisioning]\nbundle = \"b\"\n")
              .find("[provisioning] needs bundle and root_key") != std::string::npos);
  }
  SECTION("several errors are all reported") {
    std::string text = kGood;
    text.replace(text.find("fps = 30"), 8, "fps = 0");
    text.replace(text.find("readings = 5"), 12, "readings = 99");
    auto e = error_of(text);
    CHECK(e.find("camera.fps") != std::string::npos);
    CHECK(e.find("thermometer.readings") != std::string::npos);
  }
}

TEST_CASE("garbage never crashes the config parser", "[config][fuzz]") {
  std::mt19937 rng(42);
  std::string base = kGood;
  for (int i = 0; i < 2000; ++i) {
    std::string t = base;
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < edits; ++k) {
      std::size_t pos = rng() % t.size();
      switch (rng() % 3) {
        case 0:
          t[pos] = static_cast<char>(rng() % 256);
          break;
        case 1:
          t.erase(pos, rng() % 16);
          break;
        default:
          t.insert(pos, 1, "[]=\"\n#,.{}"[rng() % 11]);
          break;
      }
      if (t.empty()) t = "x";
    }
    auto r = parse_config(t, "fuzz.toml");
    if (!r.ok()) CHECK_FALSE(r.failure().detail.empty());
  }
}

TEST_CASE("a missing file is a clear error", "[config]") {
  gk::test::ScratchDir dir;
  auto r = load_config(dir / "nope.toml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().detail.find("cannot open") != std::string::npos);
}

TEST_CASE("fever screening settings: the refer band, the skin model, old body-temperature keys",
          "[config]") {
  const std::string base =
      "state_dir = \"s\"\ntrust_dir = \"t\"\n[site]\nid = \"x\"\ncheckpoint = \"y\"\n";
  SECTION("defaults") {
    auto c = parse_config(base, "g.toml");
    REQUIRE(c.ok());
    CHECK(c->site.refer_from_c < c->site.fever_threshold_c);
    CHECK(c->site.clinical_fever_c == Approx(37.3));
  }
  SECTION("a refer band above the fever threshold is an error") {
    auto c = parse_config(base + "fever_threshold_c = 37.8\nrefer_from_c = 38.2\n", "g.toml");
    REQUIRE_FALSE(c.ok());
    CHECK(c.failure().detail.find("refer_from_c must not exceed") != std::string::npos);
  }
  SECTION("an older config with only the notices' 37.3: no refer band, deny from 37.3") {
    auto c = parse_config(base + "fever_threshold_c = 37.3\n", "g.toml");
    REQUIRE(c.ok());
    CHECK(c->site.refer_from_c == Approx(37.3));
  }
  SECTION("the model's coefficients") {
    auto c = parse_config(base +
                              "skin_offset_c = 1.5\nskin_cooling = 0.2\nskin_room_min_c = 21\n"
                              "skin_room_max_c = 27\nambient_min_c = -5\n",
                          "g.toml");
    REQUIRE(c.ok());
    CHECK(c->site.skin_model.offset_c == Approx(1.5));
    CHECK(c->site.skin_model.cooling == Approx(0.2));
    CHECK(c->site.skin_model.ambient_min_c == Approx(-5));
    CHECK_FALSE(parse_config(base + "skin_room_min_c = 27\nskin_room_max_c = 21\n", "g.toml").ok());
  }
  SECTION("sim_idle_c, a body temperature, becomes the skin the model expects") {
    auto c =
        parse_config(base + "[thermometer]\nsim_ambient_c = 5.0\nsim_idle_c = 36.8\n", "g.toml");
    REQUIRE(c.ok());
    CHECK(estimate_body_c(c->thermometer.sim_skin_c, 5.0, c->site.skin_model) == Approx(36.8));
  }
}

TEST_CASE("a screen off loopback needs its token file", "[config]") {
  const std::string lan = std::string(kGood) + "\n[screen]\nlisten = \"0.0.0.0:8080\"\n";
  CHECK(error_of(lan).find("[screen] a screen listening off loopback needs token_file") !=
        std::string::npos);
  auto with_token = parse_config(lan + "token_file = \"screen.token\"\n", "/etc/gated/gated.toml");
  REQUIRE(with_token.ok());
  CHECK(with_token->screen.token_file == "/etc/gated/screen.token");
  for (const char* local : {"127.0.0.1:8080", "[::1]:8080", "localhost:8080"}) {
    auto ok = parse_config(std::string(kGood) + "\n[screen]\nlisten = \"" + local + "\"\n",
                           "/etc/gated/gated.toml");
    CHECK(ok.ok());
  }
}
