#include "gk/thermometer/calibration.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gk/hal/unique_fd.hpp"

namespace gk::thermometer {

namespace {
// Readings this far from the reference are the sensor's fault, not the technician's.
Fault implausible(std::string detail) {
  return {Layer::device, hal::to_string(hal::DeviceError::implausible), std::move(detail)};
}
}  // namespace

double Calibration::residual_c() const {
  double worst = 0;
  for (const auto& p : points)
    worst = std::max(worst, std::abs(correct(p.reading_c) - p.reference_c));
  return worst;
}

Expected<Calibration, Fault> fit_calibration(std::string device,
                                             std::vector<CalibrationPoint> points,
                                             std::int64_t time) {
  if (points.empty()) return fault(doc_error(DocCode::schema, "no reference point"));
  Calibration c;
  c.device = std::move(device);
  c.time = time;
  double mr = 0, ms = 0;
  for (const auto& p : points) mr += p.reference_c, ms += p.reading_c;
  mr /= points.size();
  ms /= points.size();
  double srr = 0, srs = 0;
  for (const auto& p : points) {
    srr += (p.reference_c - mr) * (p.reference_c - mr);
    srs += (p.reference_c - mr) * (p.reading_c - ms);
  }
  // Two references closer than 1 °C say nothing about the gain: offset only.
  double lo = points[0].reference_c, hi = lo;
  for (const auto& p : points) lo = std::min(lo, p.reference_c), hi = std::max(hi, p.reference_c);
  c.gain = hi - lo >= 1.0 ? srs / srr : 1.0;
  c.offset_c = ms - c.gain * mr;
  c.points = std::move(points);
  if (!(c.gain >= 0.8 && c.gain <= 1.2))
    return implausible("calibration gain " + std::to_string(c.gain) +
                       " outside 0.8..1.2: sensor broken or not aimed at the reference");
  if (std::abs(c.offset_c) > 5.0)
    return implausible("calibration offset " + std::to_string(c.offset_c) +
                       " °C beyond ±5: sensor broken or not aimed at the reference");
  return c;
}

std::filesystem::path calibration_file(const std::filesystem::path& state_dir) {
  return state_dir / "thermometer-calibration.json";
}

namespace {
nlohmann::json to_json(const Calibration& c) {
  nlohmann::json pts = nlohmann::json::array();
  for (const auto& p : c.points)
    pts.push_back({{"reference_c", p.reference_c}, {"reading_c", p.reading_c}});
  return {{"device", c.device},
          {"gain", c.gain},
          {"offset_c", c.offset_c},
          {"time", c.time},
          {"points", pts}};
}
}  // namespace

DocResult<std::vector<Calibration>> load_calibrations(const std::filesystem::path& file) {
  std::vector<Calibration> out;
  std::ifstream in(file);
  if (!in) return out;  // never calibrated
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded()) return doc_error(DocCode::syntax, file.string() + ": not JSON");
  try {
    if (j.at("kind") != "gk-thermometer-calibration")
      return doc_error(DocCode::schema, file.string() + ": not a calibration file");
    for (const auto& d : j.at("devices")) {
      std::vector<CalibrationPoint> pts;
      for (const auto& p : d.at("points"))
        pts.push_back({p.at("reference_c").get<double>(), p.at("reading_c").get<double>()});
      auto c = fit_calibration(d.at("device").get<std::string>(), std::move(pts),
                               d.at("time").get<std::int64_t>());
      // Stored figures no sensor may have: the file is damaged, whatever the sensor does.
      if (!c) return doc_error(DocCode::schema, file.string() + ": " + c.error().detail);
      out.push_back(std::move(*c));
    }
  } catch (const nlohmann::json::exception& e) {
    return doc_error(DocCode::schema, file.string() + ": " + e.what());
  }
  return out;
}

DocStatus save_calibration(const std::filesystem::path& file, const Calibration& c) {
  auto all = load_calibrations(file);
  if (!all) return all.error();
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& other : *all)
    if (other.device != c.device) devices.push_back(to_json(other));
  devices.push_back(to_json(c));
  const std::string text =
      nlohmann::json{{"kind", "gk-thermometer-calibration"}, {"devices", devices}}.dump(2) + "\n";
  const std::string tmp = file.string() + ".tmp";
  hal::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) return doc_error(DocCode::unreadable, tmp + ": cannot create: " + std::strerror(errno));
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      ::fsync(fd.get()) != 0)
    return doc_error(DocCode::unreadable, tmp + ": cannot write");
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) return doc_error(DocCode::unreadable, file.string() + ": " + ec.message());
  return Done{};
}

std::optional<Calibration> find_calibration(const std::vector<Calibration>& all,
                                            const std::string& device) {
  for (const auto& c : all)
    if (c.device == device) return c;
  return std::nullopt;
}

hal::DeviceResult<double> CalibratedThermometer::read_celsius() {
  auto r = raw_->read_celsius();
  if (!hal::has_value(r)) return r;
  return cal_.correct(std::get<double>(r));
}

}  // namespace gk::thermometer
