// gatectl status: what a technician asks first at a gate: which firmware, which board and
// checkpoint, which devices are configured, how far the journal and the upstream sync are.
// Reads only files (config, journal.db read-only, sync-status.json), so it is safe while
// gated runs; devices are opened only with --probe, because gated holds them while it runs.
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "device_probe.hpp"
#include "gk/config/config.hpp"
#include "gk/journal/journal.hpp"
#include "gk/provision/apply.hpp"
#include "output.hpp"

#ifndef GK_VERSION
#define GK_VERSION "unknown"
#endif

namespace gatectl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json configured_devices(const gk::Config& c) {
  return json::array({{{"device", "camera"}, {"source", c.camera.source}},
                      {{"device", "nfc"}, {"connstring", c.nfc.connstring}},
                      {{"device", "thermometer"}, {"kind", c.thermometer.kind}},
                      {{"device", "gate"}, {"kind", c.gate.kind}}});
}

json journal_status(const fs::path& db_path) {
  if (!fs::exists(db_path)) return {{"present", false}};
  auto journal = gk::Journal::open_read_only(db_path);
  if (!journal) return {{"present", true}, {"error", journal.error().detail}};
  const gk::JournalSummary s = journal->summary();
  return {{"present", true},
          {"head_seq", s.head_seq},
          {"rows", s.rows},
          {"last_passage_time", s.last_passage_time}};
}

// sync-status.json is written after each round; ages in it are as of that round, so they are
// carried forward to now.
json sync_status(const gk::Config& c, std::int64_t head_seq, std::int64_t now) {
  if (c.sync.url.empty()) return {{"configured", false}};
  json s{{"configured", true}, {"url", c.sync.url}, {"device_id", c.sync.device_id}};
  std::ifstream in(c.state_dir / "sync-status.json");
  json file = json::parse(in, nullptr, false);
  if (!in || file.is_discarded() || !file.is_object()) {
    s["rounds"] = "none yet";
    s["backlog"] = head_seq;
    return s;
  }
  const std::int64_t as_of = file.value("last_attempt", std::int64_t{0});
  const std::int64_t acked = file.value("acked", std::int64_t{0});
  s["last_success"] = file.value("last_success", std::int64_t{0});
  s["last_attempt"] = as_of;
  s["last_error"] = file.value("last_error", std::string{});
  s["acked"] = acked;
  s["backlog"] = std::max<std::int64_t>(0, head_seq - acked);
  s["revocation_list"] = file.value("revocation_list", std::int64_t{0});
  s["stale"] = file.value("stale", false);
  s["clock_trusted"] = file.value("clock_trusted", false);
  json ages = json::object();
  if (auto a = file.find("age_s"); a != file.end() && a->is_object())
    for (const auto& [list, age] : a->items())
      ages[list] = age.is_number_integer() ? json(age.get<std::int64_t>() + (now - as_of)) : json();
  s["list_age_s"] = ages;
  return s;
}

}  // namespace

void register_status(CLI::App& app, Exit& exit) {
  struct Options {
    std::string config;
    bool json = false, probe = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "status", "Version, board, devices, journal, sync state, list ages and backlog");
  cmd->add_option("--config", o->config, "gated config file")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--json", o->json, "JSON output");
  cmd->add_flag("--probe", o->probe, "Also open each device (only while gated is stopped)");
  cmd->callback([o, &exit] {
    auto config = gk::load_config(o->config);
    if (!config) return void(exit.code = report_fault(config.error(), o->json));
    json provisioning = {{"provisioned", false}};
    if (config->provisioning.enabled()) {
      auto m = gk::provision::check(*config);
      if (!m) return void(exit.code = report_fault(m.error(), o->json, 1));
      provisioning = {{"provisioned", true}, {"device_id", m->device_id}};
      config->site.site = m->site;
      config->checkpoint = m->checkpoint;
      config->sync.url = m->upstream_url;
      config->sync.device_id = m->device_id;
    }
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    json journal = journal_status(config->state_dir / "journal.db");
    json devices = configured_devices(*config);
    if (o->probe) {
      auto board = gk::open_board(*config, std::nullopt);
      if (!board) return void(exit.code = report_fault(board.error(), o->json, 1));
      devices = json::array();
      for (const auto& p : probe_board(*board)) devices.push_back(probe_json(p));
    }
    json j{{"version", GK_VERSION},
           {"board", config->board},
           {"site", config->site.site},
           {"checkpoint", config->checkpoint},
           {"provisioning", provisioning},
           {"state_dir", config->state_dir.string()},
           {"devices", devices},
           {"journal", journal},
           {"sync", sync_status(*config, journal.value("head_seq", std::int64_t{0}), now)}};
    if (o->json) return print_json(j);
    std::cout << "gatekeeper " << GK_VERSION << ", board " << config->board << ", "
              << config->site.site << " / " << config->checkpoint << "\n";
    for (const auto& d : devices) {
      std::cout << "  " << d["device"].get<std::string>();
      for (const auto& [k, v] : d.items())
        if (k != "device")
          std::cout << "  " << k << "=" << (v.is_string() ? v.get<std::string>() : v.dump());
      std::cout << "\n";
    }
    std::cout << "journal: " << journal.dump() << "\nsync: " << j["sync"].dump() << "\n";
  });
}

}  // namespace gatectl
