#pragma once
// Technician calibration of an infrared thermometer against a reference: a blackbody
// source (or a clinical reference thermometer on a skin phantom) at known temperatures.
// The sensor's error is modelled as reading = gain·true + offset (the MLX90614's factory
// calibration drifts in gain with the optics' soiling and in offset with its package
// temperature); one reference point corrects the offset, two or more the gain as well.
// Stored per device (the chip's own ID), so a swapped sensor is not corrected with its
// predecessor's figures: `gatectl thermometer calibrate` writes it, `gatectl health`
// checks it, gated applies it.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gk/core/errors.hpp"
#include "gk/hal/devices.hpp"

namespace gk::thermometer {

struct CalibrationPoint {
  double reference_c = 0;  // the reference's temperature
  double reading_c = 0;    // what the sensor read, uncorrected
};

struct Calibration {
  std::string device;  // the sensor's identity (Mlx90614::identity(), "sim-thermometer")
  std::vector<CalibrationPoint> points;
  std::int64_t time = 0;  // when the last point was taken (Unix time)
  double gain = 1.0;      // reading = gain·true + offset
  double offset_c = 0.0;
  // The true temperature for a raw reading.
  double correct(double reading_c) const { return (reading_c - offset_c) / gain; }
  // Largest |corrected reading − reference| over the points (0 with one point).
  double residual_c() const;
};

// Fits gain and offset to the points: least squares with two or more distinct references,
// the offset alone with one. Refuses a gain outside 0.8..1.2 or an offset beyond ±5 °C: a
// sensor that far off is broken or not aimed at the reference (device/implausible); no point
// at all is document/schema.
Expected<Calibration, Fault> fit_calibration(std::string device,
                                             std::vector<CalibrationPoint> points,
                                             std::int64_t time);

// The calibration file of a state dir: one entry per device, JSON, written atomically.
std::filesystem::path calibration_file(const std::filesystem::path& state_dir);
// No file: none calibrated yet. A file that is not one, or holds figures fit_calibration
// refuses, is an error (never silently ignored).
DocResult<std::vector<Calibration>> load_calibrations(const std::filesystem::path& file);
DocStatus save_calibration(const std::filesystem::path& file, const Calibration& c);
std::optional<Calibration> find_calibration(const std::vector<Calibration>& all,
                                            const std::string& device);

// A thermometer with a calibration applied to its object (skin) readings; the ambient is
// the chip's own die sensor and is passed through.
class CalibratedThermometer final : public hal::Thermometer {
 public:
  CalibratedThermometer(std::unique_ptr<hal::Thermometer> raw, Calibration c)
      : raw_(std::move(raw)), cal_(std::move(c)) {}
  hal::DeviceResult<double> read_celsius() override;
  hal::DeviceResult<double> read_ambient_celsius() override { return raw_->read_ambient_celsius(); }
  std::string describe() const override { return raw_->describe() + " (calibrated)"; }
  const Calibration& calibration() const { return cal_; }

 private:
  std::unique_ptr<hal::Thermometer> raw_;
  Calibration cal_;
};

}  // namespace gk::thermometer
