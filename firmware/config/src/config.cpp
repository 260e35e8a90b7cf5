#include "gk/config/config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "gk/core/file.hpp"
#include "gk/core/names.hpp"
#include "toml_reader.hpp"

namespace gk {
namespace {

using detail::TomlErrors;
using detail::TomlSection;

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
  if (p.empty()) return {};
  std::filesystem::path path(p);
  return path.is_absolute() ? path : (base / path).lexically_normal();
}

// Folder, spool and video paths are resolved like every other path.
std::string resolve_source(const std::filesystem::path& base, const std::string& source) {
  const auto s = parse_camera_source(source);
  if (!s || s->kind == CameraKind::none || s->kind == CameraKind::v4l2) return source;
  return source.substr(0, source.size() - s->path.size()) + resolve(base, s->path).string();
}

std::string listen_problem(const std::string& listen) {
  if (listen.empty()) return {};
  auto l = parse_listen(listen);
  return l ? std::string() : l.error().detail;
}

void read_site(TomlSection& s, Config& c) {
  // gk::names' rules, the ones the provisioning bundle and the upstream apply.
  s.read_checked("id", c.site.site, [](const std::string& v) { return names::id_problem(v); });
  s.read_checked("checkpoint", c.checkpoint,
                 [](const std::string& v) { return names::name_problem(v); });
  s.read_enum("outbreak", c.site.outbreak, outbreak_from_string, "normal, lockdown");
  std::vector<std::string> quarantined;
  s.read_strings("quarantined_buildings", quarantined);
  for (const auto& b : quarantined)  // the name rule, as the upstream's site state applies it
    if (std::string why = names::name_problem(b); !why.empty())
      s.add_error(s.where("quarantined_buildings"), "site.quarantined_buildings: " + why);
  c.site.quarantined_buildings = {quarantined.begin(), quarantined.end()};
  s.read("fever_threshold_c", c.site.fever_threshold_c, 35.0, 40.0);
  double refer_from = 0;
  s.read("refer_from_c", refer_from, 35.0, 40.0);
  if (refer_from > 0)
    c.site.refer_from_c = refer_from;  // checked against the fever threshold below
  else  // a config that sets only a fever threshold below the default band: no band
    c.site.refer_from_c = std::min(c.site.refer_from_c, c.site.fever_threshold_c);
  s.read("clinical_fever_c", c.site.clinical_fever_c, 37.0, 39.0);
  // The skin model (gk/policy/body_temperature.hpp); defaults fitted on the FDA data.
  SkinModel& m = c.site.skin_model;
  s.read("skin_offset_c", m.offset_c, -1.0, 5.0);
  s.read("skin_cooling", m.cooling, 0.0, 0.5);
  s.read("skin_room_min_c", m.room_min_c, 10.0, 30.0);
  s.read("skin_room_max_c", m.room_max_c, 10.0, 35.0);
  s.read("ambient_min_c", m.ambient_min_c, -40.0, 20.0);
  s.read("ambient_max_c", m.ambient_max_c, 25.0, 60.0);
  s.read("plausible_min_c", c.site.plausible_min_c, 20.0, 36.0);
  s.read("plausible_max_c", c.site.plausible_max_c, 38.0, 50.0);
  s.read_enum("anti_passback", c.site.anti_passback, anti_passback_from_string, "off, soft, hard");
  s.read("anti_passback_window_s", c.site.anti_passback_window_s, 0, 7 * 86400);
  s.read("clock_skew_grace_s", c.site.clock_skew_grace_s, 0, 3600);
  std::int64_t resident_days = c.site.max_resident_validity_s / 86400;
  s.read("max_resident_validity_days", resident_days, 1, 366);
  c.site.max_resident_validity_s = resident_days * 86400;
  std::int64_t visit_hours = c.site.max_visit_window_s / 3600;
  s.read("max_visit_window_hours", visit_hours, 1, 24 * 31);
  c.site.max_visit_window_s = visit_hours * 3600;
  s.finish();
}

}  // namespace

std::optional<CameraSource> parse_camera_source(std::string_view source) {
  if (source == "none") return CameraSource{};
  const std::pair<std::string_view, CameraKind> kinds[] = {{"folder:", CameraKind::folder},
                                                           {"spool:", CameraKind::spool},
                                                           {"video:", CameraKind::video},
                                                           {"v4l2:", CameraKind::v4l2}};
  for (const auto& [scheme, kind] : kinds)
    if (source.starts_with(scheme) && source.size() > scheme.size())
      return CameraSource{kind, std::string(source.substr(scheme.size()))};
  return std::nullopt;
}

bool ListenAddress::loopback() const {
  return address.starts_with("127.") || address == "::1";
}

DocResult<ListenAddress> parse_listen(std::string_view listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return doc_error(DocCode::schema, "expected ADDRESS:PORT, got '" + std::string(listen) + "'");
  ListenAddress l;
  std::string_view address = listen.substr(0, colon), port = listen.substr(colon + 1);
  const bool bracketed = address.size() > 2 && address.front() == '[' && address.back() == ']';
  if (bracketed) address = address.substr(1, address.size() - 2);
  l.address = std::string(address);
  unsigned char scratch[16];
  const bool v4 = !bracketed && inet_pton(AF_INET, l.address.c_str(), scratch) == 1;
  const bool v6 = bracketed && inet_pton(AF_INET6, l.address.c_str(), scratch) == 1;
  if (!v4 && !v6)
    return doc_error(DocCode::schema, "'" + std::string(listen.substr(0, colon)) +
                                          "' is not an IPv4 address or a bracketed IPv6 address");
  int value = -1;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || port.empty() || value < 0 ||
      value > 65535)
    return doc_error(DocCode::schema, "port must be 0..65535, got '" + std::string(port) + "'");
  l.port = static_cast<unsigned short>(value);
  return l;
}

namespace {
// toml++ reports a syntax error by exception; the loaders answer with the document layer's
// error, carrying file:line:column.
DocResult<toml::table> parse_toml(std::string_view text, const std::filesystem::path& source) {
  try {
    return toml::parse(text, source.string());
  } catch (const toml::parse_error& e) {
    TomlErrors errors;
    errors.add(e.source(), std::string(e.description()));
    return doc_error(DocCode::syntax, errors.joined());
  }
}
}  // namespace

DocResult<Config> parse_config(std::string_view text, const std::filesystem::path& source) {
  Config c;
  c.source = source;
  auto parsed = parse_toml(text, source);
  if (!parsed) return parsed.error();
  toml::table& root = *parsed;
  const std::filesystem::path base = source.has_parent_path() ? source.parent_path() : ".";
  TomlErrors errors;
  TomlSection top(root, "", errors);
  top.read("board", c.board);
  std::string state_dir, trust_dir;
  top.read("state_dir", state_dir);
  top.read("trust_dir", trust_dir);
  top.read("trusted_time_floor", c.trusted_time_floor, 0, 4102444800);

  if (auto s = top.section("site")) read_site(*s, c);
  if (auto s = top.section("camera")) {
    s->read_checked("source", c.camera.source, [](const std::string& v) {
      return parse_camera_source(v) ? std::string()
                                    : "'" + v + "' is not none, folder:, spool:, video: or v4l2:";
    });
    s->read("fps", c.camera.fps, 1, 120);
    s->read("dedup_window_ms", c.camera.dedup_window_ms, 0, 60000);
    s->finish();
  }
  if (auto s = top.section("nfc")) {
    s->read("connstring", c.nfc.connstring);
    s->read("poll_ms", c.nfc.poll_ms, 20, 5000);
    s->read("enrolment_file", c.nfc.enrolment_file);
    s->read("id_card_key", c.nfc.id_card_key);
    s->finish();
  }
  if (auto s = top.section("idcard")) {
    s->read("device", c.idcard.device);
    s->read("poll_ms", c.idcard.poll_ms, 50, 5000);
    s->finish();
  }
  if (auto s = top.section("thermometer")) {
    s->read("kind", c.thermometer.kind);
    s->read("i2c_bus", c.thermometer.i2c_bus);
    s->read("address", c.thermometer.address, 0x03, 0x77);
    s->read("emissivity", c.thermometer.emissivity, 0.1, 1.0);
    s->read("readings", c.thermometer.readings, 1, 15);
    s->read("sim_ambient_c", c.thermometer.sim_ambient_c, -40.0, 60.0);
    double body = 0;
    s->read("sim_idle_c", body, 30.0, 45.0);  // the old key: a body temperature
    if (body > 0)
      c.thermometer.sim_skin_c =
          skin_for_body_c(body, c.thermometer.sim_ambient_c, c.site.skin_model);
    s->read("sim_skin_c", c.thermometer.sim_skin_c, 0.0, 60.0);
    s->read("sim_gain_error", c.thermometer.sim_gain_error, 0.5, 1.5);
    s->read("sim_offset_error_c", c.thermometer.sim_offset_error_c, -10.0, 10.0);
    s->finish();
  }
  if (auto s = top.section("gate")) {
    s->read_enum("direction", c.gate.direction, direction_from_string, "in, out");
    s->read("kind", c.gate.kind);
    s->read("pulse_ms", c.gate.pulse_ms, 50, 30000);
    s->read("fail_secure", c.gate.fail_secure);
    s->read("record_file", c.gate.record_file);
    s->read("chip", c.gate.chip);
    s->read("relay_line", c.gate.relay_line);
    s->read("door_contact_line", c.gate.door_contact_line);
    s->read("exit_button_line", c.gate.exit_button_line);
    s->read("tamper_line", c.gate.tamper_line);
    s->read("relay_active_low", c.gate.relay_active_low);
    s->read("door_contact_active_low", c.gate.door_contact_active_low);
    s->read("exit_button_active_low", c.gate.exit_button_active_low);
    s->read("tamper_active_low", c.gate.tamper_active_low);
    const auto bias = [](const std::string& v) {
      return v == "as-is" || v == "disabled" || v == "pull-up" || v == "pull-down"
                 ? std::string()
                 : "'" + v + "' is not as-is, disabled, pull-up or pull-down";
    };
    s->read_checked("door_contact_bias", c.gate.door_contact_bias, bias);
    s->read_checked("exit_button_bias", c.gate.exit_button_bias, bias);
    s->read_checked("tamper_bias", c.gate.tamper_bias, bias);
    s->read("held_open_s", c.gate.held_open_s, 1, 600);
    s->finish();
  }
  if (auto s = top.section("sync")) {
    s->read("url", c.sync.url);
    s->read("pin", c.sync.pin);
    s->read_checked("device_id", c.sync.device_id,
                    [](const std::string& v) { return names::id_problem(v); });
    s->read("device_key", c.sync.device_key);
    s->read("authority_key", c.sync.authority_key);
    s->read("interval_s", c.sync.interval_s, 1, 86400);
    s->read("timeout_s", c.sync.timeout_s, 1, 300);
    s->read("backoff_min_s", c.sync.backoff_min_s, 1, 3600);
    s->read("backoff_max_s", c.sync.backoff_max_s, 1, 86400);
    s->read("batch_size", c.sync.batch_size, 1, 1000);
    s->read("max_age_revocations_s", c.sync.max_age_revocations_s, 0, 365 * 86400);
    s->read("max_age_site_state_s", c.sync.max_age_site_state_s, 0, 365 * 86400);
    s->read("max_age_trust_list_s", c.sync.max_age_trust_list_s, 0, 365 * 86400);
    s->finish();
  }
  if (auto s = top.section("screen")) {
    s->read_checked("listen", c.screen.listen, listen_problem);
    s->read_strings("host_names", c.screen.host_names);
    s->read("token_file", c.screen.token_file);
    s->finish();
  }
  if (auto s = top.section("console")) {
    s->read_checked("listen", c.console.listen, listen_problem);
    s->read("tls_cert", c.console.tls_cert);
    s->read("tls_key", c.console.tls_key);
    s->read("guards_file", c.console.guards_file);
    s->read_strings("host_names", c.console.host_names);
    s->read("session_ttl_s", c.console.session_ttl_s, 60, 86400);
    s->read("idle_timeout_s", c.console.idle_timeout_s, 30, 86400);
    s->read("max_failed_logins", c.console.max_failed_logins, 1, 100);
    s->read("lockout_s", c.console.lockout_s, 1, 86400);
    s->read("consent_window_s", c.console.consent_window_s, 10, 3600);
    s->read("id_reader", c.console.id_reader);
    // Guards' PINs and visitors' phones cross the LAN only encrypted.
    if (auto l = parse_listen(c.console.listen); l && !l->loopback() && c.console.tls_cert.empty())
      s->add_error(s->where("listen"),
                   "console.listen: a LAN address needs tls_cert and tls_key (HTTPS only)");
    s->finish();
  }
  if (auto s = top.section("provisioning")) {
    s->read("bundle", c.provisioning.bundle);
    s->read("root_key", c.provisioning.root_key);
    s->finish();
    if (c.provisioning.bundle.empty() || c.provisioning.root_key.empty())
      errors.add(root.source(), "[provisioning] needs bundle and root_key");
    c.provisioning.bundle = resolve(base, c.provisioning.bundle).string();
    c.provisioning.root_key = resolve(base, c.provisioning.root_key).string();
  }
  top.finish();

  // What a provisioning bundle supplies may be left out of a provisioned device's config.
  const bool provisioned = c.provisioning.enabled();
  if (!provisioned && c.site.site.empty()) errors.add(root.source(), "[site] id is required");
  if (!provisioned && c.checkpoint.empty())
    errors.add(root.source(), "[site] checkpoint is required");
  if (state_dir.empty()) errors.add(root.source(), "state_dir is required");
  if (!provisioned && trust_dir.empty()) errors.add(root.source(), "trust_dir is required");
  c.state_dir = resolve(base, state_dir);
  c.trust_dir = resolve(base, trust_dir);
  c.camera.source = resolve_source(base, c.camera.source);
  if (!c.nfc.enrolment_file.empty())
    c.nfc.enrolment_file = resolve(base, c.nfc.enrolment_file).string();
  if (!c.idcard.device.empty() && !c.idcard.device.starts_with("serial:"))
    errors.add(root.source(), "[idcard] device must be serial:PATH[:BAUD]");
  if (!c.nfc.id_card_key.empty()) c.nfc.id_card_key = resolve(base, c.nfc.id_card_key).string();
  if (!c.gate.record_file.empty()) c.gate.record_file = resolve(base, c.gate.record_file).string();
  if (c.thermometer.kind != "sim" && c.thermometer.kind != "mlx90614" &&
      c.thermometer.kind != "sim-mlx90614")
    errors.add(root.source(), "[thermometer] kind must be one of sim, mlx90614, sim-mlx90614");
  if (c.site.refer_from_c > c.site.fever_threshold_c)
    errors.add(root.source(), "[site] refer_from_c must not exceed fever_threshold_c");
  if (c.site.skin_model.room_min_c > c.site.skin_model.room_max_c)
    errors.add(root.source(), "[site] skin_room_min_c must not exceed skin_room_max_c");
  if (c.gate.kind != "sim" && c.gate.kind != "gpio" && c.gate.kind != "sim-gpio")
    errors.add(root.source(), "[gate] kind must be one of sim, gpio, sim-gpio");

  if (c.sync.enabled()) {
    if (!c.sync.url.starts_with("https://"))
      errors.add(root.source(), "[sync] url must start with https://");
    if ((!provisioned || !c.sync.pin.empty()) &&
        (!c.sync.pin.starts_with("sha256:") || c.sync.pin.size() != 7 + 64))
      errors.add(root.source(), "[sync] pin must be sha256:<64 hex digits>");
    if (!provisioned &&
        (c.sync.device_id.empty() || c.sync.device_key.empty() || c.sync.authority_key.empty()))
      errors.add(root.source(), "[sync] needs device_id, device_key and authority_key");
    if (c.sync.backoff_min_s > c.sync.backoff_max_s)
      errors.add(root.source(), "[sync] backoff_min_s must not exceed backoff_max_s");
  }
  c.sync.device_key = resolve(base, c.sync.device_key).string();
  c.sync.authority_key = resolve(base, c.sync.authority_key).string();

  if (!c.screen.token_file.empty())
    c.screen.token_file = resolve(base, c.screen.token_file).string();
  if (auto l = parse_listen(c.screen.listen); l && !l->loopback() && c.screen.token_file.empty())
    errors.add(root.source(), "[screen] a screen listening off loopback needs token_file");
  for (auto* path : {&c.console.tls_cert, &c.console.tls_key, &c.console.guards_file})
    if (!path->empty()) *path = resolve(base, *path).string();
  if (!c.console.listen.empty() && c.console.guards_file.empty())
    errors.add(root.source(), "[console] needs guards_file (gatectl guard add)");
  if (c.console.tls_cert.empty() != c.console.tls_key.empty())
    errors.add(root.source(), "[console] tls_cert and tls_key go together");

  if (!errors.empty()) return doc_error(DocCode::schema, errors.joined());
  return c;
}

DocResult<OperatorProfile> parse_operator_profile(std::string_view text,
                                                  const std::filesystem::path& source) {
  OperatorProfile p;
  p.source = source;
  auto parsed = parse_toml(text, source);
  if (!parsed) return parsed.error();
  toml::table& root = *parsed;
  TomlErrors errors;
  TomlSection top(root, "", errors);
  std::string key;
  top.read("url", p.url);
  top.read("pin", p.pin);
  top.read("operator", p.operator_id);
  top.read("operator_key", key);
  top.finish();
  for (const auto& [name, value] :
       {std::pair{"url", &p.url}, std::pair{"pin", &p.pin}, std::pair{"operator", &p.operator_id},
        std::pair{"operator_key", &key}})
    if (value->empty()) errors.add(root.source(), std::string(name) + " is required");
  if (!errors.empty()) return doc_error(DocCode::schema, errors.joined());
  p.operator_key = resolve(source.has_parent_path() ? source.parent_path() : ".", key);
  return p;
}

DocResult<OperatorProfile> load_operator_profile(const std::filesystem::path& file) {
  auto text = read_regular_file(file, kMaxConfigFileBytes);
  if (!text) return text.error();
  return parse_operator_profile(*text, file);
}

DocResult<Config> load_config(const std::filesystem::path& file) {
  auto text = read_regular_file(file, kMaxConfigFileBytes);
  if (!text) return text.error();
  return parse_config(*text, file);
}

}  // namespace gk
