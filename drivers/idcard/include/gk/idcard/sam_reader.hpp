#pragma once
// The certified ID-card reader module on a serial line (UART, 115200 8N1 by default; the
// module's baud rate can be 9600 to 115200). One read is the module's three steps: find the
// card (20 01), select it (20 02), read text and photo (30 01). Each command waits for its
// answer within a bound; a bad checksum on an answer is asked again once; a half frame is a
// timeout; a line that hangs up (USB module unplugged) is closed and re-opened on the next
// read, so the module comes back without restarting anything.
#include <chrono>
#include <string>
#include <string_view>
#include <variant>

#include "gk/hal/devices.hpp"
#include "gk/hal/unique_fd.hpp"
#include "gk/idcard/id_record.hpp"
#include "gk/idcard/sam_frame.hpp"

namespace gk::idcard {

// "serial:PATH[:BAUD]".
struct SerialSpec {
  std::string path;
  int baud = 115200;
};
std::optional<SerialSpec> parse_serial_device(std::string_view device);

// Why a read gave no record: the device error, and the module's status when it sent one.
struct ReadError {
  hal::DeviceError error = hal::DeviceError::io;
  std::uint8_t status = 0;  // SW3, 0 when the module did not answer
  std::string what;
};

class SamReader {
 public:
  explicit SamReader(SerialSpec spec,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(1500));
  std::variant<IdRecord, ReadError> read_card();
  // The module answers its status check (11 FF): opened and working.
  std::optional<ReadError> probe();
  std::string describe() const { return "serial:" + spec_.path + ":" + std::to_string(spec_.baud); }

 private:
  struct Answer {
    std::uint8_t sw3;
    Bytes data;
  };
  std::variant<Answer, ReadError> command(std::uint8_t cmd, std::uint8_t para);
  std::variant<Answer, ReadError> exchange(const Bytes& frame);
  bool open();
  void close() { fd_.reset(); }

  SerialSpec spec_;
  std::chrono::milliseconds timeout_;
  hal::UniqueFd fd_;
};

// The module as a card reader for the kiosk: a card placed on it is one CardTap
// (kind resident_id_card, with the ID number and validity end only), reported once while
// it stays; "no card" is not_present.
class SamCardReader final : public hal::CardReader {
 public:
  explicit SamCardReader(SerialSpec spec) : reader_(std::move(spec)) {}
  hal::DeviceResult<hal::CardTap> poll() override;
  std::string describe() const override { return "sam:" + reader_.describe(); }
  std::optional<ReadError> probe() { return reader_.probe(); }

 private:
  SamReader reader_;
  std::string present_;  // keyed by nothing stored: cleared when the card leaves
};

}  // namespace gk::idcard
