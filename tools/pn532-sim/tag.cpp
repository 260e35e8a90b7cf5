#include "tag.hpp"

namespace pn532 {

std::optional<Tag> Tag::from_dump(const Bytes& dump, std::string* error) {
  if (dump.size() != 64 && dump.size() != 180 && dump.size() != 540 && dump.size() != 924) {
    if (error)
      *error = "card dump of " + std::to_string(dump.size()) +
               " bytes: expected 64 (Ultralight), 180 (NTAG213), 540 (NTAG215) or 924 (NTAG216)";
    return std::nullopt;
  }
  Tag t;
  t.mem_ = dump;
  return t;
}

std::array<std::uint8_t, 7> Tag::uid() const {
  // Page 0: UID0 UID1 UID2 BCC0; page 1: UID3..UID6; page 2: BCC1 ...
  return {mem_[0], mem_[1], mem_[2], mem_[4], mem_[5], mem_[6], mem_[7]};
}

void set_uid(Bytes& dump, const std::array<std::uint8_t, 7>& uid) {
  dump[0] = uid[0];
  dump[1] = uid[1];
  dump[2] = uid[2];
  dump[3] = static_cast<std::uint8_t>(0x88 ^ uid[0] ^ uid[1] ^ uid[2]);  // CT ^ UID0..2
  for (int i = 0; i < 4; ++i)
    dump[static_cast<std::size_t>(4 + i)] = uid[static_cast<std::size_t>(3 + i)];
  dump[8] = static_cast<std::uint8_t>(uid[3] ^ uid[4] ^ uid[5] ^ uid[6]);
}

std::optional<Bytes> Tag::command(const Bytes& cmd) {
  if (cmd.empty()) return std::nullopt;
  const std::size_t n = pages();
  switch (cmd[0]) {
    case 0x30: {  // READ: 4 pages from the given one, wrapping at the end of memory
      if (cmd.size() < 2 || cmd[1] >= n) return std::nullopt;
      Bytes out;
      // On NTAG21x the last two pages (PWD, PACK) always read as zeros.
      const std::size_t secret_from = n == 16 ? mem_.size() : mem_.size() - 8;
      for (std::size_t i = 0; i < 16; ++i) {
        const std::size_t at = (cmd[1] * 4 + i) % mem_.size();
        out.push_back(at >= secret_from ? 0x00 : mem_[at]);
      }
      return out;
    }
    case 0xA2: {  // WRITE one page; pages 0-1 (UID) and 2's first bytes are read-only
      if (cmd.size() < 6 || cmd[1] >= n || cmd[1] < 2) return std::nullopt;
      std::size_t at = static_cast<std::size_t>(cmd[1]) * 4;
      if (cmd[1] == 2) {
        mem_[at + 2] |= cmd[4];  // lock bytes are OTP: bits can only be set
        mem_[at + 3] |= cmd[5];
      } else if (cmd[1] == 3) {
        for (int i = 0; i < 4; ++i)
          mem_[at + static_cast<std::size_t>(i)] |=
              cmd[static_cast<std::size_t>(2 + i)];  // CC is OTP too
      } else {
        for (int i = 0; i < 4; ++i)
          mem_[at + static_cast<std::size_t>(i)] = cmd[static_cast<std::size_t>(2 + i)];
      }
      return Bytes{};  // ACK (4-bit 0xA): the PN532 reports success with no data
    }
    case 0x60: {  // GET_VERSION: NTAG21x answer; a plain Ultralight stays silent
      if (n == 16) return std::nullopt;
      const std::uint8_t size = n == 45 ? 0x0F : n == 135 ? 0x11 : 0x13;
      return Bytes{0x00, 0x04, 0x04, 0x02, 0x01, 0x00, size, 0x03};
    }
    case 0x3C: {  // READ_SIG: the 32-byte originality signature (a fixed pattern here)
      if (n == 16) return std::nullopt;
      Bytes sig(32);
      for (std::size_t i = 0; i < 32; ++i) sig[i] = static_cast<std::uint8_t>(0xA0 ^ i);
      return sig;
    }
    case 0x50:  // HLTA: no answer by definition
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

}  // namespace pn532
