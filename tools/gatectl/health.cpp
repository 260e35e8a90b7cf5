#include "health.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "gk/journal/journal.hpp"
#include "gk/pass/keys.hpp"
#include "gk/sync/auth.hpp"
#include "gk/sync/documents.hpp"
#include "gk/sync/https_client.hpp"
#include "gk/sync/tls.hpp"
#include "gk/trust/trust_store.hpp"

namespace gatectl {

namespace fs = std::filesystem;

namespace {

Check ok(std::string name, std::string detail) {
  return {std::move(name), "ok", std::move(detail)};
}
Check failed(std::string name, std::string detail) {
  return {std::move(name), "failed", std::move(detail)};
}

// Owns an fd for the write probe.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string errno_text() {
  return std::strerror(errno);
}

}  // namespace

Check check_journal(const fs::path& state_dir, std::int64_t tail_rows) {
  const fs::path file = state_dir / "journal.db";
  // A kiosk that lost its journal is broken (open_read_only never creates one).
  auto journal = gk::Journal::open_read_only(file);
  if (!journal)
    return failed("journal", "cannot open " + file.string() + ": " + journal.error().detail);
  // The one verification every tool uses: integrity_check, then the chain of the newest
  // rows (the whole chain on a year-old journal takes longer than a boot check should; the
  // tail is what an interrupted write or a bad update would have damaged).
  const gk::VerifyReport r = journal->verify(std::max<std::int64_t>(tail_rows, 1));
  if (!r.ok && !r.first_bad_seq) return failed("journal", r.problem);  // the file itself
  if (!r.ok)
    return failed("journal", "chain: row " + std::to_string(*r.first_bad_seq) + ": " + r.problem);
  return ok("journal", "integrity_check ok, chain of the last " + std::to_string(r.rows) +
                           " row(s) verified, head " + std::to_string(journal->head_seq()));
}

Check check_storage(const fs::path& state_dir, std::uint64_t min_free_mb) {
  // A durable write, as the journal does for every passage: create, write, fsync, remove.
  const fs::path probe = state_dir / ".health-write-probe";
  {
    Fd fd(::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (fd.get() < 0)
      return failed("storage",
                    "state dir " + state_dir.string() + " not writable: " + errno_text());
    const char data[] = "gatekeeper health probe\n";
    if (::write(fd.get(), data, sizeof data - 1) != static_cast<ssize_t>(sizeof data - 1) ||
        ::fsync(fd.get()) != 0) {
      const std::string why = errno_text();
      ::unlink(probe.c_str());
      return failed("storage", "write to " + state_dir.string() + " failed: " + why);
    }
  }
  ::unlink(probe.c_str());
  struct statvfs vfs {};
  if (::statvfs(state_dir.c_str(), &vfs) != 0)
    return failed("storage", "statvfs " + state_dir.string() + ": " + errno_text());
  const std::uint64_t free_mb =
      static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize / (1024 * 1024);
  if (free_mb < min_free_mb)
    return failed("storage", std::to_string(free_mb) + " MiB free in " + state_dir.string() +
                                 ", need " + std::to_string(min_free_mb));
  return ok("storage", "writable, " + std::to_string(free_mb) + " MiB free");
}

namespace {

// The error of one time request, or empty with `detail` describing the answer.
std::string ask_time(const gk::SyncConfig& sync, std::string& detail) {
  namespace asio = boost::asio;
  auto endpoint = gk::sync::parse_https_url(sync.url);
  if (!endpoint) return "url: " + endpoint.error().detail;
  auto key = gk::load_secret_key(sync.device_key);
  if (!key) return "device key: " + key.error().detail;
  auto authority_key = gk::load_public_key(sync.authority_key);
  if (!authority_key) return "authority key: " + authority_key.error().detail;
  gk::TrustStore authority;
  authority.add(*authority_key);

  const std::string nonce = gk::sync::fresh_nonce();
  const std::string target = "/v1/time?nonce=" + nonce;
  const auto now = static_cast<gk::UnixTime>(std::time(nullptr));
  auto auth = gk::sync::sign_request("GET", target, "", sync.device_id, *key, now);

  asio::io_context io;
  auto tls = gk::sync::client_tls_context(sync.pin);
  gk::sync::HttpLimits limits;
  limits.timeout = std::chrono::seconds(sync.timeout_s);
  gk::sync::HttpsSession session(io.get_executor(), *tls, *endpoint, limits);
  std::optional<gk::NetResult<gk::sync::HttpResponse>> res;
  // (Built outside the coroutine: GCC 12 miscompiles braced lists inside one.)
  std::vector<std::pair<std::string, std::string>> headers{{"X-GK-Device", auth.device_id},
                                                           {"X-GK-Time", std::to_string(auth.time)},
                                                           {"X-GK-Nonce", auth.nonce},
                                                           {"X-GK-Signature", auth.signature}};
  auto run = [&]() -> asio::awaitable<void> {
    res = co_await session.request(boost::beast::http::verb::get, target, std::move(headers), "");
  };
  asio::co_spawn(io, run(), [&](std::exception_ptr e) {
    if (e && !res) res = gk::net_error(gk::NetCode::io, "request threw");
  });
  io.run();
  if (!res) return "request did not finish";
  if (!*res) return gk::describe(gk::fault(res->error()));
  if ((*res)->status != 200)
    return "HTTP " + std::to_string((*res)->status) + " " + (*res)->body.substr(0, 200);
  auto doc = gk::sync::open_time((*res)->body, nonce, authority);
  if (!doc) return "time answer: " + gk::describe(gk::fault(doc.error()));
  detail = endpoint->host + ":" + endpoint->port + " answered, signed time " +
           std::to_string(doc->time) + " (local clock off by " +
           std::to_string(static_cast<std::int64_t>(now) - doc->time) + " s)";
  return {};
}

}  // namespace

Check check_upstream(const gk::SyncConfig& sync, bool required) {
  if (!sync.enabled())
    return required ? failed("upstream", "required, but the config has no [sync] url")
                    : Check{"upstream", "skipped", "not required: no [sync] in the config"};
  std::string detail;
  const std::string error = ask_time(sync, detail);
  if (error.empty()) return ok("upstream", detail);
  if (required) return failed("upstream", sync.url + ": " + error);
  return {"upstream", "skipped", "not required; " + sync.url + " unreachable: " + error};
}

}  // namespace gatectl
