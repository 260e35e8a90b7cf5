// gatectl journal verify|export|purge
#include <ctime>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "gk/journal/journal.hpp"
#include "gk/sync/state.hpp"
#include "output.hpp"

namespace gatectl {

void register_journal(CLI::App& app, Exit& exit) {
  auto* j = app.add_subcommand("journal", "Verify, export or purge a kiosk's passage journal");
  j->require_subcommand(1);

  auto vdb = std::make_shared<std::string>();
  auto* v = j->add_subcommand("verify", "Check the hash chain: exit 0 intact, 1 broken");
  v->add_option("DB", *vdb, "journal.db")->required()->check(CLI::ExistingFile);
  v->callback([vdb, &exit] {
    auto journal = gk::Journal::open_read_only(*vdb);
    if (!journal) return void(exit.code = report_fault(journal.error(), true));
    gk::VerifyReport r = journal->verify();
    nlohmann::json out{
        {"ok", r.ok}, {"rows", r.rows}, {"head", journal->head_seq()}, {"integrity", r.integrity}};
    if (!r.ok) {
      out["first_bad_seq"] = r.first_bad_seq ? nlohmann::json(*r.first_bad_seq) : nullptr;
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
    auto journal = gk::Journal::open_read_only(eo->db);
    if (!journal) return void(exit.code = report_fault(journal.error(), false));
    if (eo->format == "csv")
      journal->export_csv(std::cout, eo->from, eo->until);
    else
      journal->export_json_lines(std::cout, eo->from, eo->until);
  });

  struct PurgeOptions {
    std::string db, sync_db;
    int days = 0;
    bool force = false;
  };
  auto po = std::make_shared<PurgeOptions>();
  auto* p =
      j->add_subcommand("purge", "Delete passages older than N days; the chain still verifies");
  p->add_option("DB", po->db, "journal.db")->required()->check(CLI::ExistingFile);
  p->add_option("--older-than-days", po->days, "Retention in days")
      ->required()
      ->check(CLI::Range(1, 3650));
  p->add_option("--sync-db", po->sync_db,
                "The kiosk's sync.db, holding the upstream's acknowledged mark (default: "
                "sync.db beside DB; none: nothing is acknowledged)");
  p->add_flag("--force", po->force,
              "Also delete rows the upstream has not acknowledged (they are then lost upstream)");
  p->callback([po, &exit] {
    // Only rows the upstream acknowledged may go: a deleted unacknowledged row would make
    // every later upload a gap (409) and lose the passage for good.
    const std::filesystem::path sync_db =
        po->sync_db.empty() ? std::filesystem::path(po->db).parent_path() / "sync.db"
                            : std::filesystem::path(po->sync_db);
    std::int64_t acked = 0;
    if (std::filesystem::exists(sync_db)) {
      auto state = gk::sync::SyncState::open(sync_db);
      if (!state) return void(exit.code = report_fault(state.error(), true));
      acked = state->acked();
    }
    auto journal = gk::Journal::open(po->db);
    if (!journal) return void(exit.code = report_fault(journal.error(), true));
    auto r = journal->purge_older_than(std::time(nullptr) - po->days * 86400LL, acked, po->force);
    if (!r) return void(exit.code = report_fault(r.error(), true));
    nlohmann::json out{{"purged", r->purged},
                       {"remaining", r->remaining},
                       {"acknowledged_seq", acked},
                       {"held_back_unacknowledged", r->held_back}};
    if (po->force) out["unacknowledged_purged"] = r->unacknowledged_purged;
    print_json(out);
    if (r->held_back > 0)
      std::cerr << r->held_back
                << " row(s) older than the cutoff were kept: the upstream has not acknowledged "
                   "them (sync first, or --force to delete them anyway)\n";
    if (r->unacknowledged_purged > 0)
      std::cerr << r->unacknowledged_purged
                << " row(s) the upstream never acknowledged were deleted (--force)\n";
  });
}

}  // namespace gatectl
