#include "gk/gated/passages.hpp"

#include "gk/gated/events.hpp"

namespace gk {

PassageDesk::PassageDesk(Kiosk& kiosk, Outbox& outbox, PassageDeskHooks hooks,
                         std::chrono::milliseconds dedup_window)
    : kiosk_(kiosk), outbox_(outbox), hooks_(std::move(hooks)), dedup_(dedup_window) {}

std::vector<PassageOutcome> PassageDesk::on_frame(const hal::GreyView& frame,
                                                  std::optional<Direction> direction, bool live) {
  return on_codes(camera::texts(live ? decoder_.decode_stream(frame) : decoder_.decode(frame)),
                  direction);
}

std::vector<PassageOutcome> PassageDesk::on_codes(const std::vector<std::string>& texts,
                                                  std::optional<Direction> direction) {
  std::vector<PassageOutcome> outcomes;
  const auto now = std::chrono::steady_clock::now();
  for (const std::string& text : texts) {
    if (!dedup_.accept(text, now)) continue;
    Presentation p;
    p.kind = CredentialKind::qr;
    p.text = text;
    p.direction = direction;
    outcomes.push_back(present(p));
  }
  return outcomes;
}

PassageOutcome PassageDesk::present(const Presentation& p) {
  if (hooks_.lists_stale) kiosk_.set_lists_stale(hooks_.lists_stale());
  const bool was_pending = kiosk_.pending_consent().has_value();
  PassageOutcome o = kiosk_.process(p);
  if (o.gate_released && hooks_.gate_released) hooks_.gate_released();
  announce(o);
  if (was_pending && hooks_.state_changed) hooks_.state_changed();  // consent used: screens update
  return o;
}

void PassageDesk::announce(const PassageOutcome& o) {
  outbox_.publish(passage_event(o));
  // Fever, revoked or forged passes, lockdown attempts, sensor faults, a journal that cannot
  // commit: the guard must see them until acknowledged, not only scroll past in the feed.
  if (o.verdict.alarm && hooks_.raise_alarm)
    hooks_.raise_alarm(std::string(code(o.verdict.reason)), o.seq);
}

}  // namespace gk
