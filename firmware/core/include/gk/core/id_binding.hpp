#pragma once
// Resident ID cards (二代身份证) as credentials, without keeping what identifies the person.
// A card's serial (readable by any NFC reader) or an ID number (read through a certified
// SAM reader) is never stored or listed: enrolment lists, passes and the kiosk hold only a
// keyed hash of it. The key is the site's own (one per compound, 0600, on the kiosk and at
// the property office that enrols residents), so a list copied from one site reveals no
// serial and matches nothing at another.
#include <array>
#include <filesystem>
#include <string>
#include <string_view>

#include "gk/core/bytes.hpp"
#include "gk/core/errors.hpp"

namespace gk {

// What the hash stands for: the same person's card serial and ID number never collide,
// and neither can be mistaken for the other.
enum class IdSource : std::uint8_t { card_serial = 1, id_number = 2 };

inline constexpr std::size_t kIdBindingBytes = 16;  // pass card binding length for ID cards
inline constexpr std::size_t kIdCardSerialBytes = 8;

class IdBindingKey {
 public:
  IdBindingKey();  // random
  explicit IdBindingKey(const std::array<std::uint8_t, 32>& k) : key_(k) {}
  ~IdBindingKey();
  IdBindingKey(const IdBindingKey&) = default;
  IdBindingKey& operator=(const IdBindingKey&) = default;
  // BLAKE2b-128 keyed with the site key over a domain tag and the value.
  Bytes bind(IdSource source, ByteView value) const;
  const std::array<std::uint8_t, 32>& bytes() const { return key_; }

 private:
  std::array<std::uint8_t, 32> key_{};
};

// The key file: 64 hex digits and a newline, created 0600 and never overwritten; loading
// refuses a file readable by group or others (insecure).
DocStatus create_id_binding_key(const std::filesystem::path& file);
DocResult<IdBindingKey> load_id_binding_key(const std::filesystem::path& file);

// Masked forms for screens and technicians: a serial keeps its first and last byte
// ("D1************3C"), an 18-character ID number its first 4 and last 4
// ("4101**********1234").
std::string mask_card_serial(ByteView serial);
std::string mask_full_id_number(std::string_view id);

}  // namespace gk
