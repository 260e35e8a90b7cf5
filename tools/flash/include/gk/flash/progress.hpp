#pragma once
// Progress of a flash: a one-line bar for a technician at a terminal, JSON lines for the
// scripts and provisioning stations that drive gatectl.
#include <chrono>
#include <cstdint>
#include <ostream>
#include <string_view>

namespace gk::flash {

enum class Phase { write, verify };
std::string_view phase_name(Phase p);

class Progress {
 public:
  virtual ~Progress() = default;
  // `done` of `total` bytes of the phase; called often (once per buffer), sinks throttle.
  virtual void update(Phase phase, std::uint64_t done, std::uint64_t total) = 0;
};

class SilentProgress final : public Progress {
 public:
  void update(Phase, std::uint64_t, std::uint64_t) override {}
};

// {"phase":"write","bytes":N,"total":M}, one line per whole percent (plus the first and the
// last), flushed so that a reader of a pipe sees them as they happen.
class JsonLinesProgress final : public Progress {
 public:
  explicit JsonLinesProgress(std::ostream& out) : out_(out) {}
  void update(Phase phase, std::uint64_t done, std::uint64_t total) override;

 private:
  std::ostream& out_;
  Phase phase_ = Phase::write;
  int last_percent_ = -1;
};

// "\rwrite   [#######.......]  42%  35.1 MiB/s  ETA 0:12", redrawn at most 10 times a second.
class TerminalBar final : public Progress {
 public:
  explicit TerminalBar(std::ostream& err) : err_(err) {}
  ~TerminalBar() override;
  void update(Phase phase, std::uint64_t done, std::uint64_t total) override;

 private:
  using Clock = std::chrono::steady_clock;
  std::ostream& err_;
  Phase phase_ = Phase::write;
  bool started_ = false;
  bool line_open_ = false;
  Clock::time_point phase_start_{};
  Clock::time_point last_draw_{};
};

}  // namespace gk::flash
