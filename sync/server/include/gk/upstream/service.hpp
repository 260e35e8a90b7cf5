#pragma once
// The upstream's HTTP API as a plain function of a request (sync/PROTOCOL.md): no sockets
// here, so every route is unit-tested and fuzzed directly; server.hpp puts it on TLS.
#include <functional>
#include <map>
#include <random>
#include <string>
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
// "http500=0.2 drop_after_commit=0.1 stale_ack=0.2 stall_ms=0" (whitespace or newlines).
Result<Faults> parse_faults(std::string_view text);

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

class UpstreamService {
 public:
  using Clock = std::function<UnixTime()>;
  // One structured log record (a JSON object: event, device, detail, ...).
  using Log = std::function<void(const std::string& json_line)>;
  UpstreamService(UpstreamStore& store, IssuerKeyPair authority, Clock clock, Log log = {});

  Response handle(const Request& request);
  const Metrics& metrics() const { return metrics_; }
  void set_faults(Faults f) { faults_ = f; }
  const IssuerKeyPair& authority() const { return authority_; }
  const OperatorApi& operators() const { return operators_; }

 private:
  Response route(const Request& r, const Device& device);
  Response journal_post(const Request& r, const Device& device);
  Response revocations(const std::map<std::string, std::uint64_t>& q);
  Response signed_doc(std::string_view kind, std::uint64_t have, std::uint64_t number,
                      const std::string& payload);
  bool roll(double p);
  Response metrics_text();
  void log(std::string_view event, const std::string& device, const std::string& detail);

  UpstreamStore& store_;
  IssuerKeyPair authority_;
  Clock clock_;
  PublicKey unknown_device_key_;  // an unknown device is verified against this (no secret)
  sync::ReplayGuard replay_;
  Faults faults_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::map<std::string, std::string> last_ack_;  // per device, for the stale_ack fault
  Log log_;
  Metrics metrics_;
  OperatorApi operators_;  // /v1/operator/...: people, not devices (operators.hpp)
};

}  // namespace gk::upstream
