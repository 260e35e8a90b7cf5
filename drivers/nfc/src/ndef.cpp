#include "gk/nfc/ndef.hpp"

#include <cstring>

namespace gk::nfc {
namespace {
constexpr std::uint8_t kTnfExternal = 0x04;
constexpr std::uint8_t kMb = 0x80, kMe = 0x40, kCf = 0x20, kSr = 0x10, kIl = 0x08;
}  // namespace

Bytes capability_container(std::size_t user_bytes) {
  // Magic E1, mapping version 1.0, data area size / 8, read/write access.
  return {0xE1, 0x10, static_cast<std::uint8_t>(user_bytes / 8), 0x00};
}

Bytes encode_pass_tlv(const Bytes& pass) {
  const std::size_t type_len = std::strlen(kPassRecordType);
  Bytes record;
  const bool short_record = pass.size() < 256;
  record.push_back(kMb | kMe | (short_record ? kSr : 0) | kTnfExternal);
  record.push_back(static_cast<std::uint8_t>(type_len));
  if (short_record) {
    record.push_back(static_cast<std::uint8_t>(pass.size()));
  } else {
    for (int s = 24; s >= 0; s -= 8) record.push_back(static_cast<std::uint8_t>(pass.size() >> s));
  }
  record.insert(record.end(), kPassRecordType, kPassRecordType + type_len);
  record.insert(record.end(), pass.begin(), pass.end());

  Bytes tlv{0x03};
  if (record.size() < 0xFF) {
    tlv.push_back(static_cast<std::uint8_t>(record.size()));
  } else {
    tlv.push_back(0xFF);
    tlv.push_back(static_cast<std::uint8_t>(record.size() >> 8));
    tlv.push_back(static_cast<std::uint8_t>(record.size() & 0xFF));
  }
  tlv.insert(tlv.end(), record.begin(), record.end());
  tlv.push_back(0xFE);
  return tlv;
}

NdefResult parse_pass_tlv(const Bytes& m) {
  std::size_t i = 0;
  while (i < m.size()) {
    const std::uint8_t t = m[i++];
    if (t == 0x00) continue;                   // NULL TLV
    if (t == 0xFE) return {std::nullopt, ""};  // terminator: no NDEF message
    if (i >= m.size()) return {std::nullopt, "TLV length missing"};
    std::size_t len = m[i++];
    if (len == 0xFF) {
      if (i + 2 > m.size()) return {std::nullopt, "TLV length truncated"};
      len = static_cast<std::size_t>(m[i]) << 8 | m[i + 1];
      i += 2;
    }
    if (len > m.size() - i) return {std::nullopt, "TLV longer than the tag memory"};
    if (t != 0x03) {  // lock/memory control TLVs: skip
      i += len;
      continue;
    }
    const Bytes rec(m.begin() + static_cast<std::ptrdiff_t>(i),
                    m.begin() + static_cast<std::ptrdiff_t>(i + len));
    if (rec.empty()) return {std::nullopt, ""};  // an empty NDEF message
    std::size_t r = 0;
    const std::uint8_t h = rec[r++];
    if (!(h & kMb)) return {std::nullopt, "first record without MB"};
    if (h & kCf) return {std::nullopt, "chunked records are not a pass"};
    if ((h & 0x07) != kTnfExternal) return {std::nullopt, "record is not an external type"};
    if (r >= rec.size()) return {std::nullopt, "record header truncated"};
    const std::size_t type_len = rec[r++];
    std::size_t payload_len = 0;
    const std::size_t plen_bytes = (h & kSr) ? 1 : 4;
    if (r + plen_bytes > rec.size()) return {std::nullopt, "payload length truncated"};
    for (std::size_t k = 0; k < plen_bytes; ++k) payload_len = payload_len << 8 | rec[r++];
    std::size_t id_len = 0;
    if (h & kIl) {
      if (r >= rec.size()) return {std::nullopt, "id length truncated"};
      id_len = rec[r++];
    }
    if (type_len > rec.size() - r) return {std::nullopt, "type longer than the record"};
    const std::string type(rec.begin() + static_cast<std::ptrdiff_t>(r),
                           rec.begin() + static_cast<std::ptrdiff_t>(r + type_len));
    r += type_len;
    if (id_len > rec.size() - r) return {std::nullopt, "id longer than the record"};
    r += id_len;
    if (payload_len > rec.size() - r) return {std::nullopt, "payload longer than the record"};
    if (type != kPassRecordType) return {std::nullopt, "record type '" + type + "' is not a pass"};
    return {Bytes(rec.begin() + static_cast<std::ptrdiff_t>(r),
                  rec.begin() + static_cast<std::ptrdiff_t>(r + payload_len)),
            ""};
  }
  return {std::nullopt, "no terminator TLV"};
}

}  // namespace gk::nfc
