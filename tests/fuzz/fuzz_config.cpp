// gated's TOML config: whatever a technician (or a broken SD card) leaves in the file.
#include <string_view>

#include "gk/config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = gk::parse_config(text, "fuzz.toml");
  if (!r && r.error().detail.empty()) __builtin_trap();
  return 0;
}
