#pragma once
// Melexis MLX90614 infrared thermometer over SMBus: object and ambient temperature in
// RAM (0x07, 0x06), emissivity in EEPROM (0x24). Every word is PEC-checked; a word with the
// error flag (bit 15) set is a measurement fault, not a temperature.
#include <memory>

#include "gk/thermometer/smbus.hpp"

namespace gk::thermometer {

struct Mlx90614Registers {
  static constexpr std::uint8_t ambient = 0x06;     // RAM: Ta
  static constexpr std::uint8_t object1 = 0x07;     // RAM: Tobj1
  static constexpr std::uint8_t emissivity = 0x24;  // EEPROM (0x20 | 0x04)
  static constexpr std::uint8_t id0 = 0x3C;         // EEPROM 0x3C..0x3F: the chip's ID
};

class Mlx90614 final : public hal::Thermometer {
 public:
  // `emissivity`: of human skin (~0.98). When the chip's EEPROM holds another value the
  // reading is corrected in software instead of rewriting the EEPROM on every start.
  Mlx90614(SmbusBus& bus, std::uint8_t address = 0x5A, double emissivity = 0.98);

  hal::DeviceResult<double> read_celsius() override;
  hal::DeviceResult<double> read_ambient_celsius() override;
  std::string describe() const override { return "mlx90614"; }
  // "mlx90614-<the 64-bit chip ID in hex>", or describe() if the ID cannot be read.
  std::string identity() override;
  // Chip identity check at start: the emissivity word must read back with a good PEC.
  hal::DeviceError probe();

 private:
  hal::DeviceResult<std::uint16_t> read_register(std::uint8_t command);
  SmbusBus& bus_;
  std::uint8_t address_;
  double emissivity_;
  double chip_emissivity_ = 0;  // 0: not read yet
};

// Raw RAM word (0.02 K per LSB) to Celsius.
inline double mlx_raw_to_celsius(std::uint16_t raw) {
  return raw * 0.02 - 273.15;
}

}  // namespace gk::thermometer
