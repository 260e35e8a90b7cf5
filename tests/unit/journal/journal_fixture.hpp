#pragma once
#include "gk/journal/journal.hpp"

namespace gk::test {

inline Passage sample_passage(std::int64_t i) {
  Passage p;
  p.time = 1'600'000'000 + i * 60;
  p.gate = "莲花北村北门";
  p.direction = i % 2 ? Direction::out : Direction::in;
  p.credential_kind = CredentialKind::qr;
  PassId id{};
  id[0] = static_cast<std::uint8_t>(i);
  id[15] = 0xAB;
  p.pass_id = id;
  p.role = Role::resident;
  p.decision = Decision::admit;
  p.reason = Reason::ok;
  p.temperature_c = 36.0 + static_cast<double>(i % 10) / 10.0;
  p.holder = "张**";
  return p;
}

}  // namespace gk::test
