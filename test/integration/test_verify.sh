#!/usr/bin/env bash
# gaiarest verify against stock pgBackRest 2.45 on the same stock-made repositories (the shared fixture): a clean
# plain and a clean encrypted repo, then one damaged copy (a corrupted WAL segment, a corrupted backup file, a
# corrupted file that an incremental references, a missing backup file): same log lines, summary and exit status.
# --set is accepted as 2.45 accepts it (and, as 2.45, the whole repository is verified).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixture-stock.sh"
lib_init
fixture_stock
tap_plan 10

normalize() {
    # which worker (P01, P02, ...) reads which file is scheduling, not behaviour
    sed -e 's/--exec-id=[^ ]* //' -e 's/command begin [^:]*:/command begin VERSION:/' -e 's/ ([0-9]*ms)$//' \
        -e 's/^P0[1-9] /P0w /'
}

# compare DESC CONF ARGS...: run both, compare everything they print and their exit status
compare() {
    local desc=$1 conf=$2
    shift 2
    run_pgbackrest "$conf" --stanza=demo --log-level-console=info --log-timestamp=n "$@" verify >"$GAIA_TMP/s.out" 2>&1
    echo "exit $?" >>"$GAIA_TMP/s.out"
    run_gaiarest "$conf" --stanza=demo --log-level-console=info --log-timestamp=n "$@" verify >"$GAIA_TMP/g.out" 2>&1
    echo "exit $?" >>"$GAIA_TMP/g.out"
    normalize <"$GAIA_TMP/s.out" >"$GAIA_TMP/s.log"
    normalize <"$GAIA_TMP/g.out" >"$GAIA_TMP/g.log"
    assert_file_eq "$desc" "$GAIA_TMP/s.log" "$GAIA_TMP/g.log"
}

compare "clean plain repo: same output" "$FIX/conf/plain.conf" --output=text
compare "clean plain repo, verbose, 3 workers: same summary" "$FIX/conf/plain.conf" --output=text --verbose --process-max=3
compare "clean encrypted repo, verbose: same summary" "$FIX/conf/enc.conf" --output=text --verbose
SET=$(run_pgbackrest "$FIX/conf/plain.conf" --stanza=demo --output=json info | jq -r '.[0].backup[0].label')
compare "--set accepted; as 2.45, the whole repository verified" "$FIX/conf/plain.conf" --output=text --verbose --set="$SET"
assert_eq "a clean repo prints no summary without --verbose" "" "$(run_gaiarest "$FIX/conf/plain.conf" --stanza=demo --output=text verify 2>&1)"

# A damaged copy.
D=$GAIA_TMP/damaged
as_pg mkdir -p "$D/lock" "$D/log"
as_pg cp -a "$FIX/repo1" "$D/repo"
sed -e "s#^repo1-path=.*#repo1-path=$D/repo#" -e "s#^lock-path=.*#lock-path=$D/lock#" "$FIX/conf/plain.conf" >"$D/conf"
chmod 0644 "$D/conf"
wal=$(ls "$D/repo/archive/demo/15-1/0000000100000000/"*-* | head -5 | tail -1)
printf 'XXXX' | as_pg dd of="$wal" bs=1 seek=1000 conv=notrunc 2>/dev/null
mapfile -t fulls < <(ls "$D/repo/backup/demo" | grep -E '^[0-9]{8}-[0-9]{6}F$')
version=$(ls "$D/repo/backup/demo/${fulls[2]}/pg_data/" | grep '^PG_VERSION')
printf 'garbage' | as_pg tee "$D/repo/backup/demo/${fulls[2]}/pg_data/$version" >/dev/null
incr_full=$(ls "$D/repo/backup/demo" | grep -E 'F_[0-9]{8}-[0-9]{6}I$' | tail -1 | cut -c1-16)
conf_file=$(ls "$D/repo/backup/demo/$incr_full/pg_data/" | grep '^pg_hba.conf')
printf 'garbage' | as_pg tee "$D/repo/backup/demo/$incr_full/pg_data/$conf_file" >/dev/null
missing=$(ls "$D/repo/backup/demo/${fulls[-1]}/pg_data/" | grep '^postgresql.conf')
as_pg rm "$D/repo/backup/demo/${fulls[-1]}/pg_data/$missing"

compare "damaged repo: same problems reported, same summary and exit status" "$D/conf" --output=text
compare "damaged repo, verbose, 2 workers: same summary" "$D/conf" --output=text --verbose --process-max=2
out=$(run_gaiarest "$D/conf" --stanza=demo --output=text verify 2>&1)
assert_eq "the summary says error" "status: error" "$(sed -n 2p <<<"$out")"
assert_eq "the referenced file counts against the incremental too" "2" \
    "$(grep -c "backup: $incr_full.*status: invalid" <<<"$out")"
assert_eq "the missing file is counted" "    missing: 1" "$(grep -A1 "backup: ${fulls[-1]}" <<<"$out" | tail -1)"
tap_done
