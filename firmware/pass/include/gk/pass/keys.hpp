#pragma once
// Issuer keys (Ed25519, libsodium). File formats are specified in FORMAT.md:
//   issuer.key  JSON, mode 0600, holds the 64-byte libsodium secret key; loading refuses
//               a file that group or others can read.
//   issuer.pub  JSON, the public key, its key id, validity and site scope.
#include <filesystem>
#include <string>
#include <vector>

#include "gk/core/errors.hpp"
#include "gk/pass/pass.hpp"

namespace gk {

struct IssuerKeyInfo {
  KeyId id{};
  PublicKey key{};
  UnixTime valid_from = 0;              // 0: no lower bound
  UnixTime valid_until = 0;             // 0: no upper bound
  std::vector<std::string> sites{"*"};  // compounds this key may issue for; "*" = any
  bool operator==(const IssuerKeyInfo&) const = default;
};

// Secret key material; wiped on destruction, never copied implicitly.
class SecretKey {
 public:
  SecretKey() = default;
  explicit SecretKey(const std::array<std::uint8_t, 64>& bytes) : bytes_(bytes) {}
  ~SecretKey();
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;
  const std::array<std::uint8_t, 64>& bytes() const { return bytes_; }

 private:
  std::array<std::uint8_t, 64> bytes_{};
};

struct IssuerKeyPair {
  IssuerKeyInfo info;
  SecretKey secret;
};

// Key id: the first 8 bytes of BLAKE2b-256 over the public key.
KeyId key_id_of(const PublicKey& key);

IssuerKeyPair generate_issuer_key(std::vector<std::string> sites = {"*"}, UnixTime valid_from = 0,
                                  UnixTime valid_until = 0);

// Deterministic key from a 32-byte seed: for published test vectors only.
IssuerKeyPair issuer_key_from_seed(const std::array<std::uint8_t, 32>& seed,
                                   std::vector<std::string> sites = {"*"});

// Writes DIR/<stem>.key (0600, created exclusively: never overwrites) and DIR/<stem>.pub.
DocStatus save_key_pair(const IssuerKeyPair& pair, const std::filesystem::path& dir,
                        const std::string& stem = "issuer");
DocResult<IssuerKeyInfo> load_public_key(const std::filesystem::path& pub_file);
// Refuses a key file readable by group/others (insecure), before reading it.
DocResult<IssuerKeyPair> load_secret_key(const std::filesystem::path& key_file);

std::string public_key_json(const IssuerKeyInfo& info);
// The secret key file's text (keep it in 0600 files only) and its parser, which checks that
// the secret and public halves belong together.
std::string secret_key_json(const IssuerKeyPair& pair);
DocResult<IssuerKeyPair> parse_secret_key_json(std::string_view text);
// Creates `path` with `mode` (O_EXCL: never overwrites), writes and fsyncs `data`; an
// existing file or a failed write is unreadable, with the OS error.
DocStatus write_new_file(const std::filesystem::path& path, const std::string& data, unsigned mode);
DocResult<IssuerKeyInfo> parse_public_key_json(std::string_view json);

}  // namespace gk
