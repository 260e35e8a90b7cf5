#include "gk/gated/sync_applier.hpp"

#include "gk/kiosk/kiosk.hpp"

namespace gk {

sync::SyncHooks SyncApplier::hooks() {
  sync::SyncHooks h;
  h.trust_list = [this](const sync::TrustListDoc& d) -> FaultStatus {
    // The synced list replaces the provisioned issuer keys: it may also remove a key.
    TrustStore fresh;
    for (const auto& k : d.keys) fresh.add(k);
    p_.trust = std::move(fresh);
    return Done{};
  };
  h.site_state = [this](const sync::SiteStateDoc& d) -> FaultStatus {
    if (d.site != p_.site_id)
      return fault(doc_error(DocCode::refused, "site state for another site: " + d.site));
    auto applied = p_.site.apply_upstream(
        d.number, SiteChange{d.outbreak, d.quarantined_buildings, d.fever_threshold_c});
    if (!applied) return fault(applied.error());
    if (*applied && p_.site_state_applied) p_.site_state_applied(d.number);
    return Done{};
  };
  h.enrolment = [this](const sync::EnrolmentDoc& d) -> FaultStatus {
    if (d.site != p_.site_id)
      return fault(doc_error(DocCode::refused, "enrolment for another site: " + d.site));
    std::map<Bytes, Bytes> enrolled;
    for (std::size_t i = 0; i < d.passes.size(); ++i)
      if (auto s = add_enrolled_pass(d.passes[i], enrolled); !s)
        return fault(doc_error(
            s.error().code, "enrolment entry " + std::to_string(i + 1) + ": " + s.error().detail));
    if (p_.enrolment) p_.enrolment(std::move(enrolled));
    return Done{};
  };
  h.revocations = [this](const RevocationDocument& d) { return apply_revocation_document(d); };
  h.revocation_number = [this] { return p_.revocations.number(); };
  return h;
}

FaultStatus SyncApplier::apply_revocation_document(const RevocationDocument& doc) {
  // Disk first (one transaction), then memory: a crash in between reloads the new list.
  if (auto s = p_.revocation_store.apply(doc); !s) return fault(s.error());
  if (auto s = p_.revocations.apply(doc); !s) return fault(s.error());
  return Done{};
}

FaultStatus SyncApplier::apply_revocations(ByteView document) {
  auto doc = parse_revocation_document(document, p_.trust);
  if (!doc) return fault(doc.error());
  return apply_revocation_document(*doc);
}

}  // namespace gk
