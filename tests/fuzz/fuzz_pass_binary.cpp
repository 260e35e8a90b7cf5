// The card (NDEF payload) form of a pass: raw bytes.
#include "gk/pass/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  auto r = gk::parse_pass_binary(gk::ByteView(data, size));
  if (r && gk::encode_body(r->pass) != r->body) __builtin_trap();
  if (!r && r.failure().detail.empty()) __builtin_trap();
  return 0;
}
