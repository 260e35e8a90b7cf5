#pragma once
// The daemon's events, each built in one place with nlohmann (outbox.hpp says who gets them).
#include <optional>
#include <string>

#include "gk/gated/alarms.hpp"
#include "gk/gated/outbox.hpp"
#include "gk/kiosk/kiosk.hpp"
#include "gk/service/supervise.hpp"
#include "gk/sync/client.hpp"

namespace gk {

Event passage_event(const PassageOutcome& o);
Event alarm_event(const Alarm& a, bool fresh);
Event device_event(const std::string& device, bool failed, hal::DeviceError error, UnixTime now);
// `failed_step`: the step a failed round names ("time: ..." -> "time"); empty when it succeeded.
Event sync_event(const sync::SyncStatus& status, const sync::RoundResult& round);
Event site_state_event(std::uint64_t number, Outbreak outbreak, std::size_t quarantined);
Event listening_event(const std::string& server, unsigned short port,
                      std::optional<bool> tls = std::nullopt);
Event task_failed_event(const service::TaskFailure& f);
Event consent_event(const std::string& masked_visitor);
// The full state (the console's, and the screen's projection of it).
Event state_event(const SiteState& site, const std::string& checkpoint,
                  const std::vector<Alarm>& open_alarms, bool pending_consent);
nlohmann::ordered_json alarm_json(const Alarm& a);

}  // namespace gk
