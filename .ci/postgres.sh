# Sourced by .ci/run: install (when missing) and start a throw-away PostgreSQL server for the tests of the
# operational store's PostgreSQL path; exports EMPATHICA_TEST_PG_URL and stops the server when CI ends.
PG_PORT="${PG_PORT:-55432}"
_pg_ctl() { command -v pg_ctl 2>/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | tail -n 1; }
if [ -z "$(_pg_ctl)" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
PG_BIN="$(dirname "$(_pg_ctl)")"
PG_DIR="$(mktemp -d /tmp/empathica-ci-pg.XXXXXX)"
if [ "$(id -u)" = 0 ]; then  # PostgreSQL refuses to run as root
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$PG_DIR"
  _as_pg() { su postgres -s /bin/bash -c "$*"; }
else
  _as_pg() { bash -c "$*"; }
fi
_as_pg "'$PG_BIN/initdb' -D '$PG_DIR/data' -A trust -U postgres" >/dev/null
_as_pg "'$PG_BIN/pg_ctl' -D '$PG_DIR/data' -o '-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1' -l '$PG_DIR/log' -w start" >/dev/null
trap "_as_pg \"'$PG_BIN/pg_ctl' -D '$PG_DIR/data' -m fast stop\" >/dev/null 2>&1; rm -rf '$PG_DIR'" EXIT
PSQL="$PG_BIN/psql"; [ -x "$PSQL" ] || PSQL=psql
"$PSQL" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres \
  -c "CREATE ROLE empathica LOGIN PASSWORD 'empathica'" -c "CREATE DATABASE empathica_test OWNER empathica" >/dev/null
export EMPATHICA_TEST_PG_URL="postgresql+psycopg://empathica:empathica@127.0.0.1:$PG_PORT/empathica_test"
