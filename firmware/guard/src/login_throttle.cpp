#include "gk/guard/login_throttle.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace gk::guard {
namespace {
using nlohmann::json;
using std::chrono::duration_cast;
using std::chrono::seconds;

constexpr std::size_t kMaxPairsPerInterval = 256;
constexpr std::size_t kMaxFileBytes = 1 << 20;

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& v : s) out += (out.empty() ? "" : ",") + v;
  return out;
}
}  // namespace

bool LoginThrottle::Bucket::take(double rate, double burst, TimePoint now) {
  if (tokens < 0) {
    tokens = burst;
  } else {
    const double elapsed = std::chrono::duration<double>(now - at).count();
    tokens = std::min(burst, tokens + std::max(0.0, elapsed) * rate);
  }
  at = now;
  if (tokens < 1) return false;
  tokens -= 1;
  return true;
}

LoginThrottle::LoginThrottle(LoginLimits limits, Clock clock, WallClock wall)
    : limits_(std::move(limits)), clock_(std::move(clock)), wall_(std::move(wall)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
  if (!wall_) wall_ = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
  limits_.max_rows_per_interval = std::max<std::size_t>(limits_.max_rows_per_interval, 2);
  limits_.max_peers = std::max<std::size_t>(limits_.max_peers, 1);
  interval_start_ = clock_();
  load();
}

bool LoginThrottle::expired(const Peer& p, TimePoint now) const {
  const bool bucket_full =
      p.bucket.tokens < 0 ||
      p.bucket.tokens +
              std::chrono::duration<double>(now - p.bucket.at).count() * limits_.peer_per_second >=
          limits_.peer_burst;
  const bool failures_gone =
      !p.failures.locked(now) && (p.failures.count == 0 || now - p.failures.last > limits_.lockout);
  return bucket_full && failures_gone;
}

LoginThrottle::Peer& LoginThrottle::peer(const std::string& address, TimePoint now) {
  if (auto it = peers_.find(address); it != peers_.end()) return it->second;
  if (peers_.size() >= limits_.max_peers) {
    // State that has degraded to nothing goes first; it changes no answer.
    std::erase_if(peers_, [&](const auto& kv) { return expired(kv.second, now); });
  }
  if (peers_.size() >= limits_.max_peers) {
    // Still full: shed the address seen longest ago. Its rate limit and lock-out are lost,
    // which the guard's own lock-out and the console-wide limit still cover; counted.
    auto oldest = std::min_element(peers_.begin(), peers_.end(), [](const auto& a, const auto& b) {
      return a.second.last_seen < b.second.last_seen;
    });
    peers_.erase(oldest);
    ++shed_;
  }
  return peers_[address];
}

void LoginThrottle::count(Failures& f, TimePoint now) {
  // Served lock-outs and failures older than a lock-out are forgotten by themselves.
  if ((f.count >= limits_.max_failed && !f.locked(now)) || now - f.last > limits_.lockout)
    f.count = 0;
  ++f.count;
  f.last = now;
  if (f.count >= limits_.max_failed) f.locked_until = now + limits_.lockout;
}

LoginThrottle::Admission LoginThrottle::admit(const std::string& claimed,
                                              const std::string& address) {
  const auto now = clock_();
  roll_interval(now);
  auto refuse = [&](Admission a) {
    (a == Admission::locked ? locked_refusals_ : rate_limited_)++;
    ++interval_refused_;
    return a;
  };
  if (auto g = guards_.find(claimed); g != guards_.end() && g->second.locked(now))
    return refuse(Admission::locked);
  Peer& p = peer(address, now);
  p.last_seen = now;
  if (p.failures.locked(now)) return refuse(Admission::locked);
  if (!p.bucket.take(limits_.peer_per_second, limits_.peer_burst, now))
    return refuse(Admission::rate_limited);
  if (!all_.take(limits_.all_per_second, limits_.all_burst, now))
    return refuse(Admission::rate_limited);
  return Admission::allowed;
}

void LoginThrottle::failed(const std::string& claimed, const std::string& registered,
                           const std::string& address, const std::string& reason_code) {
  const auto now = clock_();
  roll_interval(now);
  ++failures_total_;
  if (!registered.empty()) count(guards_[registered], now);
  Peer& p = peer(address, now);
  p.last_seen = now;
  count(p.failures, now);

  const auto key = std::make_pair(registered.empty() ? claimed : registered, address);
  auto it = pairs_.find(key);
  if (it == pairs_.end()) {
    if (pairs_.size() >= kMaxPairsPerInterval) {
      ++interval_folded_;
      save();
      return;
    }
    it = pairs_.emplace(key, Pair{}).first;
  }
  Pair& pair = it->second;
  ++pair.count;
  pair.reasons.insert(reason_code);
  // The first failure of a pair is journaled at once (a guard who mistyped sees it), while
  // the interval's budget lasts; one row is always kept for the summary.
  if (!pair.first_written && interval_rows_ + 1 < limits_.max_rows_per_interval) {
    pair.first_written = true;
    pair.count = 0;
    pair.reasons.clear();
    push_row({key.first, "login failed from " + address + ": " + reason_code});
  }
  save();
}

void LoginThrottle::succeeded(const std::string& guard, const std::string& address) {
  guards_.erase(guard);
  if (auto it = peers_.find(address); it != peers_.end()) it->second.failures = {};
  save();
}

void LoginThrottle::push_row(FailureRow row) {
  ++interval_rows_;
  ++rows_written_;
  due_.push_back(std::move(row));
}

void LoginThrottle::roll_interval(TimePoint now) {
  if (now - interval_start_ < limits_.interval) return;
  const std::string span = std::to_string(limits_.interval.count()) + " s";
  interval_start_ = now;
  interval_rows_ = 0;
  std::uint64_t folded_failures = interval_folded_, folded_sources = interval_folded_ ? 1 : 0;
  for (const auto& [key, pair] : pairs_) {
    if (pair.count == 0) continue;
    if (interval_rows_ + 1 < limits_.max_rows_per_interval) {
      push_row({key.first, std::to_string(pair.count) + (pair.first_written ? " more" : "") +
                               " failed login(s) from " + key.second + " in " + span + ": " +
                               join(pair.reasons)});
    } else {
      folded_failures += static_cast<std::uint64_t>(pair.count);
      ++folded_sources;
    }
  }
  if (folded_failures > 0 || interval_refused_ > 0) {
    rows_folded_ += folded_failures;
    push_row({"unknown", std::to_string(folded_failures) + " failed login(s) from " +
                             std::to_string(folded_sources) + " more source(s), " +
                             std::to_string(interval_refused_) +
                             " attempt(s) refused by rate limit or lock-out, in " + span});
  }
  pairs_.clear();
  interval_refused_ = 0;
  interval_folded_ = 0;
}

std::vector<FailureRow> LoginThrottle::take_rows() {
  roll_interval(clock_());
  return std::exchange(due_, {});
}

// The file keeps deadlines as unix seconds; in memory they are on the steady clock.
void LoginThrottle::save() const {
  if (limits_.file.empty()) return;
  const auto now = clock_();
  const std::int64_t wall = wall_();
  auto entry = [&](const Failures& f) {
    return json{{"count", f.count},
                {"last", wall - duration_cast<seconds>(now - f.last).count()},
                {"locked_until", wall + duration_cast<seconds>(f.locked_until - now).count()}};
  };
  json guards = json::object(), peers = json::object();
  for (const auto& [id, f] : guards_)
    if (f.count > 0) guards[id] = entry(f);
  for (const auto& [address, p] : peers_)
    if (p.failures.count > 0 &&
        (p.failures.locked(now) || now - p.failures.last <= limits_.lockout))
      peers[address] = entry(p.failures);
  const std::string text = json{{"guards", guards}, {"peers", peers}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
  const std::string tmp = limits_.file.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;  // the lock-outs still hold in memory
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (ok) ::rename(tmp.c_str(), limits_.file.c_str());
}

void LoginThrottle::load() {
  if (limits_.file.empty()) return;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(limits_.file, ec)) return;
  if (std::filesystem::file_size(limits_.file, ec) > kMaxFileBytes || ec) return;
  std::ifstream in(limits_.file);
  const json j = json::parse(in, nullptr, false);
  if (!j.is_object()) return;
  const auto now = clock_();
  const std::int64_t wall = wall_();
  auto restore = [&](const json& e, Failures& f) {
    if (!e.is_object()) return false;
    const auto count = e.value("count", 0);
    const auto last = e.value("last", std::int64_t{0});
    const auto until = e.value("locked_until", std::int64_t{0});
    if (count <= 0 || count > 1'000'000) return false;
    f.count = count;
    f.last = now - seconds(std::clamp<std::int64_t>(wall - last, 0, 86'400 * 365));
    f.locked_until = now + seconds(std::clamp<std::int64_t>(until - wall, -1, 86'400 * 365));
    return true;
  };
  if (auto g = j.find("guards"); g != j.end() && g->is_object())
    for (const auto& [id, e] : g->items()) {
      Failures f;
      if (restore(e, f)) guards_[id] = f;
    }
  if (auto p = j.find("peers"); p != j.end() && p->is_object())
    for (const auto& [address, e] : p->items()) {
      if (peers_.size() >= limits_.max_peers) break;
      Peer peer;
      if (restore(e, peer.failures)) {
        peer.last_seen = peer.failures.last;
        peers_[address] = peer;
      }
    }
}

std::string LoginThrottle::metrics_text() const {
  const auto now = clock_();
  std::size_t guards_locked = 0, peers_locked = 0;
  for (const auto& [id, f] : guards_) guards_locked += f.locked(now);
  for (const auto& [a, p] : peers_) peers_locked += p.failures.locked(now);
  std::ostringstream o;
  o << "# HELP gate_console_login_refused_total Login attempts refused before the PIN check.\n"
       "# TYPE gate_console_login_refused_total counter\n"
    << "gate_console_login_refused_total{why=\"rate_limit\"} " << rate_limited_ << "\n"
    << "gate_console_login_refused_total{why=\"locked_out\"} " << locked_refusals_ << "\n"
    << "# HELP gate_console_login_failures_total Failed logins (wrong PIN or unusable pass).\n"
       "# TYPE gate_console_login_failures_total counter\n"
    << "gate_console_login_failures_total " << failures_total_ << "\n"
    << "# HELP gate_console_login_rows_total Journal rows written for failed logins.\n"
       "# TYPE gate_console_login_rows_total counter\n"
    << "gate_console_login_rows_total " << rows_written_ << "\n"
    << "# HELP gate_console_login_peers Client addresses with login state held.\n"
       "# TYPE gate_console_login_peers gauge\n"
    << "gate_console_login_peers " << peers_.size() << "\n"
    << "# HELP gate_console_login_peers_shed_total Address states dropped because the table "
       "was full.\n"
       "# TYPE gate_console_login_peers_shed_total counter\n"
    << "gate_console_login_peers_shed_total " << shed_ << "\n"
    << "# HELP gate_console_lockouts Lock-outs in force.\n"
       "# TYPE gate_console_lockouts gauge\n"
    << "gate_console_lockouts{scope=\"guard\"} " << guards_locked << "\n"
    << "gate_console_lockouts{scope=\"address\"} " << peers_locked << "\n";
  return o.str();
}

}  // namespace gk::guard
