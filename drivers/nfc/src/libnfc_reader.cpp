#include "gk/nfc/libnfc_reader.hpp"

#include <nfc/nfc.h>

#include <cstring>

namespace gk::nfc {

// RAII over the libnfc context and device (closed before the context is freed).
struct LibnfcCardReader::Handles {
  nfc_context* ctx = nullptr;
  nfc_device* dev = nullptr;
  ~Handles() {
    if (dev) nfc_close(dev);
    if (ctx) nfc_exit(ctx);
  }
};

LibnfcCardReader::LibnfcCardReader(std::string connstring)
    : connstring_(std::move(connstring)), h_(std::make_unique<Handles>()) {}

LibnfcCardReader::~LibnfcCardReader() = default;

void LibnfcCardReader::close() {
  if (h_->dev) nfc_close(h_->dev);
  h_->dev = nullptr;
}

bool LibnfcCardReader::open() {
  if (h_->dev) return true;
  if (!h_->ctx) nfc_init(&h_->ctx);
  if (!h_->ctx) return false;
  h_->dev = nfc_open(h_->ctx, connstring_.c_str());
  if (!h_->dev) return false;
  if (nfc_initiator_init(h_->dev) < 0) {
    close();
    return false;
  }
  // Poll once per call, never block the event loop waiting for a card.
  nfc_device_set_property_bool(h_->dev, NP_INFINITE_SELECT, false);
  return true;
}

hal::DeviceResult<Bytes> LibnfcCardReader::read_pages(std::uint8_t first, std::size_t count) {
  Bytes out;
  for (std::size_t p = first; out.size() < count * 4; p += 4) {
    std::uint8_t cmd[2] = {0x30, static_cast<std::uint8_t>(p)};
    std::uint8_t rx[16];
    int n = nfc_initiator_transceive_bytes(h_->dev, cmd, 2, rx, sizeof rx, 200);
    // The target gone mid-read: libnfc reports an RF transmission error or timeout.
    if (n == NFC_ERFTRANS || n == NFC_ETIMEOUT || n == NFC_ETGRELEASED)
      return hal::DeviceError::removed;
    if (n < 0) return hal::DeviceError::io;
    if (n != 16) return hal::DeviceError::io;
    out.insert(out.end(), rx, rx + 16);
  }
  out.resize(count * 4);
  return out;
}

hal::DeviceResult<LibnfcCardReader::CardInfo> LibnfcCardReader::select_and_identify() {
  auto a = select_type_a();
  if (hal::has_value(a) || std::get<hal::DeviceError>(a) != hal::DeviceError::not_present) return a;
  return select_id_card();
}

// A resident ID card: REQB with AFI 00 and ATTRIB (both sent by the PN532 for
// InListPassiveTarget at 106 kbps type B; the card's ATTRIB answer is 08, not ISO's 00, which
// the chip and libnfc pass through as the card identifier), then its serial by APDU.
hal::DeviceResult<LibnfcCardReader::CardInfo> LibnfcCardReader::select_id_card() {
  const nfc_modulation mod{NMT_ISO14443B, NBR_106};
  nfc_target target;
  const std::uint8_t afi = 0x00;  // every application family (ISO/IEC 14443-3)
  int found = nfc_initiator_select_passive_target(h_->dev, mod, &afi, 1, &target);
  if (found < 0) {
    close();  // the reader itself failed: re-open on the next poll
    return hal::DeviceError::io;
  }
  if (found == 0) return hal::DeviceError::not_present;
  const std::uint8_t get_serial[5] = {0x00, 0x36, 0x00, 0x00, 0x08};
  std::uint8_t rx[16];
  int n =
      nfc_initiator_transceive_bytes(h_->dev, get_serial, sizeof get_serial, rx, sizeof rx, 300);
  nfc_initiator_deselect_target(h_->dev);
  if (n == NFC_ERFTRANS || n == NFC_ETIMEOUT || n == NFC_ETGRELEASED)
    return hal::DeviceError::removed;
  if (n != 10 || rx[8] != 0x90 || rx[9] != 0x00) return hal::DeviceError::not_present;
  CardInfo info;
  info.kind = hal::CardTap::Kind::resident_id_card;
  info.type = "resident_id_card";
  info.id_serial.assign(rx, rx + 8);
  return info;
}

hal::DeviceResult<LibnfcCardReader::CardInfo> LibnfcCardReader::select_type_a() {
  const nfc_modulation mod{NMT_ISO14443A, NBR_106};
  nfc_target target;
  int found = nfc_initiator_list_passive_targets(h_->dev, mod, &target, 1);
  if (found < 0) {
    close();  // the reader itself failed: re-open on the next poll
    return hal::DeviceError::io;
  }
  if (found == 0) return hal::DeviceError::not_present;
  // list_passive_targets deselects; select the card again to talk to it.
  if (nfc_initiator_select_passive_target(h_->dev, mod, target.nti.nai.abtUid,
                                          target.nti.nai.szUidLen, &target) <= 0)
    return hal::DeviceError::removed;
  CardInfo info;
  info.uid.assign(target.nti.nai.abtUid, target.nti.nai.abtUid + target.nti.nai.szUidLen);
  // Type 2 tags: ATQA 00 44, SAK 00. Anything else (an ID card, a bank card) is UID-only.
  if (target.nti.nai.btSak != 0x00) {
    info.type = "ISO14443A";
    return info;
  }
  std::uint8_t get_version = 0x60;
  std::uint8_t v[8];
  int n = nfc_initiator_transceive_bytes(h_->dev, &get_version, 1, v, sizeof v, 200);
  if (n == 8 && v[2] == 0x04) {
    info.type = v[6] == 0x0F ? "NTAG213" : v[6] == 0x11 ? "NTAG215" : "NTAG216";
    info.user_bytes = v[6] == 0x0F ? 144 : v[6] == 0x11 ? 504 : 888;
  } else {
    // A plain Ultralight does not answer GET_VERSION and drops out: select it again.
    nfc_initiator_select_passive_target(h_->dev, mod, info.uid.data(), info.uid.size(), nullptr);
    info.type = "Ultralight";
    info.user_bytes = 48;
  }
  auto mem = read_pages(4, info.user_bytes / 4);
  if (!hal::has_value(mem)) return std::get<hal::DeviceError>(mem);
  info.user_memory = std::move(std::get<Bytes>(mem));
  return info;
}

hal::DeviceResult<hal::CardTap> LibnfcCardReader::poll() {
  if (!open()) return hal::DeviceError::io;
  auto info = select_and_identify();
  if (!hal::has_value(info)) {
    auto e = std::get<hal::DeviceError>(info);
    if (e == hal::DeviceError::not_present) present_.clear();  // the card left
    return e;
  }
  auto& card = std::get<CardInfo>(info);
  const auto& id = card.kind == hal::CardTap::Kind::resident_id_card ? card.id_serial : card.uid;
  if (id == present_) return hal::DeviceError::not_present;  // same tap, still here
  present_ = id;
  hal::CardTap tap;
  tap.kind = card.kind;
  tap.uid = card.uid;
  tap.id_serial = card.id_serial;
  if (auto ndef = parse_pass_tlv(card.user_memory); ndef.pass) tap.ndef_pass = *ndef.pass;
  if (card.kind == hal::CardTap::Kind::iso14443a) nfc_initiator_deselect_target(h_->dev);
  return tap;
}

hal::DeviceResult<LibnfcCardReader::CardInfo> LibnfcCardReader::read_card() {
  if (!open()) return hal::DeviceError::io;
  return select_and_identify();
}

hal::DeviceError LibnfcCardReader::write_pass(const Bytes& pass, std::string* error) {
  auto info = read_card();
  if (!hal::has_value(info)) return std::get<hal::DeviceError>(info);
  const auto& card = std::get<CardInfo>(info);
  if (card.kind == hal::CardTap::Kind::resident_id_card) {
    if (error) *error = "a resident ID card cannot hold a pass (enrol it instead)";
    return hal::DeviceError::implausible;
  }
  Bytes tlv = encode_pass_tlv(pass);
  if (card.user_bytes == 0 || tlv.size() > card.user_bytes) {
    if (error)
      *error = "the pass needs " + std::to_string(tlv.size()) + " bytes; this " + card.type +
               " holds " + std::to_string(card.user_bytes) + " (use NTAG215 or NTAG216)";
    return hal::DeviceError::implausible;
  }
  // Capability container first (OTP bits: writing the same value again is harmless).
  Bytes cc = capability_container(card.user_bytes);
  std::vector<std::pair<std::uint8_t, Bytes>> writes{{3, cc}};
  tlv.resize((tlv.size() + 3) / 4 * 4, 0x00);
  for (std::size_t i = 0; i < tlv.size(); i += 4)
    writes.push_back(
        {static_cast<std::uint8_t>(4 + i / 4), Bytes(tlv.begin() + i, tlv.begin() + i + 4)});
  for (const auto& [page, data] : writes) {
    std::uint8_t cmd[6] = {0xA2, page, data[0], data[1], data[2], data[3]};
    std::uint8_t rx[4];
    int n = nfc_initiator_transceive_bytes(h_->dev, cmd, sizeof cmd, rx, sizeof rx, 200);
    if (n < 0) {
      if (error)
        *error = "write of page " + std::to_string(page) + " failed: " + nfc_strerror(h_->dev);
      return n == NFC_ERFTRANS || n == NFC_ETIMEOUT ? hal::DeviceError::removed
                                                    : hal::DeviceError::io;
    }
  }
  // Read back what was written: a card pulled away mid-write must not pass for written.
  auto back = read_card();
  if (!hal::has_value(back)) return std::get<hal::DeviceError>(back);
  auto parsed = parse_pass_tlv(std::get<CardInfo>(back).user_memory);
  if (!parsed.pass || *parsed.pass != pass) {
    if (error) *error = "read-back does not match what was written";
    return hal::DeviceError::io;
  }
  return hal::DeviceError::none;
}

}  // namespace gk::nfc
