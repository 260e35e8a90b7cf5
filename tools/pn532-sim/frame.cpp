#include "frame.hpp"

namespace pn532 {

Bytes encode_frame(const Bytes& body) {
  Bytes f{0x00, 0x00, 0xFF};
  const auto len = static_cast<std::uint8_t>(body.size());
  f.push_back(len);
  f.push_back(static_cast<std::uint8_t>(0x100 - len));
  std::uint8_t sum = 0;
  for (auto b : body) {
    f.push_back(b);
    sum = static_cast<std::uint8_t>(sum + b);
  }
  f.push_back(static_cast<std::uint8_t>(0x100 - sum));
  f.push_back(0x00);
  return f;
}

std::optional<Decoded> FrameDecoder::feed(std::uint8_t b) {
  auto reset = [this] { state_ = State::idle; };
  switch (state_) {
    case State::idle:  // wake-up 0x55s, preamble zeros and noise all land here
      if (b == 0x00) state_ = State::zero1;
      return std::nullopt;
    case State::zero1:
      if (b == 0xFF)
        state_ = State::start_ff;
      else if (b != 0x00)
        reset();
      return std::nullopt;
    case State::start_ff:  // LEN, or FF for NACK / extended frames
      if (b == 0xFF) {
        state_ = State::len_ext1;
      } else {
        len_ = b;
        state_ = State::lcs;
      }
      return std::nullopt;
    case State::len_ext1:
      if (b == 0x00) {  // NACK: 00 00 FF FF 00 00 (postamble byte skipped by idle)
        reset();
        return Decoded{Decoded::Kind::nack, {}};
      }
      if (b != 0xFF) {
        reset();
        return std::nullopt;
      }
      state_ = State::len_ext2;  // extended: LENm LENl LCS
      return std::nullopt;
    case State::len_ext2:
      len_ = static_cast<std::size_t>(b) << 8;
      lcs_sum_ = b;
      state_ = State::len;
      return std::nullopt;
    case State::len:
      len_ |= b;
      lcs_sum_ = static_cast<std::uint8_t>(lcs_sum_ + b);
      extended_ = true;
      state_ = State::lcs;
      return std::nullopt;
    case State::lcs: {
      const bool extended = extended_;
      extended_ = false;
      if (!extended && len_ == 0 && b == 0xFF) {  // ACK: 00 00 FF 00 FF 00
        reset();
        return Decoded{Decoded::Kind::ack, {}};
      }
      const std::uint8_t sum = static_cast<std::uint8_t>((extended ? lcs_sum_ : len_) + b);
      if (sum != 0 || len_ == 0) {
        reset();
        return Decoded{Decoded::Kind::bad_checksum, {}};
      }
      body_.clear();
      state_ = State::body;
      return std::nullopt;
    }
    case State::body:
      body_.push_back(b);
      if (body_.size() == len_) state_ = State::dcs;
      return std::nullopt;
    case State::dcs: {
      std::uint8_t sum = b;
      for (auto x : body_) sum = static_cast<std::uint8_t>(sum + x);
      reset();  // the postamble 00 is swallowed by idle
      if (sum != 0) return Decoded{Decoded::Kind::bad_checksum, {}};
      return Decoded{Decoded::Kind::information, std::move(body_)};
    }
    case State::postamble:
      reset();
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace pn532
