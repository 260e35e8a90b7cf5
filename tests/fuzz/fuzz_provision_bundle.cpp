// Provisioning bundles (outer JSON, signed manifest envelope, device key) and manifest
// payloads from arbitrary bytes: refused with a reason, never a crash.
#include <cstdint>
#include <string>

#include "gk/provision/bundle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static gk::TrustStore roots = [] {
    gk::TrustStore t;
    t.add(gk::generate_issuer_key().info);
    return t;
  }();
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)gk::provision::open_bundle(text, roots);
  if (auto m = gk::provision::parse_manifest(text))
    (void)gk::provision::parse_manifest(gk::provision::payload_of(*m));  // round trip
  return 0;
}
