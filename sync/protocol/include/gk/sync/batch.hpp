#pragma once
// A journal batch on the wire: passages seq first_seq..first_seq+n-1 of one device, with
// their chain hashes, as JSON. The receiver re-derives every hash and link, so a batch
// that was cut, reordered or altered in transit is refused whole.
#include <string>
#include <vector>

#include "gk/core/errors.hpp"
#include "gk/journal/journal.hpp"

namespace gk::sync {

inline constexpr std::size_t kMaxBatchEntries = 1000;
inline constexpr std::size_t kMaxBatchBytes = 4u * 1024 * 1024;

struct JournalBatch {
  std::string device_id;
  std::vector<JournalEntry> entries;  // contiguous seqs, chained
};

std::string encode_batch(const JournalBatch& batch);
// One entry as the batch carries it (the upstream stores each as it arrived).
std::string encode_entry(const JournalEntry& entry);
DocResult<JournalBatch> parse_batch(std::string_view json);

}  // namespace gk::sync
