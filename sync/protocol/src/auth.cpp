#include "gk/sync/auth.hpp"

#include <sodium.h>

namespace gk::sync {
namespace {
std::string body_hash(std::string_view body) {
  std::array<std::uint8_t, 32> h{};
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const std::uint8_t*>(body.data()),
                     body.size(), nullptr, 0);
  return to_hex(h);
}
}  // namespace

std::string canonical_request(std::string_view method, std::string_view path, std::string_view body,
                              const std::string& device_id, UnixTime time,
                              const std::string& nonce) {
  std::string s = "GK-SYNC-v1\n";
  s.append(method).append("\n").append(path).append("\n");
  s += device_id + "\n" + std::to_string(time) + "\n" + nonce + "\n" + body_hash(body);
  return s;
}

std::string fresh_nonce() {
  std::array<std::uint8_t, 16> nonce{};
  random_fill(nonce);
  return to_hex(nonce);
}

RequestAuth sign_request(std::string_view method, std::string_view path, std::string_view body,
                         const std::string& device_id, const IssuerKeyPair& key, UnixTime now) {
  RequestAuth a;
  a.device_id = device_id;
  a.time = now;
  a.nonce = fresh_nonce();
  const std::string msg = canonical_request(method, path, body, device_id, now, a.nonce);
  Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const std::uint8_t*>(msg.data()),
                       msg.size(), key.secret.bytes().data());
  a.signature = to_hex(sig);
  return a;
}

bool ReplayGuard::first_use(const std::string& device_id, const std::string& nonce, UnixTime time,
                            UnixTime now) {
  std::lock_guard lock(mutex_);
  if (now != forgot_at_) {
    std::erase_if(seen_, [&](const auto& kv) { return kv.second < now - 2 * kMaxClockSkewS; });
    forgot_at_ = now;
  }
  return seen_.try_emplace({device_id, nonce}, time).second;
}

std::size_t ReplayGuard::size() const {
  std::lock_guard lock(mutex_);
  return seen_.size();
}

DocStatus verify_request(std::string_view method, std::string_view path, std::string_view body,
                         const RequestAuth& a, const DeviceKeyLookup& lookup, ReplayGuard& replay,
                         UnixTime now, bool enforce_time) {
  if (a.device_id.empty() || a.device_id.size() > 64)
    return doc_error(DocCode::schema, "device id missing or too long");
  auto nonce = fixed_from_hex<16>(a.nonce);
  auto sig = fixed_from_hex<64>(a.signature);
  if (!nonce || !sig)
    return doc_error(DocCode::schema, "nonce or signature is not hex of the right size");
  auto key = lookup(a.device_id);
  if (!key) return doc_error(DocCode::unknown_signer, "device not registered");
  if (enforce_time && (a.time < now - kMaxClockSkewS || a.time > now + kMaxClockSkewS))
    return doc_error(DocCode::clock, "request time outside the allowed skew");
  const std::string msg = canonical_request(method, path, body, a.device_id, a.time, a.nonce);
  if (crypto_sign_verify_detached(sig->data(), reinterpret_cast<const std::uint8_t*>(msg.data()),
                                  msg.size(), key->data()) != 0)
    return doc_error(DocCode::bad_signature, "request signature does not verify");
  // Checked last, so that a forged request cannot burn a legitimate device's nonce.
  if (enforce_time && !replay.first_use(a.device_id, a.nonce, a.time, now))
    return doc_error(DocCode::replayed, "nonce already used (replay)");
  return Done{};
}

}  // namespace gk::sync
