#include "gk/kiosk/guards.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "gk/core/file.hpp"
#include "gk/core/mask.hpp"

namespace gk {
namespace {
bool valid_pin(std::string_view pin) {
  return pin.size() >= 4 && pin.size() <= 12 &&
         std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; });
}
}  // namespace

DocResult<GuardRegistry> GuardRegistry::read(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0)
    return doc_error(DocCode::unreadable, file.string() + ": " + std::strerror(errno));
  if (st.st_mode & 077)
    return doc_error(DocCode::insecure,
                     file.string() + ": readable by group or others (chmod 600)");
  auto text = read_regular_file(file, kMaxConfigFileBytes);
  if (!text) return text.error();
  std::istringstream in(*text);
  GuardRegistry r;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string id_hex, hash;
    fields >> id_hex >> hash;
    auto id = fixed_from_hex<16>(id_hex);
    if (!id || hash.rfind("$argon2", 0) != 0)
      return doc_error(DocCode::syntax, file.string() + ":" + std::to_string(n) +
                                            ": expected '<pass id hex> <argon2 hash>'");
    r.hashes_[*id] = hash;
  }
  return r;
}

DocResult<GuardRegistry> GuardRegistry::load(const std::filesystem::path& file) {
  auto r = read(file);
  if (r) (void)r->decoy_hash();  // made now, so that the first login is not the slow one
  return r;
}

FaultStatus GuardRegistry::set_pin(const std::filesystem::path& file, const PassId& staff_pass,
                                   std::string_view pin) {
  if (!valid_pin(pin)) return fault(doc_error(DocCode::schema, "a PIN is 4 to 12 digits"));
  GuardRegistry r;
  if (std::filesystem::exists(file)) {
    auto loaded = load(file);
    if (!loaded) return fault(loaded.error());
    r = std::move(*loaded);
  }
  char hash[crypto_pwhash_STRBYTES];
  // Fails only when Argon2id cannot have its 64 MiB: no file is to blame.
  if (crypto_pwhash_str(hash, pin.data(), pin.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return Fault{Layer::internal, "out_of_memory", "hashing the PIN"};
  r.hashes_[staff_pass] = hash;
  const std::string tmp = file.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return fault(doc_error(DocCode::unreadable, tmp + ": cannot create: " + std::strerror(errno)));
  std::string text = "# staff pass id, Argon2id hash of the PIN (gatectl guard add)\n";
  for (const auto& [id, h] : r.hashes_) text += to_hex(id) + " " + h + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return fault(doc_error(DocCode::unreadable, tmp + ": cannot write"));
  std::filesystem::rename(tmp, file);
  return Done{};
}

const std::string& GuardRegistry::decoy_hash() const {
  if (decoy_.empty()) {
    std::array<std::uint8_t, 32> secret{};
    randombytes_buf(secret.data(), secret.size());
    const std::string pin = to_hex(secret);  // 64 hex digits: no 4..12-digit PIN matches
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, pin.data(), pin.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0)
      decoy_ = hash;
  }
  return decoy_;
}

PinCheck GuardRegistry::prepare(std::string_view text, std::string_view pin,
                                const TrustStore& trust, const RevocationList& revocations,
                                const std::string& site, UnixTime now) const {
  // Decide which hash the PIN is checked against; run() checks it exactly once whatever
  // happened here, and returns the reason of the first failure after.
  PinCheck check;
  check.pin_ = std::string(pin);
  check.hash_ = decoy_hash();
  auto pass = verify_pass_text(text, trust, now);
  if (!pass) {
    check.refusal_ = pass.failure();
    return check;
  }
  const Pass& p = pass->pass;
  if (p.role != Role::staff)
    check.refusal_ = fail(Reason::malformed, "not a staff pass");
  else if (p.site != site)
    check.refusal_ = fail(Reason::wrong_site, "a staff pass of another compound");
  else if (revocations.contains(p.id))
    check.refusal_ = fail(Reason::revoked, "staff pass revoked");
  else if (now < p.valid_from || now > p.valid_until)
    check.refusal_ = fail(Reason::expired, "staff pass expired");
  else if (auto it = hashes_.find(p.id); it == hashes_.end())
    check.refusal_ = fail(Reason::malformed, "not a guard of this checkpoint");
  else
    check.hash_ = it->second;
  if (!check.refusal_)
    check.identity_ =
        GuardIdentity{"staff-" + to_hex(p.id).substr(0, 8), mask_name(p.holder_name), p.id};
  return check;
}

Result<GuardIdentity> PinCheck::run(std::string* registered) const {
  const bool pin_ok =
      !hash_.empty() && crypto_pwhash_str_verify(hash_.c_str(), pin_.data(), pin_.size()) == 0;
  if (refusal_) return *refusal_;
  if (!pin_ok) {
    if (registered) *registered = identity_->guard_id;
    return fail(Reason::malformed, "wrong PIN");
  }
  return *identity_;
}

}  // namespace gk
