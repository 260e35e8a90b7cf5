#pragma once
// The operators' API (sync/PROTOCOL.md "Operators"): the people who administer an upstream do
// so over HTTPS with their own Ed25519 keys and roles, under /v1/operator/, and every change
// they make (and every journal they read) is written to the store's audit log first.
// Like UpstreamService, a plain function of a request: no sockets, unit-tested directly.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "gk/net/message.hpp"
#include "gk/sync/auth.hpp"
#include "gk/upstream/store.hpp"

namespace gk::upstream {

inline constexpr std::string_view kOperatorRoutes = "/v1/operator/";
// A district's revocation list published at once is the largest body (200 000 ids: 7 MB of
// JSON, tests/integration/sync/sync_lists.sh). Over HTTPS the listener's own limit
// (ServerLimits::max_body, 5 MiB) is lower and applies first.
inline constexpr std::size_t kMaxOperatorBody = 16u << 20;
// Rows per page of a journal or of the audit log.
inline constexpr std::size_t kDefaultPageRows = 1000, kMaxPageRows = 10'000;

// An operator signs like a device (sync/auth.hpp: method, target, time, nonce, body hash) over
// a string with its own first line, so that no device's signature can ever stand for an
// operator's, nor the other way round, whatever the ids.
std::string operator_canonical_request(std::string_view method, std::string_view target,
                                       std::string_view body, const std::string& operator_id,
                                       UnixTime time, const std::string& nonce);
// The four headers of a signed request: X-GK-Operator, X-GK-Time, X-GK-Nonce, X-GK-Signature.
std::vector<std::pair<std::string, std::string>> sign_operator_request(
    std::string_view method, std::string_view target, std::string_view body,
    const std::string& operator_id, const IssuerKeyPair& key, UnixTime now);
// BLAKE2b-256 of a request body, hex: what the audit log keeps of it.
std::string body_digest(std::string_view body);

// What the operators' API counted since this instance started (GET /metrics).
struct OperatorMetrics {
  std::map<std::string, std::uint64_t> requests;  // "route status" -> count
  std::uint64_t auth_refused = 0;                 // 401: unknown, retired, bad signature, replay
  std::uint64_t forbidden = 0;                    // 403: a role the operator does not hold
  std::uint64_t audit_failures = 0;               // the audit row could not be written
};

class OperatorApi {
 public:
  using Clock = std::function<UnixTime()>;
  using Log = std::function<void(std::string_view event, const std::string& who,
                                 const std::string& detail)>;
  // Called after a device was registered or retired (a server that keeps devices for a
  // while, UpstreamService's DeviceCache, must read it again: a retired device is refused at
  // once on this instance; other instances within their cache's few seconds).
  using DeviceChanged = std::function<void(const std::string& device_id)>;
  OperatorApi(UpstreamStore& store, Clock clock, Log log = {}, DeviceChanged device_changed = {});

  static bool handles(std::string_view target) { return target.starts_with(kOperatorRoutes); }
  // A request signed by an operator (the only way in: gatectl upstream goes by URL too).
  net::Response handle(const net::Request& r);

  // A copy: requests are served on several threads (gate-upstream serve --workers).
  OperatorMetrics metrics() const;
  // The counters in Prometheus text format, for the service's /metrics.
  void write_metrics(std::ostream& out) const;

 private:
  net::Response route(const net::Request& r, const std::string& who, unsigned roles);
  net::Response count(const net::Request& r, net::Response res);
  template <class F>
  void counted(F change) {
    std::lock_guard lock(metrics_mutex_);
    change(metrics_);
  }

  UpstreamStore& store_;
  Clock clock_;
  Log log_;
  DeviceChanged device_changed_;
  PublicKey unknown_operator_key_;  // unknown and retired operators are verified against it
  mutable std::mutex metrics_mutex_;
  OperatorMetrics metrics_;  // under metrics_mutex_
};

// gate-upstream operator add|retire, on the host that holds the database: the root of
// operator trust. Audited as the operator "local", write-ahead like every API change.
DbStatus add_operator_locally(UpstreamStore& store, const Operator& op);
DbStatus retire_operator_locally(UpstreamStore& store, const std::string& id, UnixTime now);
// gatectl provision --register DIR, on the host that holds the reference upstream's folder:
// the device registered (or its key replaced) as the API's register_device does, audited as
// "local" under the same action name, so the audit log shows every device that came to be.
DbStatus register_device_locally(UpstreamStore& store, const Device& d, UnixTime now);

}  // namespace gk::upstream
