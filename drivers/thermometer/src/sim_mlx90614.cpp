#include "gk/thermometer/sim_mlx90614.hpp"

#include <cmath>

namespace gk::thermometer {
namespace {
std::uint16_t celsius_to_raw(double c) {
  return static_cast<std::uint16_t>(std::lround((c + 273.15) / 0.02));
}
}  // namespace

SimMlx90614Bus::SimMlx90614Bus(std::uint8_t address, double emissivity) : address_(address) {
  words_[0x06] = celsius_to_raw(25.0);
  words_[0x07] = celsius_to_raw(36.5);
  words_[0x24] = static_cast<std::uint16_t>(std::lround(emissivity * 65535.0));
  words_[0x2E] = address;  // EEPROM SMBus address register
  set_id(0x0123456789ABCDEFull);
}

void SimMlx90614Bus::set_object_celsius(double c) {
  object_c_ = c;
  store_object();
}

void SimMlx90614Bus::set_calibration_error(double gain, double offset_c) {
  gain_ = gain;
  offset_c_ = offset_c;
  store_object();
}

void SimMlx90614Bus::store_object() {
  words_[0x07] = celsius_to_raw(gain_ * object_c_ + offset_c_);
}

void SimMlx90614Bus::set_id(std::uint64_t id) {
  for (int i = 0; i < 4; ++i)
    words_[static_cast<std::uint8_t>(0x3C + i)] = static_cast<std::uint16_t>(id >> (16 * i));
}
void SimMlx90614Bus::set_ambient_celsius(double c) {
  words_[0x06] = celsius_to_raw(c);
}

void SimMlx90614Bus::inject(Fault f, int n) {
  for (int i = 0; i < n; ++i) queued_.push_back(f);
}

std::uint16_t SimMlx90614Bus::word(std::uint8_t command) const {
  auto it = words_.find(command);
  return it == words_.end() ? 0 : it->second;
}

SimMlx90614Bus::Fault SimMlx90614Bus::next_fault() {
  if (!queued_.empty()) {
    Fault f = queued_.front();
    queued_.pop_front();
    return f;
  }
  return persistent_;
}

hal::DeviceResult<std::array<std::uint8_t, 3>> SimMlx90614Bus::read_word(std::uint8_t address,
                                                                         std::uint8_t command) {
  ++transactions_;
  if (address != address_) return hal::DeviceError::io;  // nobody ACKs that address
  const Fault f = next_fault();
  if (f == Fault::nack) return hal::DeviceError::io;
  if (f == Fault::timeout) return hal::DeviceError::timeout;
  std::uint16_t w = word(command);
  if (f == Fault::error_flag && (command == 0x06 || command == 0x07)) w |= 0x8000;
  const std::uint8_t frame[5] = {
      static_cast<std::uint8_t>(address << 1), command, static_cast<std::uint8_t>(address << 1 | 1),
      static_cast<std::uint8_t>(w & 0xFF), static_cast<std::uint8_t>(w >> 8)};
  std::uint8_t pec = smbus_pec(frame, sizeof frame);
  if (f == Fault::bad_pec) pec ^= 0x5A;
  return std::array<std::uint8_t, 3>{frame[3], frame[4], pec};
}

hal::DeviceError SimMlx90614Bus::write_word(std::uint8_t address, std::uint8_t command,
                                            std::array<std::uint8_t, 3> w) {
  ++transactions_;
  if (address != address_) return hal::DeviceError::io;
  const std::uint8_t frame[4] = {static_cast<std::uint8_t>(address << 1), command, w[0], w[1]};
  // The chip ignores a write whose PEC is wrong (and NACKs it): EEPROM stays intact.
  if (smbus_pec(frame, sizeof frame) != w[2]) return hal::DeviceError::io;
  if (command < 0x20 || command > 0x3F) return hal::DeviceError::io;  // only EEPROM is writable
  words_[command] = static_cast<std::uint16_t>(w[1] << 8 | w[0]);
  return hal::DeviceError::none;
}

}  // namespace gk::thermometer
