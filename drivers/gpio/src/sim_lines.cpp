#include "gk/gpio/lines.hpp"

namespace gk::gpio {

std::optional<Bias> bias_from_string(std::string_view s) {
  if (s == "as-is") return Bias::as_is;
  if (s == "disabled") return Bias::disabled;
  if (s == "pull-up") return Bias::pull_up;
  if (s == "pull-down") return Bias::pull_down;
  return std::nullopt;
}

SimLines::SimLines(const std::vector<LineSpec>& specs) {
  for (const LineSpec& s : specs) {
    specs_[s.name] = s;
    if (s.output)
      state_[s.name] = s.initial;
    else
      float_line(s.name);
  }
}

bool SimLines::active_low(const std::string& line) const {
  auto it = specs_.find(line);
  return it != specs_.end() && it->second.active_low;
}

void SimLines::drive_level(const std::string& input, bool high) {
  state_[input] = high != active_low(input);
}

void SimLines::float_line(const std::string& input) {
  auto it = specs_.find(input);
  drive_level(input, it != specs_.end() && it->second.bias == Bias::pull_up);
}

bool SimLines::level(const std::string& line) const {
  return state(line) != active_low(line);
}

hal::DeviceError SimLines::set(const std::string& line, bool active) {
  if (unplugged_) return hal::DeviceError::io;
  state_[line] = active;
  edges_.push_back({line, active, std::chrono::steady_clock::now()});
  return hal::DeviceError::none;
}

hal::DeviceResult<bool> SimLines::get(const std::string& line) {
  if (unplugged_) return hal::DeviceError::io;
  return state(line);
}

bool SimLines::state(const std::string& line) const {
  auto it = state_.find(line);
  return it != state_.end() && it->second;
}

}  // namespace gk::gpio
