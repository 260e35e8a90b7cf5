#pragma once
// Passage handling: a credential from the camera (decoded, de-duplicated) or the card reader
// becomes one passage through the Kiosk (verify, measure, decide, journal, gate), and its
// outcome goes to the outbox; an outcome the guard must see raises an alarm.
#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include "gk/camera/dedup.hpp"
#include "gk/camera/qr_decoder.hpp"
#include "gk/gated/outbox.hpp"
#include "gk/hal/devices.hpp"
#include "gk/kiosk/kiosk.hpp"

namespace gk {

struct PassageDeskHooks {
  std::function<bool()> lists_stale;  // graded by the sync client before each passage
  std::function<void(const std::string& alarm, std::optional<std::int64_t> seq)> raise_alarm;
  std::function<void()> state_changed;  // a pending consent was used or expired
  std::function<void()> gate_released;  // the relay pulse began: its end is due on time
};

class PassageDesk {
 public:
  PassageDesk(Kiosk& kiosk, Outbox& outbox, PassageDeskHooks hooks,
              std::chrono::milliseconds dedup_window);

  // The camera path for one frame: decode, de-duplicate, one passage per new code.
  // `live`: a frame of a video stream (the rotating cascade); else a single still image.
  std::vector<PassageOutcome> on_frame(const hal::GreyView& frame,
                                       std::optional<Direction> direction = std::nullopt,
                                       bool live = false);
  // Codes read from one frame (by the camera worker, or on_frame): de-duplicate, one passage
  // per new code.
  std::vector<PassageOutcome> on_codes(const std::vector<std::string>& texts,
                                       std::optional<Direction> direction = std::nullopt);
  // The person in front of the camera left: the next code read is a new passage.
  void scene_changed() { dedup_.clear(); }
  // One credential, however it arrived.
  PassageOutcome present(const Presentation& p);
  // Announces an outcome decided elsewhere (a guard's action, a record row).
  void announce(const PassageOutcome& o);

 private:
  Kiosk& kiosk_;
  Outbox& outbox_;
  PassageDeskHooks hooks_;
  camera::QrDecoder decoder_;
  camera::Deduplicator dedup_;
};

}  // namespace gk
