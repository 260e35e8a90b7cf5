#include "gk/camera/dedup.hpp"

namespace gk::camera {

bool Deduplicator::accept(const std::string& text, std::chrono::steady_clock::time_point now) {
  // Forget old sightings so the map stays small on a kiosk that runs for months.
  if (last_seen_.size() > 256)
    std::erase_if(last_seen_, [&](const auto& kv) { return now - kv.second > window_; });
  auto [it, inserted] = last_seen_.try_emplace(text, now);
  if (inserted) return true;
  bool fresh = now - it->second > window_;
  it->second = now;
  return fresh;
}

}  // namespace gk::camera
