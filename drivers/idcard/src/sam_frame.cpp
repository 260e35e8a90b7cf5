#include "gk/idcard/sam_frame.hpp"

namespace gk::idcard {

Bytes encode_frame(const Bytes& body) {
  Bytes f(std::begin(kPreamble), std::end(kPreamble));
  const std::size_t len = body.size() + 1;  // body and checksum
  const auto hi = static_cast<std::uint8_t>(len >> 8), lo = static_cast<std::uint8_t>(len);
  f.push_back(hi);
  f.push_back(lo);
  std::uint8_t sum = hi ^ lo;
  for (auto b : body) {
    f.push_back(b);
    sum ^= b;
  }
  f.push_back(sum);
  return f;
}

void FrameDecoder::reset() {
  state_ = State::sync;
  matched_ = 0;
  body_.clear();
}

std::optional<Decoded> FrameDecoder::feed(std::uint8_t b) {
  switch (state_) {
    case State::sync:
      if (b == kPreamble[matched_]) {
        if (++matched_ == sizeof kPreamble) {
          state_ = State::len_hi;
          matched_ = 0;
        }
      } else {
        // AA AA AA AA 96 69 is still a preamble: keep the AAs seen.
        matched_ = b == 0xAA ? (matched_ < 3 ? matched_ + 1 : 3) : 0;
      }
      return std::nullopt;
    case State::len_hi:
      len_ = static_cast<std::size_t>(b) << 8;
      sum_ = b;
      state_ = State::len_lo;
      return std::nullopt;
    case State::len_lo:
      len_ |= b;
      sum_ ^= b;
      body_.clear();
      if (len_ == 0 || len_ > kMaxBody + 1) {
        reset();
        return Decoded{Decoded::Kind::too_long, {}};
      }
      state_ = State::body;
      return std::nullopt;
    case State::body:
      body_.push_back(b);
      if (body_.size() < len_) return std::nullopt;
      {
        const std::uint8_t chk = body_.back();
        body_.pop_back();
        std::uint8_t sum = sum_;
        for (auto x : body_) sum ^= x;
        Bytes body = std::move(body_);
        reset();
        if (sum != chk) return Decoded{Decoded::Kind::bad_checksum, {}};
        return Decoded{Decoded::Kind::frame, std::move(body)};
      }
  }
  return std::nullopt;
}

}  // namespace gk::idcard
