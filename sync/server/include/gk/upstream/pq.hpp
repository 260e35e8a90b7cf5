#pragma once
// Minimal RAII over libpq: a Connection owns PGconn*, a PgResult owns PGresult*. Queries
// take text parameters (with their lengths; never NUL inside: PostgreSQL text has none)
// and errors are values, like gk/core/sqlite.hpp.
#include <libpq-fe.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gk/core/bytes.hpp"
#include "gk/core/errors.hpp"

namespace gk::pq {

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* r) : r_(r, &PQclear) {}
  bool ok() const {
    const auto s = r_ ? PQresultStatus(r_.get()) : PGRES_FATAL_ERROR;
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
  }
  // The SQLSTATE ("23505" unique violation, "40001" serialization failure, ...).
  std::string sqlstate() const {
    const char* s = r_ ? PQresultErrorField(r_.get(), PG_DIAG_SQLSTATE) : nullptr;
    return s ? s : "";
  }
  // The constraint an integrity violation (SQLSTATE class 23) broke, by name.
  std::string constraint() const {
    const char* s = r_ ? PQresultErrorField(r_.get(), PG_DIAG_CONSTRAINT_NAME) : nullptr;
    return s ? s : "";
  }
  std::string error() const { return r_ ? PQresultErrorMessage(r_.get()) : "no result"; }
  // The command tag: "COMMIT", or "ROLLBACK" when COMMIT met an aborted transaction.
  std::string tag() const { return r_ ? PQcmdStatus(r_.get()) : ""; }
  int rows() const { return r_ ? PQntuples(r_.get()) : 0; }
  bool null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string text(int row, int col) const {
    return std::string(PQgetvalue(r_.get(), row, col),
                       static_cast<std::size_t>(PQgetlength(r_.get(), row, col)));
  }
  std::int64_t i64(int row, int col) const { return std::stoll(text(row, col)); }
  // A bytea column in text form ("\x0a1b...").
  Bytes bytes(int row, int col) const;

 private:
  std::shared_ptr<PGresult> r_;
};

// One text parameter, or SQL NULL.
using Param = std::optional<std::string>;

class Connection {
 public:
  static DbResult<Connection> open(const std::string& conninfo);
  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;

  // One statement (parameters $1..$n). A broken connection is re-established once first.
  // Each distinct text is prepared on this connection at its first use and executed by name
  // after that: the server parses and plans it once, not on every request.
  PgResult exec(std::string_view sql, const std::vector<Param>& params = {});
  // Several statements without parameters (migrations).
  DbStatus exec_script(std::string_view sql);
  // A bytea value as a text parameter.
  static std::string bytea(ByteView b);
  // A text[] / bigint[] literal for `unnest($1::text[])`.
  static std::string array(const std::vector<std::string>& items);
  bool healthy() const { return c_ && PQstatus(c_.get()) == CONNECTION_OK; }

 private:
  explicit Connection(PGconn* c) : c_(c, &PQfinish) {}
  void reconnect_if_broken();
  std::unique_ptr<PGconn, void (*)(PGconn*)> c_{nullptr, &PQfinish};
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
};

// BEGIN on construction, ROLLBACK unless committed.
class Transaction {
 public:
  explicit Transaction(Connection& c, std::string_view begin = "BEGIN");
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  bool begun() const { return begun_; }
  const std::string& error() const { return error_; }
  DbStatus commit();

 private:
  Connection& c_;
  bool begun_ = false, done_ = false;
  std::string error_;
};

// A failed statement as the store layer's error: "postgresql: WHAT: libpq's message".
DbError failure(const PgResult& r, const std::string& what);

}  // namespace gk::pq
