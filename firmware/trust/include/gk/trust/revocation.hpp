#pragma once
// The revocation list in memory: built to hold 10 million revoked pass ids on a small
// board. Each id is kept as its first 12 bytes (pass ids are 128 random bits, so two
// distinct ids sharing 96 bits has probability ~2^-96 per pair: exact for any real list),
// in two sorted parallel arrays (8 + 4 bytes) with a 16-bit bucket index in front.
// 12 bytes and a few cache lines per lookup; see tests/bench/trust for the figures.
#include <cstdint>
#include <vector>

#include "gk/core/errors.hpp"
#include "gk/pass/pass.hpp"

namespace gk {

struct RevocationDocument;

class RevocationList {
 public:
  RevocationList() { rebuild_index(); }
  // A full list at number `number`.
  static RevocationList snapshot(std::uint64_t number, const std::vector<PassId>& ids);

  std::uint64_t number() const { return number_; }
  bool contains(const PassId& id) const;
  std::size_t size() const { return prefix_.size(); }
  std::size_t memory_bytes() const;

  // Snapshot: any number newer than ours. Delta: base must equal our number and the new
  // number be newer. Anything older is refused as out_of_order (a replayed list must not
  // un-revoke). Builds aside and swaps, so a refused or failed apply leaves the list as it was.
  DocStatus apply(const RevocationDocument& doc);

 private:
  void assign(std::vector<std::pair<std::uint64_t, std::uint32_t>> keys);
  void rebuild_index();

  std::uint64_t number_ = 0;
  std::vector<std::uint64_t> prefix_;  // bytes 0..7 of each id, big-endian, sorted
  std::vector<std::uint32_t> suffix_;  // bytes 8..11, sorted within equal prefixes
  std::vector<std::uint32_t> bucket_;  // 65537 offsets by the top 16 bits of prefix
};

}  // namespace gk
