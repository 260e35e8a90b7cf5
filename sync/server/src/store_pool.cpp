// Several connections to one store behind the UpstreamStore interface, for a server that calls
// it from several threads at once (open_store_pool).
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include "gk/upstream/store.hpp"

namespace gk::upstream {
namespace {

// Group commit: a batch that arrives while a commit is under way waits, with every other that
// arrives meanwhile, for the next commit, which the first of them (the leader) runs for all;
// one log flush for the group, and each batch is still answered only after the commit that
// holds it. A group is at most the callers blocked here: one per server worker thread.
class CommitGroup {
 public:
  using Outcomes = std::vector<DbResult<Ack>>;
  using Commit = std::function<Outcomes(std::span<const sync::JournalBatch* const>)>;

  DbResult<Ack> join(const sync::JournalBatch& batch, const Commit& commit) {
    Waiting me{&batch};
    std::unique_lock lock(mutex_);
    waiting_.push_back(&me);
    while (!me.outcome) {
      if (leading_) {
        committed_.wait(lock);
        continue;
      }
      leading_ = true;
      const std::vector<Waiting*> group = std::exchange(waiting_, {});
      lock.unlock();
      std::vector<const sync::JournalBatch*> batches;
      for (const Waiting* w : group) batches.push_back(w->batch);
      Outcomes outcomes;
      try {
        outcomes = commit(batches);
      } catch (const std::exception& e) {  // the others must not wait for ever
        outcomes.assign(group.size(), db_error(DbCode::io, std::string("commit: ") + e.what()));
      }
      lock.lock();
      for (std::size_t i = 0; i < group.size(); ++i) group[i]->outcome = std::move(outcomes[i]);
      counts_.commits += 1;
      counts_.batches += group.size();
      leading_ = false;
      committed_.notify_all();
    }
    return std::move(*me.outcome);
  }
  // A batch committed on its own (counted alike).
  template <class F>
  DbResult<Ack> alone(F&& receive) {
    auto outcome = receive();
    std::lock_guard lock(mutex_);
    counts_.commits += 1;
    counts_.batches += 1;
    return outcome;
  }
  UpstreamStore::CommitCounts counts() const {
    std::lock_guard lock(mutex_);
    return counts_;
  }

 private:
  struct Waiting {
    const sync::JournalBatch* batch;
    std::optional<DbResult<Ack>> outcome{};
  };
  mutable std::mutex mutex_;
  std::condition_variable committed_;  // a group's outcomes are in
  std::vector<Waiting*> waiting_;      // for the next group
  bool leading_ = false;               // a group is being committed
  UpstreamStore::CommitCounts counts_;
};

class StorePool final : public UpstreamStore {
 public:
  StorePool(std::vector<std::unique_ptr<UpstreamStore>> stores, bool one_writer)
      : stores_(std::move(stores)), one_writer_(one_writer) {
    for (auto& s : stores_) free_.push_back(s.get());
  }
  std::string_view kind() const override { return stores_.front()->kind(); }

  DbStatus register_device(const Device& d) override {
    return write([&](UpstreamStore& s) { return s.register_device(d); });
  }
  std::optional<Device> device(const std::string& id) const override { return lease()->device(id); }
  std::vector<Device> devices() const override { return lease()->devices(); }
  DbResult<Ack> receive(const sync::JournalBatch& batch, UnixTime now) override {
    // PostgreSQL flushes concurrent commits together by itself; one SQLite writer cannot.
    if (!one_writer_) return group_.alone([&] { return lease()->receive(batch, now); });
    return group_.join(batch, [&](std::span<const sync::JournalBatch* const> batches) {
      return write([&](UpstreamStore& s) { return s.receive_group(batches, now); });
    });
  }
  CommitCounts journal_commits() const override { return group_.counts(); }
  std::int64_t acked(const std::string& device_id) const override {
    return lease()->acked(device_id);
  }
  std::vector<StoredPassage> journal(const std::string& device_id, std::int64_t after_seq,
                                     std::size_t limit) const override {
    return lease()->journal(device_id, after_seq, limit);
  }
  DbResult<std::uint64_t> revoke(const std::vector<PassId>& add, const std::vector<PassId>& remove,
                                 UnixTime now, const std::string& request) override {
    return write([&](UpstreamStore& s) { return s.revoke(add, remove, now, request); });
  }
  std::uint64_t revocation_number() const override { return lease()->revocation_number(); }
  DbResult<sync::RoundHeads> round_heads(const std::string& site,
                                         const std::string& device_id) const override {
    return lease()->round_heads(site, device_id);
  }
  // Nearly always a read of the cached document, so not taken as a write: the one write, when
  // a new list number is first asked for, waits in SQLite's busy handler instead.
  DbResult<Bytes> revocation_document(std::uint64_t have, const IssuerKeyPair& authority,
                                      UnixTime now) override {
    return lease()->revocation_document(have, authority, now);
  }
  std::optional<Bytes> cached_revocation_document(std::uint64_t base,
                                                  std::uint64_t number) const override {
    return lease()->cached_revocation_document(base, number);
  }
  DbResult<std::uint64_t> set_site_state(sync::SiteStateDoc doc, UnixTime now) override {
    return write([&](UpstreamStore& s) { return s.set_site_state(std::move(doc), now); });
  }
  std::optional<sync::SiteStateDoc> site_state(const std::string& site) const override {
    return lease()->site_state(site);
  }
  DbResult<std::uint64_t> set_enrolment(sync::EnrolmentDoc doc, UnixTime now) override {
    return write([&](UpstreamStore& s) { return s.set_enrolment(std::move(doc), now); });
  }
  std::optional<sync::EnrolmentDoc> enrolment(const std::string& site) const override {
    return lease()->enrolment(site);
  }
  DbResult<std::uint64_t> set_trust_list(std::vector<IssuerKeyInfo> keys, UnixTime now) override {
    return write([&](UpstreamStore& s) { return s.set_trust_list(std::move(keys), now); });
  }
  std::optional<sync::TrustListDoc> trust_list() const override { return lease()->trust_list(); }

  DbStatus retire_device(const std::string& id, UnixTime now) override {
    return write([&](UpstreamStore& s) { return s.retire_device(id, now); });
  }
  std::map<std::string, UnixTime> retired_devices() const override {
    return lease()->retired_devices();
  }
  DbStatus add_operator(const Operator& op) override {
    return write([&](UpstreamStore& s) { return s.add_operator(op); });
  }
  DbStatus retire_operator(const std::string& id, UnixTime now) override {
    return write([&](UpstreamStore& s) { return s.retire_operator(id, now); });
  }
  DbResult<bool> claim_operator_nonce(const std::string& operator_id, const std::string& nonce,
                                      UnixTime time, UnixTime forget_before) override {
    return write([&](UpstreamStore& s) {
      return s.claim_operator_nonce(operator_id, nonce, time, forget_before);
    });
  }
  std::optional<Operator> find_operator(const std::string& id) const override {
    return lease()->find_operator(id);
  }
  std::vector<Operator> operators() const override { return lease()->operators(); }
  DbResult<std::int64_t> append_audit(const AuditEntry& e) override {
    return write([&](UpstreamStore& s) { return s.append_audit(e); });
  }
  DbStatus settle_audit(std::int64_t seq, const std::string& outcome) override {
    return write([&](UpstreamStore& s) { return s.settle_audit(seq, outcome); });
  }
  std::vector<AuditEntry> audit_log(std::int64_t after_seq, std::size_t limit) const override {
    return lease()->audit_log(after_seq, limit);
  }

 private:
  // One store, this caller's alone until the lease ends.
  class Lease {
   public:
    Lease(const StorePool& pool, UpstreamStore* store) : pool_(pool), store_(store) {}
    ~Lease() { pool_.give_back(store_); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    UpstreamStore* operator->() const { return store_; }
    UpstreamStore& operator*() const { return *store_; }

   private:
    const StorePool& pool_;
    UpstreamStore* store_;
  };

  Lease lease() const {
    std::unique_lock lock(mutex_);
    returned_.wait(lock, [&] { return !free_.empty(); });
    UpstreamStore* s = free_.back();
    free_.pop_back();
    return Lease(*this, s);
  }
  void give_back(UpstreamStore* s) const {
    {
      std::lock_guard lock(mutex_);
      free_.push_back(s);
    }
    returned_.notify_one();
  }
  template <class F>
  auto write(F&& f) -> std::invoke_result_t<F, UpstreamStore&> {
    std::unique_lock<std::mutex> writing;
    if (one_writer_) writing = std::unique_lock(writer_);
    return f(*lease());
  }

  std::vector<std::unique_ptr<UpstreamStore>> stores_;
  const bool one_writer_;
  std::mutex writer_;         // with one_writer_: held for each write
  mutable std::mutex mutex_;  // over free_
  mutable std::condition_variable returned_;
  mutable std::vector<UpstreamStore*> free_;
  CommitGroup group_;
};

}  // namespace

DbResult<std::unique_ptr<UpstreamStore>> open_store_pool(const std::string& spec,
                                                         PostgresOpener postgres, std::size_t n) {
  if (n == 0) return db_error(DbCode::cannot_open, "a store pool needs at least one connection");
  std::vector<std::unique_ptr<UpstreamStore>> stores;
  for (std::size_t i = 0; i < n; ++i) {
    auto s = open_store(spec, postgres);
    if (!s) return s.error();
    stores.push_back(std::move(*s));
  }
  const bool one_writer = stores.front()->kind() == "sqlite";
  return std::unique_ptr<UpstreamStore>(std::make_unique<StorePool>(std::move(stores), one_writer));
}

}  // namespace gk::upstream
