// gatectl upstream: manage the reference upstream (gate-upstream): register and retire
// devices, publish revocations, site states, enrolments and the trust list, read what devices
// uploaded and the audit log. Every subcommand is a request to the upstream's operators' API
// (gk/upstream/operators.hpp) over pinned HTTPS, signed with the operator's own key: one way
// in, the same for a desk across the city as for the server host (whose own tool,
// `gate-upstream operator`, adds the operators). Which upstream and as whom: --url, --pin,
// --operator and --operator-key, or a profile naming the four (gk::OperatorProfile).
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "gk/config/config.hpp"
#include "gk/core/bytes.hpp"
#include "gk/upstream/operators.hpp"
#include "operator_client.hpp"
#include "output.hpp"

namespace gatectl {
namespace {

// The variable that names a profile when --profile is not given.
constexpr const char* kProfileVariable = "GATECTL_UPSTREAM_PROFILE";
// Pass ids per revocation request: 50 000 ids are 1.7 MB of JSON, a third of the listener's
// 5 MiB body limit (ServerLimits::max_body), so a list of any length goes in bounded
// requests, each one list number and one audit row.
constexpr std::size_t kRevokeChunk = 50'000;
// A request that got no answer (the connection failed or was cut) may have been applied or
// not. Reads, and revocations (each carries a request id: a re-send the upstream already
// applied returns the number it made then), are sent again, the same bytes with a fresh
// signature; other changes are reported, for the operator to look (gatectl upstream audit).
constexpr int kSendAttempts = 3;

struct Common {
  OperatorEndpoint remote;
  std::string operator_key, profile;
  bool json = false;
};

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
  cmd->add_option("--url", c.remote.url, "The upstream: https://HOST:PORT");
  cmd->add_option("--pin", c.remote.pin, "The upstream's TLS pin (its tls.pin)");
  cmd->add_option("--operator", c.remote.operator_id, "Operator id (gate-upstream operator add)");
  // Not --key: `register --key` is the device's public key.
  cmd->add_option("--operator-key", c.operator_key, "The operator's secret key file (0600)");
  cmd->add_option("--profile", c.profile,
                  std::string("TOML file with url, pin, operator, operator_key (default: $") +
                      kProfileVariable + "); options given override it");
  cmd->add_flag("--json", c.json, "JSON output");
}

// The four settings from the options, completed from the profile; "" when complete, else why not.
std::string complete_from_profile(Common& c) {
  std::string file = c.profile;
  if (file.empty())
    if (const char* env = std::getenv(kProfileVariable)) file = env;
  if (!file.empty()) {
    auto p = gk::load_operator_profile(file);
    if (!p) return "profile " + file + ": " + gk::describe(gk::fault(p.error()));
    if (c.remote.url.empty()) c.remote.url = p->url;
    if (c.remote.pin.empty()) c.remote.pin = p->pin;
    if (c.remote.operator_id.empty()) c.remote.operator_id = p->operator_id;
    if (c.operator_key.empty()) c.operator_key = p->operator_key.string();
  }
  if (c.remote.url.empty() || c.remote.pin.empty() || c.remote.operator_id.empty() ||
      c.operator_key.empty())
    return std::string(
               "which upstream, as whom: --url, --pin, --operator and --operator-key, "
               "or --profile FILE (or $") +
           kProfileVariable + ")";
  return {};
}

std::string percent_encoded(std::string_view s) {
  static const char* const hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
      continue;
    }
    out += {'%', hex[c >> 4], hex[c & 15]};
  }
  return out;
}

// One operators' API request. On an answer other than 200 the error is reported (exit 1 when
// the upstream refused the operator, 2 otherwise) and nullopt returned; otherwise the
// answer's JSON.
std::optional<nlohmann::json> perform(Common& c, const std::string& method,
                                      const std::string& target, const nlohmann::json& body,
                                      int& code) {
  if (const std::string missing = complete_from_profile(c); !missing.empty())
    return code = report_error(missing, c.json), std::nullopt;
  // load_secret_key refuses a key file others may read (document/insecure).
  auto key = gk::load_secret_key(c.operator_key);
  if (!key) return code = report_fault(key.error(), c.json), std::nullopt;
  const gk::net::Request request{method, target, {}, body.is_null() ? "" : body.dump()};
  const bool resend = method == "GET" || (body.is_object() && body.contains("request"));
  auto res = call_operator_api(c.remote, *key, request);
  for (int attempt = 1; !res && resend && attempt < kSendAttempts; ++attempt) {
    std::cerr << "gatectl: no answer from " << c.remote.url << " ("
              << gk::describe(gk::fault(res.error())) << "); sending again\n";
    res = call_operator_api(c.remote, *key, request);
  }
  if (!res) return code = report_fault(res.error(), c.json), std::nullopt;
  const gk::net::Response& answer = *res;
  auto j = nlohmann::json::parse(answer.body, nullptr, false);
  if (answer.status == 200 && j.is_object()) return j;
  std::string what = "upstream answered " + std::to_string(answer.status);
  if (j.is_object() && j.contains("error"))
    what += " " + j.value("error", "") + ": " + j.value("detail", "");
  code = report_error(what, c.json, answer.status == 401 || answer.status == 403 ? 1 : 2);
  return std::nullopt;
}

}  // namespace

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
    auto key = gk::load_public_key(r->key);
    if (!key) return void(exit.code = report_fault(key.error(), r->json));
    auto res = perform(*r, "POST", "/v1/operator/devices",
                       {{"id", r->device},
                        {"public_key", gk::to_hex(key->key)},
                        {"site", r->site},
                        {"checkpoint", r->checkpoint}},
                       exit.code);
    if (!res) return;
    if (r->json)
      print_json(*res);
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
    // Additions first, then removals, kRevokeChunk ids a request: each request is one list
    // number, published as it comes (a kiosk that syncs in between gets the lists so far and
    // the rest as deltas next time).
    std::vector<std::uint64_t> lists;
    const std::size_t total = add.size() + remove.size();
    for (std::size_t from = 0; from < total; from += kRevokeChunk) {
      const std::size_t to = std::min(total, from + kRevokeChunk);
      auto part =
          nlohmann::json{{"add", nlohmann::json::array()}, {"remove", nlohmann::json::array()}};
      for (std::size_t i = from; i < to; ++i)
        part[i < add.size() ? "add" : "remove"].push_back(
            gk::to_hex(i < add.size() ? add[i] : remove[i - add.size()]));
      std::array<std::uint8_t, 16> request{};
      gk::random_fill(request);
      part["request"] = gk::to_hex(request);
      auto res = perform(*v, "POST", "/v1/operator/revocations", part, exit.code);
      if (!res) {
        if (!lists.empty())
          std::cerr << "gatectl: lists " << lists.front() << ".." << lists.back()
                    << " were published (ids 1.." << from << " of " << total
                    << "); the rest was not\n";
        return;
      }
      lists.push_back(res->at("list").get<std::uint64_t>());
    }
    if (v->json)
      print_json({{"list", lists.back()},
                  {"lists", lists},
                  {"revoked", add.size()},
                  {"unrevoked", remove.size()}});
    else
      std::cout << (lists.size() == 1 ? "revocation list " + std::to_string(lists.back())
                                      : "revocation lists " + std::to_string(lists.front()) + ".." +
                                            std::to_string(lists.back()))
                << ": " << add.size() << " revoked, " << remove.size() << " unrevoked\n";
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
    nlohmann::json body{
        {"site", s->site}, {"outbreak", s->outbreak}, {"quarantine", s->quarantine}};
    if (s->fever > 0) body["fever"] = s->fever;
    auto res = perform(*s, "POST", "/v1/operator/site-state", body, exit.code);
    if (!res) return;
    const auto n = res->at("number").get<std::uint64_t>();
    if (s->json)
      print_json({{"site", s->site}, {"number", n}, {"outbreak", s->outbreak}});
    else
      std::cout << "site state " << n << " for " << s->site << ": " << s->outbreak << ", "
                << res->at("quarantined").get<std::size_t>() << " quarantined building(s)\n";
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
    auto res = perform(*e, "POST", "/v1/operator/enrolment",
                       {{"site", e->site}, {"passes", d.passes}}, exit.code);
    if (!res) return;
    if (e->json)
      print_json(*res);
    else
      std::cout << "enrolment " << res->at("number").get<std::uint64_t>() << " for " << e->site
                << ": " << d.passes.size() << " card(s)\n";
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
    auto keys = nlohmann::json::array();
    for (const auto& f : t->keys) {
      auto k = gk::load_public_key(f);
      if (!k) return void(exit.code = report_fault(k.error(), t->json));
      keys.push_back(nlohmann::json::parse(gk::public_key_json(*k)));
    }
    auto res = perform(*t, "POST", "/v1/operator/trust-list", {{"keys", keys}}, exit.code);
    if (!res) return;
    if (t->json)
      print_json(*res);
    else
      std::cout << "trust list " << res->at("number").get<std::uint64_t>() << ": " << keys.size()
                << " issuer key(s)\n";
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
    // Page by page (each read is audited), until a page comes back short.
    for (std::int64_t after = 0;;) {
      auto res = perform(*j, "GET",
                         "/v1/operator/journal?device=" + percent_encoded(j->device) +
                             "&after=" + std::to_string(after) +
                             "&limit=" + std::to_string(gk::upstream::kMaxPageRows),
                         nullptr, exit.code);
      if (!res) return;
      const auto& rows = res->at("passages");
      for (const auto& p : rows) {
        after = p.at("seq").get<std::int64_t>();
        if (j->json)
          std::cout << p.at("entry").get<std::string>() << "\n";
        else
          std::cout << after << " " << p.at("hash").get<std::string>() << "\n";
      }
      if (rows.size() < gk::upstream::kMaxPageRows) return;
    }
  });

  struct Retire : Common {
    std::string device;
  };
  auto x = std::make_shared<Retire>();
  auto* retire = up->add_subcommand(
      "retire", "Retire a device: its requests are refused from now on, its journal stays");
  add_common(retire, *x);
  retire->add_option("--device", x->device, "Device id")->required();
  retire->callback([x, &exit] {
    auto res = perform(*x, "POST", "/v1/operator/devices/retire", {{"id", x->device}}, exit.code);
    if (!res) return;
    if (x->json)
      print_json(*res);
    else
      std::cout << "device " << x->device << " retired\n";
  });

  auto d = std::make_shared<Common>();
  auto* devices = up->add_subcommand("devices", "Registered devices: 'id site [retired]' per line");
  add_common(devices, *d);
  devices->callback([d, &exit] {
    auto res = perform(*d, "GET", "/v1/operator/devices", nullptr, exit.code);
    if (!res) return;
    if (d->json) return print_json(*res);
    for (const auto& dev : res->at("devices"))
      std::cout << dev.at("id").get<std::string>() << " " << dev.at("site").get<std::string>()
                << (dev.at("retired_at").is_null() ? "" : " retired") << "\n";
  });

  struct Audit : Common {
    std::int64_t after = 0;
  };
  auto a = std::make_shared<Audit>();
  auto* audit = up->add_subcommand(
      "audit", "The audit log: 'seq time operator action target outcome' per line");
  add_common(audit, *a);
  audit->add_option("--after", a->after, "Only entries after this seq");
  audit->callback([a, &exit] {
    for (std::int64_t after = a->after;;) {
      auto res = perform(*a, "GET",
                         "/v1/operator/audit?after=" + std::to_string(after) +
                             "&limit=" + std::to_string(gk::upstream::kMaxPageRows),
                         nullptr, exit.code);
      if (!res) return;
      const auto& rows = res->at("entries");
      for (const auto& row : rows) {
        after = row.at("seq").get<std::int64_t>();
        if (a->json) {
          std::cout << row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
          continue;
        }
        const std::string target = row.at("target");
        std::cout << after << " " << row.at("time").get<std::int64_t>() << " "
                  << row.at("operator").get<std::string>() << " "
                  << row.at("action").get<std::string>() << " " << (target.empty() ? "-" : target)
                  << " " << row.at("outcome").get<std::string>() << "\n";
      }
      if (rows.size() < gk::upstream::kMaxPageRows) return;
    }
  });
}

}  // namespace gatectl
