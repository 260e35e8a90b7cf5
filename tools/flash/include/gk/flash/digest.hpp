#pragma once
// Streaming hashes over OpenSSL's EVP interface: the bmap range checksums (SHA-1 in bmap
// 1.3, SHA-256/512 from 2.0) and the SHA-256 of what was written and read back.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace gk::flash {

enum class HashKind { sha1, sha256, sha512 };

std::optional<HashKind> hash_kind_from_name(std::string_view name);  // "sha256", ...
std::string_view hash_name(HashKind k);
std::size_t hex_length(HashKind k);  // length of the lowercase hex digest

class Hasher {
 public:
  explicit Hasher(HashKind kind);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void update(std::span<const std::uint8_t> bytes);
  void update(std::string_view bytes);
  // Raw digest; the hasher is reset afterwards and can be reused for the same kind.
  std::string finish();
  std::string finish_hex();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
  HashKind kind_;
};

std::string to_hex(std::string_view raw);
std::string sha256_hex(std::string_view bytes);

}  // namespace gk::flash
