#include "gk/pass/keys.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gk/core/file.hpp"
#include "gk/core/json_int.hpp"

namespace gk {
namespace {

using nlohmann::json;

void ensure_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium could not initialise");
}

// Writes a file that must not exist yet, with the given mode, fsynced: keys are never
// silently overwritten and never readable by others, not even for an instant.
DocStatus write_new_file_impl(const std::filesystem::path& path, const std::string& data,
                              mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    return doc_error(DocCode::unreadable,
                     path.string() + ": " + std::strerror(errno) +
                         (errno == EEXIST ? " (refusing to overwrite a key)" : ""));
  bool ok = ::fchmod(fd, mode) == 0 &&
            ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) &&
            ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok) return doc_error(DocCode::unreadable, path.string() + ": write failed");
  return Done{};
}

DocResult<std::string> read_small_file(const std::filesystem::path& path) {
  return read_regular_file(path, 64 * 1024);
}

json public_json(const IssuerKeyInfo& info) {
  return json{{"kind", "gk-issuer-public-key"},
              {"version", 1},
              {"key_id", to_hex(info.id)},
              {"public_key", to_hex(info.key)},
              {"valid_from", info.valid_from},
              {"valid_until", info.valid_until},
              {"sites", info.sites}};
}

DocResult<IssuerKeyInfo> public_from_json(const json& j) {
  try {
    if (!j.is_object() || j.at("kind") != "gk-issuer-public-key")
      return doc_error(DocCode::schema, "not a gk-issuer-public-key");
    if (j.at("version") != 1) return doc_error(DocCode::unsupported_version, "public key version");
    IssuerKeyInfo info;
    auto key = fixed_from_hex<32>(j.at("public_key").get<std::string>());
    auto id = fixed_from_hex<8>(j.at("key_id").get<std::string>());
    if (!key) return doc_error(DocCode::schema, "public_key must be 32 bytes of hex");
    if (!id) return doc_error(DocCode::schema, "key_id must be 8 bytes of hex");
    info.key = *key;
    info.id = *id;
    if (info.id != key_id_of(info.key))
      return doc_error(DocCode::schema, "key_id does not match the public key");
    info.valid_from = strict_integer(j.at("valid_from"));
    info.valid_until = strict_integer(j.at("valid_until"));
    info.sites = j.at("sites").get<std::vector<std::string>>();
    if (info.sites.empty()) return doc_error(DocCode::schema, "sites must not be empty");
    return info;
  } catch (const json::exception& e) {
    return doc_error(DocCode::schema, std::string("public key: ") + e.what());
  }
}

}  // namespace

SecretKey::~SecretKey() {
  sodium_memzero(bytes_.data(), bytes_.size());
}
SecretKey::SecretKey(SecretKey&& other) noexcept : bytes_(other.bytes_) {
  sodium_memzero(other.bytes_.data(), other.bytes_.size());
}
SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    bytes_ = other.bytes_;
    sodium_memzero(other.bytes_.data(), other.bytes_.size());
  }
  return *this;
}

KeyId key_id_of(const PublicKey& key) {
  std::array<std::uint8_t, 32> h{};
  crypto_generichash(h.data(), h.size(), key.data(), key.size(), nullptr, 0);
  KeyId id{};
  std::copy_n(h.begin(), id.size(), id.begin());
  return id;
}

IssuerKeyPair generate_issuer_key(std::vector<std::string> sites, UnixTime valid_from,
                                  UnixTime valid_until) {
  ensure_sodium();
  IssuerKeyPair pair;
  std::array<std::uint8_t, 64> sk{};
  crypto_sign_keypair(pair.info.key.data(), sk.data());
  pair.secret = SecretKey(sk);
  sodium_memzero(sk.data(), sk.size());
  pair.info.id = key_id_of(pair.info.key);
  pair.info.sites = std::move(sites);
  pair.info.valid_from = valid_from;
  pair.info.valid_until = valid_until;
  return pair;
}

IssuerKeyPair issuer_key_from_seed(const std::array<std::uint8_t, 32>& seed,
                                   std::vector<std::string> sites) {
  ensure_sodium();
  IssuerKeyPair pair;
  std::array<std::uint8_t, 64> sk{};
  crypto_sign_seed_keypair(pair.info.key.data(), sk.data(), seed.data());
  pair.secret = SecretKey(sk);
  sodium_memzero(sk.data(), sk.size());
  pair.info.id = key_id_of(pair.info.key);
  pair.info.sites = std::move(sites);
  return pair;
}

std::string public_key_json(const IssuerKeyInfo& info) {
  return public_json(info).dump(2) + "\n";
}

DocResult<IssuerKeyInfo> parse_public_key_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return doc_error(DocCode::syntax, "public key is not JSON");
  return public_from_json(j);
}

DocStatus write_new_file(const std::filesystem::path& path, const std::string& data,
                         unsigned mode) {
  return write_new_file_impl(path, data, mode);
}

std::string secret_key_json(const IssuerKeyPair& pair) {
  json secret{{"kind", "gk-issuer-secret-key"},
              {"version", 1},
              {"key_id", to_hex(pair.info.id)},
              {"secret_key", to_hex(pair.secret.bytes())},
              {"public", public_json(pair.info)}};
  return secret.dump(2) + "\n";
}

DocStatus save_key_pair(const IssuerKeyPair& pair, const std::filesystem::path& dir,
                        const std::string& stem) {
  std::string text = secret_key_json(pair);
  DocStatus s = write_new_file_impl(dir / (stem + ".key"), text, 0600);
  sodium_memzero(text.data(), text.size());
  if (!s) return s;
  return write_new_file_impl(dir / (stem + ".pub"), public_key_json(pair.info), 0644);
}

DocResult<IssuerKeyInfo> load_public_key(const std::filesystem::path& pub_file) {
  auto text = read_small_file(pub_file);
  if (!text) return text.error();
  auto info = parse_public_key_json(*text);
  if (!info) return doc_error(info.error().code, pub_file.string() + ": " + info.error().detail);
  return info;
}

DocResult<IssuerKeyPair> load_secret_key(const std::filesystem::path& key_file) {
  ensure_sodium();
  struct stat st {};
  if (::stat(key_file.c_str(), &st) != 0)
    return doc_error(DocCode::unreadable,
                     key_file.string() + ": cannot open: " + std::strerror(errno));
  if (st.st_mode & 077)
    return doc_error(DocCode::insecure,
                     key_file.string() + ": readable by group or others; chmod 600 it first");
  auto text = read_small_file(key_file);
  if (!text) return text.error();
  auto pair = parse_secret_key_json(*text);
  sodium_memzero(text->data(), text->size());
  if (!pair) return doc_error(pair.error().code, key_file.string() + ": " + pair.error().detail);
  return pair;
}

DocResult<IssuerKeyPair> parse_secret_key_json(std::string_view text) {
  ensure_sodium();
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return doc_error(DocCode::syntax, "secret key is not JSON");
  if (!j.is_object() || j.value("kind", "") != "gk-issuer-secret-key")
    return doc_error(DocCode::schema, "not a gk-issuer-secret-key");
  auto pub = public_from_json(j.value("public", json{}));
  if (!pub) return pub.error();
  auto sk = fixed_from_hex<64>(j.value("secret_key", ""));
  if (!sk) return doc_error(DocCode::schema, "secret_key must be 64 bytes of hex");
  PublicKey derived{};
  crypto_sign_ed25519_sk_to_pk(derived.data(), sk->data());
  if (derived != pub->key)
    return doc_error(DocCode::schema, "secret key does not match its public key");
  IssuerKeyPair pair{*pub, SecretKey(*sk)};
  sodium_memzero(sk->data(), sk->size());
  return pair;
}

}  // namespace gk
