// Journal append (hash chain + insert + head update + COMMIT, WAL, synchronous=FULL) vs a
// raw sqlite3 INSERT + COMMIT of a similar row with the same pragmas, same run, same disk.
#include <sqlite3.h>

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "bench_util.hpp"
#include "gk/journal/journal.hpp"

using namespace gk;
using bench::Clock;

namespace {
constexpr int kRows = 2000;

Passage row(int i) {
  Passage p;
  p.time = 1'600'000'000 + i;
  p.gate = "莲花北村北门";
  p.credential_kind = CredentialKind::qr;
  p.pass_id = PassId{static_cast<std::uint8_t>(i)};
  p.role = Role::resident;
  p.decision = Decision::admit;
  p.reason = Reason::ok;
  p.temperature_c = 36.5;
  p.holder = "张**";
  return p;
}

// Aborts the benchmark on a setup error: a silently failing baseline would print nonsense.
void check(sqlite3* db, int rc, int want, const char* what) {
  if (rc == want) return;
  std::fprintf(stderr, "bench_journal: %s: %s\n", what, sqlite3_errmsg(db));
  std::exit(1);
}

std::vector<double> raw_sqlite(const std::filesystem::path& file, const char* sync) {
  sqlite3* db = nullptr;
  check(db, sqlite3_open(file.c_str(), &db), SQLITE_OK, "open");
  std::string pragmas = std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=") + sync + ";";
  check(db, sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, nullptr), SQLITE_OK, "pragmas");
  check(db,
        sqlite3_exec(db,
                     "CREATE TABLE t(seq INTEGER PRIMARY KEY, time INTEGER, gate TEXT,"
                     " direction TEXT, kind TEXT, pass_id TEXT, role TEXT, decision TEXT,"
                     " reason TEXT, temp REAL, holder TEXT, prev TEXT, hash TEXT)",
                     nullptr, nullptr, nullptr),
        SQLITE_OK, "create");
  sqlite3_stmt* st = nullptr;
  check(db,
        sqlite3_prepare_v2(
            db, "INSERT INTO t VALUES(?,?,?,'in','qr',?,'resident','admit','ok',36.5,?,?,?)", -1,
            &st, nullptr),
        SQLITE_OK, "prepare");
  std::vector<double> us;
  us.reserve(kRows);
  const std::string hash(64, 'a');
  for (int i = 1; i <= kRows; ++i) {
    auto t = Clock::now();
    check(db, sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), SQLITE_OK, "begin");
    sqlite3_bind_int(st, 1, i);
    sqlite3_bind_int(st, 2, 1'600'000'000 + i);
    sqlite3_bind_text(st, 3, "莲花北村北门", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, "000102030405060708090a0b0c0d0e0f", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, "张**", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, hash.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, hash.c_str(), -1, SQLITE_STATIC);
    check(db, sqlite3_step(st), SQLITE_DONE, "insert");
    sqlite3_reset(st);
    check(db, sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK, "commit");
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return us;
}
}  // namespace

int main() {
  auto dir =
      std::filesystem::temp_directory_path() / ("gk-bench-journal-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto journal = Journal::open(dir / "journal.db");
  if (!journal) {
    std::fprintf(stderr, "bench_journal: cannot open the journal in %s\n", dir.c_str());
    return 1;
  }
  std::vector<double> ours;
  ours.reserve(kRows);
  for (int i = 1; i <= kRows; ++i) {
    auto t = Clock::now();
    if (!journal->append(row(i))) {
      std::fprintf(stderr, "bench_journal: append %d failed\n", i);
      return 1;
    }
    ours.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
  }
  auto full = raw_sqlite(dir / "raw-full.db", "FULL");
  auto normal = raw_sqlite(dir / "raw-normal.db", "NORMAL");
  std::filesystem::remove_all(dir);
  std::printf("journal commit latency, %d rows each, WAL, one COMMIT per row, on %s\n", kRows,
              std::filesystem::temp_directory_path().c_str());
  std::printf("  %-46s %10s %10s\n", "", "median us", "p99 us");
  auto line = [](const char* name, const std::vector<double>& v) {
    std::printf("  %-46s %10.1f %10.1f\n", name, bench::percentile(v, 0.5),
                bench::percentile(v, 0.99));
  };
  line("Journal::append (synchronous=FULL, chained)", ours);
  line("raw sqlite3 INSERT+COMMIT (synchronous=FULL)", full);
  line("raw sqlite3 INSERT+COMMIT (synchronous=NORMAL)", normal);
  std::printf("  ratio ours / raw FULL: median %.2f, p99 %.2f\n",
              bench::percentile(ours, 0.5) / bench::percentile(full, 0.5),
              bench::percentile(ours, 0.99) / bench::percentile(full, 0.99));
  return 0;
}
