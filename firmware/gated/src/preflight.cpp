// What gated checks before it opens a device: the files its configuration names, read by the
// very loaders the daemon then uses. `gated config check` runs it too, so that the check
// refuses what gated would refuse, with the same words.
#include <boost/asio/ssl/context.hpp>

#include "gk/gated/daemon.hpp"
#include "gk/kiosk/guards.hpp"
#include "gk/sync/tls.hpp"

namespace gk {

DocStatus preflight(const Config& config) {
  const auto named = [](const char* key, const DocError& e) {
    return doc_error(e.code, std::string(key) + ": " + e.detail);
  };
  if (!config.trust_dir.empty()) {
    TrustStore trust;
    if (auto s = trust.load_directory(config.trust_dir); !s) return named("trust_dir", s.error());
  }
  const SyncConfig& sc = config.sync;
  if (sc.enabled() && !sc.device_key.empty())
    if (auto k = load_secret_key(sc.device_key); !k) return named("[sync] device_key", k.error());
  if (sc.enabled() && !sc.authority_key.empty())
    if (auto k = load_public_key(sc.authority_key); !k)
      return named("[sync] authority_key", k.error());
  if (!config.nfc.enrolment_file.empty())
    if (auto e = load_enrolment(config.nfc.enrolment_file); !e)
      return named("[nfc] enrolment_file", e.error());
  if (!config.nfc.id_card_key.empty())
    if (auto k = load_id_binding_key(config.nfc.id_card_key); !k)
      return named("[nfc] id_card_key", k.error());
  const ConsoleConfig& c = config.console;
  if (!c.listen.empty()) {
    if (auto g = GuardRegistry::read(c.guards_file); !g)  // no decoy: that is load()'s
      return named("[console] guards_file", g.error());
    if (!c.tls_cert.empty())
      if (auto tls = sync::server_tls_context(c.tls_cert, c.tls_key); !tls)
        return named("[console] TLS", tls.error());
  }
  return Done{};
}

}  // namespace gk
