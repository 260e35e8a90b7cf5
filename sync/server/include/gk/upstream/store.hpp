#pragma once
// The reference upstream's state in one SQLite file (WAL, synchronous=FULL): registered
// devices, every device's journal (keyed by device and seq, so a re-sent batch is
// recognised), the revocation list with the list number each change came in, site states,
// enrolments and the trust list. `gatectl upstream ...` changes it while `gate-upstream`
// serves it: every request reads the current state.
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gk/core/sqlite.hpp"
#include "gk/pass/keys.hpp"
#include "gk/sync/batch.hpp"
#include "gk/sync/documents.hpp"
#include "gk/trust/revocation_document.hpp"

namespace gk::upstream {

struct Device {
  std::string id;
  PublicKey key{};
  std::string site;
  std::string checkpoint;
};

// What the server says after a journal batch: the contiguous high-water mark.
struct Ack {
  std::int64_t acked = 0;
  std::size_t accepted = 0;    // new passages stored by this batch
  std::size_t duplicates = 0;  // already held (identical hash): dropped
};

struct StoredPassage {
  std::int64_t seq = 0;
  std::string hash;
  std::string entry_json;  // the entry as it arrived
};

class UpstreamStore {
 public:
  static Result<UpstreamStore> open(const std::filesystem::path& file);

  // Devices.
  Status register_device(const Device& d);
  std::optional<Device> device(const std::string& id) const;
  std::vector<Device> devices() const;

  // Journals. A batch must continue the device's chain: entries at or below the mark are
  // duplicates (their hash must match what is stored), the first new one must be
  // mark + 1 and link to the stored hash. All or nothing per batch.
  Result<Ack> receive(const sync::JournalBatch& batch, UnixTime now);
  std::int64_t acked(const std::string& device_id) const;
  std::vector<StoredPassage> journal(const std::string& device_id, std::int64_t after_seq = 0,
                                     std::size_t limit = SIZE_MAX) const;

  // Revocations: each publish makes a new list number.
  Result<std::uint64_t> revoke(const std::vector<PassId>& add, const std::vector<PassId>& remove,
                               UnixTime now);
  std::uint64_t revocation_number() const;
  // The signed document that takes a device from `have` to the current list (a snapshot
  // when `have` is 0), cached so that every chunk of one download is the same bytes.
  Result<Bytes> revocation_document(std::uint64_t have, const IssuerKeyPair& authority,
                                    UnixTime now);
  // A cached document by its numbers (resumed downloads); nullopt once evicted.
  std::optional<Bytes> cached_revocation_document(std::uint64_t base, std::uint64_t number) const;

  // Site states, enrolment lists and the trust list: the latest payload of each, numbered.
  Result<std::uint64_t> set_site_state(sync::SiteStateDoc doc, UnixTime now);
  std::optional<sync::SiteStateDoc> site_state(const std::string& site) const;
  Result<std::uint64_t> set_enrolment(sync::EnrolmentDoc doc, UnixTime now);
  std::optional<sync::EnrolmentDoc> enrolment(const std::string& site) const;
  Result<std::uint64_t> set_trust_list(std::vector<IssuerKeyInfo> keys, UnixTime now);
  std::optional<sync::TrustListDoc> trust_list() const;

 private:
  explicit UpstreamStore(sql::Database db) : db_(std::move(db)) {}
  std::optional<std::string> latest_payload(const std::string& kind,
                                            const std::string& scope) const;
  Result<std::uint64_t> next_number(const std::string& kind, const std::string& scope);
  Status put_payload(const std::string& kind, const std::string& scope, std::uint64_t number,
                     const std::string& payload);
  sql::Database db_;
};

}  // namespace gk::upstream
