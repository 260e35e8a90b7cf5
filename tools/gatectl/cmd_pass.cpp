// gatectl issue / verify: the issuer's side of the pass format.
#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "gk/camera/qr_render.hpp"
#include "gk/config/config.hpp"
#include "gk/core/file.hpp"
#include "gk/kiosk/kiosk.hpp"
#include "gk/pass/codec.hpp"
#include "gk/policy/policy.hpp"
#include "gk/trust/revocation_store.hpp"
#include "gk/trust/trust_store.hpp"
#include "issue.hpp"
#include "output.hpp"

namespace gatectl {
namespace {}  // namespace

gk::DocResult<IssuedPass> issue_pass(const IssueOptions& o) {
  auto key = gk::load_secret_key(o.key);
  if (!key) return key.error();
  gk::Pass p;
  gk::random_fill(p.id);
  auto role = gk::role_from_string(o.role);
  auto health = gk::health_from_string(o.health);
  if (!role)
    return gk::doc_error(gk::DocCode::schema,
                         "--role must be resident, temporary_resident, visitor, staff or delivery");
  if (!health) return gk::doc_error(gk::DocCode::schema, "--health must be green, yellow or red");
  p.role = *role;
  p.health = *health;
  p.site = o.site;
  p.building = o.building;
  p.unit = o.unit;
  p.holder_name = o.name;
  p.id_last4 = o.id_last4;
  p.valid_from = o.valid_from ? o.valid_from : static_cast<gk::UnixTime>(std::time(nullptr));
  p.valid_until = p.valid_from + o.valid_days * 86400LL;
  if (p.role == gk::Role::visitor) {
    auto host = gk::fixed_from_hex<16>(o.host);
    if (!host)
      return gk::doc_error(gk::DocCode::schema,
                           "a visitor pass needs --host <resident pass id, 32 hex digits>");
    p.visit = gk::Visit{*host, p.valid_from, p.valid_from + o.visit_hours * 3600LL};
    p.valid_until = std::min(p.valid_until, p.visit->until);
  } else if (!o.host.empty()) {
    return gk::doc_error(gk::DocCode::schema, "--host is only for --role visitor");
  }
  if (!o.card_uid.empty()) {
    auto uid = gk::from_hex(o.card_uid);
    if (!uid || (uid->size() != 4 && uid->size() != 7 && uid->size() != 10))
      return gk::doc_error(gk::DocCode::schema, "--card-uid must be 4, 7 or 10 bytes of hex");
    p.card_uid = *uid;
  }
  if (!o.card_binding.empty()) p.card_uid = o.card_binding;
  // Encoding validates field lengths: refuse here with the codec's own words.
  gk::Bytes signed_pass = gk::sign_pass(p, *key);
  auto check = gk::parse_pass_binary(signed_pass);
  if (!check) return gk::doc_error(gk::DocCode::schema, check.failure().detail);
  return IssuedPass{gk::to_pass_text(signed_pass), p, key->info.id};
}

bool append_line_0600(const std::string& file, const std::string& line) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const std::string data = line + "\n";
  const bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

namespace {

int issue(const IssueOptions& o) {
  auto issued = issue_pass(o);
  if (!issued) return report_fault(issued.error(), o.json);
  const std::string& text = issued->text;
  if (!o.png.empty()) {
    if (auto s = gk::camera::render_qr_png(text, o.png); !s.empty())
      return report_error("cannot write " + o.png + ": " + s, o.json);
  }
  if (o.json)
    print_json({{"pass", text},
                {"id", gk::to_hex(issued->pass.id)},
                {"issuer", gk::to_hex(issued->issuer)},
                {"valid_from", issued->pass.valid_from},
                {"valid_until", issued->pass.valid_until}});
  else
    std::cout << text << "\n";
  return 0;
}

struct VerifyOptions {
  std::vector<std::string> trust;
  std::string site, revocations, config, pass = "-";
  std::int64_t now = 0;
  bool json = true;
};

nlohmann::json pass_json(const gk::Pass& p) {
  nlohmann::json j{{"id", gk::to_hex(p.id)},        {"issuer", gk::to_hex(p.issuer)},
                   {"role", gk::to_string(p.role)}, {"site", p.site},
                   {"building", p.building},        {"unit", p.unit},
                   {"holder", p.holder_name},       {"health", gk::to_string(p.health)},
                   {"valid_from", p.valid_from},    {"valid_until", p.valid_until}};
  if (p.visit)
    j["visit"] = {
        {"host", gk::to_hex(p.visit->host)}, {"from", p.visit->from}, {"until", p.visit->until}};
  if (!p.card_uid.empty()) j["card_uid"] = gk::to_hex(p.card_uid);
  return j;
}

int refuse(gk::Reason r, const std::string& detail) {
  const auto& t = gk::describe(r);
  print_json({{"valid", false},
              {"reason", std::string(t.code)},
              {"message_zh", std::string(t.zh)},
              {"message_en", std::string(t.en)},
              {"detail", detail}});
  return 1;
}

int verify(const VerifyOptions& o) {
  gk::TrustStore trust;
  for (const auto& path : o.trust) {
    if (auto s = load_trust(path, trust); !s) return report_fault(s.error(), true);
  }
  // The compound's rules: its config when given (site, grace, maximum validity per role),
  // else the defaults gated has.
  gk::SiteState site;
  if (!o.config.empty()) {
    auto config = gk::load_config(o.config);
    if (!config) return report_fault(config.error(), true);
    site = config->site;
  }
  if (!o.site.empty()) site.site = o.site;
  std::string text;
  bool from_input = o.pass == "-" && read_input(o.pass, text);
  std::error_code ec;
  if (!from_input && std::filesystem::exists(o.pass, ec)) {
    auto file = gk::read_regular_file(o.pass, 64 * 1024);  // a pass is ~300 bytes
    if (!file) return report_fault(file.error(), true);
    text = std::move(*file);
    from_input = true;
  }
  if (!from_input) text = o.pass;  // the pass itself, exactly as given
  // A file or stdin holds the pass as one line: its line ending is framing, not pass text.
  // Nothing else is trimmed; a space is part of the text for gatectl as for the camera.
  if (from_input && text.ends_with("\n")) text.pop_back();
  if (from_input && text.ends_with("\r")) text.pop_back();
  const gk::UnixTime now = o.now ? o.now : static_cast<gk::UnixTime>(std::time(nullptr));
  gk::RevocationList revoked;
  if (!o.revocations.empty()) {
    auto store = gk::RevocationStore::open(o.revocations);
    if (!store) return report_fault(store.error(), true);
    auto list = store->load();
    if (!list) return report_fault(list.error(), true);
    revoked = std::move(*list);
  }
  // The kiosk's own code path: verify_credential, then the policy's credential rules.
  gk::PassageContext ctx;
  gk::Presentation shown;
  shown.kind = gk::CredentialKind::qr;
  shown.text = text;
  ctx.credential = gk::verify_credential(shown, trust, revoked, {}, nullptr, now);
  ctx.now = now;
  if (ctx.credential.pass && site.site.empty()) site.site = ctx.credential.pass->site;  // any
  if (auto v = gk::check_credential(ctx, site)) return refuse(v->reason, v->note);
  print_json({{"valid", true}, {"pass", pass_json(*ctx.credential.pass)}});
  return 0;
}

}  // namespace

void add_pass_field_options(CLI::App* cmd, IssueOptions& o) {
  cmd->add_option("--key", o.key, "Issuer secret key file (issuer.key, mode 0600)")->required();
  cmd->add_option("--site", o.site, "Compound id the pass is bound to")->required();
  cmd->add_option("--role", o.role, "resident|temporary_resident|visitor|staff|delivery");
  cmd->add_option("--building", o.building, "Building");
  cmd->add_option("--unit", o.unit, "Unit / door number");
  cmd->add_option("--name", o.name, "Holder display name for the visual check");
  cmd->add_option("--id-last4", o.id_last4, "Last 4 characters of the ID document");
  cmd->add_option("--health", o.health, "green|yellow|red");
  cmd->add_option("--valid-days", o.valid_days, "Validity in days (default 7)")
      ->check(CLI::Range(1, 366));
  cmd->add_option("--valid-from", o.valid_from, "Start, unix seconds (default now)");
}

void register_pass(CLI::App& app, Exit& exit) {
  auto io = std::make_shared<IssueOptions>();
  auto* cmd = app.add_subcommand("issue", "Sign a pass and print its text (and QR with --png)");
  add_pass_field_options(cmd, *io);
  cmd->add_option("--host", io->host, "Visitor: the host resident's pass id (hex)");
  cmd->add_option("--visit-hours", io->visit_hours, "Visitor: length of the visit window")
      ->check(CLI::Range(1, 72));
  cmd->add_option("--card-uid", io->card_uid, "Bind the pass to this card UID (hex)");
  cmd->add_option("--png", io->png, "Also write the pass as a QR code PNG");
  cmd->add_flag("--json", io->json, "Print JSON with the pass id");
  cmd->callback([io, &exit] { exit.code = issue(*io); });

  auto vo = std::make_shared<VerifyOptions>();
  auto* v = app.add_subcommand("verify", "Verify a pass offline: exit 0 valid, 1 refused");
  v->add_option("--trust", vo->trust, "Issuer public key file or directory of *.pub (repeatable)")
      ->required()
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  v->add_option("--site", vo->site, "Refuse passes for another compound");
  v->add_option("--revocations", vo->revocations, "Revocation database (revocation.db)");
  v->add_option("--now", vo->now, "Verify as of this unix time (default now)");
  v->add_option("--config", vo->config,
                "The kiosk's gated.toml: its [site] rules (id, grace, maximum validity)");
  v->add_option("PASS", vo->pass, "Pass text, a file holding it, or - for stdin");
  v->callback([vo, &exit] { exit.code = verify(*vo); });
}

}  // namespace gatectl
