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
#include <filesystem>
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
// Accepts exactly the server whose leaf certificate carries the pinned key.
std::unique_ptr<boost::asio::ssl::context> client_tls_context(const std::string& pin);

}  // namespace gk::sync
