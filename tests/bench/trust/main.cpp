// Revocation list at 1 M and 10 M entries: build time, bytes per entry, lookup ns (hits and
// misses); baseline: std::unordered_set of the full 16-byte ids at 1 M, same run.
#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <unordered_set>

#include "bench_util.hpp"
#include "gk/trust/revocation.hpp"
#include "gk/trust/revocation_document.hpp"

using namespace gk;
using bench::Clock;

namespace {
constexpr std::size_t kProbes = 1'000'000;

std::vector<PassId> random_ids(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<PassId> ids(n);
  for (auto& id : ids) {
    std::uint64_t a = rng(), b = rng();
    std::memcpy(id.data(), &a, 8);
    std::memcpy(id.data() + 8, &b, 8);
  }
  return ids;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

template <class F>
double ns_per_lookup(const std::vector<PassId>& probes, F contains) {
  volatile std::size_t sink = 0;
  auto t = Clock::now();
  for (const auto& id : probes) sink = sink + contains(id);
  return seconds_since(t) * 1e9 / static_cast<double>(probes.size());
}

std::size_t heap_in_use() {
  return mallinfo2().uordblks;
}

using Key = std::pair<std::uint64_t, std::uint64_t>;
struct KeyHash {
  std::size_t operator()(const Key& k) const {
    return k.first ^ (k.second * 0x9E3779B97F4A7C15ull);
  }
};
Key key_of(const PassId& id) {
  Key k;
  std::memcpy(&k.first, id.data(), 8);
  std::memcpy(&k.second, id.data() + 8, 8);
  return k;
}

struct Row {
  double build_s, bytes_per_entry, hit_ns, miss_ns;
};
void print_row(const char* name, std::size_t n, const Row& r) {
  std::printf("  %-26s %10zu %9.2f %12.2f %8.0f %8.0f\n", name, n, r.build_s, r.bytes_per_entry,
              r.hit_ns, r.miss_ns);
}
}  // namespace

int main() {
  std::printf("revocation list (ids: 16 random bytes, %zu hit and %zu miss lookups)\n", kProbes,
              kProbes);
  std::printf("  %-26s %10s %9s %12s %8s %8s\n", "structure", "entries", "build s", "bytes/entry",
              "hit ns", "miss ns");
  const auto misses = random_ids(kProbes, 99);  // 2^-128 chance of a real hit: all misses
  Row ours_1m{};
  double delta_s = 0;
  bool delta_ok = false;
  for (std::size_t n : {std::size_t{1'000'000}, std::size_t{10'000'000}}) {
    auto ids = random_ids(n, n);
    auto t = Clock::now();
    RevocationList list = RevocationList::snapshot(1, ids);
    Row r{};
    r.build_s = seconds_since(t);
    std::vector<PassId> hits(ids.begin(), ids.begin() + kProbes);
    std::shuffle(hits.begin(), hits.end(), std::mt19937_64(7));
    r.hit_ns = ns_per_lookup(hits, [&](const PassId& id) { return list.contains(id); });
    r.miss_ns = ns_per_lookup(misses, [&](const PassId& id) { return list.contains(id); });
    r.bytes_per_entry = static_cast<double>(list.memory_bytes()) / static_cast<double>(n);
    print_row("RevocationList", n, r);
    if (n == 1'000'000) {
      ours_1m = r;
      RevocationDocument d;
      d.kind = RevocationDocument::Kind::delta;
      d.base_number = 1;
      d.number = 2;
      d.added = random_ids(100'000, 5);
      auto ta = Clock::now();
      delta_ok = static_cast<bool>(list.apply(d));
      delta_s = seconds_since(ta);
      delta_ok = delta_ok && list.size() == 1'100'000 && list.contains(d.added.front());
    }
  }

  // Baseline at 1 M: the obvious container, the same ids as ours at 1 M.
  const auto ids = random_ids(1'000'000, 1'000'000);
  const std::size_t heap_before = heap_in_use();
  auto t = Clock::now();
  std::unordered_set<Key, KeyHash> set;
  set.reserve(ids.size());
  for (const auto& id : ids) set.insert(key_of(id));
  Row base{};
  base.build_s = seconds_since(t);
  const double heap_bpe =
      static_cast<double>(heap_in_use() - heap_before) / static_cast<double>(set.size());
  std::vector<PassId> hits(ids.begin(), ids.end());
  std::shuffle(hits.begin(), hits.end(), std::mt19937_64(7));
  base.hit_ns = ns_per_lookup(hits, [&](const PassId& id) { return set.count(key_of(id)); });
  base.miss_ns = ns_per_lookup(misses, [&](const PassId& id) { return set.count(key_of(id)); });
  // Estimate: one bucket pointer per bucket + per node 16 B key, 8 B next, 8 B cached hash
  // (no allocator overhead; the heap_in_use() figure below includes it).
  base.bytes_per_entry =
      (static_cast<double>(set.bucket_count()) * 8 + static_cast<double>(set.size()) * 32) /
      static_cast<double>(set.size());
  print_row("std::unordered_set (base)", set.size(), base);

  std::printf("  unordered_set measured heap growth: %.2f bytes/entry (with malloc overhead)\n",
              heap_bpe);
  std::printf(
      "  at 1 M, ours / baseline: bytes per entry %.2f (%.2f against the measured heap),"
      " hit ns %.2f, miss ns %.2f, build %.2f\n",
      ours_1m.bytes_per_entry / base.bytes_per_entry, ours_1m.bytes_per_entry / heap_bpe,
      ours_1m.hit_ns / base.hit_ns, ours_1m.miss_ns / base.miss_ns, ours_1m.build_s / base.build_s);
  std::printf("  apply a 100 000-entry delta to the 1 M list: %.3f s (%s)\n", delta_s,
              delta_ok ? "ok" : "FAILED");
  return 0;
}
