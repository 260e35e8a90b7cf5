#include "fleet.hpp"

#include <sodium.h>

#include <cstdio>

namespace fleet {

Kiosk kiosk(std::uint64_t seed, std::size_t index) {
  unsigned char material[crypto_sign_SEEDBYTES] = {};
  const std::string label = "fleet-sim " + std::to_string(seed) + " " + std::to_string(index);
  crypto_generichash(material, sizeof material,
                     reinterpret_cast<const unsigned char*>(label.data()), label.size(), nullptr,
                     0);
  Kiosk k;
  char id[32];
  std::snprintf(id, sizeof id, "fleet-%06zu", index);
  k.id = id;
  std::array<std::uint8_t, 64> secret{};
  crypto_sign_seed_keypair(k.key.info.key.data(), secret.data(), material);
  k.key.secret = gk::SecretKey(secret);
  k.key.info.id = gk::key_id_of(k.key.info.key);
  sodium_memzero(material, sizeof material);
  sodium_memzero(secret.data(), secret.size());
  return k;
}

std::vector<gk::JournalEntry> journal(std::size_t index, std::int64_t first, std::int64_t last,
                                      std::string prev_hash) {
  std::vector<gk::JournalEntry> out;
  for (std::int64_t seq = first; seq <= last; ++seq) {
    gk::Passage p;
    p.time = 1'700'000'000 + seq * 60;
    p.gate = "gate " + std::to_string(index);
    p.direction = seq % 2 ? gk::Direction::in : gk::Direction::out;
    p.credential_kind = gk::CredentialKind::qr;
    p.pass_id = gk::PassId{static_cast<std::uint8_t>(index), static_cast<std::uint8_t>(seq)};
    p.role = gk::Role::resident;
    p.decision = gk::Decision::admit;
    p.reason = gk::Reason::ok;
    p.temperature_c = 36.6;
    p.holder = "张*";
    gk::JournalEntry e;
    e.seq = seq;
    e.passage = std::move(p);
    e.prev_hash = prev_hash;
    e.hash = gk::chain_hash(seq, e.passage, prev_hash);
    prev_hash = e.hash;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace fleet
