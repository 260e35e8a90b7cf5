#include "gk/hal/sim_devices.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <string>

#include "gk/hal/clock.hpp"
#include "gk/hal/unique_fd.hpp"

namespace gk::hal {

const char* to_string(DeviceError e) {
  switch (e) {
    case DeviceError::none:
      return "none";
    case DeviceError::timeout:
      return "timeout";
    case DeviceError::io:
      return "io";
    case DeviceError::not_present:
      return "not_present";
    case DeviceError::removed:
      return "removed";
    case DeviceError::implausible:
      return "implausible";
  }
  return "io";
}

std::int64_t SystemClock::now() const {
  return static_cast<std::int64_t>(std::time(nullptr));
}

void SimThermometer::script(std::vector<SimReading> readings) {
  script_.assign(readings.begin(), readings.end());
}

DeviceResult<double> SimThermometer::read_celsius() {
  ++reads_;
  if (persistent_fault_ != DeviceError::none) return persistent_fault_;
  if (!script_.empty()) {
    SimReading r = script_.front();
    script_.pop_front();
    if (r.fault != DeviceError::none) return r.fault;
    return r.celsius;
  }
  // Deterministic ±0.1 °C jitter: real sensors never repeat a value exactly, and the
  // median logic should see that.
  static constexpr double kJitter[] = {0.0, 0.1, -0.1};
  return idle_ + kJitter[reads_ % 3];
}

DeviceResult<double> SimThermometer::read_ambient_celsius() {
  if (persistent_fault_ != DeviceError::none) return persistent_fault_;
  return ambient_;
}

DeviceResult<CardTap> SimCardReader::poll() {
  if (queue_.empty()) return DeviceError::not_present;
  Event e = std::move(queue_.front());
  queue_.pop_front();
  if (e.fault != DeviceError::none) return e.fault;
  return std::move(e.card);
}

DeviceError SimGate::release(std::chrono::milliseconds pulse, std::int64_t journal_seq) {
  if (fault_ != DeviceError::none) return fault_;
  pulses_.push_back({pulse, journal_seq});
  if (!record_file_.empty()) {
    UniqueFd fd(::open(record_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!fd) return DeviceError::io;
    std::string line =
        "pulse " + std::to_string(pulse.count()) + " seq " + std::to_string(journal_seq) + "\n";
    bool ok = ::write(fd.get(), line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
              ::fsync(fd.get()) == 0;
    if (!ok) return DeviceError::io;
  }
  return DeviceError::none;
}

}  // namespace gk::hal

namespace gk::hal {
namespace {
std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

std::int64_t TrustedClock::now() const {
  if (!anchored_) return base_.now();
  return anchor_time_ + (steady_ms() - anchor_steady_ms_) / 1000;
}

bool TrustedClock::trusted() const {
  return anchored_ || (base_.trusted() && base_.now() >= floor_);
}

void TrustedClock::anchor(std::int64_t upstream_time) {
  anchored_ = true;
  anchor_time_ = upstream_time;
  anchor_steady_ms_ = steady_ms();
  raise_floor(upstream_time);
}

}  // namespace gk::hal
