#pragma once
// What stands between a login request and the PIN check: rate limits, lock-outs and the
// accounting of failures, so that a flood of logins can neither fill the disk, nor burn the
// event loop on Argon2, nor erase a guard's lock-out.
//
//  - Rate limits come first, before anything is written or hashed: a token bucket per client
//    address and one for the whole console. A refused attempt is only counted.
//  - Lock-outs: per registered guard (after `max_failed` wrong PINs with that guard's verified
//    staff pass) and per address. Guard state exists only for guards the backend names as
//    registered, so it is bounded by the guards file and is never evicted; a forged pass
//    cannot create or erase it. Address state is bounded (`max_peers`): entries whose
//    failures and lock-out have expired go first, and when the table is still full the
//    address seen longest ago is shed (counted: gate_console_login_peers_shed_total).
//  - Both are persisted (`file`, written atomically after every counted failure), so a
//    restart does not lift a lock-out.
//  - Failures are journaled as aggregated rows: the first failure of a (guard, address) pair
//    in an interval at once, the rest as one row per pair when the interval ends, and never
//    more than `max_rows_per_interval` rows an interval (the overflow folded into the last).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace gk::guard {

struct LoginLimits {
  int max_failed = 5;
  std::chrono::seconds lockout{300};
  std::chrono::seconds interval{60};  // aggregation interval of journaled failures
  std::size_t max_rows_per_interval = 10;
  std::size_t max_peers = 1024;
  double peer_per_second = 1.0 / 6;  // sustained attempts per address (10 a minute)
  double peer_burst = 10;
  double all_per_second = 2;  // sustained attempts for the whole console (Argon2 is ~60 ms)
  double all_burst = 20;
  std::filesystem::path file;  // persisted lock-outs; empty: in memory only (tests, fuzzer)
};

// One aggregated journal row: who was claimed ("unknown" or a guard id) and a detail that
// carries counts, the address and reason codes only.
struct FailureRow {
  std::string claimed;
  std::string detail;
};

class LoginThrottle {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  using WallClock = std::function<std::int64_t()>;  // unix seconds (persisted deadlines)
  LoginThrottle(LoginLimits limits, Clock clock, WallClock wall = {});

  enum class Admission { allowed, rate_limited, locked };
  // Before the PIN is checked: may this attempt go on? Refusals are counted, not journaled
  // one by one.
  Admission admit(const std::string& claimed, const std::string& peer);
  // After a failed check. `registered` is the registered guard the staff pass verified as
  // (empty when the pass was not a registered guard's).
  void failed(const std::string& claimed, const std::string& registered, const std::string& peer,
              const std::string& reason_code);
  void succeeded(const std::string& guard, const std::string& peer);
  // Rows to journal now: first failures, and the summaries of an interval that has ended.
  std::vector<FailureRow> take_rows();

  std::chrono::seconds retry_after() const { return limits_.lockout; }
  std::string metrics_text() const;  // Prometheus text, gate_console_login_*
  std::size_t peers() const { return peers_.size(); }
  std::uint64_t peers_shed() const { return shed_; }

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Bucket {
    double tokens = -1;  // < 0: full (never used)
    TimePoint at{};
    bool take(double rate, double burst, TimePoint now);
  };
  struct Failures {
    int count = 0;
    TimePoint last{}, locked_until{};
    bool locked(TimePoint now) const { return now < locked_until; }
  };
  struct Peer {
    Bucket bucket;
    Failures failures;
    TimePoint last_seen{};
  };
  struct Pair {
    int count = 0;
    bool first_written = false;
    std::set<std::string> reasons;
  };

  void count(Failures& f, TimePoint now);
  Peer& peer(const std::string& address, TimePoint now);
  bool expired(const Peer& p, TimePoint now) const;
  void roll_interval(TimePoint now);
  void push_row(FailureRow row);
  void load();
  void save() const;

  LoginLimits limits_;
  Clock clock_;
  WallClock wall_;
  Bucket all_;
  std::map<std::string, Failures> guards_;  // registered guards only: never evicted
  std::map<std::string, Peer> peers_;       // bounded by max_peers
  std::uint64_t shed_ = 0, rate_limited_ = 0, locked_refusals_ = 0, failures_total_ = 0,
                rows_written_ = 0, rows_folded_ = 0;
  // The current aggregation interval.
  TimePoint interval_start_{};
  std::map<std::pair<std::string, std::string>, Pair> pairs_;
  std::uint64_t interval_refused_ = 0, interval_folded_ = 0;
  std::size_t interval_rows_ = 0;
  std::vector<FailureRow> due_;
};

}  // namespace gk::guard
