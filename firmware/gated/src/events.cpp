#include "gk/gated/events.hpp"

namespace gk {

using ojson = nlohmann::ordered_json;

Event passage_event(const PassageOutcome& o) {
  Event e{EventKind::passage, ojson::parse(outcome_json(o))};
  e.what = to_string(o.verdict.decision);
  e.reason = code(o.verdict.reason);
  e.seq = o.seq;
  e.passage = o.verdict.decision != Decision::record;
  return e;
}

ojson alarm_json(const Alarm& a) {
  ojson j;
  j["alarm"] = a.kind;
  j["seq"] = a.seq ? ojson(*a.seq) : ojson(nullptr);
  j["time"] = a.raised_at;
  j["id"] = a.id;
  j["count"] = a.count;
  return j;
}

Event alarm_event(const Alarm& a, bool fresh) {
  Event e{EventKind::alarm, alarm_json(a)};
  e.what = a.kind;
  e.seq = a.seq;
  e.ok = fresh;
  return e;
}

Event device_event(const std::string& device, bool failed, hal::DeviceError error, UnixTime now) {
  Event e{EventKind::device, ojson{{"device", device},
                                   {"error", failed ? hal::to_string(error) : "none"},
                                   {"state", failed ? "failed" : "recovered"},
                                   {"time", now}}};
  e.what = device;
  e.reason = failed ? hal::to_string(error) : "";
  e.ok = !failed;
  return e;
}

Event sync_event(const sync::SyncStatus& status, const sync::RoundResult& round) {
  Event e{EventKind::sync,
          ojson{{"sync", ojson::parse(sync::status_json(status))}, {"ok", round.ok()}}};
  e.ok = round.ok();
  if (!round.ok()) {
    const sync::RoundFailure& f = round.error();
    e.step = f.step;
    e.layer = std::string(layer_name(f.fault.layer));
    e.reason = std::string(f.fault.code);
    // For the guard console's feed and the stdout line: where the round failed, in codes
    // (the detail may quote the upstream, so it stays in sync-status.json's last_error).
    e.body["failed"] = {{"step", e.step}, {"layer", e.layer}, {"code", e.reason}};
  }
  return e;
}

Event site_state_event(std::uint64_t number, Outbreak outbreak, std::size_t quarantined) {
  return {EventKind::site_state, ojson{{"site_state",
                                        {{"number", number},
                                         {"outbreak", to_string(outbreak)},
                                         {"quarantined_buildings", quarantined}}}}};
}

Event listening_event(const std::string& server, unsigned short port, std::optional<bool> tls) {
  ojson inner{{"port", port}};
  if (tls) inner["tls"] = *tls;
  return {EventKind::listening, ojson{{server, inner}}};
}

Event task_failed_event(const service::TaskFailure& f) {
  Event e{EventKind::task_failed, ojson{{"task_failed",
                                         {{"task", f.task},
                                          {"step", f.step},
                                          {"error", f.what},
                                          {"failures", f.failures},
                                          {"restart_in_ms", f.restart_in.count()}}}}};
  e.what = f.task;
  e.step = f.step;
  e.reason = "exception";
  return e;
}

Event consent_event(const std::string& masked_visitor) {
  return {EventKind::consent, ojson{{"visitor", masked_visitor}}};
}

Event state_event(const SiteState& site, const std::string& checkpoint,
                  const std::vector<Alarm>& open_alarms, bool pending_consent) {
  ojson alarms = ojson::array();
  for (const auto& a : open_alarms) alarms.push_back(alarm_json(a));
  return {EventKind::state, ojson{{"outbreak", to_string(site.outbreak)},
                                  {"quarantined_buildings", site.quarantined_buildings},
                                  {"checkpoint", checkpoint},
                                  {"pending_consent", pending_consent},
                                  {"alarms", alarms}}};
}

}  // namespace gk
