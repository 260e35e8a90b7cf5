// The MLX90614 driver against the register-level model, through the same SMBus calls it
// makes on /dev/i2c-N.
#include <catch2/catch.hpp>
#include <cmath>

#include "gk_test_support.hpp"

#include "gk/thermometer/calibration.hpp"
#include "gk/thermometer/mlx90614.hpp"
#include "gk/thermometer/sim_mlx90614.hpp"

using namespace gk;
using namespace gk::thermometer;
using BusFault = SimMlx90614Bus::Fault;  // not gk::Fault, a layer's error

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
  bus.inject(BusFault::bad_pec);
  CHECK(std::get<hal::DeviceError>(t.read_celsius()) == hal::DeviceError::io);
  bus.inject(BusFault::nack);
  CHECK(std::get<hal::DeviceError>(t.read_celsius()) == hal::DeviceError::io);
  bus.inject(BusFault::timeout);
  CHECK(std::get<hal::DeviceError>(t.read_celsius()) == hal::DeviceError::timeout);
  bus.inject(BusFault::error_flag);
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

TEST_CASE("a chip with a gain and offset error is put right by a two-point calibration",
          "[thermometer]") {
  SimMlx90614Bus bus;
  bus.set_calibration_error(1.03, -0.6);  // soiled optics and a drifted trim
  bus.set_ambient_celsius(22.0);
  Mlx90614 chip(bus);
  auto read_at = [&](double blackbody_c) {
    bus.set_object_celsius(blackbody_c);
    auto r = chip.read_celsius();
    REQUIRE(hal::has_value(r));
    return std::get<double>(r);
  };
  // Uncorrected, a 36.0 °C target reads ~0.5 °C high.
  CHECK(std::abs(read_at(36.0) - 36.0) > 0.4);
  // The technician's reference points: a blackbody at 33 and at 40 °C.
  std::vector<CalibrationPoint> pts{{33.0, read_at(33.0)}, {40.0, read_at(40.0)}};
  auto cal = fit_calibration(chip.identity(), pts, 1'700'000'000);
  REQUIRE(cal.ok());
  CHECK(cal->gain == Approx(1.03).margin(0.005));
  CHECK(cal->offset_c == Approx(-0.6).margin(0.1));
  CHECK(cal->residual_c() < 0.03);
  // Applied to the chip, through the driver, at temperatures between and beyond.
  auto owned = std::make_unique<Mlx90614>(bus);
  CalibratedThermometer t(std::move(owned), *cal);
  for (double c : {30.0, 34.5, 36.0, 38.2, 42.0}) {
    bus.set_object_celsius(c);
    auto r = t.read_celsius();
    REQUIRE(hal::has_value(r));
    CHECK(std::get<double>(r) == Approx(c).margin(0.03));
  }
  // The die's ambient is not the object: passed through as the chip reports it.
  CHECK(std::get<double>(t.read_ambient_celsius()) == Approx(22.0).margin(0.02));
}

TEST_CASE("one reference point corrects the offset; absurd calibrations are refused",
          "[thermometer]") {
  auto one = fit_calibration("x", {{37.0, 37.8}}, 0);
  REQUIRE(one.ok());
  CHECK(one->gain == 1.0);
  CHECK(one->correct(36.3) == Approx(35.5));
  CHECK(describe(fit_calibration("x", {}, 0).error()) == "document/schema: no reference point");
  // A sensor this far off is broken or not aimed at the reference: the device's fault.
  auto steep = fit_calibration("x", {{33.0, 20.0}, {40.0, 40.0}}, 0);  // gain ~2.9
  REQUIRE_FALSE(steep.ok());
  CHECK(steep.error().layer == Layer::device);
  CHECK(steep.error().code == "implausible");
  auto shifted = fit_calibration("x", {{37.0, 45.0}}, 0);  // 8 °C off
  REQUIRE_FALSE(shifted.ok());
  CHECK(shifted.error().layer == Layer::device);
  CHECK(shifted.error().detail.find("offset") != std::string::npos);
}

TEST_CASE("calibrations are stored per device: a swapped sensor is not corrected",
          "[thermometer]") {
  gk::test::ScratchDir dir;
  const auto file = calibration_file(dir.path());
  SimMlx90614Bus a, b;
  b.set_id(0xFEEDFACE00000001ull);
  Mlx90614 chip_a(a), chip_b(b);
  REQUIRE(chip_a.identity() != chip_b.identity());
  CHECK(chip_a.identity() == "mlx90614-0123456789abcdef");
  auto cal = fit_calibration(chip_a.identity(), {{35.0, 35.4}}, 42);
  REQUIRE(save_calibration(file, *cal).ok());
  auto other = fit_calibration("sim-thermometer", {{35.0, 35.1}}, 43);
  REQUIRE(save_calibration(file, *other).ok());
  auto all = load_calibrations(file);
  REQUIRE(all.ok());
  CHECK(all->size() == 2);
  REQUIRE(find_calibration(*all, chip_a.identity()));
  CHECK(find_calibration(*all, chip_a.identity())->offset_c == Approx(0.4));
  CHECK_FALSE(find_calibration(*all, chip_b.identity()));
}
