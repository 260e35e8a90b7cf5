#pragma once
// A board: the set of devices a config names, created by name at run time (the sim board
// and real boards go through the same kiosk code).
#include <memory>

#include "gk/config/config.hpp"
#include "gk/core/errors.hpp"
#include "gk/gpio/door.hpp"
#include "gk/hal/clock.hpp"
#include "gk/hal/devices.hpp"
#include "gk/hal/sim_devices.hpp"
#include "gk/thermometer/calibration.hpp"
#include "gk/thermometer/sim_mlx90614.hpp"

namespace gk {

struct Board {
  // Declared before the devices that borrow it, so it outlives them.
  std::unique_ptr<thermometer::SmbusBus> i2c_bus;
  std::unique_ptr<gpio::Lines> gpio_lines;
  std::unique_ptr<hal::Camera> camera;  // null: no camera configured
  // null: no reader configured. Polled on the CardPoller's thread only, so nothing else may
  // hold a handle to it (a scenario scripting a sim reader from the loop would race).
  std::unique_ptr<hal::CardReader> card_reader;
  // null: no certified ID-card reader ([idcard] device); polled on a CardPoller of its own.
  std::unique_ptr<hal::CardReader> id_reader;
  // With the technician's calibration for this very sensor applied, when there is one
  // (state_dir/thermometer-calibration.json); `raw_thermometer` is the sensor itself.
  std::unique_ptr<hal::Thermometer> thermometer;
  hal::Thermometer* raw_thermometer = nullptr;
  std::optional<thermometer::Calibration> thermometer_calibration;
  std::unique_ptr<hal::Gate> gate;
  std::unique_ptr<hal::Indicator> indicator;
  std::unique_ptr<hal::Clock> clock;
  // Set on the sim board, so that a scenario can script them.
  hal::SimThermometer* sim_thermometer = nullptr;
  hal::ManualClock* sim_clock = nullptr;
  thermometer::SimMlx90614Bus* sim_mlx_bus = nullptr;  // thermometer kind "sim-mlx90614"
  gpio::SimLines* sim_lines = nullptr;                 // gate kind "sim-gpio"
  gpio::Door* door = nullptr;                          // gate kinds "gpio", "sim-gpio"
  // Set when the gate lines could not be requested: the gate then refuses every release
  // (fail closed); gated does not start, `gatectl hw probe` reports it with the rest.
  std::string gate_fault;
};

// sim_clock_start: on the sim board with a scenario, the clock is a manual one starting
// there; otherwise the system clock. Fails as a document (a setting the config check should
// have refused, a damaged calibration file) or as a device that cannot be opened.
Expected<Board, Fault> open_board(const Config& config,
                                  std::optional<std::int64_t> sim_clock_start);

}  // namespace gk
