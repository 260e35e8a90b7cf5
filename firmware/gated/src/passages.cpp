#include "gk/gated/passages.hpp"

#include "gk/gated/events.hpp"

namespace gk {

PassageDesk::PassageDesk(Kiosk& kiosk, Outbox& outbox, PassageDeskHooks hooks,
                         std::chrono::milliseconds dedup_window)
    : kiosk_(kiosk), outbox_(outbox), hooks_(std::move(hooks)), dedup_(dedup_window) {}

std::vector<PassageOutcome> PassageDesk::on_frame(const hal::GreyView& frame,
                                                  std::optional<Direction> direction, bool live) {
  std::vector<PassageOutcome> outcomes;
  const auto now = std::chrono::steady_clock::now();
  for (const std::string& text : live ? decoder_.decode_stream(frame) : decoder_.decode(frame)) {
    if (!dedup_.accept(text, now)) continue;
    Presentation p;
    p.kind = CredentialKind::qr;
    p.text = text;
    p.direction = direction;
    outcomes.push_back(present(p));
  }
  return outcomes;
}

void PassageDesk::on_card(const hal::CardTap& card) {
  Presentation p;
  if (card.kind == hal::CardTap::Kind::resident_id_card) {
    p.kind = CredentialKind::id_card;
    p.id_card_serial = card.id_serial;
  } else {
    p.kind = card.ndef_pass.empty() ? CredentialKind::card_uid : CredentialKind::card;
    p.card_pass = card.ndef_pass;
    p.card_uid = card.uid;
  }
  present(p);
}

PassageOutcome PassageDesk::present(const Presentation& p) {
  if (hooks_.lists_stale) kiosk_.set_lists_stale(hooks_.lists_stale());
  const bool was_pending = kiosk_.pending_consent().has_value();
  PassageOutcome o = kiosk_.process(p);
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
