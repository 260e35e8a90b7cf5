// gated: the gate-checkpoint kiosk daemon.
//   gated --config FILE                      run on the configured board
//   gated --config FILE --scenario FILE      sim board: run a scripted demonstration
//   gated config check FILE                  report config errors with line numbers
//   gated sync --config FILE                 one sync round with the upstream, then exit
#include <CLI/CLI.hpp>
#include <iostream>

#include "gk/core/utf8.hpp"
#include "gk/gated/daemon.hpp"
#include "gk/gated/scenario.hpp"
#include "gk/provision/apply.hpp"

namespace {

int config_check(const std::string& file) {
  auto c = gk::load_config(file);
  if (!c) {
    std::cerr << c.error().detail << "\n";
    return 1;
  }
  if (c->provisioning.enabled()) {
    auto m = gk::provision::check(*c);
    if (!m) {
      std::cerr << c->provisioning.bundle << ": " << gk::describe(gk::fault(m.error())) << "\n";
      return 1;
    }
    std::cout << file << ": provisioned as device " << m->device_id << "\n";
    c->site.site = m->site;
    c->checkpoint = m->checkpoint;
  }
  if (auto s = gk::preflight(*c); !s) {
    std::cerr << file << ": " << gk::describe(gk::fault(s.error())) << "\n";
    return 1;
  }
  std::cout << file << ": ok (board " << c->board << ", site " << c->site.site << ", checkpoint "
            << c->checkpoint << ")\n";
  return 0;
}

int run(const std::string& config_file, const std::string& scenario_file) {
  auto config = gk::load_config(config_file);
  if (!config) {
    std::cerr << "gated: config: " << config.error().detail << "\n";
    return 2;
  }
  gk::DaemonOptions options;
  std::optional<gk::Scenario> scenario;
  if (!scenario_file.empty()) {
    if (config->board != "sim") {
      std::cerr << "gated: --scenario needs board \"sim\"\n";
      return 2;
    }
    auto s = gk::load_scenario(scenario_file);
    if (!s) {
      std::cerr << "gated: scenario: " << s.error().detail << "\n";
      return 2;
    }
    scenario = std::move(*s);
    options.sim_clock_start = scenario->start_time.value_or(std::time(nullptr));
  }
  auto daemon = gk::Daemon::create(std::move(*config), options);
  if (!daemon) {
    std::cerr << "gated: " << gk::describe(daemon.error()) << "\n";
    return 1;
  }
  if (scenario) {
    // Narration to stderr, decisions (JSON lines) to stdout.
    int mismatches = gk::run_scenario(**daemon, *scenario, std::cerr);
    if (mismatches) std::cerr << "\ngated: " << mismatches << " step(s) did not go as expected\n";
    return mismatches ? 1 : 0;
  }
  if (auto s = (*daemon)->start_servers(); !s) {
    std::cerr << "gated: " << gk::describe(s.error()) << "\n";
    return 1;
  }
  (*daemon)->run();
  return 0;
}

int sync_once(const std::string& config_file) {
  auto config = gk::load_config(config_file);
  if (!config) {
    std::cerr << "gated: config: " << config.error().detail << "\n";
    return 2;
  }
  if (!config->sync.enabled() && !config->provisioning.enabled()) {
    std::cerr << "gated: no [sync] url in " << config_file << "\n";
    return 2;
  }
  auto daemon = gk::Daemon::create(std::move(*config), {});
  if (!daemon) {
    std::cerr << "gated: " << gk::describe(daemon.error()) << "\n";
    return 1;
  }
  auto result = (*daemon)->sync_once();
  if (!result) {
    std::cerr << "gated: the provisioning bundle names no upstream\n";
    return 2;
  }
  if (!*result) {
    std::cerr << "gated: sync: " << gk::sync::describe(result->error()) << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (auto refused = gk::utf8::refuse_arguments(argc, argv)) {
    std::cerr << "gated: " << *refused << "\n";
    return 2;
  }
  CLI::App app{"gated: gate-checkpoint kiosk daemon"};
  std::string config_file, scenario_file, check_file;
  app.add_option("--config", config_file, "Device configuration (TOML)");
  app.add_option("--scenario", scenario_file, "Sim board: scripted demonstration (TOML)");
  auto* config_cmd = app.add_subcommand("config", "Configuration tools");
  auto* check =
      config_cmd->add_subcommand("check", "Check a config file, errors with line numbers");
  check->add_option("FILE", check_file, "Config file")->required();
  config_cmd->require_subcommand(1);
  auto* sync_cmd = app.add_subcommand("sync", "One sync round with the upstream, then exit");
  std::string sync_config;
  sync_cmd->add_option("--config", sync_config, "Device configuration (TOML)")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  try {
    if (*check) return config_check(check_file);
    if (*sync_cmd) return sync_once(sync_config);
    if (config_file.empty()) {
      std::cerr << "gated: --config FILE is required\n";
      return 2;
    }
    return run(config_file, scenario_file);
  } catch (const std::exception& e) {
    // Programmer errors only: devices and parsers report through values.
    std::cerr << "gated: internal error: " << e.what() << "\n";
    return 3;
  }
}
