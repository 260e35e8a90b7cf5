#include "gk/core/id_binding.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace gk {
namespace {
constexpr std::string_view kDomainSerial = "gk.id-card-serial.v1";
constexpr std::string_view kDomainNumber = "gk.id-number.v1";
}  // namespace

IdBindingKey::IdBindingKey() {
  if (sodium_init() < 0) std::abort();
  randombytes_buf(key_.data(), key_.size());
}

IdBindingKey::~IdBindingKey() {
  sodium_memzero(key_.data(), key_.size());
}

Bytes IdBindingKey::bind(IdSource source, ByteView value) const {
  const std::string_view domain = source == IdSource::card_serial ? kDomainSerial : kDomainNumber;
  crypto_generichash_state st;
  crypto_generichash_init(&st, key_.data(), key_.size(), kIdBindingBytes);
  // The domain tag is NUL-terminated so that no value can extend it into the other one.
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(domain.data()),
                            domain.size() + 1);
  crypto_generichash_update(&st, value.data(), value.size());
  Bytes out(kIdBindingBytes);
  crypto_generichash_final(&st, out.data(), out.size());
  return out;
}

DocStatus create_id_binding_key(const std::filesystem::path& file) {
  IdBindingKey key;
  std::string text = to_hex(key.bytes()) + "\n";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return doc_error(DocCode::unreadable, file.string() +
                                              ": cannot create: " + std::strerror(errno) +
                                              (errno == EEXIST ? " (never overwritten)" : ""));
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  sodium_memzero(text.data(), text.size());
  if (!ok) return doc_error(DocCode::unreadable, file.string() + ": write failed");
  return Done{};
}

DocResult<IdBindingKey> load_id_binding_key(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0)
    return doc_error(DocCode::unreadable, file.string() + ": cannot open: " + std::strerror(errno));
  if (st.st_mode & 077)
    return doc_error(DocCode::insecure,
                     file.string() + ": readable by group or others; chmod 600 it first");
  std::ifstream in(file);
  std::string text;
  std::getline(in, text);
  auto k = fixed_from_hex<32>(text);
  sodium_memzero(text.data(), text.size());
  if (!k) return doc_error(DocCode::syntax, file.string() + ": expected 64 hex digits");
  IdBindingKey key(*k);
  sodium_memzero(k->data(), k->size());
  return key;
}

std::string mask_card_serial(ByteView serial) {
  if (serial.size() < 4) return std::string(serial.size() * 2, '*');
  std::string hex = to_hex(serial);
  for (std::size_t i = 2; i + 2 < hex.size(); ++i) hex[i] = '*';
  return hex;
}

std::string mask_full_id_number(std::string_view id) {
  if (id.size() < 10) return std::string(id.size(), '*');
  return std::string(id.substr(0, 4)) + std::string(id.size() - 8, '*') +
         std::string(id.substr(id.size() - 4));
}

}  // namespace gk
