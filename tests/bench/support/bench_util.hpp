#pragma once
// Tiny timing helpers for the benchmarks: figures are printed as ratios against a baseline
// measured in the same run, never asserted.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

namespace gk::bench {

using Clock = std::chrono::steady_clock;

// Runs `op` repeatedly for about `seconds`; returns operations per second.
template <class Op>
double rate(Op op, double seconds = 1.0) {
  std::size_t n = 0;
  const auto start = Clock::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  auto now = start;
  do {
    for (int i = 0; i < 16; ++i) op();
    n += 16;
    now = Clock::now();
  } while (now < until);
  return static_cast<double>(n) / std::chrono::duration<double>(now - start).count();
}

inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  return v[i];
}

}  // namespace gk::bench
