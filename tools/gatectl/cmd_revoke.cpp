// gatectl revoke: sign a revocation list document (snapshot, or delta with --base) and
// optionally apply it to a kiosk's revocation database.
#include <ctime>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "gk/trust/revocation_document.hpp"
#include "gk/trust/revocation_store.hpp"
#include "output.hpp"

namespace gatectl {
namespace {

struct Options {
  std::string key, out, site = "*", db, trust;
  std::uint64_t number = 0, base = 0;
  std::vector<std::string> ids, unrevoke;
  bool json = false;
};

int revoke(const Options& o) {
  auto key = gk::load_secret_key(o.key);
  if (!key) return report_fault(key.error(), o.json);
  gk::RevocationDocument doc;
  doc.kind = o.base ? gk::RevocationDocument::Kind::delta : gk::RevocationDocument::Kind::snapshot;
  doc.number = o.number;
  doc.base_number = o.base;
  doc.site = o.site;
  doc.issued_at = std::time(nullptr);
  for (const auto& s : o.ids) {
    auto id = gk::fixed_from_hex<16>(s);
    if (!id) return report_error("'" + s + "' is not a pass id (32 hex digits)", o.json);
    doc.added.push_back(*id);
  }
  if (!o.unrevoke.empty() && !o.base)
    return report_error("--unrevoke needs a delta (--base N)", o.json);
  for (const auto& s : o.unrevoke) {
    auto id = gk::fixed_from_hex<16>(s);
    if (!id) return report_error("'" + s + "' is not a pass id (32 hex digits)", o.json);
    doc.removed.push_back(*id);
  }
  if (doc.kind == gk::RevocationDocument::Kind::delta && o.base >= o.number)
    return report_error("--number must be greater than --base", o.json);
  gk::Bytes signed_doc = gk::sign_revocation_document(doc, *key);
  if (!o.out.empty()) {
    std::ofstream f(o.out, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(signed_doc.data()),
            static_cast<std::streamsize>(signed_doc.size()));
    if (!f) return report_error("cannot write " + o.out, o.json);
  }
  if (!o.db.empty()) {
    gk::TrustStore trust;
    if (o.trust.empty()) return report_error("--db needs --trust to verify the document", o.json);
    if (auto t = load_trust(o.trust, trust); !t) return report_fault(t.error(), o.json);
    auto parsed = gk::parse_revocation_document(signed_doc, trust);
    if (!parsed) return report_fault(parsed.error(), o.json);
    auto store = gk::RevocationStore::open(o.db);
    if (!store) return report_fault(store.error(), o.json);
    if (auto s = store->apply(*parsed); !s) return report_fault(s.error(), o.json, 1);
  }
  if (o.json)
    print_json({{"number", doc.number},
                {"kind", o.base ? "delta" : "snapshot"},
                {"revoked", doc.added.size()},
                {"unrevoked", doc.removed.size()},
                {"bytes", signed_doc.size()}});
  else
    std::cout << "revocation list " << doc.number << (o.base ? " (delta)" : " (snapshot)") << ": "
              << doc.added.size() << " revoked, " << doc.removed.size() << " unrevoked"
              << (o.out.empty() ? "" : " -> " + o.out) << "\n";
  return 0;
}

}  // namespace

void register_revoke(CLI::App& app, Exit& exit) {
  auto o = std::make_shared<Options>();
  auto* cmd =
      app.add_subcommand("revoke", "Sign a revocation list (snapshot, or delta with --base)");
  cmd->add_option("--key", o->key, "Issuer secret key file")->required();
  cmd->add_option("--number", o->number, "List number (monotonic, > the kiosk's)")
      ->required()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--base", o->base, "Make a delta from this list number");
  cmd->add_option("--site", o->site, "Compound the list is for (* = all)");
  cmd->add_option("--unrevoke", o->unrevoke, "Delta: pass id to take off the list (repeatable)")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--out", o->out, "Write the signed document here");
  cmd->add_option("--db", o->db, "Also apply it to this revocation database");
  cmd->add_option("--trust", o->trust, "Trust store for --db (file or directory)");
  cmd->add_flag("--json", o->json, "JSON output");
  cmd->add_option("PASS_ID", o->ids, "Pass ids to revoke (32 hex digits each)");
  cmd->callback([o, &exit] {
    if (o->out.empty() && o->db.empty())
      return void(exit.code = report_error("nothing to do: give --out and/or --db", o->json));
    exit.code = revoke(*o);
  });
}

}  // namespace gatectl
