// gatectl flash's bmap parser: whatever sits next to an image on a technician's USB stick.
// Every accepted map must be internally consistent, since the writer trusts it for offsets.
#include <string_view>

#include "gk/flash/bmap.hpp"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = gk::flash::parse_bmap(text);
  if (!m) {
    if (m.error().detail.empty()) __builtin_trap();
    return 0;
  }
  std::uint64_t previous_end = 0, mapped = 0;
  for (const auto& r : m->ranges) {
    if (r.first > r.last || r.last >= m->blocks_count || r.first < previous_end) __builtin_trap();
    previous_end = r.last + 1;
    mapped += r.last - r.first + 1;
  }
  if (mapped != m->mapped_blocks_count || m->mapped_bytes() > m->image_size) __builtin_trap();
  return 0;
}
