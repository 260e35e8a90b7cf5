// A Type 2 tag's user memory (from page 4) as the card reader hands it over: the NDEF/TLV
// parser, then the pass decoder on whatever payload it extracts, as on a tap. Also the
// writer's side: any byte string written as a pass must parse back to itself.
#include <cstdint>

#include "gk/nfc/ndef.hpp"
#include "gk/pass/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const gk::nfc::Bytes memory(data, data + size);
  const auto r = gk::nfc::parse_pass_tlv(memory);
  if (r.pass) {
    // The payload is a slice of the tag memory: it cannot be longer than what was read.
    if (r.pass->size() > size || !r.error.empty()) __builtin_trap();
    auto decoded = gk::parse_pass_binary(gk::ByteView(r.pass->data(), r.pass->size()));
    if (!decoded && decoded.failure().detail.empty()) __builtin_trap();
  }

  // Round trip: what `gatectl card write` puts on a card reads back as the same bytes.
  // Passes longer than kMaxPassBytes are refused before they are ever written.
  if (size > gk::kMaxPassBytes) return 0;
  const auto tlv = gk::nfc::encode_pass_tlv(memory);
  const auto back = gk::nfc::parse_pass_tlv(tlv);
  if (!back.pass || *back.pass != memory) __builtin_trap();
  return 0;
}
