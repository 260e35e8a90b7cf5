#include <catch2/catch.hpp>

#include "gk/gpio/door.hpp"

using namespace gk;
using namespace gk::gpio;
using namespace std::chrono;

namespace {
DoorConfig config() {
  DoorConfig c;
  c.relay_line = "RELAY";
  c.door_contact_line = "DOOR";
  c.exit_button_line = "EXIT";
  c.tamper_line = "TAMPER";
  c.held_open_after = seconds(15);
  return c;
}
}  // namespace

TEST_CASE("a release pulses the relay and tick ends the pulse", "[gpio]") {
  SimLines lines;
  Door door(lines, config());
  CHECK_FALSE(lines.state("RELAY"));  // locked at start
  REQUIRE(door.release(milliseconds(800), 42) == hal::DeviceError::none);
  CHECK(lines.state("RELAY"));
  CHECK(door.last_released_seq() == 42);
  auto t = Door::Clock::now();
  CHECK(door.tick(t) == DoorAlarm::none);
  CHECK(lines.state("RELAY"));
  CHECK(door.tick(t + milliseconds(900)) == DoorAlarm::none);
  CHECK_FALSE(lines.state("RELAY"));
  CHECK(lines.edges().size() == 3);  // start locked, released, locked again
}

TEST_CASE("fail-safe locks are driven the other way", "[gpio]") {
  SimLines lines;
  DoorConfig c = config();
  c.fail_secure = false;
  Door door(lines, c);
  CHECK(lines.state("RELAY"));  // energised = locked
  door.release(milliseconds(100), 1);
  CHECK_FALSE(lines.state("RELAY"));
}

TEST_CASE("door alarms: forced, held open, tamper; once per episode", "[gpio]") {
  SimLines lines;
  Door door(lines, config());
  auto t = Door::Clock::now() + seconds(100);
  SECTION("opened without a release is forced") {
    lines.drive("DOOR", true);
    CHECK(door.tick(t) == DoorAlarm::door_forced);
    CHECK(door.tick(t + seconds(1)) == DoorAlarm::none);
    lines.drive("DOOR", false);
    CHECK(door.tick(t + seconds(2)) == DoorAlarm::none);
  }
  SECTION("opened after a release, then held open") {
    door.release(milliseconds(800), 1);
    auto now = Door::Clock::now();
    lines.drive("DOOR", true);
    CHECK(door.tick(now + seconds(2)) == DoorAlarm::none);
    CHECK(door.tick(now + seconds(10)) == DoorAlarm::none);
    CHECK(door.tick(now + seconds(18)) == DoorAlarm::door_held_open);
    CHECK(door.tick(now + seconds(30)) == DoorAlarm::none);
  }
  SECTION("the exit button authorises the next opening") {
    lines.drive("EXIT", true);
    CHECK(door.tick(t) == DoorAlarm::none);
    lines.drive("EXIT", false);
    lines.drive("DOOR", true);
    CHECK(door.tick(t + seconds(2)) == DoorAlarm::none);
  }
  SECTION("tamper") {
    lines.drive("TAMPER", true);
    CHECK(door.tick(t) == DoorAlarm::tamper);
    CHECK(door.tick(t + seconds(1)) == DoorAlarm::none);
  }
}

TEST_CASE("unplugged lines: release fails, nothing throws", "[gpio]") {
  SimLines lines;
  Door door(lines, config());
  lines.unplug(true);
  CHECK(door.release(milliseconds(800), 1) == hal::DeviceError::io);
  CHECK(door.tick(Door::Clock::now()) == DoorAlarm::none);
}

TEST_CASE("libgpiod on a machine without that chip reports it, never crashes", "[gpio]") {
  GpiodLines lines("gpiochip-that-does-not-exist", {{"RELAY", true, false, Bias::as_is, false}});
  CHECK_FALSE(lines.error().empty());
  CHECK(lines.set("RELAY", true) == hal::DeviceError::not_present);
}

TEST_CASE("an exit button wired normally-open to GND with a pull-up (boards/rpi4-pn532)",
          "[gpio]") {
  // At rest the button's line is pulled high; pressed, it is shorted to GND.
  const auto wired = [](bool exit_active_low) {
    return std::vector<LineSpec>{{"RELAY", true, false, Bias::as_is, false},
                                 {"DOOR", false, false, Bias::pull_up, false},
                                 {"EXIT", false, exit_active_low, Bias::pull_up, false},
                                 {"TAMPER", false, false, Bias::pull_up, false}};
  };
  auto t = Door::Clock::now() + seconds(100);
  SECTION("read active-high, the idle button is pressed forever: no opening is ever forced") {
    SimLines lines(wired(false));
    lines.drive_level("DOOR", false);  // reed closed by the magnet: door shut
    lines.drive_level("TAMPER", false);
    Door door(lines, config());
    CHECK(lines.level("EXIT"));  // the pull-up
    lines.drive_level("DOOR", true);
    CHECK(door.tick(t) == DoorAlarm::none);  // the defect this setting exists for
  }
  SECTION("with exit_button_active_low, a forced door alarms and a press still lets out") {
    SimLines lines(wired(true));
    lines.drive_level("DOOR", false);
    lines.drive_level("TAMPER", false);
    Door door(lines, config());
    CHECK(lines.level("EXIT"));
    CHECK_FALSE(std::get<bool>(lines.get("EXIT")));  // idle: not pressed
    lines.drive_level("DOOR", true);
    CHECK(door.tick(t) == DoorAlarm::door_forced);
    lines.drive_level("DOOR", false);
    CHECK(door.tick(t + seconds(1)) == DoorAlarm::none);
    lines.drive_level("EXIT", false);  // pressed: shorted to GND
    CHECK(std::get<bool>(lines.get("EXIT")));
    CHECK(door.tick(t + seconds(2)) == DoorAlarm::none);
    lines.float_line("EXIT");  // released: the pull-up again
    lines.drive_level("DOOR", true);
    CHECK(door.tick(t + seconds(3)) == DoorAlarm::none);  // the opening the press asked for
  }
  SECTION("an active-low relay is driven low to energise") {
    SimLines lines({{"RELAY", true, true, Bias::as_is, false}});
    Door door(lines, config());
    CHECK(lines.level("RELAY"));  // locked: not energised, the line high
    door.release(milliseconds(100), 1);
    CHECK_FALSE(lines.level("RELAY"));
  }
}

TEST_CASE("bias names", "[gpio]") {
  CHECK(bias_from_string("pull-up") == Bias::pull_up);
  CHECK(bias_from_string("pull-down") == Bias::pull_down);
  CHECK(bias_from_string("disabled") == Bias::disabled);
  CHECK(bias_from_string("as-is") == Bias::as_is);
  CHECK_FALSE(bias_from_string("pullup").has_value());
}
