#include "gk/core/mask.hpp"

namespace gk {
namespace {
// Length in bytes of the UTF-8 sequence starting with lead byte c (1 for invalid bytes,
// so that garbage is still walked byte by byte and never overrun).
std::size_t utf8_len(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c >> 5) == 0x6) return 2;
  if ((c >> 4) == 0xE) return 3;
  if ((c >> 3) == 0x1E) return 4;
  return 1;
}
}  // namespace

std::string mask_phone(std::string_view phone) {
  if (phone.size() < 8) return "***";
  return std::string(phone.substr(0, 3)) + "**" + std::string(phone.substr(phone.size() - 4));
}

std::string mask_id_number(std::string_view id) {
  if (id.size() <= 4) return "**";
  return "**" + std::string(id.substr(id.size() - 4));
}

std::string mask_name(std::string_view name) {
  if (name.empty()) return {};
  std::size_t first = utf8_len(static_cast<unsigned char>(name[0]));
  if (first > name.size()) first = name.size();
  return std::string(name.substr(0, first)) + "**";
}

}  // namespace gk
