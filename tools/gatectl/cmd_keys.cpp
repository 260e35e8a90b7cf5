#include <ctime>

#include "commands.hpp"
#include "gk/pass/keys.hpp"
#include "output.hpp"

namespace gatectl {

void register_keys(CLI::App& app, Exit& exit) {
  struct Options {
    std::string out, name = "issuer";
    std::vector<std::string> sites{"*"};
    int valid_days = 0;
    bool json = false;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "keygen", "Create a key pair: DIR/NAME.key (0600), DIR/NAME.pub (NAME: issuer, device...)");
  cmd->add_option("--out", opt->out, "Directory to write into (created if missing)")->required();
  cmd->add_option("--site", opt->sites, "Compound this key may issue for (repeatable; * = any)")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--valid-days", opt->valid_days, "Key validity in days from now (0 = unlimited)")
      ->check(CLI::Range(0, 36500));
  cmd->add_option("--name", opt->name, "File stem (default issuer; e.g. device)")
      ->check([](const std::string& s) {
        return s.empty() || s.find('/') != std::string::npos || s[0] == '.'
                   ? std::string("a plain file stem")
                   : std::string();
      });
  cmd->add_flag("--json", opt->json, "Print the public key as JSON");
  cmd->callback([opt, &exit] {
    std::error_code ec;
    std::filesystem::create_directories(opt->out, ec);
    if (ec)
      return void(exit.code =
                      report_error("cannot create " + opt->out + ": " + ec.message(), opt->json));
    gk::UnixTime now = std::time(nullptr);
    auto pair = gk::generate_issuer_key(opt->sites, opt->valid_days ? now : 0,
                                        opt->valid_days ? now + opt->valid_days * 86400LL : 0);
    if (auto s = gk::save_key_pair(pair, opt->out, opt->name); !s)
      return void(exit.code = report_fault(s.error(), opt->json));
    if (opt->json)
      print_json(nlohmann::json::parse(gk::public_key_json(pair.info)));
    else
      std::cout << "key id " << gk::to_hex(pair.info.id) << ": " << opt->out << "/" << opt->name
                << ".key, " << opt->out << "/" << opt->name << ".pub\n";
  });
}

}  // namespace gatectl
