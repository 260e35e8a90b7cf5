#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gk_test_support.hpp"
#include "journal_fixture.hpp"

using namespace gk;
using gk::test::sample_passage;

namespace {
void raw_sql(const std::filesystem::path& db, const std::string& statement) {
  auto d = sql::Database::open(db.string());
  REQUIRE(d.ok());
  REQUIRE(d->exec(statement).ok());
}

std::string file_bytes(const std::filesystem::path& f) {
  std::ifstream in(f, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
}  // namespace

TEST_CASE("appended passages read back with every field", "[journal]") {
  test::ScratchDir dir;
  auto j = Journal::open(dir / "journal.db");
  REQUIRE(j.ok());
  Passage p = sample_passage(3);
  p.operator_id = "guard-07";
  p.consenting_resident = PassId{9};
  p.detail = "anti_passback(soft)";
  p.sealed = {1, 2, 3};
  auto seq = j->append(p);
  REQUIRE(seq.ok());
  CHECK(*seq == 1);
  CHECK(*j->append(sample_passage(4)) == 2);
  auto e = j->entries(0, 10);
  REQUIRE(e.size() == 2);
  CHECK(e[0].seq == 1);
  CHECK(e[0].passage.gate == p.gate);
  CHECK(e[0].passage.pass_id == p.pass_id);
  CHECK(e[0].passage.operator_id == p.operator_id);
  CHECK(e[0].passage.consenting_resident == p.consenting_resident);
  CHECK(e[0].passage.sealed == p.sealed);
  CHECK(e[0].passage.temperature_c == Approx(36.3));
  CHECK(e[1].prev_hash == e[0].hash);
  CHECK(j->verify().ok);
}

TEST_CASE("the raw phone number never reaches the disk", "[journal]") {
  test::ScratchDir dir;
  {
    auto j = Journal::open(dir / "journal.db");
    REQUIRE(j.ok());
    Passage p = sample_passage(1);
    p.phone = "13812348058";
    REQUIRE(j->append(p).ok());
    auto e = j->entries(0, 1);
    CHECK(e[0].passage.phone == "138**8058");
  }
  for (auto f : {"journal.db", "journal.db-wal"})
    if (std::filesystem::exists(dir / f))
      CHECK(file_bytes(dir / f).find("13812348058") == std::string::npos);
}

TEST_CASE("the hash chain detects edits and deletions", "[journal]") {
  test::ScratchDir dir;
  const auto db = dir / "journal.db";
  {
    auto j = Journal::open(db);
    REQUIRE(j.ok());
    for (int i = 1; i <= 10; ++i) REQUIRE(j->append(sample_passage(i)).ok());
  }
  auto verify = [&] { return Journal::open(db)->verify(); };
  REQUIRE(verify().ok);
  CHECK(verify().rows == 10);

  SECTION("an edited decision") {
    raw_sql(db, "UPDATE passages SET decision='deny' WHERE seq=4");
    auto r = verify();
    CHECK_FALSE(r.ok);
    CHECK(r.first_bad_seq == 4);
    CHECK(r.problem.find("edited") != std::string::npos);
  }
  SECTION("an edited temperature, by a tenth of a degree") {
    raw_sql(db, "UPDATE passages SET temperature_c=temperature_c-0.1 WHERE seq=7");
    CHECK(verify().first_bad_seq == 7);
  }
  SECTION("a NULL made into a value") {
    raw_sql(db, "UPDATE passages SET operator_id='x' WHERE seq=2");
    CHECK(verify().first_bad_seq == 2);
  }
  SECTION("a deleted middle row") {
    raw_sql(db, "DELETE FROM passages WHERE seq=5");
    auto r = verify();
    CHECK_FALSE(r.ok);
    CHECK(r.first_bad_seq == 5);
  }
  SECTION("the deleted last row") {
    raw_sql(db, "DELETE FROM passages WHERE seq=10");
    CHECK_FALSE(verify().ok);
  }
  SECTION("a row re-hashed after editing still breaks the next link") {
    auto j = Journal::open(db);
    auto e = j->entries(3, 1)[0];
    e.passage.decision = Decision::deny;
    std::string forged = chain_hash(4, row_fields(e.passage), e.prev_hash);
    raw_sql(db, "UPDATE passages SET decision='deny', hash='" + forged + "' WHERE seq=4");
    CHECK(verify().first_bad_seq == 5);
  }
}

TEST_CASE("retention purge keeps the chain verifiable", "[journal]") {
  test::ScratchDir dir;
  auto j = Journal::open(dir / "journal.db");
  REQUIRE(j.ok());
  for (int i = 1; i <= 20; ++i) REQUIRE(j->append(sample_passage(i)).ok());
  auto purged = j->purge_older_than(sample_passage(8).time, j->head_seq());
  REQUIRE(purged.ok());
  CHECK(purged->purged == 7);
  CHECK(j->count() == 13);
  CHECK(j->verify().ok);
  REQUIRE(j->append(sample_passage(21)).ok());
  CHECK(j->verify().ok);
  raw_sql(dir / "journal.db", "DELETE FROM passages WHERE seq=8");  // the first kept row
  CHECK(Journal::open(dir / "journal.db")->verify().first_bad_seq == 8);
}

TEST_CASE("anti-passback asks for the last admitted direction", "[journal]") {
  test::ScratchDir dir;
  auto j = Journal::open(dir / "journal.db");
  Passage p = sample_passage(2);  // in
  REQUIRE(j->append(p).ok());
  CHECK(j->last_direction(*p.pass_id, 0) == Direction::in);
  CHECK_FALSE(j->last_direction(*p.pass_id, p.time + 1));  // outside the window
  Passage denied = p;
  denied.direction = Direction::out;
  denied.decision = Decision::deny;
  REQUIRE(j->append(denied).ok());
  CHECK(j->last_direction(*p.pass_id, 0) == Direction::in);  // refusals do not count
}

TEST_CASE("schema migrations: fresh file, and a newer one is refused", "[journal]") {
  test::ScratchDir dir;
  REQUIRE(Journal::open(dir / "journal.db").ok());
  raw_sql(dir / "journal.db", "PRAGMA user_version=99");
  auto r = Journal::open(dir / "journal.db");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == DbCode::cannot_open);
  CHECK(r.error().detail.find("newer") != std::string::npos);
}

TEST_CASE("skin and ambient readings are journaled and hashed", "[journal]") {
  test::ScratchDir dir;
  auto j = Journal::open(dir / "journal.db");
  REQUIRE(j.ok());
  Passage p = sample_passage(1);
  p.skin_c = 35.4321;
  p.ambient_c = 4.987;
  REQUIRE(j->append(p).ok());
  REQUIRE(j->append(sample_passage(2)).ok());  // a row without readings
  auto e = j->entries(0, 10);
  REQUIRE(e.size() == 2);
  CHECK(e[0].passage.skin_c == Approx(35.43));
  CHECK(e[0].passage.ambient_c == Approx(4.99));
  CHECK_FALSE(e[1].passage.skin_c);
  REQUIRE(j->verify().ok);
  raw_sql(dir / "journal.db", "UPDATE passages SET ambient_c=ambient_c+10 WHERE seq=1");
  auto r = j->verify();
  CHECK_FALSE(r.ok);
  CHECK(r.first_bad_seq == 1);
}

TEST_CASE("a schema 1 journal is upgraded and its old rows still verify", "[journal]") {
  test::ScratchDir dir;
  {
    auto j = Journal::open(dir / "journal.db");
    REQUIRE(j.ok());
    REQUIRE(j->append(sample_passage(1)).ok());
  }
  // Make it the file the previous firmware wrote: no reading columns, user_version 1.
  raw_sql(dir / "journal.db",
          "ALTER TABLE passages DROP COLUMN skin_c; ALTER TABLE passages DROP COLUMN ambient_c;"
          " PRAGMA user_version=1");
  auto j = Journal::open(dir / "journal.db");
  REQUIRE(j.ok());
  CHECK(j->verify().ok);
  Passage p = sample_passage(2);
  p.skin_c = 34.9;
  p.ambient_c = 22.0;
  REQUIRE(j->append(p).ok());
  CHECK(j->verify().ok);
  CHECK(j->entries(1, 1).at(0).passage.skin_c == Approx(34.9));
}

TEST_CASE("a journal that cannot be written fails closed with journal_unavailable", "[journal]") {
  test::ScratchDir dir;
  CHECK(Journal::open(dir / "no/such/dir/journal.db").error().code == DbCode::cannot_open);
  auto j = Journal::open(dir / "journal.db");
  REQUIRE(j.ok());
  // Another connection holds the write lock: append must fail, not wait forever or throw.
  auto other = sql::Database::open((dir / "journal.db").string());
  REQUIRE(other->exec("BEGIN EXCLUSIVE").ok());
  sqlite3_busy_timeout(other->get(), 0);
  auto r = j->append(sample_passage(1));
  CHECK(r.error().code == DbCode::io);
  REQUIRE(other->exec("ROLLBACK").ok());
  CHECK(j->append(sample_passage(1)).ok());
}

TEST_CASE("CSV export quotes and JSON export parses back", "[journal]") {
  test::ScratchDir dir;
  auto j = Journal::open(dir / "journal.db");
  Passage p = sample_passage(1);
  p.detail = "comma, \"quote\"\nnewline";
  REQUIRE(j->append(p).ok());
  std::ostringstream csv;
  j->export_csv(csv);
  CHECK(csv.str().find("\"comma, \"\"quote\"\"\nnewline\"") != std::string::npos);
  std::ostringstream js;
  j->export_json_lines(js);
  auto row = nlohmann::json::parse(js.str());
  CHECK(row["detail"] == p.detail);
  CHECK(row["reason"] == "ok");
  CHECK(row["temperature_c"] == 36.1);
}

TEST_CASE("retention never deletes what the upstream has not acknowledged, unless forced",
          "[journal]") {
  test::ScratchDir dir;
  auto j = Journal::open(dir / "journal.db");
  REQUIRE(j.ok());
  for (int i = 1; i <= 20; ++i) REQUIRE(j->append(sample_passage(i)).ok());
  const UnixTime cutoff = sample_passage(8).time;  // rows 1..7 are older
  auto r = j->purge_older_than(cutoff, 5);
  REQUIRE(r.ok());
  CHECK(r->purged == 5);
  CHECK(r->held_back == 2);
  CHECK(r->unacknowledged_purged == 0);
  CHECK(r->remaining == 15);
  CHECK(j->verify().ok);
  // Nothing acknowledged at all: nothing goes.
  r = j->purge_older_than(cutoff, 0);
  CHECK(r->purged == 0);
  CHECK(r->held_back == 2);
  // Forced: the two go, and are counted.
  r = j->purge_older_than(cutoff, 5, true);
  REQUIRE(r.ok());
  CHECK(r->purged == 2);
  CHECK(r->unacknowledged_purged == 2);
  CHECK(r->held_back == 0);
  CHECK(j->count() == 13);
  CHECK(j->verify().ok);
}

TEST_CASE("verify reports a damaged file as damaged", "[journal]") {
  test::ScratchDir dir;
  const auto db = dir / "journal.db";
  {
    auto j = Journal::open(db);
    REQUIRE(j.ok());
    std::vector<Passage> rows;
    for (int i = 1; i <= 2000; ++i) rows.push_back(sample_passage(i));
    REQUIRE(j->append_all(rows).ok());
  }  // closed: checkpointed into journal.db, WAL removed
  REQUIRE(Journal::open_read_only(db)->verify().ok);
  {
    // Garbage over a few b-tree pages in the middle of the file (not the header page).
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    const auto size = std::filesystem::file_size(db);
    REQUIRE(size > 40 * 4096);
    f.seekp(static_cast<std::streamoff>(size / 2 / 4096 * 4096));
    const std::string garbage(3 * 4096, '\xA5');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  auto j = Journal::open_read_only(db);
  REQUIRE(j.ok());
  const VerifyReport r = j->verify();
  CHECK_FALSE(r.ok);
  CHECK(r.problem.rfind("damaged file", 0) == 0);
  CHECK(r.integrity != "ok");
}

TEST_CASE("a tail verify checks the newest rows and their link", "[journal]") {
  test::ScratchDir dir;
  const auto db = dir / "journal.db";
  {
    auto j = Journal::open(db);
    for (int i = 1; i <= 30; ++i) REQUIRE(j->append(sample_passage(i)).ok());
  }
  raw_sql(db, "UPDATE passages SET decision='deny' WHERE seq=3");
  auto j = Journal::open_read_only(db);
  CHECK(j->verify(10).ok);  // row 3 is outside the tail
  CHECK(j->verify(10).rows == 10);
  CHECK(j->verify().first_bad_seq == 3);
  raw_sql(db, "UPDATE passages SET holder='李**' WHERE seq=25");
  CHECK(j->verify(10).first_bad_seq == 25);
  raw_sql(db, "DELETE FROM passages WHERE seq=20");  // the row the tail links to
  CHECK_FALSE(j->verify(10).ok);
}

TEST_CASE("open_read_only never creates, migrates or writes", "[journal]") {
  test::ScratchDir dir;
  CHECK(Journal::open_read_only(dir / "journal.db").error().code == DbCode::cannot_open);
  CHECK_FALSE(std::filesystem::exists(dir / "journal.db"));
  { std::ofstream(dir / "notes.txt") << "not a database\n"; }
  CHECK_FALSE(Journal::open_read_only(dir / "notes.txt").ok());
  raw_sql(dir / "empty.db", "CREATE TABLE t(x)");
  CHECK(Journal::open_read_only(dir / "empty.db").error().detail.find("not a journal") !=
        std::string::npos);
  // Beside a running writer: reads its rows, and the writer's watch does not trip.
  auto writer = Journal::open(dir / "journal.db");
  REQUIRE(writer->append(sample_passage(1)).ok());
  auto reader = Journal::open_read_only(dir / "journal.db");
  REQUIRE(reader.ok());
  CHECK(reader->summary().head_seq == 1);
  CHECK(reader->verify().ok);
  CHECK_FALSE(reader->append(sample_passage(2)).ok());
  CHECK(writer->append(sample_passage(2)).ok());
  CHECK(writer->watch().ok());
}

TEST_CASE("a journal changed under its writer fails closed, and stays closed", "[journal]") {
  test::ScratchDir dir;
  const auto db = dir / "journal.db";
  auto j = Journal::open(db);
  REQUIRE(j.ok());
  for (int i = 1; i <= 5; ++i) REQUIRE(j->append(sample_passage(i)).ok());
  REQUIRE(j->watch().ok());

  SECTION("the WAL truncated") {
    std::filesystem::resize_file(dir / "journal.db-wal", 0);
    auto r = j->append(sample_passage(6));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == DbCode::changed);
    CHECK(r.error().detail.find("shrank") != std::string::npos);
  }
  SECTION("the database truncated") {
    std::filesystem::resize_file(db, 0);
    CHECK(j->append(sample_passage(6)).error().detail.find("journal.db shrank") !=
          std::string::npos);
  }
  SECTION("the files replaced by others") {
    for (auto f : {"journal.db", "journal.db-wal"}) {
      std::filesystem::copy_file(dir / f, dir / (std::string(f) + ".copy"));
      std::filesystem::rename(dir / (std::string(f) + ".copy"), dir / f);
    }
    CHECK(j->append(sample_passage(6)).error().detail.find("replaced") != std::string::npos);
  }
  SECTION("the files removed") {
    std::filesystem::remove(db);
    CHECK(j->append(sample_passage(6)).error().detail.find("removed") != std::string::npos);
  }
  SECTION("another process commits to it") {
    raw_sql(db, "UPDATE passages SET decision='deny' WHERE seq=2");
    CHECK(j->append(sample_passage(6)).error().detail.find("another process") != std::string::npos);
  }
  // Latched: whatever happens next, this journal takes no more rows.
  CHECK_FALSE(j->append(sample_passage(7)).ok());
  CHECK_FALSE(j->watch().ok());
}

TEST_CASE("a row's hash is the same from its fields and from the passage, and never changes",
          "[journal][chain]") {
  // Stored journals verify only while the hash of a row stays what it was when the row was
  // written: these were computed by the field-by-field form of 2026-12-03 (before the
  // passage form existed). Quotes, a backslash, NUL, Chinese text, null fields and the
  // readings (a skin reading missing beside an ambient one) are all in them.
  Passage a;
  a.time = 1700000000;
  a.gate = "北门, \"east\"\\";
  a.credential_kind = CredentialKind::qr;
  a.pass_id = PassId{1, 2, 3};
  a.role = Role::resident;
  a.decision = Decision::admit;
  a.reason = Reason::ok;
  a.temperature_c = 36.5;
  a.skin_c = 34.62;
  a.ambient_c = 21.25;
  a.holder = "张*";
  a.phone = "138**8058";
  a.detail = std::string("x\0y", 3);
  a.sealed = Bytes{0, 255};
  Passage b;
  b.time = -5;
  b.operator_id = "staff-1";
  b.consenting_resident = PassId{9};
  b.ambient_c = 20.0;
  b.decision = Decision::deny;
  b.reason = Reason::fever;
  const Passage c;
  const std::string ha = "480edbf9a08ae06175c27e62c2f18ac643369566e9c43abbfcabbcfc7d313d34";
  const std::string hb = "d3a8fa8482b38d1ce3a8acdfa65daec882931a6f305720e5765c0f71820b41cb";
  const std::string hc = "91c149cc35ab9b88475822d47c38053242c30ef4409128491aec237e41ea933b";
  CHECK(chain_hash(1, row_fields(a), kGenesisHash) == ha);
  CHECK(chain_hash(1, a, kGenesisHash) == ha);
  CHECK(chain_hash(2, row_fields(b), "ab") == hb);
  CHECK(chain_hash(2, b, "ab") == hb);
  CHECK(chain_hash(9007199254740993LL, row_fields(c), "") == hc);
  CHECK(chain_hash(9007199254740993LL, c, "") == hc);
  CHECK(chain_hash(1, a, "") != ha);  // prev_hash is part of it
}
