// Journal batches as the upstream server will receive them from kiosks.
#include <string_view>

#include "gk/sync/batch.hpp"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  auto r = gk::sync::parse_batch(std::string_view(reinterpret_cast<const char*>(data), size));
  if (r) {
    // Whatever parses re-encodes and parses again to the same batch.
    auto again = gk::sync::parse_batch(gk::sync::encode_batch(*r));
    if (!again || again->entries.size() != r->entries.size()) __builtin_trap();
  } else if (r.error().detail.empty()) {
    __builtin_trap();
  }
  return 0;
}
