#pragma once
// Frames of the certified ID-card reader module (the Ministry of Public Security's SAM
// module, "SAM_V" serial protocol): preamble AA AA AA 96 69, a two-byte big-endian length of
// what follows, then the body and a checksum that is the XOR of the length bytes and the
// body. Host to module the body is CMD PARA [data]; module to host it is SW1 SW2 SW3 [data],
// SW3 being the module's own status (90 success, 9F card found, 80 no card, 41 read failure,
// 31 / 32 authentication failures, 10 checksum error ...).
#include <cstdint>
#include <optional>
#include <vector>

namespace gk::idcard {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::uint8_t kPreamble[5] = {0xAA, 0xAA, 0xAA, 0x96, 0x69};
inline constexpr std::size_t kMaxBody = 4096;  // a text+photo+fingerprint answer is 2.3 KB

// Preamble, length, body, checksum.
Bytes encode_frame(const Bytes& body);

struct Decoded {
  enum class Kind { frame, bad_checksum, too_long } kind;
  Bytes body;
};

// Byte at a time: skips anything before a preamble (noise, a half frame), so that a
// partial frame followed by a whole one yields the whole one.
class FrameDecoder {
 public:
  std::optional<Decoded> feed(std::uint8_t b);
  void reset();
  bool idle() const { return state_ == State::sync && matched_ == 0; }

 private:
  enum class State { sync, len_hi, len_lo, body };
  State state_ = State::sync;
  std::size_t matched_ = 0;  // preamble bytes seen
  std::size_t len_ = 0;
  std::uint8_t sum_ = 0;
  Bytes body_;
};

// Module status words (SW3).
enum class SamStatus : std::uint8_t {
  ok = 0x90,
  card_found = 0x9F,
  bad_checksum = 0x10,
  bad_length = 0x11,
  bad_command = 0x21,
  card_auth_failed = 0x31,    // the card did not authenticate the module
  reader_auth_failed = 0x32,  // the module did not authenticate the card
  read_failed = 0x41,
  no_card = 0x80,
  select_failed = 0x81,
};

}  // namespace gk::idcard
