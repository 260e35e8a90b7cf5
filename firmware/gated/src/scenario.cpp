#include "gk/gated/scenario.hpp"

#include <toml++/toml.h>

#include <cstdio>
#include <fstream>
#include <ostream>
#include <set>
#include <sstream>

#include "gk/camera/frame_source.hpp"
#include "gk/core/file.hpp"

namespace gk {
namespace {

std::string where(const toml::node& n) {
  const auto& s = n.source();
  return (s.path ? *s.path : std::string("scenario")) + ":" + std::to_string(s.begin.line) + ": ";
}

DocResult<ScenarioStep> read_step(const toml::table& t, const std::filesystem::path& base) {
  static const std::set<std::string> kKeys = {"say",
                                              "image",
                                              "pass_text",
                                              "skin",
                                              "skins",
                                              "ambient",
                                              "temperatures",
                                              "temperature",
                                              "thermometer_fault",
                                              "direction",
                                              "advance_s",
                                              "outbreak",
                                              "quarantined_buildings",
                                              "revocations",
                                              "expect"};
  for (const auto& [k, v] : t)
    if (!kKeys.contains(std::string(k.str())))
      return doc_error(DocCode::schema,
                       where(v) + "unknown step key '" + std::string(k.str()) + "'");
  ScenarioStep s;
  s.say = t["say"].value_or(std::string{});
  if (auto p = t["image"].value<std::string>()) s.image = base / *p;
  s.pass_text = t["pass_text"].value_or(std::string{});
  s.skin_c = t["skin"].value<double>();
  s.ambient_c = t["ambient"].value<double>();
  if (const toml::array* a = t["skins"].as_array())
    for (const auto& x : *a)
      if (auto v = x.value<double>()) s.skins.push_back(*v);
  s.body_c = t["temperature"].value<double>();
  if (const toml::array* a = t["temperatures"].as_array())
    for (const auto& x : *a)
      if (auto v = x.value<double>()) s.body_temperatures.push_back(*v);
  if ((s.skin_c || !s.skins.empty()) && (s.body_c || !s.body_temperatures.empty()))
    return doc_error(DocCode::schema,
                     where(t) +
                         "a step gives skin readings (skin, skins) or the old "
                         "body temperatures (temperature, temperatures), not both");
  s.thermometer_fault = t["thermometer_fault"].value_or(std::string{});
  if (auto d = t["direction"].value<std::string>()) {
    s.direction = direction_from_string(*d);
    if (!s.direction)
      return doc_error(DocCode::schema, where(*t.get("direction")) + "direction: in | out");
  }
  s.advance_s = t["advance_s"].value_or(std::int64_t{0});
  if (auto o = t["outbreak"].value<std::string>()) {
    s.outbreak = outbreak_from_string(*o);
    if (!s.outbreak)
      return doc_error(DocCode::schema, where(*t.get("outbreak")) + "outbreak: normal | lockdown");
  }
  if (const toml::array* a = t["quarantined_buildings"].as_array()) {
    s.quarantined_buildings.emplace();
    for (const auto& x : *a)
      if (auto v = x.value<std::string>()) s.quarantined_buildings->push_back(*v);
  }
  if (auto p = t["revocations"].value<std::string>()) s.revocations = base / *p;
  if (auto e = t["expect"].value<std::string>()) s.expect = *e;
  return s;
}

}  // namespace

DocResult<Scenario> load_scenario(const std::filesystem::path& file) {
  auto text = read_regular_file(file, kMaxConfigFileBytes);
  if (!text) return text.error();
  toml::table root;
  try {
    root = toml::parse(*text, file.string());
  } catch (const toml::parse_error& e) {
    return doc_error(DocCode::syntax, file.string() + ":" + std::to_string(e.source().begin.line) +
                                          ": " + std::string(e.description()));
  }
  Scenario sc;
  if (auto t = root["start_time"].value<std::int64_t>()) sc.start_time = *t;
  if (auto f = root["first_step"].value<std::int64_t>()) {
    if (*f < 1 || *f > 1'000'000)
      return doc_error(DocCode::schema,
                       where(*root.get("first_step")) + "first_step: 1 to 1000000");
    sc.first_step = static_cast<int>(*f);
  }
  const toml::array* steps = root["step"].as_array();
  if (!steps) return doc_error(DocCode::schema, file.string() + ": no [[step]] tables");
  for (const auto& node : *steps) {
    const toml::table* t = node.as_table();
    if (!t) return doc_error(DocCode::schema, where(node) + "a step must be a table");
    auto step = read_step(*t, file.parent_path());
    if (!step) return step.error();
    sc.steps.push_back(std::move(*step));
  }
  return sc;
}

int run_scenario(Daemon& daemon, const Scenario& scenario, std::ostream& narration) {
  int mismatches = 0;
  int n = scenario.first_step - 1;
  const double idle_c = daemon.board().sim_thermometer ? daemon.board().sim_thermometer->idle() : 0;
  for (const ScenarioStep& step : scenario.steps) {
    ++n;
    narration << "\n[" << n << "] " << step.say << "\n";
    Board& board = daemon.board();
    if (step.advance_s && board.sim_clock) board.sim_clock->advance(step.advance_s);
    if (step.outbreak || step.quarantined_buildings) {
      const SiteState& site = daemon.site().state();
      SiteChange change{site.outbreak, site.quarantined_buildings, std::nullopt};
      if (step.outbreak) change.outbreak = *step.outbreak;
      if (step.quarantined_buildings)
        change.quarantined_buildings = {step.quarantined_buildings->begin(),
                                        step.quarantined_buildings->end()};
      daemon.set_site_state(change);
    }
    if (!step.revocations.empty()) {
      std::ifstream in(step.revocations, std::ios::binary);
      std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      auto s = daemon.apply_revocations(as_bytes(doc));
      narration << "    revocation list: " << (s ? "applied" : "refused: " + describe(s.error()))
                << "\n";
    }
    if (board.sim_thermometer) {
      hal::SimThermometer& thermo = *board.sim_thermometer;
      if (step.ambient_c) thermo.set_ambient(*step.ambient_c);
      // Old body-temperature steps: the skin the model expects at this ambient, so that
      // the estimate comes back to the temperature the step was written with.
      auto to_skin = [&](double body) {
        return skin_for_body_c(body, thermo.ambient(), daemon.site().state().skin_model);
      };
      std::vector<hal::SimReading> readings;
      for (double t : step.skins) readings.push_back({t, hal::DeviceError::none});
      for (double t : step.body_temperatures) readings.push_back({to_skin(t), {}});
      double idle = step.skin_c.value_or(idle_c);
      if (step.body_c) idle = to_skin(*step.body_c);
      if (step.body_c || !step.body_temperatures.empty())
        narration << "    (`temperature` is a body temperature: converted to forehead skin "
                  << (step.body_c ? to_skin(*step.body_c) : to_skin(step.body_temperatures[0]))
                  << " °C at ambient " << thermo.ambient()
                  << " °C by the skin model; write skin = / skins = and ambient =)\n";
      thermo.script(readings);
      thermo.set_idle(idle);
      thermo.set_persistent_fault(step.thermometer_fault == "timeout" ? hal::DeviceError::timeout
                                  : step.thermometer_fault == "io"    ? hal::DeviceError::io
                                                                      : hal::DeviceError::none);
    } else if (board.sim_mlx_bus) {  // the driver on the chip model: skin and ambient only
      if (step.skin_c) board.sim_mlx_bus->set_object_celsius(*step.skin_c);
      if (step.ambient_c) board.sim_mlx_bus->set_ambient_celsius(*step.ambient_c);
    }

    std::vector<PassageOutcome> outcomes;
    daemon.scene_changed();  // each step is a new person at the kiosk
    if (!step.image.empty()) {
      camera::ImageFileCamera cam(step.image);
      auto frame = cam.next_frame();
      if (hal::has_value(frame))
        outcomes = daemon.on_frame(std::get<hal::GreyView>(frame), step.direction);
      if (outcomes.empty())
        narration << "    (no code read from " << step.image.filename() << ")\n";
    } else if (!step.pass_text.empty()) {
      Presentation p;
      p.text = step.pass_text;
      p.direction = step.direction;
      outcomes.push_back(daemon.present(p));
    }
    for (const auto& o : outcomes) {
      const auto& t = describe(o.verdict.reason);
      narration << "    => " << to_string(o.verdict.decision) << " (" << t.code << ") " << t.zh
                << " / " << t.en
                << (o.gate_released ? "  [gate released]" : "  [gate stays closed]") << "\n";
      if (o.passage.skin_c && o.passage.ambient_c && o.passage.temperature_c) {
        char line[160];
        std::snprintf(line, sizeof line,
                      "       skin %.2f °C, ambient %.1f °C -> body estimate %.1f °C\n",
                      *o.passage.skin_c, *o.passage.ambient_c, *o.passage.temperature_c);
        narration << line;
      }
    }
    if (step.expect) {
      bool ok = outcomes.size() == 1 && code(outcomes[0].verdict.reason) == *step.expect;
      if (!ok) {
        ++mismatches;
        narration << "    !! expected " << *step.expect << "\n";
      }
    }
  }
  return mismatches;
}

}  // namespace gk
