#pragma once
// gatectl's subcommands. Each registers itself on the app and writes its exit status:
// 0 done / valid, 1 refused (a pass that does not verify, a broken chain), 2 usage or
// input error.
#include <CLI/CLI.hpp>
#include <string>

namespace gatectl {

struct Exit {
  int code = 0;
};

void register_keys(CLI::App& app, Exit& exit);
void register_pass(CLI::App& app, Exit& exit);
void register_revoke(CLI::App& app, Exit& exit);
void register_journal(CLI::App& app, Exit& exit);
void register_scan(CLI::App& app, Exit& exit);
void register_card(CLI::App& app, Exit& exit);
void register_idcard(CLI::App& app, Exit& exit);
void register_hw(CLI::App& app, Exit& exit);
void register_upstream(CLI::App& app, Exit& exit);
void register_guard(CLI::App& app, Exit& exit);
void register_flash(CLI::App& app, Exit& exit);
void register_health(CLI::App& app, Exit& exit);
void register_provision(CLI::App& app, Exit& exit);
void register_status(CLI::App& app, Exit& exit);
void register_thermometer(CLI::App& app, Exit& exit);

}  // namespace gatectl
