#pragma once
// TLS for the sync channel: the upstream's self-signed Ed25519 certificate, and its key
// pinned on the device ("sha256:" + hex SHA-256 of the DER SubjectPublicKeyInfo, as in
// HTTP public key pinning). No certificate authority is involved: the pin comes with the
// device's provisioning bundle, so a stolen CA or a corporate proxy cannot impersonate
// the upstream.
// Boost 1.74 asio needs <utility> before its headers.
#include <utility>
// clang-format off
#include <boost/asio/ssl.hpp>
// clang-format on
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "gk/core/errors.hpp"

namespace gk::sync {

// Writes a new Ed25519 key (PEM, 0600, never overwriting) and a self-signed certificate
// valid for ten years. Returns the key's pin; a file that exists or cannot be written is
// document/unreadable, OpenSSL failing to make or sign the key internal/openssl.
Expected<std::string, Fault> make_self_signed_certificate(const std::filesystem::path& key_pem,
                                                          const std::filesystem::path& cert_pem,
                                                          const std::string& common_name);
// The pin of the public key in a PEM certificate file.
DocResult<std::string> certificate_pin(const std::filesystem::path& cert_pem);

// TLS 1.3 only. The server context refuses a key file readable by group or others (insecure).
DocResult<std::unique_ptr<boost::asio::ssl::context>> server_tls_context(
    const std::filesystem::path& cert_pem, const std::filesystem::path& key_pem);
// Accepts exactly the server whose leaf certificate carries the pinned key. The context keeps
// its pin, for peer_matches_pin, and hands the server's session tickets to the
// TlsSessionCache attached to each connection (if any).
std::unique_ptr<boost::asio::ssl::context> client_tls_context(const std::string& pin);
// The connection's peer certificate (after a handshake, full or resumed) carries the pin of
// its client context. A resumed TLS 1.3 handshake sends no certificate, so the verify callback
// never runs: this is the check that still holds the pin then (the session keeps the
// certificate it was first verified with).
bool peer_matches_pin(SSL* ssl);

// The last TLS 1.3 session ticket one client got from its upstream, to resume the next
// connection instead of a full handshake (sync/PROTOCOL.md, "Connections"). A ticket is a
// secret (it resumes the session's keys): it lives in this object's memory only, never on
// disk, and is dropped after any failed handshake that offered it.
class TlsSessionCache {
 public:
  struct Counts {
    std::uint64_t full = 0;         // handshakes without a ticket to offer
    std::uint64_t resumed = 0;      // the upstream accepted the ticket
    std::uint64_t declined = 0;     // offered, the upstream did a full handshake (restarted,
                                    // another instance, ticket expired)
    std::uint64_t failed = 0;       // a handshake that offered a ticket failed (then retried full)
    std::uint64_t pin_refused = 0;  // resumed, but the session's key is not the pin's
  };
  TlsSessionCache();
  ~TlsSessionCache();
  TlsSessionCache(const TlsSessionCache&) = delete;
  TlsSessionCache& operator=(const TlsSessionCache&) = delete;

  // Before a handshake on `ssl`: new tickets on it land here; offers the kept one, if any.
  // True when a ticket was offered.
  bool attach(SSL* ssl);
  // After the handshake succeeded: false (and the ticket dropped) when a resumed session's
  // key does not match the pin. Counts the handshake.
  bool accept(SSL* ssl, bool offered);
  // A handshake that offered the ticket failed: drop it, so the retry is a full handshake.
  void failed();
  void forget();
  bool has_ticket() const { return session_ != nullptr; }
  const Counts& counts() const { return counts_; }

  // For the context's new-session callback: keeps a copy of `session`.
  void keep(SSL_SESSION* session);

 private:
  struct SessionFree {
    void operator()(SSL_SESSION* s) const;
  };
  std::unique_ptr<SSL_SESSION, SessionFree> session_;
  Counts counts_;
};

}  // namespace gk::sync
