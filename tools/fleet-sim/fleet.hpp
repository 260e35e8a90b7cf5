#pragma once
// The simulated fleet: kiosk identities and journals derived from (seed, kiosk index), so
// that the registering, the load and the checking runs agree without sharing state.
#include <cstdint>
#include <string>
#include <vector>

#include "gk/journal/journal.hpp"
#include "gk/pass/keys.hpp"

namespace fleet {

struct Kiosk {
  std::string id;  // "fleet-000042"
  gk::IssuerKeyPair key;
};

Kiosk kiosk(std::uint64_t seed, std::size_t index);
// Passages first..last (1-based) of a kiosk's journal, chained from `prev_hash`.
std::vector<gk::JournalEntry> journal(std::size_t index, std::int64_t first, std::int64_t last,
                                      std::string prev_hash);

}  // namespace fleet
