// Signed revocation documents, as they will arrive from upstream.
#include "gk/trust/revocation_document.hpp"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  static gk::TrustStore trust = [] {
    gk::TrustStore t;
    std::array<std::uint8_t, 32> seed{};
    seed.fill(7);
    t.add(gk::issuer_key_from_seed(seed).info);
    return t;
  }();
  auto r = gk::parse_revocation_document(gk::ByteView(data, size), trust);
  if (!r && r.error().detail.empty()) __builtin_trap();
  return 0;
}
