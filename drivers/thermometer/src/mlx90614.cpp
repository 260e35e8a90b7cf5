#include "gk/thermometer/mlx90614.hpp"

#include <cmath>

namespace gk::thermometer {

Mlx90614::Mlx90614(SmbusBus& bus, std::uint8_t address, double emissivity)
    : bus_(bus), address_(address), emissivity_(emissivity) {}

hal::DeviceResult<std::uint16_t> Mlx90614::read_register(std::uint8_t command) {
  auto r = bus_.read_word(address_, command);
  if (!hal::has_value(r)) return std::get<hal::DeviceError>(r);
  const auto& w = std::get<0>(r);
  // PEC covers the whole transaction: address+W, command, address+R, LSB, MSB.
  const std::uint8_t frame[5] = {static_cast<std::uint8_t>(address_ << 1), command,
                                 static_cast<std::uint8_t>(address_ << 1 | 1), w[0], w[1]};
  if (smbus_pec(frame, sizeof frame) != w[2]) return hal::DeviceError::io;
  return static_cast<std::uint16_t>(w[1] << 8 | w[0]);
}

hal::DeviceError Mlx90614::probe() {
  auto e = read_register(Mlx90614Registers::emissivity);
  if (!hal::has_value(e)) return std::get<hal::DeviceError>(e);
  const std::uint16_t raw = std::get<0>(e);
  if (raw == 0) return hal::DeviceError::implausible;  // an erased EEPROM, not a sensor
  chip_emissivity_ = raw / 65535.0;
  return hal::DeviceError::none;
}

std::string Mlx90614::identity() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "mlx90614-";
  for (int i = 3; i >= 0; --i) {
    auto w = read_register(static_cast<std::uint8_t>(Mlx90614Registers::id0 + i));
    if (!hal::has_value(w)) return describe();
    for (int shift = 12; shift >= 0; shift -= 4) id += kHex[(std::get<0>(w) >> shift) & 0xF];
  }
  return id;
}

hal::DeviceResult<double> Mlx90614::read_ambient_celsius() {
  auto r = read_register(Mlx90614Registers::ambient);
  if (!hal::has_value(r)) return std::get<hal::DeviceError>(r);
  if (std::get<0>(r) & 0x8000) return hal::DeviceError::implausible;
  return mlx_raw_to_celsius(std::get<0>(r));
}

hal::DeviceResult<double> Mlx90614::read_celsius() {
  if (chip_emissivity_ == 0)
    if (auto e = probe(); e != hal::DeviceError::none) return e;
  auto r = read_register(Mlx90614Registers::object1);
  if (!hal::has_value(r)) return std::get<hal::DeviceError>(r);
  if (std::get<0>(r) & 0x8000) return hal::DeviceError::implausible;  // chip's error flag
  double t = mlx_raw_to_celsius(std::get<0>(r));
  if (std::abs(chip_emissivity_ - emissivity_) > 0.005) {
    // Stefan-Boltzmann: the chip solved T^4 with its own emissivity; re-solve with ours.
    auto a = read_ambient_celsius();
    if (!hal::has_value(a)) return std::get<hal::DeviceError>(a);
    const double ta = std::get<double>(a) + 273.15, to = t + 273.15;
    const double t4 =
        (chip_emissivity_ * (std::pow(to, 4) - std::pow(ta, 4))) / emissivity_ + std::pow(ta, 4);
    if (t4 <= 0) return hal::DeviceError::implausible;
    t = std::pow(t4, 0.25) - 273.15;
  }
  return t;
}

}  // namespace gk::thermometer
