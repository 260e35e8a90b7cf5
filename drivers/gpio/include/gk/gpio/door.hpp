#pragma once
// The gate relay and the door it controls. release() energises the relay; tick() (called
// from the event loop every few tens of milliseconds) ends the pulse and watches the door
// contact: a door opened without a release is forced, a door left open too long is held
// open, and the tamper switch means someone opened the kiosk. Fail-secure locks stay locked
// without power; fail-safe ones open, which only the board's wiring decides: here it only
// sets which level means "released".
#include <chrono>
#include <optional>
#include <string>

#include "gk/gpio/lines.hpp"

namespace gk::gpio {

struct DoorConfig {
  std::string relay_line = "RELAY";
  std::string door_contact_line;  // empty: no contact fitted
  std::string exit_button_line;   // request-to-exit: an opening after it is not forced
  std::string tamper_line;
  bool fail_secure = true;  // relay active = unlocked (fail-secure strike)
  std::chrono::milliseconds held_open_after{15000};
  std::chrono::milliseconds exit_grace{10000};
};

enum class DoorAlarm { none, door_forced, door_held_open, tamper, relay_fault };
const char* to_string(DoorAlarm a);

class Door final : public hal::Gate {
 public:
  using Clock = std::chrono::steady_clock;
  Door(Lines& lines, DoorConfig config);

  hal::DeviceError release(std::chrono::milliseconds pulse, std::int64_t journal_seq) override;
  std::string describe() const override { return "gpio-door"; }

  // Ends pulses and evaluates the inputs; returns a new alarm, once per episode.
  DoorAlarm tick(Clock::time_point now);
  bool relay_active() const { return relay_until_.has_value(); }
  std::int64_t last_released_seq() const { return last_seq_; }

 private:
  hal::DeviceError drive_relay(bool release);
  Lines& lines_;
  DoorConfig config_;
  std::optional<Clock::time_point> relay_until_;
  std::optional<Clock::time_point> authorised_until_;  // a release or exit request
  std::optional<Clock::time_point> opened_at_;
  bool alarmed_forced_ = false, alarmed_held_ = false, alarmed_tamper_ = false;
  std::int64_t last_seq_ = 0;
};

}  // namespace gk::gpio
