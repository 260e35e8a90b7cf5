#include "id_card.hpp"

#include <random>

namespace pn532 {
namespace {
Bytes sw(std::uint8_t a, std::uint8_t b) {
  return {a, b};
}
}  // namespace

std::optional<IdCard> IdCard::from_hex(std::string_view hex, std::string* error) {
  std::array<std::uint8_t, 8> s{};
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() != 16) {
    if (error) *error = "an ID card serial is 16 hex digits (8 bytes)";
    return std::nullopt;
  }
  for (std::size_t i = 0; i < 8; ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      if (error) *error = "an ID card serial is 16 hex digits (8 bytes)";
      return std::nullopt;
    }
    s[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return IdCard(s);
}

std::optional<Bytes> IdCard::reqb(std::uint8_t afi) {
  // AFI 00 addresses every family; the card answers only its own family (00) otherwise.
  if (state_ == State::halt || (afi != 0x00 && (afi & 0xF0) != 0x00)) return std::nullopt;
  state_ = State::ready;
  challenge_.reset();
  return Bytes{0x50, 0x00, 0x00, 0x00, 0x00, 0xD1, 0x03, 0x86, 0x0C, 0x00, 0x80, 0x80};
}

std::optional<Bytes> IdCard::attrib() {
  if (state_ != State::ready) return std::nullopt;
  state_ = State::active;
  return Bytes{0x08};  // not ISO's 00
}

std::optional<Bytes> IdCard::apdu(const Bytes& c) {
  if (state_ != State::active) return std::nullopt;
  if (c.size() < 4) return sw(0x67, 0x00);  // wrong length
  if (c[0] != 0x00) return sw(0x6E, 0x00);  // class not supported
  const std::uint8_t ins = c[1], p1 = c[2], p2 = c[3];
  const std::optional<std::uint8_t> le =
      c.size() == 5 ? std::optional<std::uint8_t>(c[4]) : std::nullopt;
  switch (ins) {
    case 0x36: {  // the card serial, the one thing readable without a SAM
      if (p1 != 0x00 || p2 != 0x00) return sw(0x6A, 0x86);  // incorrect P1-P2
      if (!le || *le != 0x08) return sw(0x6C, 0x08);        // wrong Le: exactly 08
      Bytes out(serial_.begin(), serial_.end());
      out.push_back(0x90);
      out.push_back(0x00);
      return out;
    }
    case 0x84: {  // GET CHALLENGE: the first half of the SAM's mutual authentication
      if (!le || (*le != 0x04 && *le != 0x08)) return sw(0x67, 0x00);
      std::random_device rd;
      std::array<std::uint8_t, 8> ch{};
      for (auto& b : ch) b = static_cast<std::uint8_t>(rd());
      challenge_ = ch;
      Bytes out(ch.begin(), ch.begin() + *le);
      out.push_back(0x90);
      out.push_back(0x00);
      return out;
    }
    case 0x82:  // EXTERNAL AUTHENTICATE: only the SAM holds the key that answers the challenge
      if (!challenge_) return sw(0x69, 0x85);  // conditions of use not satisfied
      challenge_.reset();
      return sw(0x63, 0x00);  // verification failed
    case 0xB0:                // READ BINARY
    case 0xB2:                // READ RECORD: the personal data, behind the SAM
      return sw(0x69, 0x82);  // security status not satisfied
    case 0xA4:                // SELECT: the file layout is the SAM's business
      return sw(0x6A, 0x82);
    default:
      return sw(0x6D, 0x00);  // instruction not supported
  }
}

}  // namespace pn532
