#include <nlohmann/json.hpp>

#include "gk/kiosk/kiosk.hpp"

namespace gk {

std::string outcome_json(const PassageOutcome& o) {
  const ReasonText& text = describe(o.verdict.reason);
  nlohmann::json j;
  j["seq"] = o.seq ? nlohmann::json(*o.seq) : nlohmann::json(nullptr);
  j["time"] = o.passage.time;
  j["gate"] = o.passage.gate;
  j["direction"] = std::string(to_string(o.passage.direction));
  j["credential"] = std::string(to_string(o.passage.credential_kind));
  j["decision"] = std::string(to_string(o.verdict.decision));
  j["reason"] = std::string(text.code);
  j["message_zh"] = std::string(text.zh);
  j["message_en"] = std::string(text.en);
  j["alarm"] = o.verdict.alarm;
  j["gate_released"] = o.gate_released;
  j["temperature_c"] =
      o.passage.temperature_c ? nlohmann::json(*o.passage.temperature_c) : nlohmann::json(nullptr);
  if (o.pass) {
    // Only what the screen needs for the visual check, masked; the id shortened.
    j["pass"] = {{"id", to_hex(o.pass->id).substr(0, 8)},
                 {"role", to_string(o.pass->role)},
                 {"building", o.pass->building},
                 {"unit", o.pass->unit},
                 {"holder", o.passage.holder.value_or("")}};
  }
  if (!o.pass && o.passage.holder) j["holder"] = *o.passage.holder;  // guard-registered, masked
  if (!o.verdict.note.empty()) j["note"] = o.verdict.note;
  // What the estimate was made from: the infrared skin reading and the sensor's ambient.
  if (o.passage.skin_c) j["skin_c"] = *o.passage.skin_c;
  if (o.passage.ambient_c) j["ambient_c"] = *o.passage.ambient_c;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace gk
