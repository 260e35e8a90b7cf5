#include <gpiod.h>

#include "gk/gpio/lines.hpp"

namespace gk::gpio {

// RAII over the chip and its requested lines (released before the chip is closed).
struct GpiodLines::Handles {
  gpiod_chip* chip = nullptr;
  std::map<std::string, gpiod_line*> lines;
  ~Handles() {
    for (auto& [name, line] : lines) gpiod_line_release(line);
    if (chip) gpiod_chip_close(chip);
  }
};

GpiodLines::GpiodLines(const std::string& chip, const std::vector<Spec>& specs)
    : h_(std::make_unique<Handles>()) {
  h_->chip = gpiod_chip_open_by_name(chip.c_str());
  if (!h_->chip) {
    error_ = "gpio chip " + chip + " not found";
    return;
  }
  for (const Spec& s : specs) {
    gpiod_line* line = gpiod_chip_find_line(h_->chip, s.name.c_str());
    if (!line) {
      error_ += (error_.empty() ? "" : "; ") + ("line " + s.name + " not found");
      continue;
    }
    int flags = s.active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
    if (!s.output) {
      if (s.bias == Bias::disabled) flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE;
      if (s.bias == Bias::pull_up) flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP;
      if (s.bias == Bias::pull_down) flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN;
    }
    int rc = s.output ? gpiod_line_request_output_flags(line, "gated", flags, s.initial ? 1 : 0)
                      : gpiod_line_request_input_flags(line, "gated", flags);
    if (rc < 0) {
      error_ += (error_.empty() ? "" : "; ") + ("line " + s.name + " busy");
      continue;
    }
    h_->lines[s.name] = line;
  }
}

GpiodLines::~GpiodLines() = default;

hal::DeviceError GpiodLines::set(const std::string& name, bool active) {
  auto it = h_->lines.find(name);
  if (it == h_->lines.end()) return hal::DeviceError::not_present;
  return gpiod_line_set_value(it->second, active ? 1 : 0) < 0 ? hal::DeviceError::io
                                                              : hal::DeviceError::none;
}

hal::DeviceResult<bool> GpiodLines::get(const std::string& name) {
  auto it = h_->lines.find(name);
  if (it == h_->lines.end()) return hal::DeviceError::not_present;
  int v = gpiod_line_get_value(it->second);
  if (v < 0) return hal::DeviceError::io;
  return v == 1;
}

}  // namespace gk::gpio
