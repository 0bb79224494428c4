#!/usr/bin/env bash
# The main job end to end on an embedded default: a throwaway PostgreSQL 15 cluster and a posix repository in a
# temporary directory (removed at the end), driven by gaiarest, with stock pgBackRest 2.45 reading the same repository.
#
#   bash scripts/demo.sh            (Debian 12, as root: installs what it needs and builds first)
#
# Each step says which program ran it. A step whose gaiarest command has not landed yet runs with stock pgBackRest
# (and says so), so the demo shows exactly what gaiarest does today.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash scripts/install-deps.sh
bash scripts/build.sh "$top/build"
export GAIAREST="$top/build/gaiarest"

# shellcheck source=../test/integration/lib.sh
. "$top/test/integration/lib.sh"
lib_init
[ -n "${GAIA_DEMO_DEBUG:-}" ] && GAIA_KEEP_TMP=1

step() { printf '\n== %s\n' "$*"; }

# gaiarest implements COMMAND when it does not answer "not implemented yet" (exit 48).
implemented() {
    local rc=0
    "$GAIAREST" "$1" --stanza=probe --repo1-path="$GAIA_TMP/probe" --pg1-path="$GAIA_TMP/probe" >/dev/null 2>&1 || rc=$?
    [ "$rc" != 48 ]
}

# tool COMMAND: the program that runs COMMAND in this demo.
tool() {
    if implemented "$1"; then echo gaiarest; else echo pgbackrest; fi
}

run_step() { # run_step COMMAND ARGS...: run the command with the program that implements it
    local command=$1 program
    shift
    program=$(tool "$command")
    echo "\$ $program $command $*"
    if [ "$program" = gaiarest ]; then
        run_gaiarest "$CONF" "$@" "$command"
    else
        echo "(gaiarest $command has not landed yet: stock pgBackRest runs this step)"
        run_pgbackrest "$CONF" "$@" "$command"
    fi
}

CONF="$GAIA_TMP/pgbackrest.conf"
REPO="$GAIA_TMP/repo"
as_pg mkdir -p "$REPO" "$GAIA_TMP/log" "$GAIA_TMP/lock" "$GAIA_TMP/spool"

step "a throwaway PostgreSQL 15 cluster with data checksums, archiving through $(tool archive-push)"
push_tool=$(tool archive-push)
push_binary=$([ "$push_tool" = gaiarest ] && echo "$GAIAREST" || echo pgbackrest)
pg_start demo "$push_binary --config=$CONF --stanza=demo archive-push %p"
cat >"$GAIA_TMP/pgbackrest.conf" <<CONF
[global]
repo1-path=$REPO
repo1-retention-full=2
log-path=$GAIA_TMP/log
lock-path=$GAIA_TMP/lock
spool-path=$GAIA_TMP/spool
start-fast=y
compress-type=lz4
log-level-console=info

[demo]
pg1-path=$(pg_data demo)
pg1-port=$(pg_port demo)
pg1-socket-path=$(pg_sock demo)
CONF
chmod 0644 "$CONF"
echo "cluster: $(pg_data demo) on port $(pg_port demo); repository: $REPO"

step "stanza-create, then check (forces a WAL switch and waits for it in the archive)"
run_step stanza-create --stanza=demo
run_step check --stanza=demo

step "some data, and a full backup"
pg_bench demo -i -s 5 -q >/dev/null 2>&1
run_step backup --stanza=demo --type=full

step "more writes, a named restore point, more writes, and an incremental backup"
pg_sql demo "create table demo_marks (id int, note text); insert into demo_marks values (1, 'before the restore point')"
pg_sql demo "select pg_create_restore_point('demo-point')" >/dev/null
pg_sql demo "insert into demo_marks values (2, 'after the restore point')"
pg_bench demo -t 200 >/dev/null 2>&1
pg_sql demo "select pg_switch_wal()" >/dev/null
run_step backup --stanza=demo --type=incr

step "gaiarest info (text)"
run_gaiarest "$CONF" --stanza=demo info

step "gaiarest info --output=json equals stock pgbackrest info --output=json"
run_gaiarest "$CONF" --stanza=demo --output=json info >"$GAIA_TMP/gaia.json"
run_pgbackrest "$CONF" --stanza=demo --output=json info >"$GAIA_TMP/stock.json"
if cmp -s "$GAIA_TMP/gaia.json" "$GAIA_TMP/stock.json"; then
    echo "identical ($(wc -c <"$GAIA_TMP/gaia.json") bytes)"
else
    diff <(json_canon "$GAIA_TMP/stock.json") <(json_canon "$GAIA_TMP/gaia.json") || true
    echo "DIFFERENT" >&2
    exit 1
fi

step "restore the full backup to a new directory, replaying WAL up to the restore point; start it, compare"
restore_dir="$GAIA_TMP/demo-restore"
as_pg mkdir -p "$restore_dir"
as_pg chmod 0700 "$restore_dir"
# The restore point lies between the full and the incremental backup: restore the full and replay WAL up to it.
full_label=$(jq -r '.[0].backup[] | select(.type == "full") | .label' "$GAIA_TMP/gaia.json" | tail -1)
run_step restore --stanza=demo --set="$full_label" --pg1-path="$restore_dir" --type=name --target=demo-point \
    --target-action=promote
restore_port=$(port_free)
restore_sock="$GAIA_TMP/restored-sock" # its own socket directory: the clusters listen on sockets only
as_pg mkdir -p "$restore_sock"
as_pg "$PG_BIN/pg_ctl" -D "$restore_dir" -l "$GAIA_TMP/restore.log" -w -t 120 \
    -o "-p $restore_port -c unix_socket_directories=$restore_sock -c archive_mode=off" start >/dev/null
LIB_PG_DATA[restored]=$restore_dir
LIB_PG_PORT[restored]=$restore_port
LIB_PG_SOCK[restored]=$restore_sock
LIB_CLUSTERS+=(restored)
for try in $(seq 1 60); do
    [ "$(pg_sql restored "select pg_is_in_recovery()" 2>/dev/null)" = f ] && break
    sleep 1
done
echo "rows in demo_marks on the source:   $(pg_sql demo "select count(*) from demo_marks")"
echo "rows in demo_marks after the restore: $(pg_sql restored "select count(*) from demo_marks")" \
     "(only the row written before 'demo-point')"
[ "$(pg_sql restored "select string_agg(id::text, ',') from demo_marks")" = 1 ] || { echo "restore point not honoured" >&2; exit 1; }
echo "pgbench_accounts rows: source $(pg_sql demo "select count(*) from pgbench_accounts")," \
     "restored $(pg_sql restored "select count(*) from pgbench_accounts")"

step "done: the temporary directory is removed, the clusters stopped by PID"
