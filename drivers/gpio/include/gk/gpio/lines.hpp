#pragma once
// Named digital lines of a board: the relay, buzzer and LEDs as outputs; the door contact,
// exit button and tamper switch as inputs. Real lines go through libgpiod 1.6 (Debian 12);
// simulated ones record every output change and let tests drive the inputs.
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gk/hal/devices.hpp"

namespace gk::gpio {

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
  struct Spec {
    std::string name;
    bool output = false;
    bool active_low = false;
    bool initial = false;  // outputs: the safe state at start (relay off)
  };
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

// Simulated lines: outputs are recorded with a timestamp, inputs are set by tests.
class SimLines final : public Lines {
 public:
  struct Edge {
    std::string line;
    bool active;
    std::chrono::steady_clock::time_point at;
  };
  hal::DeviceError set(const std::string& line, bool active) override;
  hal::DeviceResult<bool> get(const std::string& line) override;
  void drive(const std::string& input, bool active) { state_[input] = active; }
  void unplug(bool gone) { unplugged_ = gone; }
  const std::vector<Edge>& edges() const { return edges_; }
  bool state(const std::string& line) const;

 private:
  std::map<std::string, bool> state_;
  std::vector<Edge> edges_;
  bool unplugged_ = false;
};

}  // namespace gk::gpio
