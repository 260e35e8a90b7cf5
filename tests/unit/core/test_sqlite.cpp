#include <catch2/catch.hpp>
#include <string>

#include "gk/core/sqlite.hpp"
#include "gk_test_support.hpp"

using namespace gk;

namespace {

// The connection's prepared statements, and how many of them are mid-step (holding a read
// snapshot or a lock).
struct Prepared {
  int count = 0, busy = 0;
};
Prepared prepared(const sql::Database& db) {
  Prepared p;
  for (sqlite3_stmt* s = sqlite3_next_stmt(db.get(), nullptr); s;
       s = sqlite3_next_stmt(db.get(), s)) {
    ++p.count;
    if (sqlite3_stmt_busy(s)) ++p.busy;
  }
  return p;
}

sql::Database open_numbers(const test::ScratchDir& dir) {
  auto db = sql::Database::open((dir / "t.db").string());
  REQUIRE(db.ok());
  REQUIRE(db->exec("PRAGMA journal_mode=WAL; CREATE TABLE t(n INTEGER)").ok());
  for (int i = 1; i <= 5; ++i) {
    sql::Statement ins(*db, "INSERT INTO t VALUES(?)");
    ins.bind(1, std::int64_t{i});
    REQUIRE(ins.step() == SQLITE_DONE);
  }
  return std::move(*db);
}

}  // namespace

TEST_CASE("a statement's text is prepared once per connection and kept reset", "[core][sqlite]") {
  test::ScratchDir dir;
  auto db = open_numbers(dir);
  const int before = prepared(db).count;
  for (int i = 0; i < 100; ++i) {
    sql::Statement st(db, "SELECT n FROM t WHERE n > ? ORDER BY n");
    st.bind(1, std::int64_t{2});
    REQUIRE(st.step() == SQLITE_ROW);  // left mid-result on purpose
    CHECK(st.i64(0) == 3);
  }
  // One more kept statement for the text, and none of them mid-step: a kept statement holds
  // no read snapshot, so it cannot keep a WAL checkpoint from completing.
  CHECK(prepared(db).count == before + 1);
  CHECK(prepared(db).busy == 0);
  int log = -1, done = -1;
  REQUIRE(sqlite3_wal_checkpoint_v2(db.get(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log, &done) ==
          SQLITE_OK);
  // Its bindings were cleared: unbound, the parameter is NULL and nothing compares greater.
  sql::Statement again(db, "SELECT n FROM t WHERE n > ? ORDER BY n");
  CHECK(again.step() == SQLITE_DONE);
}

TEST_CASE("a text is kept as written, trailing blanks and semicolon included", "[core][sqlite]") {
  // SQLite's own copy of the text (sqlite3_sql) ends with the first statement; the text the
  // caller wrote is the key, so these are prepared once each, not once per use.
  test::ScratchDir dir;
  auto db = open_numbers(dir);
  const int before = prepared(db).count;
  for (int i = 0; i < 20; ++i)
    for (std::string_view text :
         {"SELECT COUNT(*) FROM t ", "SELECT COUNT(*) FROM t;\n", "SELECT COUNT(*) FROM t"}) {
      sql::Statement st(db, text);
      REQUIRE(st.step() == SQLITE_ROW);
      CHECK(st.i64(0) == 5);
    }
  CHECK(prepared(db).count == before + 3);
}

TEST_CASE("one text in use twice at once gets two statements, each with its own rows",
          "[core][sqlite]") {
  test::ScratchDir dir;
  auto db = open_numbers(dir);
  const char* text = "SELECT n FROM t WHERE n >= ? ORDER BY n";
  {
    sql::Statement outer(db, text);
    outer.bind(1, std::int64_t{4});
    REQUIRE(outer.step() == SQLITE_ROW);
    {
      sql::Statement inner(db, text);
      inner.bind(1, std::int64_t{1});
      REQUIRE(inner.step() == SQLITE_ROW);
      CHECK(inner.i64(0) == 1);
    }
    CHECK(outer.i64(0) == 4);
    REQUIRE(outer.step() == SQLITE_ROW);
    CHECK(outer.i64(0) == 5);
  }
  // Three at once: two are kept, the third is finalized.
  const int before = prepared(db).count;
  {
    sql::Statement a(db, text), b(db, text), c(db, text);
    CHECK(prepared(db).count == before + 1);
  }
  CHECK(prepared(db).count == before);
}

TEST_CASE("statements of varying text are not kept past the bound", "[core][sqlite]") {
  test::ScratchDir dir;
  auto db = open_numbers(dir);
  for (int i = 0; i < 500; ++i) {
    sql::Statement st(db, "SELECT n + " + std::to_string(i) + " FROM t");
    REQUIRE(st.step() == SQLITE_ROW);
  }
  CHECK(prepared(db).count <= 64);
  CHECK(prepared(db).busy == 0);
}

TEST_CASE("kept statements move with their connection and end with it", "[core][sqlite]") {
  test::ScratchDir dir;
  auto db = open_numbers(dir);
  sql::Database moved = std::move(db);
  {
    sql::Statement st(moved, "SELECT COUNT(*) FROM t");
    REQUIRE(st.step() == SQLITE_ROW);
    CHECK(st.i64(0) == 5);
  }
  {
    sql::Transaction tx(moved);
    REQUIRE(tx.begun());
    sql::Statement ins(moved, "INSERT INTO t VALUES(?)");
    ins.bind(1, std::int64_t{6});
    REQUIRE(ins.step() == SQLITE_DONE);
    REQUIRE(tx.commit().ok());
  }
  {
    sql::Transaction tx(moved);  // rolled back: never committed
    sql::Statement ins(moved, "INSERT INTO t VALUES(?)");
    ins.bind(1, std::int64_t{7});
    REQUIRE(ins.step() == SQLITE_DONE);
  }
  sql::Statement count(moved, "SELECT COUNT(*) FROM t");
  REQUIRE(count.step() == SQLITE_ROW);
  CHECK(count.i64(0) == 6);
}

TEST_CASE("a statement that does not prepare says why and steps to an error", "[core][sqlite]") {
  test::ScratchDir dir;
  auto db = open_numbers(dir);
  sql::Statement bad(db, "SELECT nope FROM nowhere");
  CHECK_FALSE(bad.ok());
  CHECK(bad.error().find("nowhere") != std::string::npos);
  CHECK(bad.step() == SQLITE_MISUSE);
}
