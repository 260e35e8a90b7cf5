#pragma once
// A register-level model of the MLX90614 on a simulated SMBus: RAM and EEPROM words,
// PEC generated like the chip, and faults a real bus shows (NACK, bad PEC, timeout,
// the chip's own error flag). The driver reads it through exactly the code it uses on
// /dev/i2c-N.
#include <deque>
#include <map>

#include "gk/thermometer/smbus.hpp"

namespace gk::thermometer {

class SimMlx90614Bus final : public SmbusBus {
 public:
  enum class Fault { none, nack, bad_pec, timeout, error_flag };

  explicit SimMlx90614Bus(std::uint8_t address = 0x5A, double emissivity = 0.98);

  // The true temperature in front of the sensor, and the die's ambient.
  void set_object_celsius(double c);
  void set_ambient_celsius(double c);
  // A chip out of calibration: it reports gain·true + offset for the object (soiled
  // optics, drift of the factory trim). Default 1 and 0.
  void set_calibration_error(double gain, double offset_c);
  void set_id(std::uint64_t id);  // EEPROM 0x3C..0x3F
  // Faults for the next N transactions (queued), or on every one (persistent).
  void inject(Fault f, int transactions = 1);
  void set_persistent(Fault f) { persistent_ = f; }
  std::size_t transactions() const { return transactions_; }
  std::uint16_t word(std::uint8_t command) const;

  hal::DeviceResult<std::array<std::uint8_t, 3>> read_word(std::uint8_t address,
                                                           std::uint8_t command) override;
  hal::DeviceError write_word(std::uint8_t address, std::uint8_t command,
                              std::array<std::uint8_t, 3> lsb_msb_pec) override;

 private:
  Fault next_fault();
  void store_object();
  std::uint8_t address_;
  double object_c_ = 36.5;
  double gain_ = 1.0, offset_c_ = 0.0;
  std::map<std::uint8_t, std::uint16_t> words_;
  std::deque<Fault> queued_;
  Fault persistent_ = Fault::none;
  std::size_t transactions_ = 0;
};

}  // namespace gk::thermometer
