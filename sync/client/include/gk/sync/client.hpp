#pragma once
// The kiosk's side of sync (sync/PROTOCOL.md), on the daemon's event loop: one round pulls
// the signed time, the revocation list (delta or snapshot, in resumable chunks), the site
// state, the trust list and the enrolment list, then pushes the journal until the upstream
// has acknowledged every passage. A steady round asks the time with its first journal batch
// instead, so that a round with passages and no new list is one request. A round's requests share
// one keep-alive connection, kept for the next round after a success (the upstream holds it for
// the device) and closed after a failure; a fresh one resumes the last TLS session
// (sync/PROTOCOL.md, "Connections"). Rounds repeat every interval; a failed round backs off
// exponentially with jitter. Nothing is applied before it is complete and verified, and
// nothing on the device is marked before the upstream acknowledged it.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
// clang-format on
#include <functional>
#include <memory>
#include <random>

#include "gk/config/config.hpp"
#include "gk/hal/clock.hpp"
#include "gk/journal/journal.hpp"
#include "gk/service/supervise.hpp"
#include "gk/sync/documents.hpp"
#include "gk/sync/https_client.hpp"
#include "gk/sync/state.hpp"
#include "gk/trust/revocation_document.hpp"

namespace gk::sync {

// How pulled items reach the daemon. Each is called only with a verified document newer
// than the one in use, and must swap it in whole (or refuse it and keep the old one).
struct SyncHooks {
  std::function<FaultStatus(const TrustListDoc&)> trust_list;
  std::function<FaultStatus(const SiteStateDoc&)> site_state;
  std::function<FaultStatus(const EnrolmentDoc&)> enrolment;
  std::function<FaultStatus(const RevocationDocument&)> revocations;  // persists, then swaps
  std::function<std::uint64_t()> revocation_number;
};

// Why a round failed: the step (time, revocations, site_state, trust_list, enrolment,
// journal) and the failing layer's error: the network (no answer, an HTTP refusal), a
// document (a bad signature, a replayed time answer, an older list), the database.
struct RoundFailure {
  std::string step;
  Fault fault;
};
using RoundResult = Expected<Done, RoundFailure>;
// "time: document/replayed: answer to another request (replayed?)"
std::string describe(const RoundFailure& f);

struct SyncStatus {
  UnixTime last_success = 0, last_attempt = 0;
  std::string last_error;
  std::int64_t acked = 0, head = 0;
  std::int64_t backlog() const { return head - acked; }
  // Seconds since each list was last confirmed current; -1: never.
  std::int64_t age_revocations = -1, age_site_state = -1, age_trust_list = -1;
  bool stale = false;
  bool clock_trusted = false;
  std::uint64_t revocation_number = 0;
  // The round's TLS connections: full handshakes, resumed ones, and resumptions that fell
  // back to a full handshake (declined by the upstream, failed, or refused by the pin).
  TlsSessionCache::Counts tls;
  // Its connections: kept between rounds after a success, replaced when found closed.
  ConnectionCounts connections;
};
std::string status_json(const SyncStatus& s);

class SyncClient {
 public:
  // Fails as network/bad_url (config.url) or with the key files' document errors.
  static Expected<std::unique_ptr<SyncClient>, Fault> create(boost::asio::io_context& io,
                                                             const SyncConfig& config,
                                                             Journal& journal, SyncState& state,
                                                             hal::TrustedClock& clock,
                                                             SyncHooks hooks);
  // Re-applies the documents stored by earlier rounds (after verifying them again).
  FaultStatus restore();
  // One full round. Failures name the step that failed and the layer's error.
  boost::asio::awaitable<RoundResult> round();
  // Rounds forever: every interval after a success, backing off after a failure.
  // `on_round` sees each outcome (the daemon logs it and refreshes the kiosk's grading).
  // Supervised (service::spawn): an exception in a step ends that round, is reported to
  // `on_failure` with the step's name, and the loop starts again after the backoff.
  void start(std::function<void(const RoundResult&)> on_round,
             service::TaskFailureHandler on_failure);
  void stop();
  // Fault injection for tests: called at the start of every step with its name (time,
  // revocations, site_state, trust_list, enrolment, journal); whatever it throws is treated
  // as that step failing unexpectedly.
  void set_step_probe(std::function<void(const std::string&)> probe) { probe_ = std::move(probe); }

  SyncStatus status() const;
  bool lists_stale() const { return status().stale; }
  std::chrono::seconds next_backoff();  // exposed for tests of the schedule

 private:
  SyncClient(boost::asio::io_context& io, const SyncConfig& config, Journal& journal,
             SyncState& state, hal::TrustedClock& clock, SyncHooks hooks);
  boost::asio::awaitable<NetResult<HttpResponse>> call(boost::beast::http::verb method,
                                                       std::string target, std::string body = {});
  // Where an upload starts and what its first batch asks: from the signed heads' mark (the
  // round began with the time); with_time, from the mark this device recorded, the first
  // batch bringing the round's time and heads (a steady round); continued, the rest of a
  // steady round's journal after its lists.
  enum class Upload { from_heads, with_time, continued };
  // Verifies a time envelope bound to `nonce`, anchors the clock to it and takes its heads.
  RoundResult take_time(std::string_view envelope, const std::string& nonce);
  boost::asio::awaitable<RoundResult> pull_time();
  boost::asio::awaitable<RoundResult> pull_revocations();
  boost::asio::awaitable<RoundResult> pull_document(std::string_view kind, std::string_view list,
                                                    std::string path,
                                                    std::uint64_t RoundHeads::*head);
  boost::asio::awaitable<RoundResult> push_journal(Upload how);
  boost::asio::awaitable<RoundResult> step(
      std::string name, std::function<boost::asio::awaitable<RoundResult>()> body);
  FaultStatus apply_document(std::string_view kind, const std::string& envelope, bool restoring);
  boost::asio::awaitable<void> loop(std::function<void(const RoundResult&)> on_round);

  boost::asio::io_context& io_;
  SyncConfig config_;
  Journal& journal_;
  SyncState& state_;
  hal::TrustedClock& clock_;
  SyncHooks hooks_;
  IssuerKeyPair device_key_;
  TrustStore authority_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  TlsSessionCache tickets_;  // before session_: the session's connections point to it
  std::unique_ptr<HttpsSession> session_;
  // This round's signed heads (from the time document): the pulls they show current are
  // skipped. Empty when the upstream sent none (an older one, or its store unreadable).
  std::optional<RoundHeads> heads_;
  boost::asio::steady_timer timer_;
  int failures_ = 0;
  bool last_round_ok_ = false;  // the last round (in this process) succeeded to its end
  bool stopped_ = false;
  std::function<void(const std::string&)> probe_;
  std::unique_ptr<service::Supervised> task_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace gk::sync
