#pragma once
// Stateful simulated devices for the `sim` board and tests. Each keeps its state, lets a
// test script what happens next (including faults) and records what the kiosk did to it.
#include <chrono>
#include <deque>
#include <filesystem>
#include <mutex>
#include <vector>

#include "gk/hal/devices.hpp"

namespace gk::hal {

// What the simulated thermometer answers to one skin read: a value or a fault.
struct SimReading {
  double celsius = 35.3;  // the forehead's skin, not the body
  DeviceError fault = DeviceError::none;
};

// A scripted infrared thermometer: it speaks skin temperatures (a healthy forehead reads
// ~35.3 °C in a 24 °C room) and its own ambient. Skin readings are consumed in order; when
// the script is empty it answers the idle value (a person standing still) with a small
// deterministic jitter, or a fault if one was set as persistent (a broken sensor).
class SimThermometer final : public Thermometer {
 public:
  explicit SimThermometer(double idle_skin_c = 35.3, double ambient_c = 24.0)
      : idle_(idle_skin_c), ambient_(ambient_c) {}
  void script(std::vector<SimReading> readings);
  void set_idle(double skin_c) { idle_ = skin_c; }
  double idle() const { return idle_; }
  void set_ambient(double c) { ambient_ = c; }
  double ambient() const { return ambient_; }
  void set_persistent_fault(DeviceError fault) { persistent_fault_ = fault; }
  std::size_t reads() const { return reads_; }

  DeviceResult<double> read_celsius() override;
  DeviceResult<double> read_ambient_celsius() override;
  std::string describe() const override { return "sim-thermometer"; }

 private:
  std::deque<SimReading> script_;
  double idle_;
  double ambient_;
  DeviceError persistent_fault_ = DeviceError::none;
  std::size_t reads_ = 0;
};

// A scripted NFC reader: taps are queued and come out one per poll.
class SimCardReader final : public CardReader {
 public:
  void tap(CardTap card) { queue_.push_back({std::move(card), DeviceError::none}); }
  void fail_next(DeviceError fault) { queue_.push_back({{}, fault}); }
  DeviceResult<CardTap> poll() override;
  std::string describe() const override { return "sim-card-reader"; }

 private:
  struct Event {
    CardTap card;
    DeviceError fault;
  };
  std::deque<Event> queue_;
};

// A gate relay that records every release. With a record file it appends one line per
// pulse and fsyncs it, so that a crash harness can compare pulses with the journal.
class SimGate final : public Gate {
 public:
  SimGate() = default;
  explicit SimGate(std::filesystem::path record_file) : record_file_(std::move(record_file)) {}
  DeviceError release(std::chrono::milliseconds pulse, std::int64_t journal_seq) override;
  std::string describe() const override { return "sim-gate"; }
  void set_fault(DeviceError fault) { fault_ = fault; }
  struct Pulse {
    std::chrono::milliseconds length;
    std::int64_t journal_seq;
  };
  const std::vector<Pulse>& pulses() const { return pulses_; }

 private:
  std::filesystem::path record_file_;
  std::vector<Pulse> pulses_;
  DeviceError fault_ = DeviceError::none;
};

class SimIndicator final : public Indicator {
 public:
  void show(Tone tone) override { shown_.push_back(tone); }
  const std::vector<Tone>& shown() const { return shown_; }

 private:
  std::vector<Tone> shown_;
};

}  // namespace gk::hal
