// Signed sync documents (envelope, then each typed payload parser) from arbitrary bytes.
#include <cstdint>
#include <string>

#include "gk/sync/documents.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static gk::TrustStore authority = [] {
    gk::TrustStore t;
    t.add(gk::generate_issuer_key().info);
    return t;
  }();
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)gk::sync::open_document(text, gk::sync::kind::site_state, authority);
  (void)gk::sync::parse_site_state(text);
  (void)gk::sync::parse_trust_list(text);
  (void)gk::sync::parse_enrolment(text);
  (void)gk::sync::parse_time(text);
  return 0;
}
