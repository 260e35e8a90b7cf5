#include "device_probe.hpp"

#include <cstdio>

#include "gk/idcard/sam_reader.hpp"
#include "gk/nfc/libnfc_reader.hpp"

namespace gatectl {

DeviceProbe probe_camera(gk::hal::Camera* cam) {
  if (!cam) return {"camera", "none", "absent", "not configured", {}};
  auto f = cam->next_frame();
  if (!gk::hal::has_value(f))
    return {"camera",
            cam->describe(),
            "failed",
            gk::hal::to_string(std::get<gk::hal::DeviceError>(f)),
            {}};
  const auto& v = std::get<gk::hal::GreyView>(f);
  return {"camera",
          cam->describe(),
          "ok",
          std::to_string(v.width) + "x" + std::to_string(v.height),
          {}};
}

DeviceProbe probe_reader(gk::hal::CardReader* reader) {
  if (!reader) return {"nfc", "none", "absent", "not configured", {}};
  if (auto* nfc = dynamic_cast<gk::nfc::LibnfcCardReader*>(reader)) {
    const bool open = nfc->open();
    return {"nfc",
            nfc->describe(),
            open ? "ok" : "failed",
            open ? "reader answered" : "cannot open the reader",
            {}};
  }
  return {"nfc", reader->describe(), "ok", "simulated", {}};
}

DeviceProbe probe_id_reader(gk::hal::CardReader* reader) {
  if (!reader) return {"id_reader", "none", "absent", "not configured", {}};
  auto* sam = dynamic_cast<gk::idcard::SamCardReader*>(reader);
  if (!sam) return {"id_reader", reader->describe(), "ok", "simulated", {}};
  auto e = sam->probe();  // the module's status check (11 FF)
  return {"id_reader",
          sam->describe(),
          e ? "failed" : "ok",
          e ? e->what : "module answered its status check",
          {}};
}

DeviceProbe probe_thermometer(gk::hal::Thermometer& t) {
  auto r = t.read_celsius();
  if (!gk::hal::has_value(r))
    return {"thermometer",
            t.describe(),
            "failed",
            gk::hal::to_string(std::get<gk::hal::DeviceError>(r)),
            {}};
  const double c = std::get<double>(r);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f C", c);
  return {"thermometer", t.describe(), "ok", buf, c};
}

DeviceProbe probe_gate(const gk::Board& board) {
  if (!board.gate_fault.empty())
    return {"gate", board.gate->describe(), "failed", board.gate_fault, {}};
  return {"gate", board.gate->describe(), "ok", "lines requested", {}};
}

nlohmann::json probe_json(const DeviceProbe& p) {
  return {{"device", p.device}, {"driver", p.driver}, {"health", p.health}, {"detail", p.detail}};
}

std::vector<DeviceProbe> probe_board(gk::Board& board) {
  return {probe_camera(board.camera.get()), probe_reader(board.card_reader.get()),
          probe_id_reader(board.id_reader.get()), probe_thermometer(*board.thermometer),
          probe_gate(board)};
}

}  // namespace gatectl
