#include "gk/flash/digest.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace gk::flash {

namespace {
const EVP_MD* md_of(HashKind k) {
  switch (k) {
    case HashKind::sha1:
      return EVP_sha1();
    case HashKind::sha256:
      return EVP_sha256();
    case HashKind::sha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}
}  // namespace

std::optional<HashKind> hash_kind_from_name(std::string_view name) {
  if (name == "sha1") return HashKind::sha1;
  if (name == "sha256") return HashKind::sha256;
  if (name == "sha512") return HashKind::sha512;
  return std::nullopt;
}

std::string_view hash_name(HashKind k) {
  switch (k) {
    case HashKind::sha1:
      return "sha1";
    case HashKind::sha256:
      return "sha256";
    case HashKind::sha512:
      return "sha512";
  }
  return "sha256";
}

std::size_t hex_length(HashKind k) {
  switch (k) {
    case HashKind::sha1:
      return 40;
    case HashKind::sha256:
      return 64;
    case HashKind::sha512:
      return 128;
  }
  return 64;
}

struct Hasher::Ctx {
  struct Free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> md{EVP_MD_CTX_new()};
};

Hasher::Hasher(HashKind kind) : ctx_(std::make_unique<Ctx>()), kind_(kind) {
  // Allocation failure inside OpenSSL is a programmer-level fault, not an input error.
  if (!ctx_->md || EVP_DigestInit_ex(ctx_->md.get(), md_of(kind_), nullptr) != 1)
    throw std::runtime_error("OpenSSL digest init failed");
}
Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(std::span<const std::uint8_t> bytes) {
  if (!bytes.empty()) EVP_DigestUpdate(ctx_->md.get(), bytes.data(), bytes.size());
}

void Hasher::update(std::string_view bytes) {
  if (!bytes.empty()) EVP_DigestUpdate(ctx_->md.get(), bytes.data(), bytes.size());
}

std::string Hasher::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_->md.get(), out, &len);
  EVP_DigestInit_ex(ctx_->md.get(), md_of(kind_), nullptr);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Hasher::finish_hex() {
  return to_hex(finish());
}

std::string to_hex(std::string_view raw) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    hex.push_back(digits[c >> 4]);
    hex.push_back(digits[c & 0xf]);
  }
  return hex;
}

std::string sha256_hex(std::string_view bytes) {
  Hasher h(HashKind::sha256);
  h.update(bytes);
  return h.finish_hex();
}

}  // namespace gk::flash
