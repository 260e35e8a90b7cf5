// The QR payload parser: any text a camera could decode.
#include <string_view>

#include "gk/pass/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = gk::parse_pass_text(text);
  if (r) {
    // A parsed pass re-encodes to exactly the bytes it came from (strict, canonical format).
    gk::Bytes body = gk::encode_body(r->pass);
    if (body != r->body) __builtin_trap();
  } else if (r.failure().detail.empty()) {
    __builtin_trap();  // every refusal says why
  }
  return 0;
}
