#pragma once
// The upstream's HTTP API as a plain function of a request (sync/PROTOCOL.md): no sockets
// here, so every route is unit-tested and fuzzed directly; server.hpp puts it on TLS.
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "gk/net/message.hpp"
#include "gk/sync/auth.hpp"
#include "gk/upstream/operators.hpp"
#include "gk/upstream/store.hpp"

namespace gk::upstream {

inline constexpr std::size_t kRevocationChunkBytes = 1u << 20;

// The request and answer values of gk::net (the one HTTP layer). The upstream uses
// drop_connection and stall_ms of a Response for its fault injection.
using Request = net::Request;
using Response = net::Response;

// Fault injection for the integration tests (gate-upstream --faults FILE): each is a
// probability per request, applied after the request took effect where that matters.
struct Faults {
  double http500 = 0;            // answer 500 without doing anything
  double drop_after_commit = 0;  // journal stored, connection closed before the answer
  double stale_ack = 0;          // answer a journal batch with the device's previous answer
  int stall_ms = 0;              // every answer this late
};
// "http500=0.2 drop_after_commit=0.1 stale_ack=0.2 stall_ms=0" (whitespace or newlines):
// syntax when an item is not KEY=NUMBER, schema for an unknown key or a value out of range.
DocResult<Faults> parse_faults(std::string_view text);

// What this instance counted since it started, for GET /metrics (Prometheus text format).
// Per-device figures are of the devices this instance served; behind a load balancer the
// fleet's view is the max over instances.
struct Metrics {
  std::uint64_t rounds = 0;  // signed-time requests: every device round starts with one
  std::map<std::string, std::uint64_t> requests;  // "route status" -> count
  std::uint64_t batches = 0, batches_refused = 0, passages_ingested = 0, passages_duplicate = 0;
  std::uint64_t auth_refused = 0, store_errors = 0;
  struct DeviceSeen {
    std::int64_t acked = 0;
    UnixTime last_upload = 0;
  };
  std::map<std::string, DeviceSeen> devices;
};

// Registered devices as read from the store, kept for `ttl_s` seconds: every request of a
// round is verified against its device's key, and reading it from the store each time was
// most of a round's store calls. A device re-keyed or moved to another site (gatectl upstream
// register) is served with what it was for at most that long. Unknown devices are not kept
// (they are read again each time), so requests under made-up ids cannot fill it. Safe on
// several threads.
class DeviceCache {
 public:
  static constexpr UnixTime kDefaultTtlS = 5;
  static constexpr std::size_t kMaxDevices = 200'000;  // at the bound it starts over, empty
  explicit DeviceCache(UnixTime ttl_s = kDefaultTtlS) : ttl_s_(ttl_s) {}
  std::optional<Device> find(const std::string& id, UnixTime now) const;
  void keep(const Device& d, UnixTime now);
  // A device an operator registered or retired here: read again at once.
  void forget(const std::string& id);

 private:
  struct Kept {
    Device device;
    UnixTime read_at = 0;
  };
  const UnixTime ttl_s_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Kept> kept_;
};

// handle() may run on several threads at once (gate-upstream calls it on a pool of workers, each
// store call on a connection of its own, see open_store_pool): what the service keeps between
// requests is behind one lock, held for no store call.
class UpstreamService {
 public:
  using Clock = std::function<UnixTime()>;
  // One structured log record (a JSON object: event, device, detail, ...).
  using Log = std::function<void(const std::string& json_line)>;
  UpstreamService(UpstreamStore& store, IssuerKeyPair authority, Clock clock, Log log = {});

  Response handle(const Request& request);
  Metrics metrics() const;
  void set_faults(Faults f);
  const IssuerKeyPair& authority() const { return authority_; }
  const OperatorApi& operators() const { return operators_; }

 private:
  Response route(const Request& r, const Device& device);
  // `nonce` (32 hex, or empty): answer with the round's signed time and heads as well.
  Response journal_post(const Request& r, const Device& device, const std::string& nonce);
  // The gk-time envelope for `nonce`, with the device's heads as the store holds them now.
  std::string signed_time(const Device& device, const std::string& nonce);
  Response revocations(const std::map<std::string, std::uint64_t>& q);
  Response signed_doc(std::string_view kind, std::uint64_t have, std::uint64_t number,
                      const std::string& payload);
  Faults faults() const;
  bool roll(double p);
  bool roll_locked(double p);  // with mutex_ held
  template <class F>
  void count(F&& f) {
    std::lock_guard lock(mutex_);
    f(metrics_);
  }
  Response metrics_text();
  void log(std::string_view event, const std::string& device, const std::string& detail);

  UpstreamStore& store_;
  IssuerKeyPair authority_;
  Clock clock_;
  DeviceCache devices_;
  PublicKey unknown_device_key_;  // an unknown device is verified against this (no secret)
  sync::ReplayGuard replay_;      // safe on several threads by itself
  mutable std::mutex mutex_;      // over faults_, rng_, last_ack_ and metrics_
  Faults faults_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::map<std::string, std::string> last_ack_;  // per device, for the stale_ack fault
  Log log_;
  Metrics metrics_;
  OperatorApi operators_;  // /v1/operator/...: people, not devices (operators.hpp)
};

}  // namespace gk::upstream
