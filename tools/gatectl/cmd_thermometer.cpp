// gatectl thermometer: the technician's calibration of the infrared sensor against a
// reference, and the body-temperature estimate on any CSV of skin and ambient readings,
// decided exactly as the kiosk decides (gk::body_temperature + gk::temperature_rules).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "gk/gated/board.hpp"
#include "gk/policy/policy.hpp"
#include "gk/thermometer/calibration.hpp"
#include "output.hpp"

namespace gatectl {
namespace {

// One CSV record (RFC 4180: quoted fields with "" for a quote, CRLF or LF).
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back() += c;
    }
  }
  return out;
}

std::optional<double> number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

const char* decision_word(const std::optional<gk::Verdict>& v) {
  if (!v) return "ok";
  return v->reason == gk::Reason::fever ? "fever" : "refer";
}

int estimate(const std::string& csv, const std::string& config_file) {
  gk::SiteState site;
  if (!config_file.empty()) {
    auto config = gk::load_config(config_file);
    if (!config) return report_fault(config.error(), false);
    site = config->site;
  }
  std::ifstream in(csv, std::ios::binary);
  if (!in) return report_error(csv + ": cannot open", false);
  std::string line;
  if (!std::getline(in, line)) return report_error(csv + ": empty, expected a header line", false);
  const auto header = csv_fields(line);
  auto column = [&](const char* name) -> int {
    auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  };
  const int cs = column("skin_c"), ca = column("ambient_c");
  if (cs < 0 || ca < 0)
    return report_error(csv + ": the header needs the columns skin_c and ambient_c", false);
  // All rows are read before anything is printed: a bad row is named and nothing half
  // done is left on stdout.
  std::string out = "estimate_c,decision\n";
  int errors = 0;
  for (int n = 2; std::getline(in, line); ++n) {
    if (line.empty() || line == "\r") continue;
    const auto f = csv_fields(line);
    const auto skin = cs < static_cast<int>(f.size()) ? number(f[cs]) : std::nullopt;
    const auto ambient = ca < static_cast<int>(f.size()) ? number(f[ca]) : std::nullopt;
    if (!skin || !ambient) {
      std::cerr << "gatectl: " << csv << ":" << n << ": skin_c and ambient_c must be numbers\n";
      ++errors;
      continue;
    }
    const gk::Temperature t = gk::body_temperature(*skin, *ambient, site);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f,%s\n", *t.celsius,
                  decision_word(gk::temperature_rules(t, site)));
    out += buf;
  }
  if (errors) return 2;
  std::cout << out;
  return 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

struct CalibrateOptions {
  std::string config;
  double reference_c = 0;
  int readings = 9;
  bool reset = false;
  bool json = false;
};

int calibrate(const CalibrateOptions& o) {
  auto config = gk::load_config(o.config);
  if (!config) return report_fault(config.error(), o.json);
  const auto file = gk::thermometer::calibration_file(config->state_dir);
  auto board = gk::open_board(*config, std::nullopt);
  if (!board) return report_fault(board.error(), o.json, 1);
  gk::hal::Thermometer& raw = *board->raw_thermometer;
  std::vector<double> values;
  for (int i = 0; i < o.readings; ++i)
    if (auto r = raw.read_celsius(); gk::hal::has_value(r)) values.push_back(std::get<double>(r));
  if (static_cast<int>(values.size()) * 2 < o.readings)
    return report_error("the thermometer answered " + std::to_string(values.size()) + " of " +
                            std::to_string(o.readings) + " reads: not calibrated",
                        o.json, 1);
  const std::string device = raw.identity();
  std::vector<gk::thermometer::CalibrationPoint> points;
  if (!o.reset && board->thermometer_calibration) points = board->thermometer_calibration->points;
  points.push_back({o.reference_c, median(values)});
  auto cal = gk::thermometer::fit_calibration(device, points, std::time(nullptr));
  if (!cal) return report_fault(cal.error(), o.json, 1);
  if (auto s = gk::thermometer::save_calibration(file, *cal); !s)
    return report_fault(s.error(), o.json, 1);
  if (o.json) {
    print_json({{"device", cal->device},
                {"points", cal->points.size()},
                {"reading_c", median(values)},
                {"gain", cal->gain},
                {"offset_c", cal->offset_c},
                {"residual_c", cal->residual_c()},
                {"file", file.string()}});
  } else {
    std::printf(
        "%s: reference %.2f C read %.2f C; %zu point(s): gain %.4f, offset %+.3f C, "
        "residual %.3f C\nstored in %s\n",
        cal->device.c_str(), o.reference_c, median(values), cal->points.size(), cal->gain,
        cal->offset_c, cal->residual_c(), file.string().c_str());
  }
  return 0;
}

}  // namespace

void register_thermometer(CLI::App& app, Exit& exit) {
  auto* t = app.add_subcommand("thermometer", "Infrared thermometer: calibration and estimates");
  t->require_subcommand(1);

  auto co = std::make_shared<CalibrateOptions>();
  auto* c = t->add_subcommand(
      "calibrate",
      "Read the sensor aimed at a reference (blackbody or clinical reference) and store the "
      "correction for this sensor; run once per reference temperature (two or more fit the "
      "gain too)");
  c->add_option("--config", co->config, "gated config file")->required()->check(CLI::ExistingFile);
  c->add_option("--reference", co->reference_c, "The reference's temperature (°C)")
      ->required()
      ->check(CLI::Range(0.0, 60.0));
  c->add_option("--readings", co->readings, "Readings to take (median used)")
      ->check(CLI::Range(1, 100));
  c->add_flag("--reset", co->reset, "Forget this sensor's earlier points");
  c->add_flag("--json", co->json, "JSON output");
  c->callback([co, &exit] { exit.code = calibrate(*co); });

  struct EstimateOptions {
    std::string csv, config;
  };
  auto eo = std::make_shared<EstimateOptions>();
  auto* e = t->add_subcommand(
      "estimate",
      "Body-temperature estimate and the kiosk's temperature decision (ok, refer, fever) for "
      "each row of a CSV with columns skin_c and ambient_c");
  e->add_option("--csv", eo->csv, "CSV file with a header")->required()->check(CLI::ExistingFile);
  e->add_option("--config", eo->config, "gated config whose [site] model and thresholds to use")
      ->check(CLI::ExistingFile);
  e->callback([eo, &exit] { exit.code = estimate(eo->csv, eo->config); });
}

}  // namespace gatectl
