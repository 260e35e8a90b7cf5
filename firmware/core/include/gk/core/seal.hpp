#pragma once
// Personal data a guard registers (a visitor's name and phone, a photo) is sealed on the
// kiosk to the upstream's public key (libsodium sealed box, X25519 derived from the
// upstream's Ed25519 authority key): the kiosk stores and forwards it but cannot read it
// back; only the upstream, holding the secret key, can open it.
#include <array>
#include <optional>

#include "gk/core/bytes.hpp"

namespace gk {

// Empty result never: sealing cannot fail for a valid key; nullopt for an invalid one.
std::optional<Bytes> seal_to(const std::array<std::uint8_t, 32>& ed25519_public_key,
                             ByteView plain);
// The upstream's side: nullopt if the box was not sealed to this key or was altered.
std::optional<Bytes> open_sealed(const std::array<std::uint8_t, 64>& ed25519_secret_key,
                                 ByteView sealed);

}  // namespace gk
