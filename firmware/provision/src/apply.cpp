#include "gk/provision/apply.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "gk/core/bytes.hpp"
#include "gk/core/file.hpp"

namespace gk::provision {
namespace {

namespace fs = std::filesystem;

Failure disagree(const std::string& what, const std::string& config_value,
                 const std::string& bundle_value) {
  return fail(Reason::malformed, "config and provisioning bundle disagree on " + what +
                                     ": config says '" + config_value + "', bundle says '" +
                                     bundle_value + "'");
}

Result<Bundle> read_bundle(const ProvisioningConfig& p) {
  struct stat st {};
  if (::stat(p.bundle.c_str(), &st) != 0)
    return fail(Reason::malformed, p.bundle + ": cannot open the provisioning bundle");
  // The bundle carries the device's secret key: same rule as every key file.
  if (st.st_mode & 077)
    return fail(Reason::malformed, p.bundle + ": readable by group or others; chmod 600 it");
  // A regular file within the limit (a device such as /dev/zero reports size 0).
  auto text = read_regular_file(p.bundle, kMaxBundleBytes);
  if (!text) return text.failure();
  std::string s = std::move(*text);
  TrustStore roots;
  if (auto r = roots.load_file(p.root_key); !r) return r.failure();
  auto bundle = open_bundle(s, roots);
  std::fill(s.begin(), s.end(), '\0');
  if (!bundle)
    return fail(verdict_reason(Layer::document), p.bundle + ": " + describe(fault(bundle.error())));
  return std::move(*bundle);
}

// A setting the config may leave out; where it states one, it must be the bundle's.
Status take(std::string& config_value, const std::string& bundle_value, const std::string& what) {
  if (config_value.empty()) {
    config_value = bundle_value;
    return success();
  }
  if (config_value != bundle_value) return disagree(what, config_value, bundle_value);
  return success();
}

Status same_key(const fs::path& installed, const PublicKey& expected, const std::string& what) {
  auto key = load_public_key(installed);
  if (!key) return key.failure();
  if (key->key != expected)
    return fail(Reason::malformed,
                installed.string() + ": not the " + what + " the provisioning bundle names");
  return success();
}

// Writes a file once; a later start finds it and checks it is still the bundle's.
Status install_public(const fs::path& path, const IssuerKeyInfo& key, const std::string& what,
                      bool install) {
  if (fs::exists(path)) return same_key(path, key.key, what);
  if (!install) return success();
  return write_new_file(path, public_key_json(key), 0644);
}

Status bind_device_key(Config& c, const Bundle& b, const fs::path& dir, bool install) {
  if (!c.sync.device_key.empty()) {
    auto key = load_secret_key(c.sync.device_key);
    if (!key) return key.failure();
    if (key->info.key != b.device.info.key)
      return fail(Reason::malformed,
                  c.sync.device_key + ": not the device key of the provisioning bundle");
    return success();
  }
  c.sync.device_key = (dir / "device.key").string();
  if (fs::exists(c.sync.device_key)) {
    auto key = load_secret_key(c.sync.device_key);
    if (!key) return key.failure();
    if (key->info.key != b.device.info.key)
      return fail(Reason::malformed, c.sync.device_key +
                                         ": installed by another bundle (re-provisioning "
                                         "needs a wiped state_dir)");
    return success();
  }
  if (!install) return success();
  std::string text = secret_key_json(b.device);
  Status s = write_new_file(c.sync.device_key, text, 0600);
  std::fill(text.begin(), text.end(), '\0');
  return s;
}

// The trust folder must hold exactly the issuers the bundle names: one more key dropped
// into it would let someone else's passes open the gate.
Status same_issuers(const fs::path& dir, const Manifest& m) {
  TrustStore store;
  if (auto s = store.load_directory(dir); !s) return s;
  bool same = store.size() == m.issuers.size();
  for (const auto& k : m.issuers) {
    const IssuerKeyInfo* found = store.find(k.id);
    same = same && found && *found == k;
  }
  if (!same)
    return fail(Reason::malformed,
                dir.string() + ": not the pass issuers the provisioning bundle names");
  return success();
}

Status bind_trust(Config& c, const Manifest& m, const fs::path& dir, bool install) {
  if (!c.trust_dir.empty()) return same_issuers(c.trust_dir, m);
  c.trust_dir = dir / "trust";
  if (!install && !fs::exists(c.trust_dir)) return success();  // first start installs them
  std::error_code ec;
  fs::create_directories(c.trust_dir, ec);
  if (ec) return fail(Reason::malformed, c.trust_dir.string() + ": " + ec.message());
  for (const auto& k : m.issuers) {
    auto path = c.trust_dir / ("issuer-" + to_hex(k.id) + ".pub");
    if (auto s = install_public(path, k, "pass issuer", install); !s) return s;
  }
  return same_issuers(c.trust_dir, m);
}

Result<Manifest> bind(Config& c, bool install) {
  auto bundle = read_bundle(c.provisioning);
  if (!bundle) return bundle.failure();
  const Manifest& m = bundle->manifest;
  if (c.board != m.board)
    return fail(Reason::malformed, "the provisioning bundle is for board " + m.board +
                                       ", this device is board " + c.board);
  if (!c.site.site.empty() && c.site.site != m.site)
    return fail(Reason::wrong_site, "the provisioning bundle is for site " + m.site +
                                        ", the config says " + c.site.site);
  c.site.site = m.site;
  if (auto s = take(c.checkpoint, m.checkpoint, "the checkpoint"); !s) return s.failure();
  if (auto s = take(c.sync.url, m.upstream_url, "[sync] url"); !s) return s.failure();
  if (auto s = take(c.sync.pin, m.upstream_pin, "[sync] pin"); !s) return s.failure();
  if (auto s = take(c.sync.device_id, m.device_id, "[sync] device_id"); !s) return s.failure();

  const fs::path dir = c.state_dir / "provisioned";
  if (install) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    fs::permissions(dir, fs::perms::owner_all, ec);
    if (ec) return fail(Reason::malformed, dir.string() + ": " + ec.message());
  }
  if (auto s = bind_device_key(c, *bundle, dir, install); !s) return s.failure();
  if (c.sync.authority_key.empty()) {
    c.sync.authority_key = (dir / "authority.pub").string();
    if (auto s = install_public(c.sync.authority_key, m.authority, "upstream authority", install);
        !s)
      return s.failure();
  } else if (auto s = same_key(c.sync.authority_key, m.authority.key, "upstream authority"); !s) {
    return s.failure();
  }
  if (auto s = bind_trust(c, m, dir, install); !s) return s.failure();
  return m;
}

}  // namespace

Result<Manifest> apply(Config& config) {
  if (!config.provisioning.enabled()) return fail(Reason::malformed, "no [provisioning] bundle");
  return bind(config, true);
}

Result<Manifest> check(const Config& config) {
  if (!config.provisioning.enabled()) return fail(Reason::malformed, "no [provisioning] bundle");
  Config copy = config;
  return bind(copy, false);
}

}  // namespace gk::provision
