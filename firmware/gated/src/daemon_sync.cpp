// The daemon's side of upstream sync: how verified documents from the sync client replace
// what the kiosk uses, and how sync outcomes are reported.
#include <fstream>

#include "gk/gated/daemon.hpp"

namespace gk {

sync::SyncHooks Daemon::sync_hooks() {
  sync::SyncHooks h;
  h.trust_list = [this](const sync::TrustListDoc& d) -> Status {
    // The synced list replaces the provisioned issuer keys: it may also remove a key.
    TrustStore fresh;
    for (const auto& k : d.keys) fresh.add(k);
    trust_ = std::move(fresh);
    return success();
  };
  h.site_state = [this](const sync::SiteStateDoc& d) -> Status {
    SiteState& site = kiosk_->site_state();
    if (d.site != site.site) return fail(Reason::wrong_site, "site state for " + d.site);
    site.outbreak = d.outbreak;
    site.quarantined_buildings = d.quarantined_buildings;
    if (d.fever_threshold_c) site.fever_threshold_c = *d.fever_threshold_c;
    publish_state();
    emit_line(R"({"site_state":{"number":)" + std::to_string(d.number) + R"(,"outbreak":")" +
              std::string(to_string(d.outbreak)) + R"(","quarantined_buildings":)" +
              std::to_string(d.quarantined_buildings.size()) + "}}");
    return success();
  };
  h.enrolment = [this](const sync::EnrolmentDoc& d) -> Status {
    if (d.site != config_.site.site) return fail(Reason::wrong_site, "enrolment for " + d.site);
    std::map<Bytes, Bytes> enrolled;
    for (std::size_t i = 0; i < d.passes.size(); ++i)
      if (auto s = add_enrolled_pass(d.passes[i], enrolled); !s)
        return fail(s.reason(),
                    "enrolment entry " + std::to_string(i + 1) + ": " + s.failure().detail);
    kiosk_->replace_enrolment(std::move(enrolled));
    return success();
  };
  h.revocations = [this](const RevocationDocument& d) { return apply_revocation_document(d); };
  h.revocation_number = [this] { return revocations_.number(); };
  return h;
}

Status Daemon::start_sync() {
  if (!config_.sync.enabled()) return success();
  auto client =
      sync::SyncClient::create(io_, config_.sync, journal_, sync_state_, clock_, sync_hooks());
  if (!client) return client.failure();
  sync_ = std::move(*client);
  return sync_->restore();
}

std::optional<Status> Daemon::sync_once() {
  if (!sync_) return std::nullopt;
  std::optional<Status> result;
  // (co_spawn wants a default-constructible result: the round reports through `result`.)
  auto run = [&]() -> boost::asio::awaitable<void> { result = co_await sync_->round(); };
  boost::asio::co_spawn(io_, run(), [&](std::exception_ptr e) {
    if (e) result = fail(Reason::device_fault, "sync round threw");
  });
  io_.restart();
  while (!result && io_.run_one() > 0) {
  }
  on_sync_round(result.value_or(fail(Reason::device_fault, "sync round did not finish")));
  return result;
}

std::optional<sync::SyncStatus> Daemon::sync_status() const {
  if (!sync_) return std::nullopt;
  return sync_->status();
}

void Daemon::on_sync_round(const Status& s) {
  const sync::SyncStatus st = sync_->status();
  metrics_.count_sync_round(static_cast<bool>(s));
  const std::string json = sync::status_json(st);
  emit_line(R"({"sync":)" + json + R"(,"ok":)" + (s ? "true" : "false") + "}");
  if (!s) log_.write(service::Event::sync_failed, {.reason = code(s.reason())});
  // Raised once when the lists go stale (and again after they were fresh in between).
  if (st.stale && !lists_were_stale_) {
    const PassageOutcome o = kiosk_->record("system", Reason::lists_stale, "lists out of date");
    raise_alarm("lists_stale", o.seq);
  }
  lists_were_stale_ = st.stale;
  // For `gatectl status` and the technicians: written whole, then renamed.
  const auto file = config_.state_dir / "sync-status.json";
  {
    std::ofstream out(file.string() + ".tmp", std::ios::trunc);
    out << json << "\n";
  }
  std::error_code ec;
  std::filesystem::rename(file.string() + ".tmp", file, ec);
}

}  // namespace gk
