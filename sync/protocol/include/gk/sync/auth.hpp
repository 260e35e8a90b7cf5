#pragma once
// Device authentication for the sync protocol (sync/PROTOCOL.md): every request is signed
// with the device's own Ed25519 key over a canonical string that binds method, path, time,
// a random nonce and the body's hash; the server refuses stale times and replayed nonces.
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "gk/core/errors.hpp"
#include "gk/pass/keys.hpp"

namespace gk::sync {

struct RequestAuth {
  std::string device_id;  // X-GK-Device
  UnixTime time = 0;      // X-GK-Time
  std::string nonce;      // X-GK-Nonce, 32 hex digits
  std::string signature;  // X-GK-Signature, 128 hex digits
};

inline constexpr std::int64_t kMaxClockSkewS = 300;

std::string canonical_request(std::string_view method, std::string_view path, std::string_view body,
                              const std::string& device_id, UnixTime time,
                              const std::string& nonce);

// 16 random bytes as 32 hex digits: a request's nonce, or the one a time answer is bound to.
std::string fresh_nonce();

RequestAuth sign_request(std::string_view method, std::string_view path, std::string_view body,
                         const std::string& device_id, const IssuerKeyPair& device_key,
                         UnixTime now);

// Nonces seen within the skew window; older ones are forgotten (their time is refused anyway).
// Safe to use from several threads (a server verifies requests on several at once).
class ReplayGuard {
 public:
  // False when the nonce was already used.
  bool first_use(const std::string& device_id, const std::string& nonce, UnixTime time,
                 UnixTime now);
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, UnixTime> seen_;
  // Forgetting walks every nonce: done once a second of `now`, not once a request.
  UnixTime forgot_at_ = 0;
};

using DeviceKeyLookup = std::function<std::optional<PublicKey>(const std::string& device_id)>;

// Failures: unknown_signer (unknown device), clock (stale or future time), bad_signature,
// schema (headers), replayed (a nonce seen before).
// `enforce_time` false: the signed-time request of a device whose clock is not yet set (no
// real-time clock): the signature still binds it, and the answer is bound to its nonce.
DocStatus verify_request(std::string_view method, std::string_view path, std::string_view body,
                         const RequestAuth& auth, const DeviceKeyLookup& lookup,
                         ReplayGuard& replay, UnixTime now, bool enforce_time = true);

}  // namespace gk::sync
