#pragma once
// gated's configuration: one TOML file per device (boards/<board>/gated.toml is the
// template). Every error names file, line and column; unknown keys are errors too, so a
// typo never silently falls back to a default.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gk/core/errors.hpp"
#include "gk/core/passage.hpp"
#include "gk/policy/site_state.hpp"

namespace gk {

// Where frames come from: the one list of camera kinds, parsed here (with the file's line and
// column when wrong) and dispatched in gated's board.cpp.
enum class CameraKind { none, folder, spool, video, v4l2 };
struct CameraSource {
  CameraKind kind = CameraKind::none;
  std::string path;  // folder, spool or video file, or the V4L2 device
};
// "none", "folder:PATH" (sim: one image per frame), "spool:PATH" (each file once, then
// deleted), "video:PATH" (OpenCV videoio), "v4l2:/dev/videoN"; nullopt for anything else.
std::optional<CameraSource> parse_camera_source(std::string_view source);

// A listener's "ADDRESS:PORT": an IPv4 address or a bracketed IPv6 one ("[::1]:8081"), a port
// 0..65535 (0: any free port, reported at start).
struct ListenAddress {
  std::string address;  // without brackets
  unsigned short port = 0;
  bool loopback() const;
};
DocResult<ListenAddress> parse_listen(std::string_view listen);

struct CameraConfig {
  std::string source = "none";  // see parse_camera_source
  int fps = 15;
  int dedup_window_ms = 3000;  // the same code seen again within this window is one event
};

struct NfcConfig {
  // "none", "sim" (scripted reader) or a libnfc connstring, e.g. "pn532_uart:/dev/ttyS0"
  std::string connstring = "none";
  int poll_ms = 200;
  std::string enrolment_file;  // UID-only cards: card-bound passes, one text per line
  // The site's key for resident ID cards (gatectl card id-key): enrolment lists name a
  // keyed hash of the card serial or ID number, never the number itself. Empty: ID cards
  // are not enrolled here (card_not_enrolled).
  std::string id_card_key;
};

// The certified ID-card reader module (SAM) at the kiosk: a resident enrolled by ID number
// passes by placing the card on it.
struct IdCardConfig {
  std::string device;  // "" (none) or serial:PATH[:BAUD]
  int poll_ms = 300;
};

struct ThermometerConfig {
  // "sim" (scripted), "mlx90614" (/dev/i2c-N), "sim-mlx90614" (the driver on a chip model)
  std::string kind = "sim";
  std::string i2c_bus = "/dev/i2c-1";
  int address = 0x5a;
  double emissivity = 0.98;
  int readings = 3;  // per passage; the median is used
  // sim: the skin reading when the script is empty, and the sensor's ambient. The older
  // `sim_idle_c` (a body temperature) is still read and converted to skin by the model.
  double sim_skin_c = 35.3;
  double sim_ambient_c = 24.0;
  // sim-mlx90614: the chip model's calibration error (reports gain·true + offset).
  double sim_gain_error = 1.0;
  double sim_offset_error_c = 0.0;
};

struct GateConfig {
  Direction direction = Direction::in;  // the lane this kiosk watches
  std::string kind = "sim";             // "sim", "gpio"
  int pulse_ms = 800;
  bool fail_secure = true;  // on power loss the lock stays locked
  std::string record_file;  // sim: append every pulse here (crash harness)
  std::string chip = "gpiochip0";
  std::string relay_line = "RELAY";
  std::string door_contact_line;  // gpio: empty = no door contact fitted
  std::string exit_button_line;
  std::string tamper_line;
  // Each line's polarity (`<line>_active_low`) and, for inputs, bias (`<line>_bias`: as-is,
  // disabled, pull-up, pull-down); see gk::gpio::LineSpec.
  bool relay_active_low = false, door_contact_active_low = false, exit_button_active_low = false,
       tamper_active_low = false;
  std::string door_contact_bias = "as-is", exit_button_bias = "as-is", tamper_bias = "as-is";
  int held_open_s = 15;
};

// Upstream sync (sync/PROTOCOL.md). Without a url the kiosk runs offline-only, its lists
// maintained by hand (gatectl revoke --db), and list ages are not graded.
struct SyncConfig {
  std::string url;            // "https://HOST:PORT"; empty: no sync
  std::string pin;            // "sha256:<hex>" of the upstream's TLS key
  std::string device_id;      // as registered upstream
  std::string device_key;     // this device's Ed25519 secret key file (0600)
  std::string authority_key;  // the upstream's signing key (.pub)
  int interval_s = 60;        // between successful rounds
  int timeout_s = 10;         // per network step
  int backoff_min_s = 2;      // after a failed round, doubling with jitter...
  int backoff_max_s = 600;    // ...up to this
  int batch_size = 500;       // journal passages per upload (1..1000)
  // Stale lists are graded, not ignored: past these ages (since last confirmed current)
  // visitors are held for the guard and an alarm is raised; residents still pass. 0: off.
  std::int64_t max_age_revocations_s = 6 * 3600;
  std::int64_t max_age_site_state_s = 6 * 3600;
  std::int64_t max_age_trust_list_s = 7 * 86400;
  bool enabled() const { return !url.empty(); }
};

// The kiosk screen (full-screen page for Chromium's kiosk mode) and the guard console.
struct ScreenConfig {
  std::string listen;                   // "127.0.0.1:8080"; empty: no screen server
  std::vector<std::string> host_names;  // DNS names the screen is reached by (Host check)
  // The token /events and /metrics need from any address but the kiosk's own (one line,
  // at least 16 characters, 0600); required when `listen` is off loopback.
  std::string token_file;
};

struct ConsoleConfig {
  std::string listen;                   // "127.0.0.1:8081"; a LAN address needs tls_cert + tls_key
  std::string tls_cert;                 // PEM; both set: HTTPS only
  std::string tls_key;                  // PEM, 0600
  std::string guards_file;              // staff pass id -> PIN hash (gatectl guard add)
  std::vector<std::string> host_names;  // DNS names guards reach it by (Host header check)
  int session_ttl_s = 8 * 3600;
  int idle_timeout_s = 15 * 60;
  int max_failed_logins = 5;
  int lockout_s = 300;
  int consent_window_s = 120;  // how long the kiosk waits for the resident's pass
  // The desk's certified ID-card reader module (serial:PATH[:BAUD]): one read registers
  // the holder. "" : none.
  std::string id_reader;
};

// A provisioned device (gatectl provision): the signed bundle names the site, checkpoint,
// board, upstream, trust root and device identity, so the config may leave them out; where it
// states them they must agree with the bundle (firmware/provision).
struct ProvisioningConfig {
  std::string bundle;    // provision.bundle (0600: it holds the device's secret key)
  std::string root_key;  // the provisioning authority's public key, shipped in the image
  bool enabled() const { return !bundle.empty(); }
};

struct Config {
  std::filesystem::path source;  // the file it was read from
  std::string board = "sim";
  std::string checkpoint;  // e.g. "莲花北村北门"
  std::filesystem::path state_dir;
  std::filesystem::path trust_dir;
  std::int64_t trusted_time_floor = 1577836800;  // 2020-01-01: below it the clock is unset
  SiteState site;
  CameraConfig camera;
  NfcConfig nfc;
  IdCardConfig idcard;
  ThermometerConfig thermometer;
  GateConfig gate;
  SyncConfig sync;
  ScreenConfig screen;
  ConsoleConfig console;
  ProvisioningConfig provisioning;
};

// Relative paths in the file are resolved against the file's own folder. Errors: syntax (not
// TOML), schema (a key unknown, of the wrong type or out of range; every one found, each as
// file:line:column), and read_regular_file's for the file itself.
DocResult<Config> load_config(const std::filesystem::path& file);
DocResult<Config> parse_config(std::string_view text, const std::filesystem::path& source);

// An operator's profile for `gatectl upstream` (--profile FILE, or the file
// $GATECTL_UPSTREAM_PROFILE names): which upstream, and as whom, so that the four options
// need not be typed for every command. Every key is required:
//   url = "https://upstream.example:8443"
//   pin = "sha256:..."            # the upstream's tls.pin
//   operator = "alice"            # gate-upstream operator add --id alice
//   operator_key = "alice.key"    # relative to the profile's folder; 0600, like every
//                                 # secret key (load_secret_key refuses it otherwise)
struct OperatorProfile {
  std::filesystem::path source;
  std::string url, pin, operator_id;
  std::filesystem::path operator_key;
};
DocResult<OperatorProfile> load_operator_profile(const std::filesystem::path& file);
DocResult<OperatorProfile> parse_operator_profile(std::string_view text,
                                                  const std::filesystem::path& source);

}  // namespace gk
