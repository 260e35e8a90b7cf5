#pragma once
// The sync applier: how verified documents from the sync client replace what the kiosk
// decides with (trust list, revocation list, site state, enrolment). It needs no board, so
// `gated sync` runs it with nothing but the stores.
#include <functional>
#include <map>

#include "gk/core/bytes.hpp"
#include "gk/gated/site_keeper.hpp"
#include "gk/sync/client.hpp"
#include "gk/trust/revocation_store.hpp"

namespace gk {

struct SyncApplierParts {
  TrustStore& trust;
  RevocationStore& revocation_store;
  RevocationList& revocations;
  SiteStateKeeper& site;
  std::string site_id;  // documents for another compound are refused
  // A newer enrolment list, whole (the daemon hands it to the kiosk; `gated sync` only
  // verifies it: the sync state keeps the document for the daemon's next start).
  std::function<void(std::map<Bytes, Bytes>)> enrolment;
  // A site state was applied (the daemon announces it on the screens).
  std::function<void(std::uint64_t number)> site_state_applied;
};

class SyncApplier {
 public:
  explicit SyncApplier(SyncApplierParts parts) : p_(std::move(parts)) {}
  sync::SyncHooks hooks();
  // A signed revocation document (snapshot or delta): disk first, then memory.
  FaultStatus apply_revocation_document(const RevocationDocument& doc);
  FaultStatus apply_revocations(ByteView document);  // parses and verifies it first

 private:
  SyncApplierParts p_;
};

}  // namespace gk
