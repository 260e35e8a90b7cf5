#pragma once
// The store the upstream's unit tests run against: SQLite in the scratch folder, or, when
// GK_TEST_PG names a PostgreSQL server (tests/lib/with_postgres.sh starts one), a fresh schema
// there per test case, so every case sees an empty store on the same server.
#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "gk/upstream/store.hpp"

namespace gk::test {
using upstream::UpstreamStore;

inline DbResult<std::unique_ptr<UpstreamStore>> open_test_store(const std::filesystem::path& dir) {
  const char* pg = std::getenv("GK_TEST_PG");
  if (!pg || !*pg) return upstream::open_sqlite_store(dir / "upstream.db");
  static int cases = 0;
  const std::string schema = "case_" + std::to_string(::getpid()) + "_" + std::to_string(++cases);
  std::unique_ptr<PGconn, void (*)(PGconn*)> admin(PQconnectdb(pg), &PQfinish);
  if (PQstatus(admin.get()) != CONNECTION_OK) return db_error(DbCode::cannot_open, pg);
  PQclear(PQexec(admin.get(), ("CREATE SCHEMA " + schema).c_str()));
  return upstream::open_postgres_store(std::string(pg) + " options='-c search_path=" + schema +
                                       "'");
}

}  // namespace gk::test
