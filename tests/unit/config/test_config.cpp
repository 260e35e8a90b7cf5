#include <catch2/catch.hpp>
#include <cstring>
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

// The detail of a refused config; the code must be `want` (TOML syntax, or a setting).
std::string error_of(std::string_view text, DocCode want = DocCode::schema) {
  auto r = parse_config(text, "/etc/gated/gated.toml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == want);
  return r.error().detail;
}
}  // namespace

TEST_CASE("a complete config is read with every field", "[config]") {
  auto r = parse_config(kGood, "/etc/gated/gated.toml");
  INFO((r.ok() ? "" : r.error().detail));
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
    auto e = error_of("board = \"sim\"\n[site\nid = 1\n", DocCode::syntax);
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
    if (!r.ok()) CHECK_FALSE(r.error().detail.empty());
  }
}

TEST_CASE("a missing file is a clear error", "[config]") {
  gk::test::ScratchDir dir;
  auto r = load_config(dir / "nope.toml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == DocCode::unreadable);
  CHECK(r.error().detail.find("cannot open") != std::string::npos);
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
    CHECK(c.error().detail.find("refer_from_c must not exceed") != std::string::npos);
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
  for (const char* local : {"127.0.0.1:8080", "[::1]:8080"}) {
    auto ok = parse_config(std::string(kGood) + "\n[screen]\nlisten = \"" + local + "\"\n",
                           "/etc/gated/gated.toml");
    CHECK(ok.ok());
  }
}

TEST_CASE("listen addresses are what the listeners can bind, checked where written", "[config]") {
  // gated binds an IP address (no name lookups at boot): what it cannot bind is refused here,
  // with the place it was written, not when the daemon starts.
  for (const char* bad : {"localhost:8080", "127.0.0.1:-1", "127.0.0.1:65536", "127.0.0.1:",
                          "127.0.0.1:80x", "::1:8080", "[::1:8080", "8080", "300.1.1.1:80"}) {
    const std::string e = error_of(std::string(kGood) + "\n[screen]\nlisten = \"" + bad + "\"\n");
    CAPTURE(bad, e);
    CHECK(e.find("/etc/gated/gated.toml:") == 0);
    CHECK(e.find(":10: screen.listen: ") != std::string::npos);  // line:column of the value
  }
  auto v6 = parse_listen("[::1]:8081");
  REQUIRE(v6.ok());
  CHECK(v6->address == "::1");
  CHECK(v6->port == 8081);
  CHECK(v6->loopback());
  CHECK_FALSE(parse_listen("0.0.0.0:0")->loopback());
  // A LAN console speaks HTTPS only.
  const std::string lan =
      std::string(kGood) + "\n[console]\nlisten = \"192.168.1.30:8081\"\nguards_file = \"g\"\n";
  CHECK(error_of(lan).find("console.listen: a LAN address needs tls_cert") != std::string::npos);
}

TEST_CASE("camera sources are one list, checked where written", "[config]") {
  const auto with_source = [](const std::string& source) {
    std::string text = kGood;
    const std::string was = "source = \"folder:frames\"";
    return text.replace(text.find(was), was.size(), "source = \"" + source + "\"");
  };
  for (const char* bad : {"usb:0", "folder:", "v4l2", "/dev/video0", ""}) {
    const std::string e = error_of(with_source(bad));
    CAPTURE(bad, e);
    CHECK(e.find("camera.source: ") != std::string::npos);
  }
  auto c = parse_config(with_source("spool:in"), "/etc/gated/gated.toml");
  REQUIRE(c.ok());
  CHECK(c->camera.source == "spool:/etc/gated/in");
  CHECK(parse_camera_source("v4l2:/dev/video2")->kind == CameraKind::v4l2);
}

TEST_CASE("configured strings hold no control characters", "[config]") {
  std::string text = kGood;
  text.replace(text.find("莲花北村北门"), std::strlen("莲花北村北门"), "北门\\u0000东");
  CHECK(error_of(text).find("site.checkpoint must not hold control characters") !=
        std::string::npos);
  text = kGood;
  text.replace(text.find("\"12\""), 4, "\"12\\n栋\"");
  CHECK(error_of(text).find("site.quarantined_buildings must not hold control characters") !=
        std::string::npos);
}

TEST_CASE("site, checkpoint and device ids follow the rules the bundle and upstream apply",
          "[config]") {
  const auto with = [](std::string_view from, const std::string& to) {
    std::string text = kGood;
    text.replace(text.find(from), from.size(), to);
    return parse_config(text, "/etc/gated/gated.toml");
  };
  const auto refusal = [&](std::string_view from, const std::string& to) {
    auto r = with(from, to);
    REQUIRE_FALSE(r);
    return r.error().detail;
  };
  // A checkpoint is free text: quotes and backslashes are characters, 256 bytes the limit.
  auto c = with("莲花北村北门", R"(北门 \\ \"东\")");
  REQUIRE(c);
  CHECK(c->checkpoint == "北门 \\ \"东\"");
  std::string longest;
  while (longest.size() + 3 <= 256) longest += "门";
  REQUIRE(with("莲花北村北门", longest));
  CHECK(refusal("莲花北村北门", longest + "xx").find("site.checkpoint: longer than 256 bytes") !=
        std::string::npos);
  // A site id is never escaped anywhere: no quotes, backslashes or emptiness, 64 bytes.
  CHECK(refusal("sz-lianhua-01", R"(sz\\01)").find("site.id: no control characters") !=
        std::string::npos);
  CHECK(refusal("sz-lianhua-01", R"(sz\"01)").find("site.id: no control characters") !=
        std::string::npos);
  CHECK(refusal("sz-lianhua-01", "").find("site.id: 1..64 bytes") != std::string::npos);
  CHECK(refusal("sz-lianhua-01", std::string(65, 's')).find("site.id: 1..64 bytes") !=
        std::string::npos);
  CHECK(with("sz-lianhua-01", "深圳-莲花"));
  // A quarantined building is a name too, as the upstream's site state takes it.
  CHECK(refusal(R"("12", "7")", "\"12\", \"" + longest + "xx\"")
            .find("site.quarantined_buildings: longer than 256 bytes") != std::string::npos);
  CHECK(with(R"("12", "7")", "\"12\", \"" + longest + "\""));
}

TEST_CASE("an operator's profile names the upstream and the operator, every key required",
          "[config]") {
  const char* good = R"(
url = "https://upstream.example:8443"
pin = "sha256:00"
operator = "wangfang"
operator_key = "keys/wangfang.key"
)";
  auto p = parse_operator_profile(good, "/home/wf/.config/gatectl/profile.toml");
  REQUIRE(p.ok());
  CHECK(p->url == "https://upstream.example:8443");
  CHECK(p->operator_id == "wangfang");
  // Relative to the profile's folder, wherever gatectl runs.
  CHECK(p->operator_key == "/home/wf/.config/gatectl/keys/wangfang.key");

  std::string text = good;
  text.erase(text.find("pin ="), text.find('\n', text.find("pin =")) - text.find("pin =") + 1);
  auto missing = parse_operator_profile(text, "p.toml");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().detail.find("pin is required") != std::string::npos);

  auto unknown = parse_operator_profile(std::string(good) + "operator_secret = \"x\"\n", "p.toml");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().detail.find("operator_secret") != std::string::npos);

  text = good;
  text.replace(text.find("wangfang\""), 9, "wang\\tfang\"");
  auto control = parse_operator_profile(text, "p.toml");
  REQUIRE_FALSE(control.ok());
  CHECK(control.error().detail.find("operator must not hold control characters") !=
        std::string::npos);
  CHECK_FALSE(parse_operator_profile("url = [", "p.toml").ok());
}
