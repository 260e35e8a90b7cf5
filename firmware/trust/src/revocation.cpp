#include "gk/trust/revocation.hpp"

#include <algorithm>

#include "gk/trust/revocation_document.hpp"

namespace gk {
namespace {
using Key = std::pair<std::uint64_t, std::uint32_t>;

Key key_of(const PassId& id) {
  std::uint64_t p = 0;
  for (int i = 0; i < 8; ++i) p = p << 8 | id[static_cast<std::size_t>(i)];
  std::uint32_t s = 0;
  for (int i = 8; i < 12; ++i) s = s << 8 | id[static_cast<std::size_t>(i)];
  return {p, s};
}
}  // namespace

RevocationList RevocationList::snapshot(std::uint64_t number, const std::vector<PassId>& ids) {
  RevocationList l;
  std::vector<Key> keys;
  keys.reserve(ids.size());
  for (const auto& id : ids) keys.push_back(key_of(id));
  l.assign(std::move(keys));
  l.number_ = number;
  return l;
}

void RevocationList::assign(std::vector<Key> keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  prefix_.resize(keys.size());
  suffix_.resize(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    prefix_[i] = keys[i].first;
    suffix_[i] = keys[i].second;
  }
  prefix_.shrink_to_fit();
  suffix_.shrink_to_fit();
  rebuild_index();
}

void RevocationList::rebuild_index() {
  bucket_.assign(65537, 0);
  std::size_t i = 0;
  for (std::uint32_t b = 0; b < 65536; ++b) {
    bucket_[b] = static_cast<std::uint32_t>(i);
    while (i < prefix_.size() && (prefix_[i] >> 48) == b) ++i;
  }
  bucket_[65536] = static_cast<std::uint32_t>(prefix_.size());
}

bool RevocationList::contains(const PassId& id) const {
  const auto [p, s] = key_of(id);
  const std::uint32_t b = static_cast<std::uint32_t>(p >> 48);
  auto first = prefix_.begin() + bucket_[b];
  auto last = prefix_.begin() + bucket_[b + 1];
  auto it = std::lower_bound(first, last, p);
  for (; it != last && *it == p; ++it)
    if (suffix_[static_cast<std::size_t>(it - prefix_.begin())] == s) return true;
  return false;
}

std::size_t RevocationList::memory_bytes() const {
  return prefix_.capacity() * sizeof(std::uint64_t) + suffix_.capacity() * sizeof(std::uint32_t) +
         bucket_.capacity() * sizeof(std::uint32_t) + sizeof(*this);
}

DocStatus RevocationList::apply(const RevocationDocument& doc) {
  if (doc.number <= number_ && !(number_ == 0 && doc.number == 0 && size() == 0))
    return doc_error(DocCode::out_of_order, "revocation list " + std::to_string(doc.number) +
                                                " is not newer than " + std::to_string(number_));
  std::vector<Key> keys;
  if (doc.kind == RevocationDocument::Kind::delta) {
    if (doc.base_number != number_)
      return doc_error(DocCode::out_of_order, "delta from list " + std::to_string(doc.base_number) +
                                                  " does not apply to list " +
                                                  std::to_string(number_));
    std::vector<Key> removed;
    for (const auto& id : doc.removed) removed.push_back(key_of(id));
    std::sort(removed.begin(), removed.end());
    keys.reserve(size() + doc.added.size());
    for (std::size_t i = 0; i < prefix_.size(); ++i) {
      Key k{prefix_[i], suffix_[i]};
      if (!std::binary_search(removed.begin(), removed.end(), k)) keys.push_back(k);
    }
  }
  for (const auto& id : doc.added) keys.push_back(key_of(id));
  RevocationList next;
  next.assign(std::move(keys));
  next.number_ = doc.number;
  *this = std::move(next);
  return Done{};
}

}  // namespace gk
