// gatectl provision: turns a blank board into one checkpoint. Creates the device's Ed25519
// identity, binds it to a site, a checkpoint, a board, the upstream (URL, pinned TLS key,
// authority key) and the pass issuers it trusts, signs that manifest with the provisioning
// root key, writes the bundle (0600: it holds the device's secret key, which exists nowhere
// else) and, with --register, registers the device with the reference upstream.
#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "gk/core/bytes.hpp"
#include "gk/provision/bundle.hpp"
#include "gk/upstream/operators.hpp"
#include "gk/upstream/store.hpp"
#include "output.hpp"

namespace gatectl {
namespace {

namespace fs = std::filesystem;

struct Options {
  std::string root_key, device_id, site, checkpoint, board = "sim", upstream, pin, authority_key,
                                                     out, register_dir;
  std::vector<std::string> trust;
  bool json = false;
  bool replace = false;
};

bool read_text(const fs::path& p, std::string& out) {
  std::ifstream in(p);
  if (!in) return false;
  std::getline(in, out);
  return true;
}

int provision(Options& o) {
  // With the reference upstream's folder, its pin and authority key are read from it.
  if (!o.register_dir.empty()) {
    if (o.pin.empty() && !read_text(fs::path(o.register_dir) / "tls.pin", o.pin))
      return report_error(o.register_dir + ": no tls.pin (gate-upstream init)", o.json);
    if (o.authority_key.empty()) o.authority_key = o.register_dir + "/authority.pub";
  }
  if (o.authority_key.empty())
    return report_error("--authority-key is required (or --register with the upstream's folder)",
                        o.json);
  if (!o.upstream.empty() && o.pin.empty())
    return report_error("--upstream needs --upstream-pin (sha256:<hex> of its TLS key)", o.json);

  auto root = gk::load_secret_key(o.root_key);
  if (!root) return report_fault(root.error(), o.json);
  auto authority = gk::load_public_key(o.authority_key);
  if (!authority) return report_fault(authority.error(), o.json);

  gk::provision::Manifest m;
  gk::IssuerKeyPair device = gk::generate_issuer_key();
  m.device_id = o.device_id;
  m.device_key = device.info;
  m.site = o.site;
  m.checkpoint = o.checkpoint;
  m.board = o.board;
  m.upstream_url = o.upstream;
  m.upstream_pin = o.upstream.empty() ? "" : o.pin;
  m.authority = *authority;
  // Issuer keys from files or folders (sorted, so the manifest is reproducible), once each.
  std::vector<gk::KeyId> seen;
  for (const auto& t : o.trust) {
    std::vector<fs::path> files;
    std::error_code ec;
    if (fs::is_directory(t, ec)) {
      for (const auto& e : fs::directory_iterator(t, ec))
        if (e.path().extension() == ".pub") files.push_back(e.path());
      std::sort(files.begin(), files.end());
    } else {
      files.push_back(t);
    }
    for (const auto& f : files) {
      auto k = gk::load_public_key(f);
      if (!k) return report_fault(k.error(), o.json);
      if (std::find(seen.begin(), seen.end(), k->id) != seen.end()) continue;
      seen.push_back(k->id);
      m.issuers.push_back(*k);
    }
  }
  if (m.issuers.empty()) return report_error("--trust names no issuer key", o.json);
  m.issued_at = static_cast<gk::UnixTime>(std::time(nullptr));

  // Round-trip through the parser so that a bundle we write is one gated accepts.
  if (auto check = gk::provision::parse_manifest(gk::provision::payload_of(m)); !check)
    return report_error(check.error().detail, o.json);

  // Checked before anything is written: an id in use keeps its key unless replaced on
  // purpose (a board swapped for a new one: the old board stops syncing).
  std::unique_ptr<gk::upstream::UpstreamStore> store;
  if (!o.register_dir.empty()) {
    auto opened = gk::upstream::open_sqlite_store(fs::path(o.register_dir) / "upstream.db");
    if (!opened) return report_fault(opened.error(), o.json);
    store = std::move(*opened);
    if (store->device(m.device_id) && !o.replace)
      return report_error("device " + m.device_id +
                              " is already registered upstream (--replace gives it this new key)",
                          o.json);
  }
  std::string text = gk::provision::write_bundle(m, device, *root);
  gk::DocStatus written = gk::write_new_file(o.out, text, 0600);
  std::fill(text.begin(), text.end(), '\0');
  if (!written) return report_fault(written.error(), o.json);
  if (store) {
    if (auto s = gk::upstream::register_device_locally(
            *store, {m.device_id, device.info.key, m.site, m.checkpoint}, m.issued_at);
        !s) {
      std::error_code ec;
      fs::remove(o.out, ec);  // a bundle the upstream does not know would never sync
      return report_fault(s.error(), o.json);
    }
  }

  if (o.json) {
    print_json({{"device_id", m.device_id},
                {"device_key_id", gk::to_hex(device.info.id)},
                {"site", m.site},
                {"checkpoint", m.checkpoint},
                {"board", m.board},
                {"upstream", m.upstream_url},
                {"issuers", m.issuers.size()},
                {"registered", !o.register_dir.empty()},
                {"bundle", o.out}});
  } else {
    std::cout << "device " << m.device_id << " (key " << gk::to_hex(device.info.id) << ") for "
              << m.site << " / " << m.checkpoint << " on board " << m.board << "\n"
              << "bundle: " << o.out << " (0600; copy it to the board, e.g. gatectl flash --bundle)"
              << "\n";
    if (!o.register_dir.empty())
      std::cout << "registered with the upstream in " << o.register_dir << "\n";
  }
  return 0;
}

}  // namespace

void register_provision(CLI::App& app, Exit& exit) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("provision",
                                 "Create a device identity and its signed provisioning bundle");
  cmd->add_option("--root-key", o->root_key, "Provisioning root secret key (gatectl keygen)")
      ->required();
  cmd->add_option("--device-id", o->device_id, "Device id, unique upstream (e.g. lhbc-north-1)")
      ->required();
  cmd->add_option("--site", o->site, "Compound id")->required();
  cmd->add_option("--checkpoint", o->checkpoint, "Checkpoint name, e.g. 莲花北村北门")->required();
  cmd->add_option("--board", o->board, "Board (sim, rpi4-pn532)")
      ->check(CLI::IsMember({"sim", "rpi4-pn532"}));
  cmd->add_option("--trust", o->trust, "Pass issuer public key file or folder (repeatable)")
      ->required();
  cmd->add_option("--upstream", o->upstream, "Upstream URL, https://HOST:PORT (none: offline)")
      ->check([](const std::string& s) {
        return s.starts_with("https://") ? std::string() : std::string("must start with https://");
      });
  cmd->add_option("--upstream-pin", o->pin, "sha256:<hex> of the upstream's TLS key");
  cmd->add_option("--authority-key", o->authority_key, "The upstream's authority public key");
  cmd->add_option("--register", o->register_dir,
                  "Reference upstream folder: register the device there (and read its pin and "
                  "authority key)");
  cmd->add_flag("--replace", o->replace,
                "With --register: give an existing device id this new key");
  cmd->add_option("--out", o->out, "Bundle file to create (never overwritten)")->required();
  cmd->add_flag("--json", o->json, "JSON output");
  cmd->callback([o, &exit] { exit.code = provision(*o); });
}

}  // namespace gatectl
