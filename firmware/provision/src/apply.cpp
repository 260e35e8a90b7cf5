#include "gk/provision/apply.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "gk/core/bytes.hpp"
#include "gk/core/file.hpp"

namespace gk::provision {
namespace {

namespace fs = std::filesystem;

// A bundle that does not match the device as configured is not this device's: refused, like a
// document for another receiver.
DocError not_this_device(std::string detail) {
  return doc_error(DocCode::refused, std::move(detail));
}

DocError disagree(const std::string& what, const std::string& config_value,
                  const std::string& bundle_value) {
  return not_this_device("config and provisioning bundle disagree on " + what + ": config says '" +
                         config_value + "', bundle says '" + bundle_value + "'");
}

DocResult<Bundle> read_bundle(const ProvisioningConfig& p) {
  struct stat st {};
  if (::stat(p.bundle.c_str(), &st) != 0)
    return doc_error(DocCode::unreadable,
                     p.bundle + ": cannot open the provisioning bundle: " + std::strerror(errno));
  // The bundle carries the device's secret key: same rule as every key file.
  if (st.st_mode & 077)
    return doc_error(DocCode::insecure, p.bundle + ": readable by group or others; chmod 600 it");
  // A regular file within the limit (a device such as /dev/zero reports size 0).
  auto text = read_regular_file(p.bundle, kMaxBundleBytes);
  if (!text) return text.error();
  std::string s = std::move(*text);
  TrustStore roots;
  if (auto r = roots.load_file(p.root_key); !r) return r.error();
  auto bundle = open_bundle(s, roots);
  std::fill(s.begin(), s.end(), '\0');
  if (!bundle) return doc_error(bundle.error().code, p.bundle + ": " + bundle.error().detail);
  return std::move(*bundle);
}

// A setting the config may leave out; where it states one, it must be the bundle's.
DocStatus take(std::string& config_value, const std::string& bundle_value,
               const std::string& what) {
  if (config_value.empty()) {
    config_value = bundle_value;
    return Done{};
  }
  if (config_value != bundle_value) return disagree(what, config_value, bundle_value);
  return Done{};
}

DocStatus same_key(const fs::path& installed, const PublicKey& expected, const std::string& what) {
  auto key = load_public_key(installed);
  if (!key) return key.error();
  if (key->key != expected)
    return not_this_device(installed.string() + ": not the " + what +
                           " the provisioning bundle names");
  return Done{};
}

// Writes a file once; a later start finds it and checks it is still the bundle's.
DocStatus install_public(const fs::path& path, const IssuerKeyInfo& key, const std::string& what,
                         bool install) {
  if (fs::exists(path)) return same_key(path, key.key, what);
  if (!install) return Done{};
  return write_new_file(path, public_key_json(key), 0644);
}

DocStatus bind_device_key(Config& c, const Bundle& b, const fs::path& dir, bool install) {
  if (!c.sync.device_key.empty()) {
    auto key = load_secret_key(c.sync.device_key);
    if (!key) return key.error();
    if (key->info.key != b.device.info.key)
      return not_this_device(c.sync.device_key + ": not the device key of the provisioning bundle");
    return Done{};
  }
  c.sync.device_key = (dir / "device.key").string();
  if (fs::exists(c.sync.device_key)) {
    auto key = load_secret_key(c.sync.device_key);
    if (!key) return key.error();
    if (key->info.key != b.device.info.key)
      return not_this_device(c.sync.device_key +
                             ": installed by another bundle (re-provisioning needs a wiped "
                             "state_dir)");
    return Done{};
  }
  if (!install) return Done{};
  std::string text = secret_key_json(b.device);
  DocStatus s = write_new_file(c.sync.device_key, text, 0600);
  std::fill(text.begin(), text.end(), '\0');
  return s;
}

// The trust folder must hold exactly the issuers the bundle names: one more key dropped
// into it would let someone else's passes open the gate.
DocStatus same_issuers(const fs::path& dir, const Manifest& m) {
  TrustStore store;
  if (auto s = store.load_directory(dir); !s) return s;
  bool same = store.size() == m.issuers.size();
  for (const auto& k : m.issuers) {
    const IssuerKeyInfo* found = store.find(k.id);
    same = same && found && *found == k;
  }
  if (!same)
    return not_this_device(dir.string() + ": not the pass issuers the provisioning bundle names");
  return Done{};
}

DocStatus bind_trust(Config& c, const Manifest& m, const fs::path& dir, bool install) {
  if (!c.trust_dir.empty()) return same_issuers(c.trust_dir, m);
  c.trust_dir = dir / "trust";
  if (!install && !fs::exists(c.trust_dir)) return Done{};  // first start installs them
  std::error_code ec;
  fs::create_directories(c.trust_dir, ec);
  if (ec) return doc_error(DocCode::unreadable, c.trust_dir.string() + ": " + ec.message());
  for (const auto& k : m.issuers) {
    auto path = c.trust_dir / ("issuer-" + to_hex(k.id) + ".pub");
    if (auto s = install_public(path, k, "pass issuer", install); !s) return s;
  }
  return same_issuers(c.trust_dir, m);
}

DocResult<Manifest> bind(Config& c, bool install) {
  auto bundle = read_bundle(c.provisioning);
  if (!bundle) return bundle.error();
  const Manifest& m = bundle->manifest;
  if (c.board != m.board)
    return not_this_device("the provisioning bundle is for board " + m.board +
                           ", this device is board " + c.board);
  if (!c.site.site.empty() && c.site.site != m.site)
    return not_this_device("the provisioning bundle is for site " + m.site + ", the config says " +
                           c.site.site);
  c.site.site = m.site;
  if (auto s = take(c.checkpoint, m.checkpoint, "the checkpoint"); !s) return s.error();
  if (auto s = take(c.sync.url, m.upstream_url, "[sync] url"); !s) return s.error();
  if (auto s = take(c.sync.pin, m.upstream_pin, "[sync] pin"); !s) return s.error();
  if (auto s = take(c.sync.device_id, m.device_id, "[sync] device_id"); !s) return s.error();

  const fs::path dir = c.state_dir / "provisioned";
  if (install) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    fs::permissions(dir, fs::perms::owner_all, ec);
    if (ec) return doc_error(DocCode::unreadable, dir.string() + ": " + ec.message());
  }
  if (auto s = bind_device_key(c, *bundle, dir, install); !s) return s.error();
  if (c.sync.authority_key.empty()) {
    c.sync.authority_key = (dir / "authority.pub").string();
    if (auto s = install_public(c.sync.authority_key, m.authority, "upstream authority", install);
        !s)
      return s.error();
  } else if (auto s = same_key(c.sync.authority_key, m.authority.key, "upstream authority"); !s) {
    return s.error();
  }
  if (auto s = bind_trust(c, m, dir, install); !s) return s.error();
  return m;
}

}  // namespace

DocResult<Manifest> apply(Config& config) {
  if (!config.provisioning.enabled()) return doc_error(DocCode::schema, "no [provisioning] bundle");
  return bind(config, true);
}

DocResult<Manifest> check(const Config& config) {
  if (!config.provisioning.enabled()) return doc_error(DocCode::schema, "no [provisioning] bundle");
  Config copy = config;
  return bind(copy, false);
}

}  // namespace gk::provision
