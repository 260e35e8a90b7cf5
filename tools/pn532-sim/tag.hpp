#pragma once
// A virtual NTAG213/215/216 (or MIFARE Ultralight) tag: 4-byte pages loaded from a raw
// dump in the layout nfc-mfultralight reads and writes, answering the tag commands a
// reader sends through the PN532 (READ, WRITE, GET_VERSION, READ_SIG).
#include <array>
#include <optional>
#include <string>

#include "frame.hpp"

namespace pn532 {

class Tag {
 public:
  // By size: 64 bytes Ultralight (16 pages), 180 NTAG213, 540 NTAG215, 924 NTAG216.
  static std::optional<Tag> from_dump(const Bytes& dump, std::string* error);
  std::array<std::uint8_t, 7> uid() const;
  const Bytes& memory() const { return mem_; }
  std::size_t pages() const { return mem_.size() / 4; }

  // Returns the tag's answer, or nullopt when the tag stays silent (a NAK/timeout).
  std::optional<Bytes> command(const Bytes& cmd);

 private:
  Bytes mem_;
};

// Computes the BCC bytes of a 7-byte UID into pages 0-2 of a dump (ISO 14443-3 cascade).
void set_uid(Bytes& dump, const std::array<std::uint8_t, 7>& uid);

}  // namespace pn532
