// Revocation list at 1 M and 10 M entries: build time, bytes per entry, lookup ns (hits and
// misses); baseline: std::unordered_set of the full 16-byte ids at 1 M, same run.
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

struct IdHash {
  std::size_t operator()(const std::pair<std::uint64_t, std::uint64_t>& k) const {
    return k.first ^ (k.second * 0x9E3779B97F4A7C15ull);
  }
};
}  // namespace

int main() {
  std::printf("revocation list (ids are 128 random bits)\n");
  std::printf("  %-28s %10s %10s %12s %12s\n", "structure", "entries", "build s", "bytes/entry",
              "hit/miss ns");
  double ours_hit_1m = 0, ours_bytes_1m = 0;
  for (std::size_t n : {std::size_t{1'000'000}, std::size_t{10'000'000}}) {
    auto ids = random_ids(n, n);
    auto t = Clock::now();
    RevocationList list = RevocationList::snapshot(1, ids);
    double build = seconds_since(t);
    std::vector<PassId> hits(ids.begin(), ids.begin() + 1'000'000);
    std::shuffle(hits.begin(), hits.end(), std::mt19937_64(7));
    auto misses = random_ids(1'000'000, 99);
    double hit = ns_per_lookup(hits, [&](const PassId& id) { return list.contains(id); });
    double miss = ns_per_lookup(misses, [&](const PassId& id) { return list.contains(id); });
    double bpe = static_cast<double>(list.memory_bytes()) / static_cast<double>(n);
    if (n == 1'000'000) {
      ours_hit_1m = hit;
      ours_bytes_1m = bpe;
    }
    std::printf("  %-28s %10zu %10.2f %12.2f %6.0f/%-5.0f\n", "RevocationList", n, build, bpe, hit,
                miss);
    if (n == 1'000'000) {
      RevocationDocument d;
      d.kind = RevocationDocument::Kind::delta;
      d.base_number = 1;
      d.number = 2;
      d.added = random_ids(100'000, 5);
      auto ta = Clock::now();
      auto s = list.apply(d);
      std::printf("  apply a 100 000-entry delta to the 1 M list: %.3f s (%s)\n", seconds_since(ta),
                  s ? "ok" : "refused");
    }
  }
  // Baseline at 1 M: the obvious container.
  auto ids = random_ids(1'000'000, 1'000'000);
  using Key = std::pair<std::uint64_t, std::uint64_t>;
  auto key = [](const PassId& id) {
    Key k;
    std::memcpy(&k.first, id.data(), 8);
    std::memcpy(&k.second, id.data() + 8, 8);
    return k;
  };
  auto t = Clock::now();
  std::unordered_set<Key, IdHash> set;
  set.reserve(ids.size());
  for (const auto& id : ids) set.insert(key(id));
  double build = seconds_since(t);
  std::vector<PassId> hits(ids.begin(), ids.end());
  std::shuffle(hits.begin(), hits.end(), std::mt19937_64(7));
  auto misses = random_ids(1'000'000, 99);
  double hit = ns_per_lookup(hits, [&](const PassId& id) { return set.count(key(id)); });
  double miss = ns_per_lookup(misses, [&](const PassId& id) { return set.count(key(id)); });
  // Node (16 B key + 8 B next + 8 B cached hash, malloc rounding to 32+16) + bucket pointer.
  double bpe =
      (static_cast<double>(set.bucket_count()) * 8 + static_cast<double>(set.size()) * 48) /
      static_cast<double>(set.size());
  std::printf("  %-28s %10zu %10.2f %12.2f %6.0f/%-5.0f\n", "std::unordered_set (base)", set.size(),
              build, bpe, hit, miss);
  std::printf("  at 1 M, ours / baseline: bytes per entry %.2f, hit lookup time %.2f\n",
              ours_bytes_1m / bpe, ours_hit_1m / hit);
  return 0;
}
