// gatectl hw probe: every device a config names, opened the way gated opens it, and its
// health. Exit 0 when all answer, 1 otherwise.
#include <iostream>

#include "commands.hpp"
#include "gk/gated/board.hpp"
#include "gk/nfc/libnfc_reader.hpp"
#include "gk/thermometer/mlx90614.hpp"
#include "output.hpp"

namespace gatectl {
namespace {

struct Probe {
  std::string device, driver, health, detail;
};

Probe probe_camera(gk::hal::Camera* cam) {
  if (!cam) return {"camera", "none", "absent", "not configured"};
  auto f = cam->next_frame();
  if (!gk::hal::has_value(f))
    return {"camera", cam->describe(), "failed",
            gk::hal::to_string(std::get<gk::hal::DeviceError>(f))};
  const auto& v = std::get<gk::hal::GreyView>(f);
  return {"camera", cam->describe(), "ok",
          std::to_string(v.width) + "x" + std::to_string(v.height)};
}

Probe probe_reader(gk::hal::CardReader* reader) {
  if (!reader) return {"nfc", "none", "absent", "not configured"};
  if (auto* nfc = dynamic_cast<gk::nfc::LibnfcCardReader*>(reader)) {
    const bool open = nfc->open();
    return {"nfc", nfc->describe(), open ? "ok" : "failed",
            open ? "reader answered" : "cannot open the reader"};
  }
  return {"nfc", reader->describe(), "ok", "simulated"};
}

Probe probe_thermometer(gk::hal::Thermometer& t) {
  auto r = t.read_celsius();
  if (!gk::hal::has_value(r))
    return {"thermometer", t.describe(), "failed",
            gk::hal::to_string(std::get<gk::hal::DeviceError>(r))};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f C", std::get<double>(r));
  return {"thermometer", t.describe(), "ok", buf};
}

}  // namespace

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
    if (!config) return void(exit.code = report_failure(config.failure(), o->json));
    auto board = gk::open_board(*config, std::nullopt);
    if (!board) return void(exit.code = report_failure(board.failure(), o->json, 1));
    std::vector<Probe> probes{
        probe_camera(board->camera.get()), probe_reader(board->card_reader.get()),
        probe_thermometer(*board->thermometer),
        board->gate_fault.empty()
            ? Probe{"gate", board->gate->describe(), "ok", "lines requested"}
            : Probe{"gate", board->gate->describe(), "failed", board->gate_fault}};
    bool healthy = true;
    nlohmann::json j = nlohmann::json::array();
    for (const auto& pr : probes) {
      healthy = healthy && pr.health != "failed";
      j.push_back({{"device", pr.device},
                   {"driver", pr.driver},
                   {"health", pr.health},
                   {"detail", pr.detail}});
      if (!o->json)
        std::cout << pr.device << "\t" << pr.health << "\t" << pr.driver << "\t" << pr.detail
                  << "\n";
    }
    if (o->json) print_json({{"board", config->board}, {"healthy", healthy}, {"devices", j}});
    exit.code = healthy ? 0 : 1;
  });
}

}  // namespace gatectl
