#pragma once
// A provisioning bundle turns a generic board image into one checkpoint (gatectl provision).
// It is one JSON file, kept 0600 because it carries the device's secret key:
//   {"format":"gk-provision-bundle-v1",
//    "manifest":<GK-DOC-v1 envelope of kind "gk-provision", signed by the provisioning root>,
//    "device_key":<the device's secret key, as in a gatectl keygen .key file>}
// The signed manifest binds the device id and public key to a site, a checkpoint, a board,
// the upstream (URL and pinned TLS key), the upstream's authority key and the pass issuers
// the device trusts at first start. The secret key is outside the signature on purpose: the
// manifest may be shown and archived; the key must match the manifest's public key.
#include <string>
#include <string_view>
#include <vector>

#include "gk/core/errors.hpp"
#include "gk/pass/keys.hpp"
#include "gk/trust/trust_store.hpp"

namespace gk::provision {

inline constexpr std::string_view kManifestKind = "gk-provision";
inline constexpr std::string_view kBundleFormat = "gk-provision-bundle-v1";
inline constexpr std::size_t kMaxBundleBytes = 1024 * 1024;

struct Manifest {
  std::string device_id;
  IssuerKeyInfo device_key;  // the device's public key (its id is the upstream's device key id)
  std::string site;          // compound id
  std::string checkpoint;    // e.g. "莲花北村北门"
  std::string board;         // "sim", "rpi4-pn532", ...
  std::string upstream_url;  // "https://HOST:PORT"
  std::string upstream_pin;  // "sha256:<64 hex>" of the upstream's TLS key
  IssuerKeyInfo authority;   // signs the documents the device pulls (and receives sealed data)
  std::vector<IssuerKeyInfo> issuers;  // pass issuers trusted until a trust list arrives
  UnixTime issued_at = 0;
};

struct Bundle {
  Manifest manifest;
  IssuerKeyPair device;
};

std::string payload_of(const Manifest& m);
DocResult<Manifest> parse_manifest(std::string_view payload);

// The bundle's text; `root` signs the manifest. The caller writes it to a 0600 file.
std::string write_bundle(const Manifest& manifest, const IssuerKeyPair& device,
                         const IssuerKeyPair& root);
// Verifies the manifest against the provisioning roots and that the secret key belongs to
// it. Failures: schema, syntax or too_large (with what), unknown_signer, bad_signature.
DocResult<Bundle> open_bundle(std::string_view text, const TrustStore& roots);

}  // namespace gk::provision
