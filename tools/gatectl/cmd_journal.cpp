// gatectl journal verify|export|purge
#include <ctime>
#include <iostream>

#include "commands.hpp"
#include "gk/journal/journal.hpp"
#include "output.hpp"

namespace gatectl {

void register_journal(CLI::App& app, Exit& exit) {
  auto* j = app.add_subcommand("journal", "Verify, export or purge a kiosk's passage journal");
  j->require_subcommand(1);

  auto vdb = std::make_shared<std::string>();
  auto* v = j->add_subcommand("verify", "Check the hash chain: exit 0 intact, 1 broken");
  v->add_option("DB", *vdb, "journal.db")->required()->check(CLI::ExistingFile);
  v->callback([vdb, &exit] {
    auto journal = gk::Journal::open(*vdb);
    if (!journal) return void(exit.code = report_failure(journal.failure(), true));
    gk::VerifyReport r = journal->verify();
    nlohmann::json out{{"ok", r.ok}, {"rows", r.rows}, {"head", journal->head_seq()}};
    if (!r.ok) {
      out["first_bad_seq"] = *r.first_bad_seq;
      out["problem"] = r.problem;
    }
    print_json(out);
    exit.code = r.ok ? 0 : 1;
  });

  struct ExportOptions {
    std::string db, format = "csv";
    std::int64_t from = 0, until = 0;
  };
  auto eo = std::make_shared<ExportOptions>();
  auto* e = j->add_subcommand("export", "Export passages as CSV or JSON lines");
  e->add_option("DB", eo->db, "journal.db")->required()->check(CLI::ExistingFile);
  e->add_option("--format", eo->format, "csv | json")->check(CLI::IsMember({"csv", "json"}));
  e->add_option("--from", eo->from, "Only passages at or after this unix time");
  e->add_option("--until", eo->until, "Only passages at or before this unix time");
  e->callback([eo, &exit] {
    auto journal = gk::Journal::open(eo->db);
    if (!journal) return void(exit.code = report_failure(journal.failure(), false));
    if (eo->format == "csv")
      journal->export_csv(std::cout, eo->from, eo->until);
    else
      journal->export_json_lines(std::cout, eo->from, eo->until);
  });

  struct PurgeOptions {
    std::string db;
    int days = 0;
  };
  auto po = std::make_shared<PurgeOptions>();
  auto* p =
      j->add_subcommand("purge", "Delete passages older than N days; the chain still verifies");
  p->add_option("DB", po->db, "journal.db")->required()->check(CLI::ExistingFile);
  p->add_option("--older-than-days", po->days, "Retention in days")
      ->required()
      ->check(CLI::Range(1, 3650));
  p->callback([po, &exit] {
    auto journal = gk::Journal::open(po->db);
    if (!journal) return void(exit.code = report_failure(journal.failure(), true));
    auto n = journal->purge_older_than(std::time(nullptr) - po->days * 86400LL);
    if (!n) return void(exit.code = report_failure(n.failure(), true));
    print_json({{"purged", *n}, {"remaining", journal->count()}});
  });
}

}  // namespace gatectl
