// gatectl upstream: manage the reference upstream (gate-upstream) through its database:
// register devices, publish revocations, site states, enrolments and the trust list, and
// read what devices uploaded. The running server sees every change at its next request.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "gk/upstream/store.hpp"
#include "output.hpp"

namespace gatectl {
namespace {

namespace fs = std::filesystem;

struct Common {
  std::string dir, store;
  bool json = false;
};

std::vector<char*> command_line;

// gatectl does not link the PostgreSQL store: the same command runs as gatectl-upstream (the
// same commands with it), from gatectl's own directory. Returns only if that cannot start.
gk::DbError run_as_gatectl_upstream() {
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  const auto helper = (ec ? fs::path(".") : exe.parent_path()) / "gatectl-upstream";
  std::vector<char*> argv = command_line;
  std::string name = helper.string();
  if (!argv.empty()) argv[0] = name.data();
  argv.push_back(nullptr);
  ::execv(helper.c_str(), argv.data());
  return gk::db_error(gk::DbCode::cannot_open,
                      "a PostgreSQL store needs " + helper.string() + " (" + std::strerror(errno) +
                          "): it is built with gate-upstream and runs "
                          "where the upstream is administered, not on a kiosk");
}

gk::DbResult<std::unique_ptr<gk::upstream::UpstreamStore>> open_store(const Common& c) {
  if (gk::upstream::names_postgres_store(c.store) && !postgres_opener())
    return run_as_gatectl_upstream();
  if (!c.store.empty()) return gk::upstream::open_store(c.store, postgres_opener());
  if (c.dir.empty()) return gk::db_error(gk::DbCode::cannot_open, "--dir or --store is required");
  if (!fs::exists(fs::path(c.dir) / "upstream.db"))
    return gk::db_error(gk::DbCode::cannot_open,
                        c.dir + ": no upstream.db (run gate-upstream init --dir " + c.dir + ")");
  return gk::upstream::open_sqlite_store(fs::path(c.dir) / "upstream.db");
}

gk::UnixTime now() {
  return static_cast<gk::UnixTime>(std::time(nullptr));
}

bool parse_ids(const std::vector<std::string>& in, std::vector<gk::PassId>& out, bool json,
               int& code) {
  for (const auto& s : in) {
    auto id = gk::fixed_from_hex<16>(s);
    if (!id) {
      code = report_error("'" + s + "' is not a pass id (32 hex digits)", json);
      return false;
    }
    out.push_back(*id);
  }
  return true;
}

void add_common(CLI::App* cmd, Common& c) {
  auto* dir = cmd->add_option("--dir", c.dir, "The upstream's directory (gate-upstream init)");
  cmd->add_option("--store", c.store, "The upstream's store: postgresql://... (or sqlite:DIR)")
      ->excludes(dir);
  cmd->add_flag("--json", c.json, "JSON output");
}

}  // namespace

void remember_command_line(int argc, char** argv) {
  command_line.assign(argv, argv + argc);
}

void register_upstream(CLI::App& app, Exit& exit) {
  auto* up = app.add_subcommand("upstream", "Manage the reference upstream server's state");
  up->require_subcommand(1);

  struct Register : Common {
    std::string device, key, site, checkpoint;
  };
  auto r = std::make_shared<Register>();
  auto* reg = up->add_subcommand("register", "Register a device and its public key");
  add_common(reg, *r);
  reg->add_option("--device", r->device, "Device id")->required();
  reg->add_option("--key", r->key, "The device's public key file (gatectl keygen --name device)")
      ->required()
      ->check(CLI::ExistingFile);
  reg->add_option("--site", r->site, "Compound the device guards")->required();
  reg->add_option("--checkpoint", r->checkpoint, "Checkpoint name, e.g. 莲花北村北门");
  reg->callback([r, &exit] {
    auto store = open_store(*r);
    if (!store) return void(exit.code = report_fault(store.error(), r->json));
    auto key = gk::load_public_key(r->key);
    if (!key) return void(exit.code = report_fault(key.error(), r->json));
    if (auto s = (*store)->register_device({r->device, key->key, r->site, r->checkpoint}); !s)
      return void(exit.code = report_fault(s.error(), r->json));
    if (r->json)
      print_json({{"device", r->device}, {"site", r->site}, {"registered", true}});
    else
      std::cout << "device " << r->device << " registered for " << r->site << "\n";
  });

  struct Revoke : Common {
    std::vector<std::string> ids, unrevoke;
    std::string file;
  };
  auto v = std::make_shared<Revoke>();
  auto* rev = up->add_subcommand("revoke", "Publish a new revocation list number");
  add_common(rev, *v);
  rev->add_option("--unrevoke", v->unrevoke, "Pass id to take off the list (repeatable)")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  rev->add_option("--file", v->file, "Also revoke the pass ids in this file, one per line")
      ->check(CLI::ExistingFile);
  rev->add_option("PASS_ID", v->ids, "Pass ids to revoke (32 hex digits each)");
  rev->callback([v, &exit] {
    if (!v->file.empty()) {
      std::ifstream in(v->file);
      for (std::string line; std::getline(in, line);)
        if (!line.empty() && line[0] != '#') v->ids.push_back(line);
    }
    std::vector<gk::PassId> add, remove;
    if (!parse_ids(v->ids, add, v->json, exit.code) ||
        !parse_ids(v->unrevoke, remove, v->json, exit.code))
      return;
    if (add.empty() && remove.empty())
      return void(exit.code = report_error("nothing to revoke or unrevoke", v->json));
    auto store = open_store(*v);
    if (!store) return void(exit.code = report_fault(store.error(), v->json));
    auto n = (*store)->revoke(add, remove, now());
    if (!n) return void(exit.code = report_fault(n.error(), v->json));
    if (v->json)
      print_json({{"list", *n}, {"revoked", add.size()}, {"unrevoked", remove.size()}});
    else
      std::cout << "revocation list " << *n << ": " << add.size() << " revoked, " << remove.size()
                << " unrevoked\n";
  });

  struct Site : Common {
    std::string site, outbreak = "normal";
    std::vector<std::string> quarantine;
    double fever = 0;
  };
  auto s = std::make_shared<Site>();
  auto* site = up->add_subcommand("site", "Publish a site state (lockdown, quarantined buildings)");
  add_common(site, *s);
  site->add_option("--site", s->site, "Compound id")->required();
  site->add_option("--outbreak", s->outbreak, "normal | lockdown")
      ->check(CLI::IsMember({"normal", "lockdown"}));
  site->add_option("--quarantine", s->quarantine, "Quarantined building (repeatable)")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  site->add_option("--fever", s->fever, "Fever threshold in °C (35..40)")
      ->check(CLI::Range(35.0, 40.0));
  site->callback([s, &exit] {
    auto store = open_store(*s);
    if (!store) return void(exit.code = report_fault(store.error(), s->json));
    gk::sync::SiteStateDoc d;
    d.site = s->site;
    d.outbreak = *gk::outbreak_from_string(s->outbreak);
    d.quarantined_buildings = {s->quarantine.begin(), s->quarantine.end()};
    if (s->fever > 0) d.fever_threshold_c = s->fever;
    auto n = (*store)->set_site_state(d, now());
    if (!n) return void(exit.code = report_fault(n.error(), s->json));
    if (s->json)
      print_json({{"site", s->site}, {"number", *n}, {"outbreak", s->outbreak}});
    else
      std::cout << "site state " << *n << " for " << s->site << ": " << s->outbreak << ", "
                << s->quarantine.size() << " quarantined building(s)\n";
  });

  struct Enrol : Common {
    std::string site, file;
  };
  auto e = std::make_shared<Enrol>();
  auto* enrol = up->add_subcommand("enrol", "Publish the card enrolment list of a site");
  add_common(enrol, *e);
  enrol->add_option("--site", e->site, "Compound id")->required();
  enrol->add_option("FILE", e->file, "Card-bound pass texts, one per line")
      ->required()
      ->check(CLI::ExistingFile);
  enrol->callback([e, &exit] {
    gk::sync::EnrolmentDoc d;
    d.site = e->site;
    std::ifstream in(e->file);
    for (std::string line; std::getline(in, line);) {
      while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())))
        line.pop_back();
      if (!line.empty() && line[0] != '#') d.passes.push_back(line);
    }
    auto store = open_store(*e);
    if (!store) return void(exit.code = report_fault(store.error(), e->json));
    auto n = (*store)->set_enrolment(d, now());
    if (!n) return void(exit.code = report_fault(n.error(), e->json));
    if (e->json)
      print_json({{"site", e->site}, {"number", *n}, {"cards", d.passes.size()}});
    else
      std::cout << "enrolment " << *n << " for " << e->site << ": " << d.passes.size()
                << " card(s)\n";
  });

  struct Trust : Common {
    std::vector<std::string> keys;
  };
  auto t = std::make_shared<Trust>();
  auto* trust = up->add_subcommand("trust", "Publish the trust list (issuer public keys)");
  add_common(trust, *t);
  trust->add_option("PUB", t->keys, "Issuer public key files")
      ->required()
      ->check(CLI::ExistingFile);
  trust->callback([t, &exit] {
    std::vector<gk::IssuerKeyInfo> keys;
    for (const auto& f : t->keys) {
      auto k = gk::load_public_key(f);
      if (!k) return void(exit.code = report_fault(k.error(), t->json));
      keys.push_back(*k);
    }
    auto store = open_store(*t);
    if (!store) return void(exit.code = report_fault(store.error(), t->json));
    auto n = (*store)->set_trust_list(keys, now());
    if (!n) return void(exit.code = report_fault(n.error(), t->json));
    if (t->json)
      print_json({{"number", *n}, {"keys", keys.size()}});
    else
      std::cout << "trust list " << *n << ": " << keys.size() << " issuer key(s)\n";
  });

  struct Journal : Common {
    std::string device;
  };
  auto j = std::make_shared<Journal>();
  auto* journal = up->add_subcommand(
      "journal", "Passages a device uploaded: 'seq hash' per line, or JSON entries");
  add_common(journal, *j);
  journal->add_option("--device", j->device, "Device id")->required();
  journal->callback([j, &exit] {
    auto store = open_store(*j);
    if (!store) return void(exit.code = report_fault(store.error(), j->json));
    for (const auto& p : (*store)->journal(j->device)) {
      if (j->json)
        std::cout << p.entry_json << "\n";
      else
        std::cout << p.seq << " " << p.hash << "\n";
    }
  });
}

}  // namespace gatectl
