#pragma once
// Minimal RAII over the SQLite C API: a Database owns sqlite3* and the prepared statements
// it keeps for reuse, a Statement borrows one of them for its scope, a Transaction rolls
// back unless committed. Errors are values of the database layer (DbError,
// gk/core/errors.hpp).
#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gk/core/bytes.hpp"
#include "gk/core/errors.hpp"

namespace gk::sql {

class Statement;

class Database {
 public:
  Database() = default;
  ~Database() { close(); }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  Database(Database&& o) noexcept
      : db_(std::exchange(o.db_, nullptr)), idle_(std::exchange(o.idle_, {})) {}
  Database& operator=(Database&& o) noexcept {
    if (this != &o) {
      close();
      db_ = std::exchange(o.db_, nullptr);
      idle_ = std::exchange(o.idle_, {});
    }
    return *this;
  }

  static DbResult<Database> open(const std::string& path, bool read_only = false) {
    Database d;
    int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(path.c_str(), &d.db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK)
      return db_error(DbCode::cannot_open,
                      path + ": " + (d.db_ ? sqlite3_errmsg(d.db_) : sqlite3_errstr(rc)));
    sqlite3_extended_result_codes(d.db_, 1);
    sqlite3_busy_timeout(d.db_, 5000);
    return d;
  }

  // Runs one or more statements without results.
  DbStatus exec(std::string_view sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err);
    if (rc == SQLITE_OK) return Done{};
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return db_error(code_of(rc), msg);
  }

  // A damaged file (SQLITE_CORRUPT, SQLITE_NOTADB) is damaged; any other failure is I/O.
  static DbCode code_of(int rc) {
    const int primary = rc & 0xff;
    return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB ? DbCode::damaged : DbCode::io;
  }

  sqlite3* get() const { return db_; }
  // SQLite ends a transaction by itself on some errors (disk full, I/O): after a failure
  // inside one, this says whether it is still open.
  bool in_transaction() const { return db_ && sqlite3_get_autocommit(db_) == 0; }
  std::string error() const { return db_ ? sqlite3_errmsg(db_) : "no database"; }

 private:
  friend class Statement;
  // Statements are prepared once per connection and kept: preparing (parsing and planning
  // the SQL) cost about as much as running the statement on the upstream's journal path.
  // A kept statement is reset, so it holds no lock and pins no WAL snapshot. At most
  // kMaxKept distinct texts are kept; statements built from varying text are finalized.
  static constexpr std::size_t kMaxKept = 64;

  // The kept statements of one text; null for a text past the bound (finalized when done).
  using Kept = std::vector<sqlite3_stmt*>;
  struct Taken {
    sqlite3_stmt* stmt = nullptr;
    Kept* kept = nullptr;
  };

  // Keyed by the text as the caller wrote it, never by sqlite3_sql(): that one stops at the
  // end of the first statement, so a text with a trailing blank or semicolon would be
  // prepared afresh every time.
  Taken take(std::string_view sql) const {
    auto it = idle_.find(sql);
    if (it != idle_.end() && !it->second.empty()) {
      sqlite3_stmt* st = it->second.back();
      it->second.pop_back();
      return {st, &it->second};
    }
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &st, nullptr) !=
        SQLITE_OK) {
      sqlite3_finalize(st);
      return {};
    }
    if (it == idle_.end() && idle_.size() < kMaxKept) it = idle_.emplace(sql, Kept{}).first;
    // Node-based: the address of a mapped value outlives rehashing.
    return {st, it == idle_.end() ? nullptr : &it->second};
  }
  void give_back(const Taken& t) const {
    sqlite3_reset(t.stmt);
    sqlite3_clear_bindings(t.stmt);
    // Two of one text are kept when they were in use at once (a nested query); more are not.
    if (t.kept && t.kept->size() < 2) {
      t.kept->push_back(t.stmt);
      return;
    }
    sqlite3_finalize(t.stmt);
  }
  void close() {
    for (auto& [_, kept] : idle_)
      for (sqlite3_stmt* st : kept) sqlite3_finalize(st);
    idle_.clear();
    if (db_) sqlite3_close_v2(db_);
    db_ = nullptr;
  }

  sqlite3* db_ = nullptr;
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  mutable std::unordered_map<std::string, Kept, TextHash, std::equal_to<>> idle_;
};

// A prepared statement borrowed from its Database for this scope (prepared on first use of
// its text, kept by the Database afterwards); it must not outlive the Database.
class Statement {
 public:
  Statement(const Database& db, std::string_view sql)
      : db_(db), taken_(db.take(sql)), stmt_(taken_.stmt) {
    if (!stmt_) error_ = sqlite3_errmsg(db.get());
  }
  ~Statement() {
    if (stmt_) db_.give_back(taken_);
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  const std::string& error() const { return error_; }

  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, ByteView v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind_null(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  template <class T>
  Statement& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return stmt_ ? sqlite3_step(stmt_) : SQLITE_MISUSE; }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  bool is_null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  std::int64_t i64(int c) const { return sqlite3_column_int64(stmt_, c); }
  double f64(int c) const { return sqlite3_column_double(stmt_, c); }
  std::string text(int c) const {
    auto p = sqlite3_column_text(stmt_, c);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)))
             : std::string();
  }
  Bytes blob(int c) const {
    auto p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, c));
    return p ? Bytes(p, p + sqlite3_column_bytes(stmt_, c)) : Bytes();
  }
  std::optional<std::string> opt_text(int c) const {
    return is_null(c) ? std::nullopt : std::optional<std::string>(text(c));
  }

 private:
  const Database& db_;
  Database::Taken taken_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string error_;
};

// A statement without rows that controls a transaction (BEGIN, COMMIT, SAVEPOINT, ...),
// through kept statements: these run once or more per transaction.
inline DbStatus run_control(Database& db, std::string_view sql) {
  Statement st(db, sql);
  const int rc = st.step();
  if (rc == SQLITE_DONE) return Done{};
  return db_error(Database::code_of(rc), st.ok() ? db.error() : st.error());
}

// BEGIN IMMEDIATE on construction, ROLLBACK on destruction unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Database& db) : db_(db) { begun_ = run("BEGIN IMMEDIATE").ok(); }
  ~Transaction() {
    if (begun_ && !committed_) (void)run("ROLLBACK");
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  bool begun() const { return begun_; }
  DbStatus commit() {
    if (!begun_) return db_error(DbCode::io, "transaction not begun: " + db_.error());
    DbStatus s = run("COMMIT");
    if (s) committed_ = true;
    return s;
  }

 private:
  DbStatus run(std::string_view sql) { return run_control(db_, sql); }

  Database& db_;
  bool begun_ = false;
  bool committed_ = false;
};

// A savepoint inside an open transaction: SAVEPOINT on construction; on destruction, unless
// keep() succeeded, ROLLBACK TO and RELEASE, which undo this part alone and leave the
// transaction open. For a transaction that holds several all-or-nothing parts (a commit group).
class Savepoint {
 public:
  explicit Savepoint(Database& db) : db_(db) { begun_ = run("SAVEPOINT part").ok(); }
  ~Savepoint() {
    if (begun_ && !kept_) (void)(run("ROLLBACK TO part").ok() && run("RELEASE part").ok());
  }
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;
  bool begun() const { return begun_; }
  DbStatus keep() {
    if (!begun_) return db_error(DbCode::io, "savepoint not begun: " + db_.error());
    DbStatus s = run("RELEASE part");
    if (s) kept_ = true;
    return s;
  }

 private:
  DbStatus run(std::string_view sql) { return run_control(db_, sql); }

  Database& db_;
  bool begun_ = false;
  bool kept_ = false;
};

}  // namespace gk::sql
