#!/usr/bin/env bash
# Runs a command with GK_TEST_PG naming a fresh PostgreSQL 15 (tests/lib/postgres.sh),
# stopped afterwards: `with_postgres.sh build/tests/test_upstream`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
source "$(dirname "${BASH_SOURCE[0]}")/postgres.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
pg_start
GK_TEST_PG="$PG_CONNINFO" "$@"
