#include "gk/gated/board.hpp"

#include "gk/camera/frame_source.hpp"
#include "gk/thermometer/mlx90614.hpp"

namespace gk {
namespace {

Result<std::unique_ptr<hal::Camera>> open_camera(const std::string& source) {
  if (source == "none") return std::unique_ptr<hal::Camera>{};
  if (source.starts_with("folder:"))
    return std::unique_ptr<hal::Camera>(
        std::make_unique<camera::ImageFolderCamera>(source.substr(7)));
  if (source.starts_with("video:"))
    return std::unique_ptr<hal::Camera>(std::make_unique<camera::VideoCamera>(source.substr(6)));
  if (source.starts_with("v4l2:"))
    return std::unique_ptr<hal::Camera>(std::make_unique<camera::VideoCamera>(source.substr(5)));
  return fail(Reason::device_fault,
              "camera.source '" + source + "' is not none, folder:, video: or v4l2:");
}

}  // namespace

Result<Board> open_board(const Config& config, std::optional<std::int64_t> sim_clock_start) {
  Board b;
  auto cam = open_camera(config.camera.source);
  if (!cam) return cam.failure();
  b.camera = std::move(*cam);

  if (config.thermometer.kind == "sim") {
    auto t = std::make_unique<hal::SimThermometer>(config.thermometer.sim_idle_c);
    b.sim_thermometer = t.get();
    b.thermometer = std::move(t);
  } else {
    // The MLX90614 driver, on /dev/i2c-N or on the register-level model of the chip. A
    // sensor that does not answer now is not fatal: every passage is then referred to the
    // guard (temperature_not_measured) until it answers again.
    const auto& tc = config.thermometer;
    if (tc.kind == "sim-mlx90614") {
      auto bus = std::make_unique<thermometer::SimMlx90614Bus>(tc.address);
      bus->set_object_celsius(tc.sim_idle_c);
      b.sim_mlx_bus = bus.get();
      b.i2c_bus = std::move(bus);
    } else {
      b.i2c_bus = std::make_unique<thermometer::LinuxI2cBus>(tc.i2c_bus);
    }
    b.thermometer = std::make_unique<thermometer::Mlx90614>(
        *b.i2c_bus, static_cast<std::uint8_t>(tc.address), tc.emissivity);
  }

  if (config.nfc.connstring == "sim") {
    auto r = std::make_unique<hal::SimCardReader>();
    b.sim_card_reader = r.get();
    b.card_reader = std::move(r);
  } else if (config.nfc.connstring != "none") {
    return fail(Reason::device_fault,
                "nfc connstring '" + config.nfc.connstring + "' has no driver in this build");
  }

  if (config.gate.kind == "sim")
    b.gate = std::make_unique<hal::SimGate>(config.gate.record_file);
  else
    return fail(Reason::device_fault,
                "gate kind '" + config.gate.kind + "' has no driver in this build");
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
