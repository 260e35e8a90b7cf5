// gatectl guard add: give a guard (holder of a staff pass) a PIN for the guard console.
// The PIN is read from stdin, never from the command line (it would land in shell history
// and in the process list).
#include <iostream>

#include "commands.hpp"
#include "gk/kiosk/guards.hpp"
#include "gk/pass/codec.hpp"
#include "output.hpp"

namespace gatectl {

void register_guard(CLI::App& app, Exit& exit) {
  auto* guard = app.add_subcommand("guard", "Guards of the guard console");
  guard->require_subcommand(1);
  struct Options {
    std::string file, pass;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* add = guard->add_subcommand(
      "add", "Set a guard's PIN (read from stdin) for a staff pass; the file is kept 0600");
  add->add_option("--file", o->file, "The guards file ([console] guards_file)")->required();
  add->add_option("PASS", o->pass, "The guard's staff pass: text, a file holding it, or -")
      ->required();
  add->add_flag("--json", o->json, "JSON output");
  add->callback([o, &exit] {
    std::string text;
    if (!read_input(o->pass, text))
      return void(exit.code = report_error("cannot read " + o->pass, o->json));
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    auto parsed = gk::parse_pass_text(text);
    if (!parsed) return void(exit.code = report_failure(parsed.failure(), o->json));
    if (parsed->pass.role != gk::Role::staff)
      return void(exit.code = report_error("not a staff pass", o->json));
    std::string pin;
    if (o->pass == "-" || !std::getline(std::cin, pin))
      return void(exit.code = report_error("give the PIN on stdin (one line)", o->json));
    auto s = gk::GuardRegistry::set_pin(o->file, parsed->pass.id, pin);
    if (!s) return void(exit.code = report_fault(s.error(), o->json));
    const std::string id = "staff-" + gk::to_hex(parsed->pass.id).substr(0, 8);
    if (o->json)
      print_json({{"guard", id}, {"file", o->file}});
    else
      std::cout << "guard " << id << " can log in with this PIN (" << o->file << ")\n";
  });
}

}  // namespace gatectl
