#!/bin/bash
# test_metrics.sh: `gaiarest info --output=prometheus`. On every configuration of the stock fixture (repositories
# written by pgBackRest 2.45) the output must pass `promtool check metrics` (Prometheus' own parser and linter,
# no complaint at all) and a strict reader of the format, and every value must equal what `info --output=json`
# says for the same repositories (metrics_compare.py). Then the archiver series on a live PostgreSQL 15 cluster:
# counters, failure time and archive lag against what psql reads from pg_stat_archiver, and a cluster that
# cannot be reached.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixture-stock.sh"

COMPARE="$(cd "$(dirname "$0")" && pwd)/metrics_compare.py"
command -v promtool >/dev/null || bail_out "missing prerequisite: promtool (install prometheus)"

lib_init
fixture_stock

CASE=0
C=$FIX/conf

# metrics CONF ARGS...: write json and prometheus output into $OUT.json / $OUT.prom (a new case directory).
metrics() {
    local conf=$1
    shift
    CASE=$((CASE + 1))
    OUT="$GAIA_TMP/case-$CASE"
    run_gaiarest "$conf" "$@" --output=json info >"$OUT.json" 2>"$OUT.json.err" || true
    RC=0
    run_gaiarest "$conf" "$@" --output=prometheus info >"$OUT.prom" 2>"$OUT.err" || RC=$?
}

# assert_promtool DESC: promtool parses and lints the output without a word.
assert_promtool() {
    local out rc=0
    out=$(promtool check metrics <"$OUT.prom" 2>&1) || rc=$?
    if [ $rc = 0 ] && [ -z "$out" ]; then
        tap_ok "$1: promtool check metrics"
    else
        tap_not_ok "$1: promtool check metrics"
        { echo "exit $rc"; echo "$out"; head -40 "$OUT.prom"; } | tap_diag
    fi
}

# assert_compare DESC [--pg]: strict format reading and json equality.
assert_compare() {
    local desc=$1 out
    shift
    if out=$(python3 "$COMPARE" check "$OUT.json" "$OUT.prom" "$@" 2>&1); then
        tap_ok "$desc: values equal info --output=json"
    else
        tap_not_ok "$desc: values equal info --output=json"
        printf '%s\n' "$out" | head -40 | tap_diag
    fi
}

# value SERIES: the value of one series in $OUT.prom (empty when absent).
value() {
    python3 "$COMPARE" get "$OUT.prom" "$1" || true
}

# check_case DESC CONF ARGS...: the fixture configs name the fixture's cluster, which is stopped: with --stanza the
# output says so (gaiarest_pg_up 0), which the comparison allows (--pg).
check_case() {
    local desc=$1 arg flags=(--pg)
    shift
    for arg in "$@"; do
        case $arg in --type=*) flags+=("$arg") ;; esac
    done
    metrics "$@"
    assert_status "$desc: exit code" 0 "$RC"
    assert_file_eq "$desc: nothing on stderr" /dev/null "$OUT.err"
    assert_promtool "$desc"
    assert_compare "$desc" "${flags[@]}"
}

# The stock fixture: every status, one and two repos, encryption, filters.
check_case "plain" "$C/plain.conf"
check_case "plain, --stanza" "$C/plain.conf" --stanza=demo
assert_eq "plain, --stanza: the fixture's cluster is down" 0 "$(value 'gaiarest_pg_up{stanza="demo"}')"
check_case "plain, --type=full" "$C/plain.conf" --type=full
check_case "plain, --type=incr" "$C/plain.conf" --stanza=demo --type=incr
check_case "encrypted" "$C/enc.conf"
check_case "two repos" "$C/both.conf"
check_case "two repos, --repo=2" "$C/both.conf" --repo=2
check_case "no valid backups" "$C/empty.conf"
check_case "mixed" "$C/mixed.conf"
check_case "two stanzas" "$C/multi.conf"
check_case "missing stanza data" "$C/nodata.conf"
check_case "missing stanza path" "$C/plain.conf" --stanza=nosuch

# Known values of the fixture, independent of the JSON: repo1 holds 5 full, 1 diff and 2 incr backups.
metrics "$C/both.conf" --stanza=demo
assert_eq "fixture: full backups on repo1" 5 "$(value 'gaiarest_backups{stanza="demo",repo="1",type="full"}')"
assert_eq "fixture: diff backups on repo1" 1 "$(value 'gaiarest_backups{stanza="demo",repo="1",type="diff"}')"
assert_eq "fixture: incr backups on repo2" 1 "$(value 'gaiarest_backups{stanza="demo",repo="2",type="incr"}')"
assert_eq "fixture: no diff on repo2" 0 "$(value 'gaiarest_backups{stanza="demo",repo="2",type="diff"}')"
gen=$(value gaiarest_info_generated_timestamp_seconds)
now=$(date +%s)
if [ -n "$gen" ] && [ "$gen" -le "$now" ] && [ "$gen" -ge $((now - 60)) ]; then
    tap_ok "generated timestamp is the time of the run"
else
    tap_not_ok "generated timestamp is the time of the run"
    echo "generated '$gen', now $now" | tap_diag
fi

# ---------------------------------------------------------------------------------------------------------------------
# A live cluster: archive_command fails first (failure counters), then works (lag 0), then fails again while three
# segments are completed (lag 3).
# ---------------------------------------------------------------------------------------------------------------------
pg_start live "false"
LIVE_CONF="$GAIA_TMP/live.conf"
{
    fixture_conf_global "$FIX"
    fixture_conf_repo 1 "$FIX/repo1"
    echo "[demo]"
    echo "pg1-path=$(pg_data live)"
    echo "pg1-port=$(pg_port live)"
    echo "pg1-socket-path=$(pg_sock live)"
} >"$LIVE_CONF"
chmod 0644 "$LIVE_CONF"

set_archive_command() { # set_archive_command CMD: change and reload
    pg_sql live "alter system set archive_command = '$1'" >/dev/null
    pg_sql live "select pg_reload_conf()" >/dev/null
    sleep 0.5
}
switch_wal() { # write something and switch, print the closed segment
    pg_sql live "create table if not exists t(x int); insert into t values (1)" >/dev/null
    pg_sql live "select pg_walfile_name(pg_switch_wal())"
}
wait_failed() { # wait until pg_stat_archiver shows a failure
    local i
    for i in $(seq 1 100); do
        [ "$(pg_sql live "select failed_count > 0 from pg_stat_archiver")" = t ] && return 0
        sleep 0.2
    done
    bail_out "archive_command failure never recorded"
}
wait_archived() { # wait_archived SEGMENT
    local i
    for i in $(seq 1 150); do
        [ "$(pg_sql live "select coalesce(last_archived_wal >= '$1', false) from pg_stat_archiver")" = t ] && return 0
        sleep 0.2
    done
    bail_out "$1 not archived in time"
}
# psql's view of the archiver: "archived failed last_archived_epoch last_failed_epoch"
archiver_row() {
    pg_sql live "select archived_count, failed_count, coalesce(floor(extract(epoch from last_archived_time))::bigint, 0),
                        coalesce(floor(extract(epoch from last_failed_time))::bigint, 0) from pg_stat_archiver" | tr '|' ' '
}
# lag as psql sees it: segments wholly before the write position (16 MiB each) after the last archived one
psql_lag() {
    pg_sql live "select greatest(floor((pg_current_wal_lsn() - '0/0'::pg_lsn) / 16777216)::bigint - 1
                      - (('x' || substr(last_archived_wal, 9, 8))::bit(32)::bigint * 256
                         + ('x' || substr(last_archived_wal, 17, 8))::bit(32)::bigint), 0)
                 from pg_stat_archiver"
}
# assert_between DESC LOW HIGH VALUE
assert_between() {
    if [ -n "$4" ] && [ "$4" -ge "$2" ] && [ "$4" -le "$3" ]; then
        tap_ok "$1"
    else
        tap_not_ok "$1"
        echo "expected $2..$3, got '$4'" | tap_diag
    fi
}
S='{stanza="demo"}'

switch_wal >/dev/null
wait_failed
read -r archived failed1 last_archived last_failed1 <<<"$(archiver_row)"
metrics "$LIVE_CONF" --stanza=demo
read -r archived failed2 last_archived last_failed2 <<<"$(archiver_row)"
assert_promtool "live, archiving fails"
assert_compare "live, archiving fails" --pg
assert_eq "live, archiving fails: pg up" 1 "$(value "gaiarest_pg_up$S")"
assert_eq "live, archiving fails: not in recovery" 0 "$(value "gaiarest_pg_in_recovery$S")"
assert_eq "live, archiving fails: archived count" "$archived" "$(value "gaiarest_archive_archived_total$S")"
assert_between "live, archiving fails: failed count" "$failed1" "$failed2" "$(value "gaiarest_archive_failed_total$S")"
assert_between "live, archiving fails: last failure time" "$last_failed1" "$last_failed2" \
    "$(value "gaiarest_archive_last_failure_timestamp_seconds$S")"
assert_eq "live, nothing archived yet: last archived time 0" 0 "$(value "gaiarest_archive_last_archived_timestamp_seconds$S")"
assert_eq "live, nothing archived yet: no lag series" "" "$(value "gaiarest_archive_lag_segments$S")"

set_archive_command "true"
seg=$(switch_wal)
wait_archived "$seg"
metrics "$LIVE_CONF" --stanza=demo
read -r archived failed last_archived last_failed <<<"$(archiver_row)"
assert_promtool "live, archiving works"
assert_compare "live, archiving works" --pg
assert_eq "live, archiving works: archived count" "$archived" "$(value "gaiarest_archive_archived_total$S")"
assert_eq "live, archiving works: last archived time" "$last_archived" \
    "$(value "gaiarest_archive_last_archived_timestamp_seconds$S")"
assert_eq "live, archiving works: lag as psql sees it" "$(psql_lag)" "$(value "gaiarest_archive_lag_segments$S")"
assert_eq "live, archiving works: lag 0" 0 "$(value "gaiarest_archive_lag_segments$S")"

set_archive_command "false"
switch_wal >/dev/null
switch_wal >/dev/null
switch_wal >/dev/null
metrics "$LIVE_CONF" --stanza=demo
assert_promtool "live, three segments waiting"
assert_eq "live, three segments waiting: lag as psql sees it" "$(psql_lag)" "$(value "gaiarest_archive_lag_segments$S")"
assert_eq "live, three segments waiting: lag 3" 3 "$(value "gaiarest_archive_lag_segments$S")"
assert_eq "live, three segments waiting: lag bytes" $((3 * 16 * 1024 * 1024)) "$(value "gaiarest_archive_lag_bytes$S")"

# Without --stanza the cluster belongs to no stanza: no pg series at all (the comparison allows none).
metrics "$LIVE_CONF"
assert_compare "live, without --stanza"

# A cluster that cannot be reached: pg_up 0, no archiver series, still exit 0 and clean output.
pg_stop live
metrics "$LIVE_CONF" --stanza=demo
assert_status "cluster down: exit code" 0 "$RC"
assert_file_eq "cluster down: nothing on stderr" /dev/null "$OUT.err"
assert_promtool "cluster down"
assert_compare "cluster down" --pg
assert_eq "cluster down: pg up 0" 0 "$(value "gaiarest_pg_up$S")"
assert_eq "cluster down: no archiver series" "" "$(value "gaiarest_archive_archived_total$S")"

tap_done
