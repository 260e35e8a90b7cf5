#pragma once
// Wall-clock time and whether it can be trusted. A board without a real-time clock starts
// at 1970 until time is synced; the policy refers passages to the guard until then.
#include <cstdint>

namespace gk::hal {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t now() const = 0;  // unix seconds
  virtual bool trusted() const = 0;
};

// The system clock, trusted once it is past a floor (the build date): an unsynced
// board reads 1970 and is never mistaken for a real date.
class SystemClock final : public Clock {
 public:
  explicit SystemClock(std::int64_t trusted_floor) : floor_(trusted_floor) {}
  std::int64_t now() const override;
  bool trusted() const override { return now() >= floor_; }

 private:
  std::int64_t floor_;
};

// Test/sim clock: set and advanced explicitly.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t t, bool trusted = true) : t_(t), trusted_(trusted) {}
  std::int64_t now() const override { return t_; }
  bool trusted() const override { return trusted_; }
  void set(std::int64_t t) { t_ = t; }
  void advance(std::int64_t s) { t_ += s; }
  void set_trusted(bool t) { trusted_ = t; }

 private:
  std::int64_t t_;
  bool trusted_;
};

}  // namespace gk::hal
