#pragma once
// The pass on a card: one NDEF record of NFC Forum external type "gk.city:pass" whose
// payload is the signed pass bytes (firmware/pass/FORMAT.md), in an NDEF message TLV on a
// Type 2 tag (NTAG21x / Ultralight) from page 4, after the capability container (page 3).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gk::nfc {

using Bytes = std::vector<std::uint8_t>;

inline constexpr const char* kPassRecordType = "gk.city:pass";

// Tag memory from page 4 on: the NDEF TLV (03 LEN ...), then the terminator TLV (FE).
Bytes encode_pass_tlv(const Bytes& pass);

struct NdefResult {
  std::optional<Bytes> pass;  // set when a pass record was found
  std::string error;          // why not, otherwise ("" with no pass: an empty tag)
};
// Strict: every length bounds-checked against the data; chunked records, unknown TLVs
// beyond the first NDEF message and records of other types are not a pass.
NdefResult parse_pass_tlv(const Bytes& user_memory);

// The capability container for a tag with `user_bytes` of data area (NTAG215: 496).
Bytes capability_container(std::size_t user_bytes);

}  // namespace gk::nfc
