#pragma once
// NFC pass cards through libnfc (pn532_uart, pn532_i2c, pn532_spi, acr122_usb, ... by
// connstring). One CardTap per tap: a card that stays in the field is reported once; a card
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
    std::vector<std::uint8_t> uid;
    std::string type;  // "NTAG213", "NTAG215", "NTAG216", "Ultralight"
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
  void close();
  std::string connstring_;
  std::unique_ptr<Handles> h_;
  std::vector<std::uint8_t> present_uid_;  // the card already reported, while it stays
};

}  // namespace gk::nfc
