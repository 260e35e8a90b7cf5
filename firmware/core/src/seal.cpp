#include "gk/core/seal.hpp"

#include <sodium.h>

namespace gk {

std::optional<Bytes> seal_to(const std::array<std::uint8_t, 32>& ed25519_public_key,
                             ByteView plain) {
  std::array<std::uint8_t, crypto_box_PUBLICKEYBYTES> x25519{};
  if (crypto_sign_ed25519_pk_to_curve25519(x25519.data(), ed25519_public_key.data()) != 0)
    return std::nullopt;
  Bytes out(plain.size() + crypto_box_SEALBYTES);
  crypto_box_seal(out.data(), plain.data(), plain.size(), x25519.data());
  return out;
}

std::optional<Bytes> open_sealed(const std::array<std::uint8_t, 64>& ed25519_secret_key,
                                 ByteView sealed) {
  if (sealed.size() < crypto_box_SEALBYTES) return std::nullopt;
  std::array<std::uint8_t, crypto_box_SECRETKEYBYTES> sk{};
  std::array<std::uint8_t, crypto_box_PUBLICKEYBYTES> pk{};
  if (crypto_sign_ed25519_sk_to_curve25519(sk.data(), ed25519_secret_key.data()) != 0 ||
      crypto_scalarmult_base(pk.data(), sk.data()) != 0)
    return std::nullopt;
  Bytes out(sealed.size() - crypto_box_SEALBYTES);
  const int rc =
      crypto_box_seal_open(out.data(), sealed.data(), sealed.size(), pk.data(), sk.data());
  sodium_memzero(sk.data(), sk.size());
  if (rc != 0) return std::nullopt;
  return out;
}

}  // namespace gk
