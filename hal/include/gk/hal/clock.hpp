#pragma once
// Wall-clock time and whether it can be trusted. A board without a real-time clock starts
// at 1970 until time is synced; the policy refers passages to the guard until then.
#include <algorithm>
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

// The kiosk's clock: the board's clock until the upstream's signed time arrives, then
// that time carried forward on the monotonic clock. `floor` is the last time ever trusted
// (persisted by the daemon): a board without a real-time clock that boots at 1970, or a
// clock set backwards, is not trusted until a signed time arrives.
class TrustedClock final : public Clock {
 public:
  TrustedClock(const Clock& base, std::int64_t floor) : base_(base), floor_(floor) {}
  std::int64_t now() const override;
  bool trusted() const override;
  // A verified upstream time, taken as "now".
  void anchor(std::int64_t upstream_time);
  bool anchored() const { return anchored_; }
  void raise_floor(std::int64_t t) { floor_ = std::max(floor_, t); }
  std::int64_t floor() const { return floor_; }

 private:
  const Clock& base_;
  std::int64_t floor_;
  bool anchored_ = false;
  std::int64_t anchor_time_ = 0;
  std::int64_t anchor_steady_ms_ = 0;
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
