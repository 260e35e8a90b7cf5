// gatectl-upstream: gatectl's commands with the PostgreSQL store linked (a district's
// upstream is administered from where it runs; a kiosk's gatectl starts without libpq).
#include "commands.hpp"

namespace gatectl {

gk::upstream::PostgresOpener postgres_opener() {
  return gk::upstream::open_postgres_store;
}

}  // namespace gatectl
