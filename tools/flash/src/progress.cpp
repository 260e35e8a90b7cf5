#include "gk/flash/progress.hpp"

#include <cstdio>
#include <string>

namespace gk::flash {

std::string_view phase_name(Phase p) {
  return p == Phase::write ? "write" : "verify";
}

void JsonLinesProgress::update(Phase phase, std::uint64_t done, std::uint64_t total) {
  if (phase != phase_) {
    phase_ = phase;
    last_percent_ = -1;
  }
  const int percent = total == 0 ? 100 : static_cast<int>(done * 100 / total);
  if (percent == last_percent_ && done != total) return;
  if (percent == last_percent_ && done == total && last_percent_ == 100) return;
  last_percent_ = percent;
  out_ << R"({"phase":")" << phase_name(phase) << R"(","bytes":)" << done << R"(,"total":)" << total
       << "}\n"
       << std::flush;
}

TerminalBar::~TerminalBar() {
  if (line_open_) err_ << "\n" << std::flush;
}

void TerminalBar::update(Phase phase, std::uint64_t done, std::uint64_t total) {
  const auto now = Clock::now();
  if (!started_ || phase != phase_) {
    if (line_open_) err_ << "\n";
    started_ = true;
    phase_ = phase;
    phase_start_ = now;
    last_draw_ = {};
  }
  const bool finished = done >= total;
  if (!finished && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;

  constexpr int kWidth = 30;
  const double fraction = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  const int filled = static_cast<int>(fraction * kWidth);
  const double seconds = std::chrono::duration<double>(now - phase_start_).count();
  const double mib_s = seconds > 0 ? static_cast<double>(done) / (1 << 20) / seconds : 0.0;
  std::string eta = "--:--";
  if (mib_s > 0 && !finished) {
    const auto left = static_cast<long>(static_cast<double>(total - done) / (1 << 20) / mib_s);
    eta = std::to_string(left / 60) + ":" + (left % 60 < 10 ? "0" : "") + std::to_string(left % 60);
  } else if (finished) {
    eta = "done ";
  }
  char line[160];
  std::snprintf(line, sizeof line, "\r%-6s [%s%s] %3d%%  %7.1f MiB/s  ETA %s ",
                std::string(phase_name(phase)).c_str(), std::string(filled, '#').c_str(),
                std::string(kWidth - filled, '.').c_str(), static_cast<int>(fraction * 100), mib_s,
                eta.c_str());
  err_ << line << std::flush;
  line_open_ = true;
  if (finished) {
    err_ << "\n" << std::flush;
    line_open_ = false;
  }
}

}  // namespace gk::flash
