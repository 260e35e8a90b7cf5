#pragma once
// A code held in front of the camera is read on every frame; within the window, repeated
// reads of the same text are one event.
#include <chrono>
#include <string>
#include <unordered_map>

namespace gk::camera {

class Deduplicator {
 public:
  explicit Deduplicator(std::chrono::milliseconds window) : window_(window) {}
  // True when `text` is a new event at `now`. Every sighting extends the window, so a
  // phone held still for a minute is still one passage.
  bool accept(const std::string& text, std::chrono::steady_clock::time_point now);
  // The scene changed (the person left): the next read of any code is a new event.
  void clear() { last_seen_.clear(); }

 private:
  std::chrono::milliseconds window_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> last_seen_;
};

}  // namespace gk::camera
