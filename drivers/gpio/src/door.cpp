#include "gk/gpio/door.hpp"

namespace gk::gpio {

const char* to_string(DoorAlarm a) {
  switch (a) {
    case DoorAlarm::none:
      return "none";
    case DoorAlarm::door_forced:
      return "door_forced";
    case DoorAlarm::door_held_open:
      return "door_held_open";
    case DoorAlarm::tamper:
      return "tamper";
    case DoorAlarm::relay_fault:
      return "relay_fault";
  }
  return "none";
}

Door::Door(Lines& lines, DoorConfig config) : lines_(lines), config_(std::move(config)) {
  (void)drive_relay(false);  // start locked, whatever the line was left at
}

hal::DeviceError Door::drive_relay(bool release) {
  // Fail-secure strike: energised = unlocked. Fail-safe maglock: energised = locked.
  return lines_.set(config_.relay_line, config_.fail_secure ? release : !release);
}

hal::DeviceError Door::release(std::chrono::milliseconds pulse, std::int64_t journal_seq) {
  if (auto e = drive_relay(true); e != hal::DeviceError::none) return e;
  const auto now = Clock::now();
  relay_until_ = now + pulse;
  // The person needs the pulse plus a few seconds to push the door: not forced.
  authorised_until_ = now + pulse + std::chrono::seconds(5);
  last_seq_ = journal_seq;
  return hal::DeviceError::none;
}

DoorAlarm Door::tick(Clock::time_point now) {
  if (relay_until_ && now >= *relay_until_) {
    relay_until_.reset();
    if (drive_relay(false) != hal::DeviceError::none) return DoorAlarm::relay_fault;
  }
  auto input = [&](const std::string& line) -> std::optional<bool> {
    if (line.empty()) return std::nullopt;
    auto v = lines_.get(line);
    return hal::has_value(v) ? std::optional<bool>(std::get<bool>(v)) : std::nullopt;
  };
  if (auto tamper = input(config_.tamper_line)) {
    if (*tamper && !alarmed_tamper_) {
      alarmed_tamper_ = true;
      return DoorAlarm::tamper;
    }
    if (!*tamper) alarmed_tamper_ = false;
  }
  if (auto exit = input(config_.exit_button_line); exit && *exit)
    authorised_until_ = now + config_.exit_grace;
  auto open = input(config_.door_contact_line);
  if (!open) return DoorAlarm::none;
  if (!*open) {
    opened_at_.reset();
    alarmed_forced_ = alarmed_held_ = false;
    return DoorAlarm::none;
  }
  if (!opened_at_) {
    opened_at_ = now;
    if ((!authorised_until_ || now > *authorised_until_) && !alarmed_forced_) {
      alarmed_forced_ = true;
      return DoorAlarm::door_forced;
    }
  }
  if (now - *opened_at_ >= config_.held_open_after && !alarmed_held_ && !alarmed_forced_) {
    alarmed_held_ = true;
    return DoorAlarm::door_held_open;
  }
  return DoorAlarm::none;
}

}  // namespace gk::gpio
