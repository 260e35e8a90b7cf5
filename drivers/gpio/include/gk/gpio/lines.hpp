#pragma once
// Named digital lines of a board: the relay, buzzer and LEDs as outputs; the door contact,
// exit button and tamper switch as inputs. Real lines go through libgpiod 1.6 (Debian 12);
// simulated ones record every output change and let tests drive the inputs.
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gk/hal/devices.hpp"

namespace gk::gpio {

// What a line's level means and how an input is held when nothing drives it. An exit button
// wired normally-open to GND with a pull-up reads high at rest: it is active_low, bias
// pull_up. `as_is` leaves the bias to the device tree (the only choice on kernels and chips
// without bias control).
enum class Bias { as_is, disabled, pull_up, pull_down };
std::optional<Bias> bias_from_string(std::string_view s);  // "as-is", "disabled", "pull-up", ...

struct LineSpec {
  std::string name;
  bool output = false;
  bool active_low = false;
  Bias bias = Bias::as_is;  // inputs
  bool initial = false;     // outputs: the safe state at start (relay off)
};

// Lines speak logical states (active: relay energised, door open, button pressed, kiosk
// opened); each implementation maps them through the line's polarity.
class Lines {
 public:
  virtual ~Lines() = default;
  virtual hal::DeviceError set(const std::string& line, bool active) = 0;
  virtual hal::DeviceResult<bool> get(const std::string& line) = 0;
};

// libgpiod v1: lines found by name on a chip (gpiod_chip_open_by_name,
// gpiod_chip_find_line), requested once as outputs or inputs under the consumer "gated".
class GpiodLines final : public Lines {
 public:
  using Spec = LineSpec;
  GpiodLines(const std::string& chip, const std::vector<Spec>& lines);
  ~GpiodLines() override;
  GpiodLines(const GpiodLines&) = delete;
  GpiodLines& operator=(const GpiodLines&) = delete;
  // Empty when every line was found and requested; else what was missing.
  const std::string& error() const { return error_; }

  hal::DeviceError set(const std::string& line, bool active) override;
  hal::DeviceResult<bool> get(const std::string& line) override;

 private:
  struct Handles;
  std::unique_ptr<Handles> h_;
  std::string error_;
};

// Simulated lines: outputs are recorded with a timestamp, inputs are set by tests, either as
// logical states (drive) or as the wiring does, by electrical level (drive_level, float).
// Lines given specs model their polarity and bias: a floating input reads its bias level
// (low without one), and active_low inverts what get() reports and set() drives.
class SimLines final : public Lines {
 public:
  SimLines() = default;
  explicit SimLines(const std::vector<LineSpec>& specs);
  struct Edge {
    std::string line;
    bool active;
    std::chrono::steady_clock::time_point at;
  };
  hal::DeviceError set(const std::string& line, bool active) override;
  hal::DeviceResult<bool> get(const std::string& line) override;
  void drive(const std::string& input, bool active) { state_[input] = active; }
  void drive_level(const std::string& input, bool high);
  void float_line(const std::string& input);  // nothing drives it: its bias decides
  bool level(const std::string& line) const;  // electrical, for outputs and inputs
  void unplug(bool gone) { unplugged_ = gone; }
  const std::vector<Edge>& edges() const { return edges_; }
  bool state(const std::string& line) const;

 private:
  bool active_low(const std::string& line) const;
  std::map<std::string, LineSpec> specs_;
  std::map<std::string, bool> state_;  // logical
  std::vector<Edge> edges_;
  bool unplugged_ = false;
};

}  // namespace gk::gpio
