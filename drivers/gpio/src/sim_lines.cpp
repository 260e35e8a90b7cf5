#include "gk/gpio/lines.hpp"

namespace gk::gpio {

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
