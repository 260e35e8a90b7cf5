// The PostgreSQL store's schema and its migrations, apart from the store's queries.
#pragma once

#include "gk/core/errors.hpp"
#include "gk/upstream/pq.hpp"

namespace gk::upstream::pg_schema {

// Brings the database to this build's schema, or refuses one newer than it knows.
DbStatus migrate(pq::Connection& db);

}  // namespace gk::upstream::pg_schema
