#include "chip.hpp"

namespace pn532 {
namespace {
constexpr std::uint16_t kTxMode = 0x6302;  // CIU_TxMode: bit 7 TxCRCEn
constexpr std::uint16_t kRxMode = 0x6303;  // CIU_RxMode: bit 7 RxCRCEn
}  // namespace

std::array<std::uint8_t, 2> crc_a(const std::uint8_t* data, std::size_t size) {
  std::uint16_t crc = 0x6363;
  for (std::size_t i = 0; i < size; ++i) {
    std::uint8_t b = data[i];
    b = static_cast<std::uint8_t>(b ^ (crc & 0xFF));
    b = static_cast<std::uint8_t>(b ^ (b << 4));
    crc = static_cast<std::uint16_t>((crc >> 8) ^ (b << 8) ^ (b << 3) ^ (b >> 4));
  }
  return {static_cast<std::uint8_t>(crc & 0xFF), static_cast<std::uint8_t>(crc >> 8)};
}

Chip::Chip() {
  // Power-on values that matter to libnfc: CRC generation and checking on.
  registers_[kTxMode] = 0x80;
  registers_[kRxMode] = 0x80;
}

std::uint8_t Chip::reg(std::uint16_t a) const {
  auto it = registers_.find(a);
  return it == registers_.end() ? 0x00 : it->second;
}

void Chip::place(Tag tag) {
  id_card_.reset();
  tag_ = std::move(tag);
  selected_ = false;
}

void Chip::place(IdCard card) {
  tag_.reset();
  id_card_ = card;
  selected_ = false;
}

std::optional<Tag> Chip::remove() {
  auto t = std::move(tag_);
  tag_.reset();
  id_card_.reset();
  selected_ = false;
  return t;
}

// InListPassiveTarget (MaxTg, BrTy, InitiatorData): user manual §7.3.5. BrTy 00 is 106 kbps
// type A (answer: Tg, SENS_RES, SEL_RES, NFCIDLength, NFCID1); BrTy 03 is 106 kbps type B
// with the AFI as initiator data: the chip sends REQB, then ATTRIB itself, and answers
// Tg, ATQB (12 bytes), ATTRIB_RES length, ATTRIB_RES — as libnfc's pn53x_decode_target_data
// reads it for NMT_ISO14443B.
Bytes Chip::list_passive(const Bytes& p) {
  if (p.size() < 2) return {0x00};
  if (p[1] == 0x00 && tag_) {
    selected_ = true;
    Bytes out{0x01, 0x01, 0x00, 0x44, 0x00, 0x07};
    for (auto b : tag_->uid()) out.push_back(b);
    return out;
  }
  if (p[1] == 0x03 && id_card_) {
    auto atqb = id_card_->reqb(p.size() > 2 ? p[2] : 0x00);
    if (!atqb) return {0x00};
    auto attrib = id_card_->attrib();
    if (!attrib) return {0x00};
    selected_ = true;
    Bytes out{0x01, 0x01};
    out.insert(out.end(), atqb->begin(), atqb->end());
    out.push_back(static_cast<std::uint8_t>(attrib->size()));
    out.insert(out.end(), attrib->begin(), attrib->end());
    return out;
  }
  return {0x00};
}

// InDataExchange to an ISO 14443-4 type B target: the chip wraps the APDU in I-blocks and
// unwraps the answer, so the host sees the APDU and the response APDU only.
Bytes Chip::id_card_exchange(const Bytes& apdu) {
  auto answer = selected_ ? id_card_->apdu(apdu) : std::nullopt;
  if (!answer) return {0x01};  // timeout: the card is not active
  Bytes out{0x00};
  out.insert(out.end(), answer->begin(), answer->end());
  return out;
}

Reply Chip::on_frame(const Bytes& body) {
  ++commands_;
  Reply r;
  if (faults.lost_acks > 0) {
    --faults.lost_acks;
    r.send_ack = false;
    return r;
  }
  if (body.size() < 2 || body[0] != 0xD4) {
    // Application-level error frame (user manual §6.2.1.5): 00 00 FF 01 FF 7F 81 00.
    r.response = {0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00};
    return r;
  }
  Bytes payload{0xD5, static_cast<std::uint8_t>(body[1] + 1)};
  Bytes data = answer(body[1], Bytes(body.begin() + 2, body.end()));
  payload.insert(payload.end(), data.begin(), data.end());
  r.response = encode_frame(payload);
  if (faults.bad_checksums > 0) {
    --faults.bad_checksums;
    r.response[r.response.size() - 2] ^= 0x5A;
  }
  r.delay_ms = faults.slow_ms;
  last_response_ = r.response;
  return r;
}

Bytes Chip::answer(std::uint8_t cmd, const Bytes& p) {
  switch (cmd) {
    case 0x00:  // Diagnose: the communication line test echoes its data
      return p;
    case 0x02:  // GetFirmwareVersion: IC PN532, version 1.6, supports ISO A, B and 18092
      return {0x32, 0x01, 0x06, 0x07};
    case 0x04:  // GetGeneralStatus: no error, field off, no target
      return {0x00, 0x00, 0x00, 0x00};
    case 0x06: {  // ReadRegister: big-endian addresses in pairs, one value each
      Bytes out;
      for (std::size_t i = 0; i + 1 < p.size(); i += 2)
        out.push_back(reg(static_cast<std::uint16_t>(p[i] << 8 | p[i + 1])));
      return out;
    }
    case 0x08:  // WriteRegister: (address high, address low, value) triples
      for (std::size_t i = 0; i + 2 < p.size(); i += 3)
        registers_[static_cast<std::uint16_t>(p[i] << 8 | p[i + 1])] = p[i + 2];
      return {};
    case 0x12:  // SetParameters
    case 0x14:  // SAMConfiguration
      return {};
    case 0x32:  // RFConfiguration; item 01 bit 0 off: the field drops and an ID card resets
      if (p.size() >= 2 && p[0] == 0x01 && !(p[1] & 0x01)) {
        if (id_card_) id_card_->power_off();
        selected_ = false;
      }
      return {};
    case 0x16:  // PowerDown
      return {0x00};
    case 0x4A:
      return list_passive(p);
    case 0x40:  // InDataExchange (Tg, data)
      if (p.empty()) return {0x27};
      return tag_exchange(cmd, Bytes(p.begin() + 1, p.end()), false);
    case 0x42:  // InCommunicateThru (data)
      return tag_exchange(cmd, p, true);
    case 0x44:  // InDeselect (S(DESELECT) to a type B card: it halts)
    case 0x52:  // InRelease
      if (id_card_ && selected_) id_card_->halt();
      selected_ = false;
      return {0x00};
    case 0x50:  // InATR
    case 0x4E:  // InSelect
      return {selected_ ? std::uint8_t{0x00} : std::uint8_t{0x27}};
    default:  // unknown commands: the chip answers with a syntax error frame
      return {0x27};
  }
}

Bytes Chip::tag_exchange(std::uint8_t, const Bytes& data, bool thru) {
  if (faults.card_gone_after == 0) {
    remove();
    faults.card_gone_after = -1;
  }
  if (faults.card_gone_after > 0) --faults.card_gone_after;
  if (id_card_ && !thru) return id_card_exchange(data);
  if (!tag_ || !selected_) return {0x01};  // status: timeout, the target did not answer
  Bytes cmd = data;
  // With InCommunicateThru the CRC is the CIU's business only if TxCRCEn is set; libnfc
  // clears it (NP_HANDLE_CRC off) for raw frames and appends CRC_A itself.
  if (thru && !(reg(kTxMode) & 0x80)) {
    if (cmd.size() < 3) return {0x01};
    auto crc = crc_a(cmd.data(), cmd.size() - 2);
    if (crc[0] != cmd[cmd.size() - 2] || crc[1] != cmd[cmd.size() - 1]) return {0x02};  // CRC
    cmd.resize(cmd.size() - 2);
  }
  auto answer = tag_->command(cmd);
  if (!answer) return {0x01};
  Bytes out{0x00};
  out.insert(out.end(), answer->begin(), answer->end());
  if (thru && !(reg(kRxMode) & 0x80) && !answer->empty()) {
    auto crc = crc_a(answer->data(), answer->size());
    out.push_back(crc[0]);
    out.push_back(crc[1]);
  }
  return out;
}

}  // namespace pn532
