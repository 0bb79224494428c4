#!/bin/bash
# test_archive_async.sh: archive-push and archive-get with archive-async=y on a real PostgreSQL 15 (1 MiB WAL
# segments to keep a burst of 100+ segments fast), process-max=2:
#   - a burst of 120 pg_switch_wal() segments all reach the repository with the right checksum, and stock
#     `pgbackrest archive-get` returns them byte-identical;
#   - archive-push-queue-max: segments are dropped with pgBackRest's warning (async log and PostgreSQL's log);
#   - an unwritable repository: the calls fail, PostgreSQL keeps the .ready segments and counts failures; once the
#     repository is writable again every one of them arrives;
#   - async archive-get prefetches the following segments into the spool, returns the right bytes, exits 1 for a
#     missing segment; archive-missing-retry=n keeps that answer, y looks again;
#   - stock pgBackRest's async archive-push into a repository, read back by gaiarest's async archive-get.
. "$(dirname "$0")/lib.sh"

lib_init
tap_plan 29

CONF="$GAIA_TMP/async.conf"
REPO="$GAIA_TMP/repo"
SPOOL="$GAIA_TMP/spool"
LOG="$GAIA_TMP/log"
as_pg mkdir -p "$GAIA_TMP/lock" "$LOG" "$SPOOL" "$GAIA_TMP/get"
PG_INITDB_OPTS="--wal-segsize=1" PG_EXTRA_CONF="min_wal_size = 8MB
max_wal_size = 64MB" pg_start pg "$GAIAREST --config=$CONF --stanza=demo archive-push %p"
PGDATA_DIR=$(pg_data pg)
write_conf() {
    cat >"$CONF" <<EOF
[global]
repo1-path=$REPO
lock-path=$GAIA_TMP/lock
log-path=$LOG
log-level-file=detail
spool-path=$SPOOL
archive-async=y
process-max=2
compress-type=lz4
archive-timeout=20
$1
[demo]
pg1-path=$PGDATA_DIR
pg1-port=$(pg_port pg)
pg1-socket-path=$(pg_sock pg)
EOF
    chmod 0644 "$CONF"
}
write_conf ""
run_gaiarest "$CONF" --stanza=demo stanza-create >/dev/null 2>&1 || bail_out "gaiarest stanza-create failed"
pg_sql pg "create table t (x int)" >/dev/null

# switch N segments (a row each, so that every switch ends a segment); print the name of the last one switched
switch_segments() {
    local count=$1 sql="" i
    for i in $(seq 2 "$count"); do sql="$sql insert into t values ($i); select pg_switch_wal();"; done
    [ -z "$sql" ] || pg_sql pg "$sql" >/dev/null
    pg_sql pg "insert into t values (0); select pg_walfile_name(pg_switch_wal())" | tail -1
}

# wait until PostgreSQL reports segment $1 archived (or $2 tenths of a second have passed)
wait_archived() {
    local target=$1 tries=${2:-900} archived=""
    for _ in $(seq 1 "$tries"); do
        archived=$(pg_sql pg "select coalesce(last_archived_wal, '') from pg_stat_archiver")
        [[ "$archived" > "$target" || "$archived" == "$target" ]] && { echo "$archived"; return 0; }
        sleep 0.1
    done
    echo "$archived"
    return 1
}

stored_name() { # the stored file name of segment $1 in the repository, empty when not there
    find "$REPO/archive/demo/15-1/${1:0:16}" -maxdepth 1 -name "$1-*" -printf '%f\n' 2>/dev/null
}

# the segment names from $1 to $2 (same timeline and log, 1 MiB segments: 4096 per log)
segment_range() {
    local first=$((16#${1:16:8})) last=$((16#${2:16:8})) log=$((16#${1:8:8})) n
    [ "${1:0:16}" = "${2:0:16}" ] || bail_out "range $1..$2 crosses a log"
    for n in $(seq "$first" "$last"); do printf '%s%08X%08X\n' "${1:0:8}" "$log" "$n"; done
}

# ---------------------------------------------------------------------------------------------------------------------
# 1. a burst of 120 segments
# ---------------------------------------------------------------------------------------------------------------------
FIRST=$(pg_sql pg "select pg_walfile_name(pg_current_wal_lsn())")
start_ms=$(($(date +%s%N) / 1000000))
LAST=$(switch_segments 120)
archived=$(wait_archived "$LAST")
elapsed_ms=$(($(date +%s%N) / 1000000 - start_ms))
assert_eq "PostgreSQL archived the burst up to $LAST" "$LAST" "$archived"
echo "burst of 120 segments archived in ${elapsed_ms} ms" | tap_diag
missing=""
bad_stock=""
count=0
for segment in $(segment_range "$FIRST" "$LAST"); do
    name=$(stored_name "$segment")
    [ -n "$name" ] || { missing="$missing $segment"; continue; }
    count=$((count + 1))
    run_pgbackrest "$CONF" --stanza=demo --no-archive-async archive-get "$segment" "$GAIA_TMP/get/s" >/dev/null 2>&1 &&
        [ "$(sha1sum "$GAIA_TMP/get/s" | cut -c1-40)" = "${name:25:40}" ] || bad_stock="$bad_stock $segment"
done
assert_eq "every segment $FIRST..$LAST is in the repository" "" "$missing"
[ "$count" -ge 100 ] && tap_ok "$count segments stored (>= 100)" || tap_not_ok "only $count segments stored"
assert_eq "stock archive-get returns each one with the SHA-1 of its stored name" "" "$bad_stock"
# the last one is still in pg_wal: byte-identical
run_pgbackrest "$CONF" --stanza=demo --no-archive-async archive-get "$LAST" "$GAIA_TMP/get/last" >/dev/null 2>&1
as_pg cmp -s "$PGDATA_DIR/pg_wal/$LAST" "$GAIA_TMP/get/last" && tap_ok "$LAST fetched by stock equals pg_wal's" ||
    tap_not_ok "$LAST fetched by stock differs from pg_wal's"
assert_eq "no failed archive_command calls" "0" "$(pg_sql pg "select failed_count from pg_stat_archiver")"
grep -q "archive-push:async command begin" "$LOG/demo-archive-push-async.log" &&
    grep -Eq "P0[12] DETAIL: pushed WAL file" "$LOG/demo-archive-push-async.log" &&
    grep -Eq "P02 DETAIL: pushed WAL file" "$LOG/demo-archive-push-async.log" &&
    tap_ok "the async log shows the background process and both workers" ||
    tap_not_ok "the async log lacks the background process or a worker"

# ---------------------------------------------------------------------------------------------------------------------
# 2. archive-push-queue-max: dropped with a warning
# ---------------------------------------------------------------------------------------------------------------------
write_conf "archive-push-queue-max=524288"
DROP_LAST=$(switch_segments 3)
DROP_FIRST=$(segment_range "$FIRST" "$DROP_LAST" | tail -3 | head -1)
archived=$(wait_archived "$DROP_LAST")
assert_eq "PostgreSQL considers the dropped segments archived" "$DROP_LAST" "$archived"
dropped_missing=""
stored=""
for segment in $(segment_range "$DROP_FIRST" "$DROP_LAST"); do
    grep -q "WARN: dropped WAL file '$segment' because archive queue exceeded 512KB" "$LOG/demo-archive-push-async.log" ||
        dropped_missing="$dropped_missing $segment"
    [ -z "$(stored_name "$segment")" ] || stored="$stored $segment"
done
assert_eq "each dropped segment has pgBackRest's warning in the async log" "" "$dropped_missing"
assert_eq "dropped segments are not in the repository" "" "$stored"
grep -q "WARN: dropped WAL file '$DROP_LAST' because archive queue exceeded 512KB" "$GAIA_TMP/pg.log" &&
    tap_ok "the archive_command call reported the drop to PostgreSQL's log" ||
    tap_not_ok "no drop warning in PostgreSQL's log"
write_conf ""
ok_left=$(find "$SPOOL/archive/demo/out" -name '*.ok' -printf '%f\n' | sort | awk -v last="$LAST" '$0 <= last' | wc -l)
assert_eq "a later run removed the .ok files of the burst (no longer ready)" "0" "$ok_left"

# ---------------------------------------------------------------------------------------------------------------------
# 3. unwritable repository: calls fail, nothing is lost
# ---------------------------------------------------------------------------------------------------------------------
failed_before=$(pg_sql pg "select failed_count from pg_stat_archiver")
chmod 0500 "$REPO/archive/demo/15-1" "$REPO/archive/demo/15-1/0000000100000000"
BLOCK_LAST=$(switch_segments 4)
BLOCK_FIRST=$(segment_range "$FIRST" "$BLOCK_LAST" | tail -4 | head -1)
failed=$failed_before
for _ in $(seq 1 300); do
    failed=$(pg_sql pg "select failed_count from pg_stat_archiver")
    [ "$failed" -ge $((failed_before + 2)) ] && break
    sleep 0.1
done
[ "$failed" -ge $((failed_before + 2)) ] && tap_ok "archive_command fails while the repository is unwritable" ||
    tap_not_ok "failed_count did not grow ($failed_before -> $failed)"
ready_missing=""
for segment in $(segment_range "$BLOCK_FIRST" "$BLOCK_LAST"); do
    as_pg test -f "$PGDATA_DIR/pg_wal/archive_status/$segment.ready" || ready_missing="$ready_missing $segment"
done
assert_eq "PostgreSQL keeps every blocked segment .ready" "" "$ready_missing"
grep -q "Permission denied" "$SPOOL/archive/demo/out/$BLOCK_FIRST.error" 2>/dev/null ||
    grep -q "could not push WAL file '$BLOCK_FIRST'.*Permission denied" "$LOG/demo-archive-push-async.log" &&
    grep -Eq "ERROR: \[[0-9]+\]: .*Permission denied" "$GAIA_TMP/pg.log" &&
    tap_ok "the error reaches the spool and PostgreSQL's log" || tap_not_ok "the permission error was not reported"
chmod 0750 "$REPO/archive/demo/15-1" "$REPO/archive/demo/15-1/0000000100000000"
AFTER_LAST=$(switch_segments 2) # wakes the archiver up
archived=$(wait_archived "$AFTER_LAST")
assert_eq "archiving resumes once the repository is writable" "$AFTER_LAST" "$archived"
missing=""
for segment in $(segment_range "$BLOCK_FIRST" "$AFTER_LAST"); do
    [ -n "$(stored_name "$segment")" ] || missing="$missing $segment"
done
assert_eq "none of the blocked segments is lost" "" "$missing"

# A failure of the background process keeps its hints: a repository without a stanza, as stock prints it
as_pg mkdir -p "$GAIA_TMP/nostanza/global" "$GAIA_TMP/nostanza/pg_wal/archive_status" "$GAIA_TMP/norepo"
as_pg cp "$PGDATA_DIR/global/pg_control" "$GAIA_TMP/nostanza/global/"
as_pg cp "$PGDATA_DIR/pg_wal/$(as_pg ls "$PGDATA_DIR/pg_wal" | grep -E '^[0-9A-F]{24}$' | head -1)" \
    "$GAIA_TMP/nostanza/pg_wal/000000010000000000000001"
as_pg touch "$GAIA_TMP/nostanza/pg_wal/archive_status/000000010000000000000001.ready"
out=$(run_gaiarest "$CONF" --stanza=demo --pg1-path="$GAIA_TMP/nostanza" --repo1-path="$GAIA_TMP/norepo" \
    --spool-path="$GAIA_TMP/spool-nostanza" --archive-timeout=10 archive-push \
    "$GAIA_TMP/nostanza/pg_wal/000000010000000000000001" 2>&1)
status=$?
[ $status = 103 ] && grep -q "HINT: has a stanza-create been performed?" <<<"$out" &&
    tap_ok "async push without a stanza: [103] with the hints of the background's error" ||
    { tap_not_ok "async push without a stanza: [103] with the hints (exit $status)"; echo "$out" | tap_diag; }

# ---------------------------------------------------------------------------------------------------------------------
# 4. async archive-get: prefetch into the spool
# ---------------------------------------------------------------------------------------------------------------------
IN="$SPOOL/archive/demo/in"
wait_unlocked() { # the background process is done when the archive lock file is gone
    for _ in $(seq 1 200); do
        [ -e "$GAIA_TMP/lock/demo-archive.lock" ] || return 0
        sleep 0.05
    done
    return 1
}
GET=$(segment_range "$FIRST" "$LAST" | sed -n 10p)
mapfile -t NEXT < <(segment_range "$FIRST" "$LAST" | sed -n 11,16p)
run_gaiarest "$CONF" --stanza=demo --archive-get-queue-max=4194304 archive-get "$GET" "$GAIA_TMP/get/g1" \
    >/dev/null 2>&1
status=$?
run_pgbackrest "$CONF" --stanza=demo --no-archive-async archive-get "$GET" "$GAIA_TMP/get/g1-stock" >/dev/null 2>&1
[ $status = 0 ] && cmp -s "$GAIA_TMP/get/g1" "$GAIA_TMP/get/g1-stock" &&
    tap_ok "async archive-get returns $GET byte-identical" || tap_not_ok "async archive-get of $GET (exit $status)"
wait_unlocked
spooled=$(ls "$IN" 2>/dev/null | tr '\n' ' ')
assert_eq "the spool holds the next three segments" "${NEXT[0]} ${NEXT[1]} ${NEXT[2]} " "$spooled"
bad=""
for segment in "${NEXT[0]}" "${NEXT[1]}"; do
    run_gaiarest "$CONF" --stanza=demo --archive-get-queue-max=4194304 archive-get "$segment" \
        "$GAIA_TMP/get/n" >/dev/null 2>&1 || bad="$bad $segment(exit)"
    run_pgbackrest "$CONF" --stanza=demo --no-archive-async archive-get "$segment" "$GAIA_TMP/get/n-stock" \
        >/dev/null 2>&1
    cmp -s "$GAIA_TMP/get/n" "$GAIA_TMP/get/n-stock" || bad="$bad $segment"
    wait_unlocked
done
spooled=$(ls "$IN" 2>/dev/null | tr '\n' ' ')
assert_eq "prefetched segments are returned byte-identical" "" "$bad"
assert_eq "the queue is topped up behind them" "${NEXT[2]} ${NEXT[3]} ${NEXT[4]} ${NEXT[5]} " "$spooled"
out=$(run_gaiarest "$CONF" --stanza=demo --log-level-console=info archive-get 0000000100000000000003F0 \
    "$GAIA_TMP/get/missing" 2>&1)
status=$?
[ $status = 1 ] && grep -q "unable to find 0000000100000000000003F0 in the archive asynchronously" <<<"$out" &&
    [ ! -e "$GAIA_TMP/get/missing" ] && tap_ok "a missing segment: exit 1 and no file" ||
    tap_not_ok "missing segment: exit $status: $out"

# archive-missing-retry: the segment PostgreSQL writes now is not archived yet. With n the "missing" answer stays in
# the spool and stands after the segment reaches the archive; with y (the default) it is reported once, then the
# next call looks again and finds it.
FUTURE=$(pg_sql pg "select pg_walfile_name(pg_current_wal_lsn())")
get_future() { # get_future OUT [ARGS...]: exit status of an async get of $FUTURE into $GAIA_TMP/get/OUT
    local out=$1 rc=0
    shift
    run_gaiarest "$CONF" --stanza=demo "$@" archive-get "$FUTURE" "$GAIA_TMP/get/$out" >/dev/null 2>&1 || rc=$?
    wait_unlocked
    echo $rc
}
assert_eq "missing-retry=n: $FUTURE not archived yet, exit 1" 1 "$(get_future f1 --no-archive-missing-retry)"
[ -e "$IN/$FUTURE.ok" ] && tap_ok "missing-retry=n: the missing answer stays in the spool" ||
    tap_not_ok "missing-retry=n: the missing answer stays in the spool"
pg_sql pg "insert into t values (-1); select pg_switch_wal()" >/dev/null
wait_archived "$FUTURE" >/dev/null
assert_eq "missing-retry=n: still missing once archived (the spool's answer stands)" 1 \
    "$(get_future f2 --no-archive-missing-retry)"
assert_eq "missing-retry=y: the answer is reported once more and dropped" 1 "$(get_future f3)"
status=$(get_future f4)
run_pgbackrest "$CONF" --stanza=demo --no-archive-async archive-get "$FUTURE" "$GAIA_TMP/get/f4-stock" >/dev/null 2>&1
[ "$status" = 0 ] && cmp -s "$GAIA_TMP/get/f4" "$GAIA_TMP/get/f4-stock" &&
    tap_ok "missing-retry=y: the next call finds $FUTURE, byte-identical" ||
    tap_not_ok "missing-retry=y: the next call finds $FUTURE (exit $status)"

# ---------------------------------------------------------------------------------------------------------------------
# 5. stock async archive-push into another repository, gaiarest async archive-get from it
# ---------------------------------------------------------------------------------------------------------------------
CONF2="$GAIA_TMP/stock.conf"
sed -e "s|^repo1-path=.*|repo1-path=$GAIA_TMP/repo2|" -e "s|^spool-path=.*|spool-path=$GAIA_TMP/spool2|" \
    -e "s|^log-path=.*|log-path=$GAIA_TMP/log2|" "$CONF" >"$CONF2"
chmod 0644 "$CONF2"
run_pgbackrest "$CONF2" --stanza=demo stanza-create >/dev/null 2>&1 || bail_out "stock stanza-create failed"
pg_sql pg "alter system set archive_command = 'pgbackrest --config=$CONF2 --stanza=demo archive-push %p'" >/dev/null
pg_sql pg "select pg_reload_conf()" >/dev/null
sleep 0.5
STOCK_LAST=$(switch_segments 4)
STOCK_FIRST=$(segment_range "$FIRST" "$STOCK_LAST" | tail -4 | head -1)
wait_archived "$STOCK_LAST" >/dev/null
bad=""
for segment in $(segment_range "$STOCK_FIRST" "$STOCK_LAST"); do
    run_gaiarest "$CONF2" --stanza=demo archive-get "$segment" "$GAIA_TMP/get/x" >/dev/null 2>&1 || {
        bad="$bad $segment(exit)"
        continue
    }
    run_pgbackrest "$CONF2" --stanza=demo --no-archive-async archive-get "$segment" "$GAIA_TMP/get/x-stock" \
        >/dev/null 2>&1
    cmp -s "$GAIA_TMP/get/x" "$GAIA_TMP/get/x-stock" || bad="$bad $segment"
done
assert_eq "segments pushed by stock async come back byte-identical through gaiarest async get" "" "$bad"

tap_done
