// The MLX90614 driver against the register-level model, through the same SMBus calls it
// makes on /dev/i2c-N.
#include <catch2/catch.hpp>
#include <cmath>

#include "gk/thermometer/mlx90614.hpp"
#include "gk/thermometer/sim_mlx90614.hpp"

using namespace gk;
using namespace gk::thermometer;
using Fault = SimMlx90614Bus::Fault;

TEST_CASE("SMBus PEC is CRC-8/0x07 as in the MLX90614 datasheet example", "[thermometer]") {
  // Datasheet: read of RAM 0x07 from address 0x5A answering 0x3AD2, PEC 0x30.
  const std::uint8_t frame[] = {0xB4, 0x07, 0xB5, 0xD2, 0x3A};
  CHECK(smbus_pec(frame, sizeof frame) == 0x30);
  CHECK(mlx_raw_to_celsius(0x3AD2) == Approx(28.01).margin(0.01));
}

TEST_CASE("object temperature is read with its PEC checked", "[thermometer]") {
  SimMlx90614Bus bus;
  Mlx90614 t(bus);
  bus.set_object_celsius(36.7);
  REQUIRE(t.probe() == hal::DeviceError::none);
  auto r = t.read_celsius();
  REQUIRE(hal::has_value(r));
  CHECK(std::get<double>(r) == Approx(36.7).margin(0.02));
}

TEST_CASE("bus faults become device errors, and the next read recovers", "[thermometer]") {
  SimMlx90614Bus bus;
  Mlx90614 t(bus);
  REQUIRE(t.probe() == hal::DeviceError::none);
  bus.inject(Fault::bad_pec);
  CHECK(std::get<hal::DeviceError>(t.read_celsius()) == hal::DeviceError::io);
  bus.inject(Fault::nack);
  CHECK(std::get<hal::DeviceError>(t.read_celsius()) == hal::DeviceError::io);
  bus.inject(Fault::timeout);
  CHECK(std::get<hal::DeviceError>(t.read_celsius()) == hal::DeviceError::timeout);
  bus.inject(Fault::error_flag);
  CHECK(std::get<hal::DeviceError>(t.read_celsius()) == hal::DeviceError::implausible);
  CHECK(hal::has_value(t.read_celsius()));
}

TEST_CASE("a chip at another address is not found", "[thermometer]") {
  SimMlx90614Bus bus(0x5B);
  Mlx90614 t(bus, 0x5A);
  CHECK(t.probe() == hal::DeviceError::io);
  CHECK_FALSE(hal::has_value(t.read_celsius()));
}

TEST_CASE("emissivity differing from the chip's is corrected in software", "[thermometer]") {
  // The chip is set to 1.0 and sees a 0.98-emissivity surface at 36.5 °C in a 20 °C room:
  // it reports a lower temperature, which the driver re-solves with 0.98.
  const double ta = 20.0 + 273.15, true_t = 36.5 + 273.15, e = 0.98;
  const double seen4 = e * std::pow(true_t, 4) + (1 - e) * std::pow(ta, 4);
  SimMlx90614Bus bus(0x5A, 1.0);
  bus.set_ambient_celsius(20.0);
  bus.set_object_celsius(std::pow(seen4, 0.25) - 273.15);
  Mlx90614 uncorrected(bus, 0x5A, 1.0);
  Mlx90614 corrected(bus, 0x5A, 0.98);
  double raw = std::get<double>(uncorrected.read_celsius());
  double fixed = std::get<double>(corrected.read_celsius());
  CHECK(raw < 36.3);
  CHECK(fixed == Approx(36.5).margin(0.05));
}

TEST_CASE("EEPROM writes need a good PEC", "[thermometer]") {
  SimMlx90614Bus bus;
  const std::uint16_t before = bus.word(0x24);
  std::uint8_t frame[4] = {0xB4, 0x24, 0x00, 0xF0};
  CHECK(bus.write_word(0x5A, 0x24,
                       {0x00, 0xF0, static_cast<std::uint8_t>(smbus_pec(frame, 4) ^ 1)}) ==
        hal::DeviceError::io);
  CHECK(bus.word(0x24) == before);
  CHECK(bus.write_word(0x5A, 0x24, {0x00, 0xF0, smbus_pec(frame, 4)}) == hal::DeviceError::none);
  CHECK(bus.word(0x24) == 0xF000);
  CHECK(bus.write_word(0x5A, 0x07, {0, 0, 0}) == hal::DeviceError::io);  // RAM is read-only
}
