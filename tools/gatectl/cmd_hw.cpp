// gatectl hw probe: every device a config names, opened the way gated opens it, and its
// health. Exit 0 when all answer, 1 otherwise.
#include <iostream>

#include "commands.hpp"
#include "device_probe.hpp"
#include "gk/gated/board.hpp"
#include "output.hpp"

namespace gatectl {

void register_hw(CLI::App& app, Exit& exit) {
  auto* hw = app.add_subcommand("hw", "Hardware checks for technicians");
  hw->require_subcommand(1);
  struct Options {
    std::string config;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* p = hw->add_subcommand("probe", "Open every configured device and report its health");
  p->add_option("--config", o->config, "gated config file")->required()->check(CLI::ExistingFile);
  p->add_flag("--json", o->json, "JSON output");
  p->callback([o, &exit] {
    auto config = gk::load_config(o->config);
    if (!config) return void(exit.code = report_fault(config.error(), o->json));
    auto board = gk::open_board(*config, std::nullopt);
    if (!board) return void(exit.code = report_fault(board.error(), o->json, 1));
    const std::vector<DeviceProbe> probes = probe_board(*board);
    bool healthy = true;
    nlohmann::json j = nlohmann::json::array();
    for (const auto& pr : probes) {
      healthy = healthy && pr.health != "failed";
      j.push_back(probe_json(pr));
      if (!o->json)
        std::cout << pr.device << "\t" << pr.health << "\t" << pr.driver << "\t" << pr.detail
                  << "\n";
    }
    if (o->json) print_json({{"board", config->board}, {"healthy", healthy}, {"devices", j}});
    exit.code = healthy ? 0 : 1;
  });
}

}  // namespace gatectl
