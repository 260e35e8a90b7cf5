// gatectl: the issuer's and the technician's command line.
#include <iostream>

#include "commands.hpp"
#include "gk/core/utf8.hpp"

int main(int argc, char** argv) {
  if (auto refused = gk::utf8::refuse_arguments(argc, argv)) {
    std::cerr << "gatectl: " << *refused << "\n";
    return 2;
  }
  CLI::App app{"gatectl: issue and verify passes, manage keys, revocations and the journal"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("gatectl ") + GK_VERSION);
  gatectl::Exit exit;
  gatectl::register_keys(app, exit);
  gatectl::register_pass(app, exit);
  gatectl::register_revoke(app, exit);
  gatectl::register_journal(app, exit);
  gatectl::register_scan(app, exit);
  gatectl::register_card(app, exit);
  gatectl::register_idcard(app, exit);
  gatectl::register_hw(app, exit);
  gatectl::register_upstream(app, exit);
  gatectl::register_guard(app, exit);
  gatectl::register_flash(app, exit);
  gatectl::register_health(app, exit);
  gatectl::register_provision(app, exit);
  gatectl::register_status(app, exit);
  gatectl::register_thermometer(app, exit);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;  // usage errors are exit 2, never confused with "pass refused" (1)
  } catch (const std::exception& e) {
    std::cerr << "gatectl: internal error: " << e.what() << "\n";
    return 3;
  }
  return exit.code;
}
