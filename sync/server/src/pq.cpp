#include "gk/upstream/pq.hpp"

namespace gk::pq {

Bytes PgResult::bytes(int row, int col) const {
  std::size_t n = 0;
  unsigned char* raw =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_.get(), row, col)), &n);
  if (!raw) return {};
  Bytes out(raw, raw + n);
  PQfreemem(raw);
  return out;
}

DbResult<Connection> Connection::open(const std::string& conninfo) {
  Connection c(PQconnectdb(conninfo.c_str()));
  if (!c.c_) return db_error(DbCode::io, "postgresql: out of memory");
  if (PQstatus(c.c_.get()) != CONNECTION_OK)
    return db_error(DbCode::io, std::string("postgresql: ") + PQerrorMessage(c.c_.get()));
  // Quiet NOTICEs (e.g. "relation already exists, skipping") instead of stderr noise.
  PQsetNoticeProcessor(
      c.c_.get(), [](void*, const char*) {}, nullptr);
  return c;
}

void Connection::reconnect_if_broken() {
  if (c_ && PQstatus(c_.get()) != CONNECTION_OK) {
    PQreset(c_.get());
    prepared_.clear();  // a new session: nothing is prepared there
  }
}

PgResult Connection::exec(std::string_view sql, const std::vector<Param>& params) {
  reconnect_if_broken();
  std::vector<const char*> values;
  std::vector<int> lengths;
  values.reserve(params.size());
  for (const auto& p : params) {
    values.push_back(p ? p->c_str() : nullptr);
    lengths.push_back(p ? static_cast<int>(p->size()) : 0);
  }
  std::string text(sql);
  auto it = prepared_.find(text);
  if (it == prepared_.end()) {
    std::string name = "gk" + std::to_string(prepared_.size());
    PgResult made(
        PQprepare(c_.get(), name.c_str(), text.c_str(), static_cast<int>(params.size()), nullptr));
    if (!made.ok()) return made;
    it = prepared_.emplace(std::move(text), std::move(name)).first;
  }
  return PgResult(PQexecPrepared(c_.get(), it->second.c_str(), static_cast<int>(params.size()),
                                 values.data(), lengths.data(), nullptr, 0));
}

DbStatus Connection::exec_script(std::string_view sql) {
  reconnect_if_broken();
  PgResult r(PQexec(c_.get(), std::string(sql).c_str()));
  if (!r.ok()) return db_error(DbCode::io, "postgresql: " + r.error());
  return Done{};
}

std::string Connection::bytea(ByteView b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + b.size() * 2);
  for (auto c : b) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string Connection::array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back('"');
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

Transaction::Transaction(Connection& c, std::string_view begin) : c_(c) {
  auto r = c_.exec(begin);
  begun_ = r.ok();
  if (!begun_) error_ = r.error();
}

Transaction::~Transaction() {
  if (begun_ && !done_) (void)c_.exec("ROLLBACK");
}

DbStatus Transaction::commit() {
  if (!begun_) return db_error(DbCode::io, "postgresql: transaction not begun: " + error_);
  done_ = true;
  auto r = c_.exec("COMMIT");
  if (!r.ok()) return db_error(DbCode::io, "postgresql: commit: " + r.error());
  if (r.tag() != "COMMIT")
    return db_error(DbCode::io, "postgresql: the transaction was rolled back");
  return Done{};
}

DbError failure(const PgResult& r, const std::string& what) {
  return db_error(DbCode::io, "postgresql: " + what + ": " + r.error());
}

}  // namespace gk::pq
