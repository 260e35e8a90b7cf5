#pragma once
// The PN532 as libnfc sees it: a state machine over the commands its pn53x layer sends
// (Diagnose, GetFirmwareVersion, SAMConfiguration, SetParameters, Read/WriteRegister with a
// CIU register map, RFConfiguration, InListPassiveTarget, InDataExchange,
// InCommunicateThru, InRelease, InDeselect, PowerDown), one card in the field (an NTAG21x
// answering at 106 kbps type A, or a resident ID card at 106 kbps type B), and faults.
#include <map>
#include <optional>
#include <string>

#include "frame.hpp"
#include "id_card.hpp"
#include "tag.hpp"

namespace pn532 {

struct Faults {
  int lost_acks = 0;         // the next N commands get neither ACK nor answer
  int bad_checksums = 0;     // the next N answers carry a wrong DCS
  int slow_ms = 0;           // every answer is delayed this long
  int card_gone_after = -1;  // the card leaves after N more tag exchanges
};

struct Reply {
  bool send_ack = true;
  Bytes response;  // full frame, empty: none
  int delay_ms = 0;
};

class Chip {
 public:
  Chip();
  // One information frame from the host (TFI D4, command, params).
  Reply on_frame(const Bytes& body);
  // The host asked for the last answer again.
  Bytes on_nack() const { return last_response_; }

  void place(Tag tag);
  void place(IdCard card);
  // Whatever card is in the field leaves; a tag is handed back (its memory goes to its file).
  std::optional<Tag> remove();
  const Tag* tag() const { return tag_ ? &*tag_ : nullptr; }
  const IdCard* id_card() const { return id_card_ ? &*id_card_ : nullptr; }
  Faults faults;
  std::size_t commands() const { return commands_; }

 private:
  Bytes answer(std::uint8_t cmd, const Bytes& params);
  Bytes tag_exchange(std::uint8_t cmd, const Bytes& params, bool thru);
  std::uint8_t reg(std::uint16_t a) const;

  Bytes list_passive(const Bytes& params);
  Bytes id_card_exchange(const Bytes& apdu);

  std::optional<Tag> tag_;
  std::optional<IdCard> id_card_;
  bool selected_ = false;
  std::map<std::uint16_t, std::uint8_t> registers_;
  Bytes last_response_;
  std::size_t commands_ = 0;
};

// ISO/IEC 14443-3 type A CRC (CRC_A), little-endian result.
std::array<std::uint8_t, 2> crc_a(const std::uint8_t* data, std::size_t size);

}  // namespace pn532
