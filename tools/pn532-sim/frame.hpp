#pragma once
// PN532 host-link frames (user manual §6.2): normal information frames
// 00 00 FF LEN LCS TFI PD0..PDn DCS 00, extended frames 00 00 FF FF FF LENm LENl LCS ...,
// ACK 00 00 FF 00 FF 00 and NACK 00 00 FF FF 00 00. The decoder is a byte-at-a-time state
// machine that skips the wake-up preamble (0x55 ...) and garbage between frames.
#include <cstdint>
#include <optional>
#include <vector>

namespace pn532 {

using Bytes = std::vector<std::uint8_t>;

inline const Bytes kAck{0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00};
inline const Bytes kNack{0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00};

// Encodes TFI + payload (e.g. D5 03 32 01 06 07) as an information frame.
Bytes encode_frame(const Bytes& tfi_and_data);

struct Decoded {
  enum class Kind { information, ack, nack, bad_checksum } kind;
  Bytes body;  // TFI + data for information frames
};

class FrameDecoder {
 public:
  // Feeds one byte; returns a frame when one completes.
  std::optional<Decoded> feed(std::uint8_t b);

 private:
  enum class State { idle, zero1, start_ff, len, len_ext1, len_ext2, lcs, body, dcs, postamble };
  State state_ = State::idle;
  std::size_t len_ = 0;
  std::uint8_t lcs_sum_ = 0;
  Bytes body_;
  bool extended_ = false;
};

}  // namespace pn532
