#pragma once
// The device probes shared by `gatectl hw probe` (a technician's wiring check) and
// `gatectl health` (the post-update check that decides whether a RAUC slot is kept): each
// opens a device the way gated opens it and reports whether it answered.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gk/gated/board.hpp"

namespace gatectl {

struct DeviceProbe {
  std::string device;  // "camera", "nfc", "thermometer", "gate"
  std::string driver;  // the device's describe(), or "none"
  std::string health;  // "ok", "failed", "absent" (not configured)
  std::string detail;
  std::optional<double> celsius;  // the thermometer's reading, when it answered
};

DeviceProbe probe_camera(gk::hal::Camera* cam);
DeviceProbe probe_reader(gk::hal::CardReader* reader);
// The certified ID-card reader module ([idcard] device): its status check.
DeviceProbe probe_id_reader(gk::hal::CardReader* reader);
DeviceProbe probe_thermometer(gk::hal::Thermometer& t);
DeviceProbe probe_gate(const gk::Board& board);
// {"device","driver","health","detail"}: the form hw probe and status print.
nlohmann::json probe_json(const DeviceProbe& p);
// Every device of the board, in the order above.
std::vector<DeviceProbe> probe_board(gk::Board& board);

}  // namespace gatectl
