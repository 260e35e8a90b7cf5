#pragma once
// A scripted demonstration for the sim board: each step changes the world (clock, site
// state, thermometer, revocations) and then presents a credential the way it would
// really arrive (an image file through the camera pipeline, or a card tap).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "gk/core/errors.hpp"
#include "gk/gated/daemon.hpp"

namespace gk {

struct ScenarioStep {
  std::string say;              // printed before the step
  std::filesystem::path image;  // a frame shown to the camera
  std::string pass_text;        // or: a pass as if already decoded
  // The infrared thermometer speaks skin: `skins` are its next skin readings in order,
  // `skin` what every other read this step answers, `ambient` its ambient reading from
  // this step on (it stays until a step changes it).
  std::vector<double> skins;
  std::optional<double> skin_c;
  std::optional<double> ambient_c;
  // Older scenarios wrote body temperatures (`temperature`, `temperatures`). They are
  // converted to the skin the model expects at the step's ambient, said in the narration.
  std::vector<double> body_temperatures;
  std::optional<double> body_c;
  std::string thermometer_fault;  // "timeout" | "io": every read fails this step
  std::optional<Direction> direction;
  std::int64_t advance_s = 0;  // move the sim clock first
  std::optional<Outbreak> outbreak;
  std::optional<std::vector<std::string>> quarantined_buildings;
  std::filesystem::path revocations;  // signed revocation document to apply first
  std::optional<std::string> expect;  // expected reason code: the step fails otherwise
};

struct Scenario {
  std::optional<std::int64_t> start_time;  // sim clock start; default: now
  int first_step = 1;  // the number the narration gives the first step (a scenario continued)
  std::vector<ScenarioStep> steps;
};

DocResult<Scenario> load_scenario(const std::filesystem::path& file);

// Runs every step; returns the number of steps whose outcome did not match `expect`.
int run_scenario(Daemon& daemon, const Scenario& scenario, std::ostream& narration);

}  // namespace gk
