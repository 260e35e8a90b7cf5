// gatectl: no PostgreSQL store linked. `gatectl upstream --store postgresql:...` runs as
// gatectl-upstream instead (cmd_upstream.cpp).
#include "commands.hpp"

namespace gatectl {

gk::upstream::PostgresOpener postgres_opener() {
  return nullptr;
}

}  // namespace gatectl
