#pragma once
// Device interfaces the kiosk talks to. Real drivers live in drivers/<device>/, simulated
// devices (stateful models with fault injection) in hal/include/gk/hal/sim_*.hpp.
// Error model: devices return values or a DeviceError; they never throw for a device fault.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace gk::hal {

enum class DeviceError : std::uint8_t {
  none = 0,
  timeout,      // the device did not answer in time
  io,           // bus / transport failure (NACK, checksum, unplugged)
  not_present,  // nothing in the field / no frame / device missing
  removed,      // the card left the field mid-read
  implausible,  // a value outside what the device can physically report
};
const char* to_string(DeviceError e);

template <class T>
using DeviceResult = std::variant<T, DeviceError>;

template <class T>
bool has_value(const DeviceResult<T>& r) {
  return r.index() == 0;
}

// A non-owning view of an 8-bit grey frame: the seam between the camera and the decoder.
struct GreyView {
  const std::uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  int stride = 0;  // bytes per row
};

class Camera {
 public:
  virtual ~Camera() = default;
  // Next frame; the view stays valid until the next call. not_present when no frame
  // is available (end of a sim sequence, camera unplugged).
  virtual DeviceResult<GreyView> next_frame() = 0;
  virtual std::string describe() const = 0;
  // Whether an error from next_frame means the camera is failing (the daemon's device
  // watch): a timeout or an I/O error by default. Sources that run dry or hold files
  // decide otherwise (an empty spool, a corrupt image file: the camera is fine).
  virtual bool is_fault(DeviceError e) const {
    return e == DeviceError::timeout || e == DeviceError::io;
  }
  // Whether every frame is a scene of its own that must be decoded, never overtaken by the
  // next one. A live camera repeats a scene for as long as the phone is held up, so its
  // reader may skip frames; a spool of still images delivers each passage as one frame.
  virtual bool frames_are_scenes() const { return false; }
};

// What a tap on the NFC reader yields. An ISO 14443-A card: its UID and, for pass cards,
// the pass bytes read from its NDEF message (empty for UID-only cards). A resident ID card
// (ISO 14443-B, whose PUPI is 00000000 on every card): the 8-byte serial it answers to
// APDU 00 36 00 00 08 — personal data, never journaled or logged in clear.
struct CardTap {
  enum class Kind : std::uint8_t { iso14443a, resident_id_card } kind = Kind::iso14443a;
  std::vector<std::uint8_t> uid;        // ISO 14443-A
  std::vector<std::uint8_t> ndef_pass;  // raw pass payload from the NDEF record, if any
  std::vector<std::uint8_t> id_serial;  // resident ID card over plain NFC
  // Resident ID card on the certified (SAM) reader: the ID number and the end of its
  // validity (unix time of the last valid day's end in China Standard Time; 0: 长期).
  std::string id_number;
  std::int64_t id_valid_until = 0;
};

class CardReader {
 public:
  virtual ~CardReader() = default;
  // Polls once; nullopt-like DeviceError::not_present when no card is in the field.
  virtual DeviceResult<CardTap> poll() = 0;
  virtual std::string describe() const = 0;
};

class Thermometer {
 public:
  virtual ~Thermometer() = default;
  // One object-temperature reading in degrees Celsius: the skin the sensor is aimed at.
  virtual DeviceResult<double> read_celsius() = 0;
  // The sensor's own ambient reading (°C): the skin reading means a body temperature only
  // together with it (gk/policy/body_temperature.hpp).
  virtual DeviceResult<double> read_ambient_celsius() = 0;
  // Which sensor this is, for its calibration record: the chip's ID where it has one.
  virtual std::string identity() { return describe(); }
  virtual std::string describe() const = 0;
};

class Gate {
 public:
  virtual ~Gate() = default;
  // Pulses the relay to release the gate for the given time. Called only after the
  // passage is durably journaled: `journal_seq` names that committed row.
  virtual DeviceError release(std::chrono::milliseconds pulse, std::int64_t journal_seq) = 0;
  virtual std::string describe() const = 0;
};

enum class Tone : std::uint8_t { admit, deny, refer, alarm };

class Indicator {
 public:
  virtual ~Indicator() = default;
  virtual void show(Tone tone) = 0;  // LED colour + buzzer pattern
};

}  // namespace gk::hal
