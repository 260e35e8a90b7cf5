#pragma once
// SMBus "read word" with Packet Error Code, the only transaction the MLX90614 needs for
// reading, and "write word" for its EEPROM. The real bus is /dev/i2c-N (Linux i2c-dev);
// the simulated one is a register-level model of the chip (sim_mlx90614.hpp).
#include <array>
#include <cstdint>
#include <string>

#include "gk/hal/devices.hpp"
#include "gk/hal/unique_fd.hpp"

namespace gk::thermometer {

// SMBus PEC: CRC-8, polynomial x^8 + x^2 + x + 1 (0x07), initial 0.
std::uint8_t smbus_pec(const std::uint8_t* data, std::size_t size);

class SmbusBus {
 public:
  virtual ~SmbusBus() = default;
  // Returns the 3 bytes the slave sends: LSB, MSB, PEC (the caller checks the PEC).
  virtual hal::DeviceResult<std::array<std::uint8_t, 3>> read_word(std::uint8_t address,
                                                                   std::uint8_t command) = 0;
  // Sends LSB, MSB and the PEC the caller computed.
  virtual hal::DeviceError write_word(std::uint8_t address, std::uint8_t command,
                                      std::array<std::uint8_t, 3> lsb_msb_pec) = 0;
};

// /dev/i2c-N through the i2c-dev ioctl interface (I2C_RDWR: write the command, repeated
// start, read 3 bytes), so the PEC arrives untouched and is checked in user space.
class LinuxI2cBus final : public SmbusBus {
 public:
  explicit LinuxI2cBus(std::string device);
  bool is_open() const { return fd_.valid(); }
  hal::DeviceResult<std::array<std::uint8_t, 3>> read_word(std::uint8_t address,
                                                           std::uint8_t command) override;
  hal::DeviceError write_word(std::uint8_t address, std::uint8_t command,
                              std::array<std::uint8_t, 3> lsb_msb_pec) override;

 private:
  std::string device_;
  hal::UniqueFd fd_;
};

}  // namespace gk::thermometer
