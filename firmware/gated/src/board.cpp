#include "gk/gated/board.hpp"

#include "gk/camera/frame_source.hpp"
#include "gk/camera/v4l2_camera.hpp"
#include "gk/camera/video_module.hpp"
#include "gk/idcard/sam_reader.hpp"
#include "gk/nfc/libnfc_reader.hpp"
#include "gk/thermometer/mlx90614.hpp"

namespace gk {
namespace {

Expected<std::unique_ptr<hal::Camera>, Fault> open_camera(const std::string& text) {
  const auto source = parse_camera_source(text);  // checked with the config; this is a backstop
  if (!source)
    return fault(doc_error(DocCode::schema, "camera.source '" + text +
                                                "' is not none, folder:, spool:, video: or v4l2:"));
  switch (source->kind) {
    case CameraKind::none:
      return std::unique_ptr<hal::Camera>{};
    case CameraKind::folder:
      return std::unique_ptr<hal::Camera>(
          std::make_unique<camera::ImageFolderCamera>(source->path));
    case CameraKind::spool:
      return std::unique_ptr<hal::Camera>(
          std::make_unique<camera::SpoolFolderCamera>(source->path));
    case CameraKind::video: {
      // Sim board and tests: OpenCV videoio through the gk-video-camera module, loaded only now.
      std::string why;
      auto cam = camera::open_video_camera(source->path, &why);
      if (!cam)
        return Fault{Layer::device, hal::to_string(hal::DeviceError::not_present),
                     "camera.source '" + text + "': " + why};
      return cam;
    }
    case CameraKind::v4l2:
      return std::unique_ptr<hal::Camera>(std::make_unique<camera::V4l2Camera>(source->path));
  }
  return std::unique_ptr<hal::Camera>{};
}

}  // namespace

Expected<Board, Fault> open_board(const Config& config,
                                  std::optional<std::int64_t> sim_clock_start) {
  Board b;
  auto cam = open_camera(config.camera.source);
  if (!cam) return cam.error();
  b.camera = std::move(*cam);

  if (config.thermometer.kind == "sim") {
    auto t = std::make_unique<hal::SimThermometer>(config.thermometer.sim_skin_c,
                                                   config.thermometer.sim_ambient_c);
    b.sim_thermometer = t.get();
    b.thermometer = std::move(t);
  } else {
    // The MLX90614 driver, on /dev/i2c-N or on the register-level model of the chip. A
    // sensor that does not answer now is not fatal: every passage is then referred to the
    // guard (temperature_not_measured) until it answers again.
    const auto& tc = config.thermometer;
    if (tc.kind == "sim-mlx90614") {
      auto bus = std::make_unique<thermometer::SimMlx90614Bus>(tc.address);
      bus->set_object_celsius(tc.sim_skin_c);
      bus->set_ambient_celsius(tc.sim_ambient_c);
      bus->set_calibration_error(tc.sim_gain_error, tc.sim_offset_error_c);
      b.sim_mlx_bus = bus.get();
      b.i2c_bus = std::move(bus);
    } else {
      b.i2c_bus = std::make_unique<thermometer::LinuxI2cBus>(tc.i2c_bus);
    }
    b.thermometer = std::make_unique<thermometer::Mlx90614>(
        *b.i2c_bus, static_cast<std::uint8_t>(tc.address), tc.emissivity);
  }

  b.raw_thermometer = b.thermometer.get();
  auto calibrations =
      thermometer::load_calibrations(thermometer::calibration_file(config.state_dir));
  if (!calibrations) return fault(calibrations.error());  // a damaged file is not ignored
  if (auto cal = thermometer::find_calibration(*calibrations, b.thermometer->identity())) {
    b.thermometer_calibration = cal;
    b.thermometer =
        std::make_unique<thermometer::CalibratedThermometer>(std::move(b.thermometer), *cal);
  }

  if (config.nfc.connstring == "sim") {
    b.card_reader = std::make_unique<hal::SimCardReader>();
  } else if (config.nfc.connstring != "none") {
    // A reader that is absent now is not fatal: poll() re-opens it until it answers.
    b.card_reader = std::make_unique<nfc::LibnfcCardReader>(config.nfc.connstring);
  }

  if (!config.idcard.device.empty()) {
    auto spec = idcard::parse_serial_device(config.idcard.device);
    if (!spec)
      return fault(doc_error(DocCode::schema, "[idcard] device: expected serial:PATH[:BAUD]"));
    b.id_reader = std::make_unique<idcard::SamCardReader>(*spec);  // re-opened until it answers
  }

  const GateConfig& g = config.gate;
  if (g.kind == "sim") {
    b.gate = std::make_unique<hal::SimGate>(g.record_file);
  } else {
    // The relay and door inputs on named lines (libgpiod), or the same Door logic on
    // simulated lines. Missing lines are a start-up error: a gate we cannot drive or a
    // contact we cannot read must not pass for working.
    const auto input = [](const std::string& name, bool active_low, const std::string& bias) {
      return gpio::LineSpec{name, false, active_low,
                            gpio::bias_from_string(bias).value_or(gpio::Bias::as_is), false};
    };
    std::vector<gpio::LineSpec> specs{{g.relay_line, true, g.relay_active_low, {}, false}};
    if (!g.door_contact_line.empty())
      specs.push_back(input(g.door_contact_line, g.door_contact_active_low, g.door_contact_bias));
    if (!g.exit_button_line.empty())
      specs.push_back(input(g.exit_button_line, g.exit_button_active_low, g.exit_button_bias));
    if (!g.tamper_line.empty())
      specs.push_back(input(g.tamper_line, g.tamper_active_low, g.tamper_bias));
    if (g.kind == "sim-gpio") {
      auto lines = std::make_unique<gpio::SimLines>(specs);
      b.sim_lines = lines.get();
      b.gpio_lines = std::move(lines);
    } else {
      auto lines = std::make_unique<gpio::GpiodLines>(g.chip, specs);
      b.gate_fault = lines->error();
      b.gpio_lines = std::move(lines);
    }
    gpio::DoorConfig dc;
    dc.relay_line = g.relay_line;
    dc.door_contact_line = g.door_contact_line;
    dc.exit_button_line = g.exit_button_line;
    dc.tamper_line = g.tamper_line;
    dc.fail_secure = g.fail_secure;
    dc.held_open_after = std::chrono::seconds(g.held_open_s);
    auto door = std::make_unique<gpio::Door>(*b.gpio_lines, dc);
    b.door = door.get();
    b.gate = std::move(door);
  }
  b.indicator = std::make_unique<hal::SimIndicator>();

  if (config.board == "sim" && sim_clock_start) {
    auto c = std::make_unique<hal::ManualClock>(*sim_clock_start, true);
    b.sim_clock = c.get();
    b.clock = std::move(c);
  } else {
    b.clock = std::make_unique<hal::SystemClock>(config.trusted_time_floor);
  }
  return b;
}

}  // namespace gk
