#pragma once
// A resident ID card (二代身份证) as a PN532 sees it over ISO/IEC 14443-B at 106 kbps:
// - REQB (AFI 00) is answered with an ATQB whose PUPI is 00 00 00 00 on every card
//   (50 00 00 00 00 D1 03 86 0C 00 80 80): the PUPI identifies nothing;
// - ATTRIB is answered with the single byte 08 where ISO/IEC 14443-3 expects MBLI|CID = 00
//   (the PN532 passes it on as ATTRIB_RES; libnfc keeps it as the card identifier);
// - APDU 00 36 00 00 08 returns the card's 8-byte serial and 90 00;
// - without the Ministry of Public Security's SAM nothing else is readable: GET CHALLENGE
//   works, every EXTERNAL AUTHENTICATE fails (63 00; 69 85 without a challenge first),
//   READ BINARY / READ RECORD answer 69 82 (security status not satisfied), SELECT 6A 82.
// Power states as in ISO/IEC 14443-3: idle -> (REQB) ready -> (ATTRIB) active ->
// (DESELECT / HLTB) halt, where REQB is no longer answered until the field is switched off
// or the card leaves: one placement, one read.
#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "frame.hpp"

namespace pn532 {

class IdCard {
 public:
  explicit IdCard(const std::array<std::uint8_t, 8>& serial) : serial_(serial) {}
  static std::optional<IdCard> from_hex(std::string_view hex16, std::string* error);

  // REQB with this AFI: the ATQB, or silence (halted, or another application family).
  std::optional<Bytes> reqb(std::uint8_t afi);
  // ATTRIB after a REQB: the card's one-byte answer (08), now active.
  std::optional<Bytes> attrib();
  // An APDU to an active card: its answer with the status word; nullopt when not active.
  std::optional<Bytes> apdu(const Bytes& command);
  void halt() { state_ = State::halt; }
  void power_off() { state_ = State::idle; }  // the field went off: the card resets
  bool active() const { return state_ == State::active; }
  const std::array<std::uint8_t, 8>& serial() const { return serial_; }

 private:
  enum class State { idle, ready, active, halt };
  std::array<std::uint8_t, 8> serial_;
  State state_ = State::idle;
  std::optional<std::array<std::uint8_t, 8>> challenge_;
};

}  // namespace pn532
