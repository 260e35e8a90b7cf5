#pragma once
// NFC pass cards through libnfc (pn532_uart, pn532_i2c, pn532_spi, acr122_usb, ... by
// connstring). Each poll asks for an ISO 14443-A card (pass cards, UID-only cards), then for
// an ISO 14443-B one (a resident ID card: its serial through APDU 00 36 00 00 08; a type B
// card that does not answer it is no credential here and is not reported).
// One CardTap per tap: a card that stays in the field is reported once; a card
// removed mid-read is DeviceError::removed; a reader that fails is closed and re-opened on
// a later poll, so an unplugged reader comes back without restarting the daemon.
#include <memory>
#include <string>

#include "gk/hal/devices.hpp"
#include "gk/nfc/ndef.hpp"

namespace gk::nfc {

class LibnfcCardReader final : public hal::CardReader {
 public:
  explicit LibnfcCardReader(std::string connstring);
  ~LibnfcCardReader() override;
  LibnfcCardReader(const LibnfcCardReader&) = delete;
  LibnfcCardReader& operator=(const LibnfcCardReader&) = delete;

  hal::DeviceResult<hal::CardTap> poll() override;
  std::string describe() const override { return "libnfc:" + connstring_; }
  bool open();  // true when the reader is (now) open

  // Technician operations (gatectl card): the card currently in the field.
  struct CardInfo {
    hal::CardTap::Kind kind = hal::CardTap::Kind::iso14443a;
    std::vector<std::uint8_t> uid;
    std::vector<std::uint8_t> id_serial;  // resident ID card: its 8-byte serial
    // "NTAG213", "NTAG215", "NTAG216", "Ultralight", "ISO14443A", "resident_id_card"
    std::string type;
    std::size_t user_bytes = 0;
    Bytes user_memory;  // from page 4
  };
  hal::DeviceResult<CardInfo> read_card();
  // Writes the pass as an NDEF message; refuses a card too small for it.
  hal::DeviceError write_pass(const Bytes& pass, std::string* error);

 private:
  struct Handles;
  hal::DeviceResult<Bytes> read_pages(std::uint8_t first, std::size_t count);
  hal::DeviceResult<CardInfo> select_and_identify();
  hal::DeviceResult<CardInfo> select_type_a();
  hal::DeviceResult<CardInfo> select_id_card();
  void close();
  std::string connstring_;
  std::unique_ptr<Handles> h_;
  std::vector<std::uint8_t> present_;  // UID or serial of the card reported, while it stays
};

}  // namespace gk::nfc
