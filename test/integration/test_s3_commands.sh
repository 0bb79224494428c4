#!/bin/bash
# test_s3_commands.sh: every gaiarest command on an S3 repository shared with stock pgBackRest 2.45.
#
# s3rver over TLS behind s3proxy.py (every request's SigV4 signature checked), a PostgreSQL 15 cluster under pgbench
# load (and a table in a tablespace), small upload chunks (1 MiB: WAL segments and data files go up as multipart
# uploads) and lz4:
#   gaiarest stanza-create, check; gaiarest archive-push as archive_command -> stock archive-get returns every segment
#   byte-identical (and no provisional object is left in the archive; each segment is one PUT under its final name);
#   stock archive-push as archive_command -> gaiarest archive-get returns every segment byte-identical;
#   gaiarest archive-push --archive-async as archive_command -> stock archive-get, byte-identical;
#   gaiarest backup full + incr -> stock info lists them, stock restore restores the incr, PostgreSQL starts, tables
#   equal the source at backup time (row count + md5 of the sorted rows); gaiarest repo-ls and repo-get print what
#   stock prints for the same objects;
#   gaiarest bundled full (repo-bundle, multipart bundles) -> stock restore and gaiarest restore, tables equal;
#   stock backup full -> gaiarest restore (restore_command = gaiarest archive-get), tables equal;
#   archive-push through faults: the copy of a multipart segment to its final name failing (push fails, nothing
#   left), the removal of the provisional object failing (push succeeds with a warning); three concurrent pushes of
#   one segment (each under its own provisional key) all succeed and leave one whole object;
#   gaiarest expire (--repo1-retention-full=1; 3 in the file, so no backup expires the other tool's) removes
#   gaiarest's backups and the WAL before the stock full; stock info agrees; gaiarest verify (with connection reuse)
#   and stock verify find the repository consistent; gaiarest check; gaiarest stop + stanza-delete empties the
#   stanza's prefixes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../s3/lib-s3.sh"

lib_init
s3_start
T=$GAIA_TMP
C=$T/conf
mkdir -p "$C" "$T/wal-gaia" "$T/wal-stock" "$T/get"
chmod 0755 "$C"
chmod 0777 "$T/wal-gaia" "$T/wal-stock" "$T/get"
CONF=$C/s3.conf
START=$SECONDS

s3_conf "$CONF" /cmds "" "repo1-storage-upload-chunk-size=1MiB" "compress-type=lz4" "start-fast=y" \
    "archive-check=y" "repo1-retention-full=3" "process-max=2"

# archive_command: keep a copy of what PostgreSQL handed over (the reference for archive-get), then push.
push_command() { # push_command PROGRAM COPY_DIR
    echo "cp %p $2/%f && $1 --config=$CONF --stanza=demo archive-push %p"
}
pg_start demo "$(push_command "$GAIAREST" "$T/wal-gaia")"
{
    echo "[demo]"
    echo "pg1-path=$(pg_data demo)"
    echo "pg1-port=$(pg_port demo)"
    echo "pg1-socket-path=$(pg_sock demo)"
} >>"$CONF"

run() { # run LOGNAME COMMAND...: exit code, output in $T/LOGNAME.out/.err (shown on failure)
    local name=$1 rc=0 start=$SECONDS requests
    shift
    requests=$(wc -l <"$S3_LOG")
    "$@" >"$T/$name.out" 2>"$T/$name.err" || rc=$?
    echo "# $name: $((SECONDS - start))s, $(($(wc -l <"$S3_LOG") - requests)) S3 requests"
    [ $rc = 0 ] || { cat "$T/$name.err" "$T/$name.out" | head -20 | tap_diag; }
    return $rc
}

TABLES="pgbench_accounts pgbench_branches pgbench_tellers pgbench_history marker t_ts"
# snapshot CLUSTER: "name count md5-of-sorted-rows" per table of $TABLES (lib.sh)
snapshot() { pg_table_state "$1" $TABLES; }

writes() { # writes NOTE [TRANSACTIONS]
    pg_bench demo -n -t "${2:-200}" -c 2 >>"$T/pgbench.log" 2>&1 || bail_out "pgbench failed"
    pg_sql demo "insert into marker (note) values ('$1'); update t_ts set v = v || 'x' where id % 97 = 0" >/dev/null ||
        bail_out "writes failed"
}

switch_and_wait() { # switch WAL and wait until PostgreSQL reports the segment archived
    local segment i
    segment=$(pg_sql demo "select pg_walfile_name(pg_switch_wal())")
    for i in $(seq 1 300); do
        [ "$(pg_sql demo "select coalesce(last_archived_wal >= '$segment', false) from pg_stat_archiver")" = t ] &&
            return 0
        sleep 0.2
    done
    pg_sql demo "select * from pg_stat_archiver" | tap_diag
    tail -20 "$T/demo.log" | tap_diag
    bail_out "segment $segment was not archived"
}

set_archive_command() {
    pg_sql demo "alter system set archive_command = '${1//\'/\'\'}'" >/dev/null &&
        pg_sql demo "select pg_reload_conf()" >/dev/null || bail_out "cannot change archive_command"
    sleep 0.3
}

# archive_get_all PROGRAM COPY_DIR: fetch every copied segment with PROGRAM archive-get and compare; prints
# "<fetched> <identical>"
archive_get_all() {
    local program=$1 dir=$2 file name fetched=0 same=0
    for file in "$dir"/*; do
        name=$(basename "$file")
        [[ $name =~ ^[0-9A-F]{24}$ ]] || continue
        fetched=$((fetched + 1))
        rm -f "$T/get/$name"
        as_pg env TZ=UTC "$program" --config="$CONF" --stanza=demo archive-get "$name" "$T/get/$name" \
            >>"$T/archive-get.log" 2>&1 || { echo "# $program archive-get $name failed" >&2; continue; }
        cmp -s "$file" "$T/get/$name" && same=$((same + 1))
    done
    echo "$fetched $same"
}

# assert_get_all DESC PROGRAM WAL_DIR MIN: PROGRAM's archive-get returns every segment copied into WAL_DIR by the
# archive_command (at least MIN of them) byte-identical
assert_get_all() {
    local fetched same
    read -r fetched same < <(archive_get_all "$2" "$3")
    if [ "$fetched" -ge "$4" ] && [ "$fetched" = "$same" ]; then
        tap_ok "$1: $fetched segments, byte-identical"
    else
        tap_not_ok "$1: $same of $fetched identical"
        tail -20 "$T/archive-get.log" | tap_diag
    fi
}

# --- stanza-create, check ----------------------------------------------------------------------------------------
s3_log_mark
rc=0; run stanza-create run_gaiarest "$CONF" --stanza=demo stanza-create || rc=$?
assert_status "gaiarest stanza-create on S3" 0 $rc
rc=0; run stock-info0 run_pgbackrest "$CONF" --stanza=demo --output=json info || rc=$?
assert_eq "stock info reads gaiarest's new stanza (status 'no valid backups')" "0 2" \
    "$rc $(jq -r '.[0].status.code' "$T/stock-info0.out" 2>/dev/null)"
rc=0; run check run_gaiarest "$CONF" --stanza=demo check || rc=$?
assert_status "gaiarest check on S3 (its archive_command is gaiarest archive-push)" 0 $rc

# --- gaiarest archive-push -> stock archive-get ---------------------------------------------------------------------
pg_bench demo -i -s 2 -q >"$T/pgbench.log" 2>&1 || bail_out "pgbench -i failed"
as_pg mkdir -p "$T/ts1"
pg_sql demo "create tablespace ts1 location '$T/ts1'" >/dev/null || bail_out "create tablespace failed"
pg_sql demo "create table marker (id serial primary key, note text);
             create table t_ts (id int primary key, v text) tablespace ts1;
             insert into t_ts select g, md5(g::text) from generate_series(1, 5000) g" >/dev/null ||
    bail_out "test tables failed"
writes "load 1" 300
switch_and_wait
assert_get_all "stock archive-get returns the segments gaiarest pushed" pgbackrest "$T/wal-gaia" 3
ARCHIVE_ID=$(jq -r '.[0].archive[0].id' "$T/stock-info0.out")
run_pgbackrest "$CONF" --stanza=demo --recurse repo-ls "archive/demo/$ARCHIVE_ID" >"$T/archive-ls" 2>&1
stray=$(grep -vE '(^|/)[0-9A-F]{24}-[0-9a-f]{40}\.lz4$|^[0-9A-F]{16}$|\.history$|\.backup$' "$T/archive-ls" || true)
assert_eq "the archive holds only final segment names (no provisional upload left)" "" "$stray"
assert_eq "gaiarest's pushes: signatures verified, no forbidden header, Content-MD5, equal parts" "" \
    "$(s3_log_check md5=1 | grep -v '^parts=')"
# A segment that stores in up to 8 upload chunks (here 8 MiB) goes up with one PUT under its final name: no multipart
# upload, no copy from a provisional name; "final multipart copies largest>chunk"
pushes=$(s3_log_since | python3 -c '
import json, re, sys
final = multipart = copies = largest = 0
for line in sys.stdin:
    r = json.loads(line)
    if "/archive/" not in r["path"]:
        continue
    if r["method"] == "POST" and "uploads" in r["query"]:
        multipart += 1
    elif r["method"] == "PUT" and "x-amz-copy-source" in r["headers"]:
        copies += 1
    elif r["method"] == "PUT" and "partNumber" not in r["query"] and re.search(r"-[0-9a-f]{40}\.lz4$", r["path"]):
        final += 1
        largest = max(largest, r["body_size"])
print(final, multipart, copies, "yes" if largest > 1048576 else "no")')
read -r p_final p_multipart p_copies p_big <<<"$pushes"
if [ "$p_final" -ge 3 ] && [ "$p_multipart $p_copies $p_big" = "0 0 yes" ]; then
    tap_ok "each segment went up with one PUT under its final name, those larger than a chunk too ($pushes)"
else
    tap_not_ok "each segment went up with one PUT under its final name, those larger than a chunk too ($pushes)"
fi

# --- stock archive-push -> gaiarest archive-get ---------------------------------------------------------------------
set_archive_command "$(push_command pgbackrest "$T/wal-stock")"
writes "load 2" 200
switch_and_wait
writes "load 3" 200
switch_and_wait
assert_get_all "gaiarest archive-get returns the segments stock pushed" "$GAIAREST" "$T/wal-stock" 2
rc=0
run_gaiarest "$CONF" --stanza=demo archive-get 0000000100000000000000FF "$T/get/missing" >"$T/missing.log" 2>&1 || rc=$?
assert_status "gaiarest archive-get of a segment that is not in the archive: exit 1" 1 $rc

# --- gaiarest archive-push --archive-async -> stock archive-get --------------------------------------------------------
mkdir -p "$T/wal-async"
chmod 0777 "$T/wal-async"
set_archive_command "$(push_command "$GAIAREST --archive-async" "$T/wal-async")"
writes "async 1" 200
switch_and_wait
writes "async 2" 200
switch_and_wait
assert_get_all "stock archive-get returns the segments gaiarest pushed asynchronously" pgbackrest "$T/wal-async" 2

set_archive_command "$(push_command "$GAIAREST" "$T/wal-gaia")"
# (this archive_command stays for gaiarest's backups; stock backup insists on one that names pgbackrest)

# --- gaiarest backup -> stock info, stock restore ---------------------------------------------------------------------
declare -A SNAP
s3_log_mark
rc=0; run backup-full run_gaiarest "$CONF" --stanza=demo --type=full backup || rc=$?
assert_status "gaiarest full backup to S3" 0 $rc
SNAP[full]=$(snapshot demo)
writes "after full" 300
rc=0; run backup-incr run_gaiarest "$CONF" --stanza=demo --type=incr backup || rc=$?
assert_status "gaiarest incr backup to S3" 0 $rc
SNAP[incr]=$(snapshot demo)
writes "after incr" 100
assert_eq "gaiarest's backup requests: signatures verified, no forbidden header, Content-MD5, equal parts" "" \
    "$(s3_log_check md5=1 | grep -v '^parts=')"

rc=0; run stock-info1 run_pgbackrest "$CONF" --stanza=demo --output=json info || rc=$?
assert_eq "stock info lists gaiarest's full and incr" "0 full incr" \
    "$rc $(jq -r '[.[0].backup[].type] | join(" ")' "$T/stock-info1.out" 2>/dev/null)"
GAIA_FULL=$(jq -r '.[0].backup[0].label' "$T/stock-info1.out")
GAIA_INCR=$(jq -r '.[0].backup[1].label' "$T/stock-info1.out")
rc=0; run gaia-info run_gaiarest "$CONF" --stanza=demo --output=json info || rc=$?
assert_json_eq "gaiarest info equals stock info on the same S3 repository" "$T/stock-info1.out" "$T/gaia-info.out"
# repo-ls and repo-get on S3: what stock prints, byte for byte (listing pages, prefixes as paths, object times)
TOOL=0
for args in "repo-ls --recurse --output=json backup/demo" "repo-ls --sort=desc archive/demo" \
    "repo-get backup/demo/$GAIA_INCR/backup.manifest" "repo-get --ignore-missing archive/demo/nothing"; do
    TOOL=$((TOOL + 1))
    # shellcheck disable=SC2086 # the words of $args are the arguments
    run_pgbackrest "$CONF" $args >"$T/repo-tool$TOOL-stock.out" 2>&1
    echo "exit $?" >>"$T/repo-tool$TOOL-stock.out"
    # shellcheck disable=SC2086
    run_gaiarest "$CONF" $args >"$T/repo-tool$TOOL-gaia.out" 2>&1
    echo "exit $?" >>"$T/repo-tool$TOOL-gaia.out"
    assert_file_eq "on S3, $args: the same output as stock" "$T/repo-tool$TOOL-stock.out" "$T/repo-tool$TOOL-gaia.out"
done

# restore_check DESC PROGRAM GETTER LABEL SNAPSHOT: PROGRAM restores LABEL (restore_command = GETTER archive-get),
# the cluster starts and its tables equal SNAPSHOT
N=0
restore_check() {
    local desc=$1 program=$2 getter=$3 label=$4 expected=$5 dir rc=0 start=$SECONDS requests
    N=$((N + 1))
    dir=$T/r$N
    as_pg mkdir -p "$dir"
    requests=$(wc -l <"$S3_LOG")
    as_pg env TZ=UTC "$program" --config="$CONF" --stanza=demo --set="$label" --pg1-path="$dir" --type=immediate \
        --target-action=promote --tablespace-map=ts1="$dir-ts" \
        --recovery-option="restore_command=$getter --config=$CONF --pg1-path=$dir --stanza=demo archive-get %f \"%p\"" \
        restore >"$T/r$N.restore.log" 2>&1 || rc=$?
    echo "# r$N restore by $(basename "$program"): $((SECONDS - start))s, $(($(wc -l <"$S3_LOG") - requests)) S3 requests"
    if [ $rc != 0 ]; then
        tap_not_ok "$desc: restore (exit $rc)"
        tail -20 "$T/r$N.restore.log" | tap_diag
        return
    fi
    if ! pg_start_restored "r$N" "$dir"; then
        tap_not_ok "$desc: the restored cluster starts"
        return
    fi
    assert_eq "$desc: tables equal the source at backup time" "$expected" "$(snapshot "r$N")"
    pg_stop "r$N"
}
restore_check "stock restores gaiarest's incr from S3" pgbackrest pgbackrest "$GAIA_INCR" "${SNAP[incr]}"

# --- gaiarest bundled backup (repo-bundle) -> stock restore, gaiarest restore -----------------------------------------
# bundles of up to 3 MiB with 1 MiB upload chunks: most are multipart uploads of equal parts
s3_log_mark
rc=0; run backup-bundle run_gaiarest "$CONF" --stanza=demo --type=full --repo1-bundle --repo1-bundle-size=3MiB backup || rc=$?
assert_status "gaiarest bundled full backup to S3" 0 $rc
SNAP[bundle]=$(snapshot demo)
assert_eq "gaiarest's bundled backup requests: signatures verified, no forbidden header, Content-MD5, equal parts" "" \
    "$(s3_log_check md5=1 | grep -v '^parts=')"
rc=0; run stock-info-bundle run_pgbackrest "$CONF" --stanza=demo --output=json info || rc=$?
GAIA_BUNDLE=$(jq -r '.[0].backup[-1].label' "$T/stock-info-bundle.out")
run_pgbackrest "$CONF" --stanza=demo repo-ls "backup/demo/$GAIA_BUNDLE/bundle" >"$T/bundle-ls" 2>&1
run_pgbackrest "$CONF" --stanza=demo repo-get "backup/demo/$GAIA_BUNDLE/backup.manifest" >"$T/bundle.manifest" 2>&1
bundles=$(grep -cE '^[0-9]+$' "$T/bundle-ls")
if [ "$rc" = 0 ] && [ "$bundles" -ge 2 ] && grep -qx "backup-bundle=true" "$T/bundle.manifest"; then
    tap_ok "stock info lists the bundled full; stock repo-ls finds its $bundles bundles"
else
    tap_not_ok "stock info lists the bundled full; stock repo-ls finds its bundles ($bundles)"
fi
restore_check "stock restores gaiarest's bundled full from S3" pgbackrest pgbackrest "$GAIA_BUNDLE" "${SNAP[bundle]}"
requests=$(wc -l <"$S3_LOG")
restore_check "gaiarest restores its bundled full from S3" "$GAIAREST" "$GAIAREST" "$GAIA_BUNDLE" "${SNAP[bundle]}"
requests=$(($(wc -l <"$S3_LOG") - requests))
files=$(grep -c '^pg_data/' "$T/bundle.manifest")
# one ranged GET per bundle (plus the large files, info files, manifest and the WAL of recovery), not one per file
[ "$requests" -lt 100 ] && tap_ok "gaiarest reads each bundle with one request ($requests requests for $files files)" ||
    tap_not_ok "gaiarest reads each bundle with one request ($requests requests for $files files)"
writes "after bundle" 100

# --- stock backup -> gaiarest restore ---------------------------------------------------------------------------------
set_archive_command "$(push_command pgbackrest "$T/wal-stock")"
rc=0; run stock-backup run_pgbackrest "$CONF" --stanza=demo --type=full backup || rc=$?
assert_status "stock full backup to the same S3 repository" 0 $rc
SNAP[stock]=$(snapshot demo)
rc=0; run stock-info2 run_pgbackrest "$CONF" --stanza=demo --output=json info || rc=$?
STOCK_FULL=$(jq -r '.[0].backup[-1].label' "$T/stock-info2.out")
s3_log_mark
restore_check "gaiarest restores stock's full from S3 (restore_command = gaiarest archive-get)" "$GAIAREST" \
    "$GAIAREST" "$STOCK_FULL" "${SNAP[stock]}"
restore_check "gaiarest restores its own full from S3" "$GAIAREST" "$GAIAREST" "$GAIA_FULL" "${SNAP[full]}"
assert_eq "gaiarest's restore requests: signatures verified" "" "$(s3_log_check | grep -v '^parts=')"

set_archive_command "$(push_command "$GAIAREST" "$T/wal-gaia")"

# --- a push whose server-side copy to the final name fails ----------------------------------------------------------------
# Uncompressed, a segment is 16 chunks: its multipart upload is created under a provisional name unique to the push
# ("<segment>.<16 hex>") and copied to "<segment>-<sha1>" once the SHA-1 is known. With every PUT to a final name
# failing, archive-push must fail (so PostgreSQL would keep the segment), leave nothing under any name, and succeed
# once the faults stop.
writes "before the fault" 50
switch_and_wait # every segment copied so far is archived (none is in flight)
SEG=$(ls "$T/wal-gaia" | grep -E '^[0-9A-F]{24}$' | sort | tail -1)
run_pgbackrest "$CONF" --stanza=demo --recurse repo-ls "archive/demo/$ARCHIVE_ID" >"$T/archive-ls" 2>&1
STORED=$(grep -E "(^|/)$SEG-" "$T/archive-ls")
[ -n "$STORED" ] || bail_out "segment $SEG is not in the archive"
"$S3_TOOL" --config="$CONF" rm "archive/demo/$ARCHIVE_ID/$STORED" >"$T/rm.log" 2>&1 || bail_out "cannot remove $STORED"
s3_faults "500:*:PUT:$SEG-[0-9a-f]{40}\$"
rc=0; run push-fault run_gaiarest "$CONF" --stanza=demo --compress-type=none --io-timeout=2 archive-push \
    "$T/wal-gaia/$SEG" 2>/dev/null || rc=$?
s3_faults
[ $rc != 0 ] && tap_ok "archive-push fails when the copy to the final name keeps failing (exit $rc)" ||
    tap_not_ok "archive-push fails when the copy to the final name keeps failing"
run_pgbackrest "$CONF" --stanza=demo --recurse repo-ls "archive/demo/$ARCHIVE_ID" >"$T/archive-ls" 2>&1
assert_eq "after the failed push nothing is stored for the segment, under any name" "" \
    "$(grep -E "(^|/)$SEG(-|\.|$)" "$T/archive-ls")"
rc=0; run push-retry run_gaiarest "$CONF" --stanza=demo --compress-type=none archive-push "$T/wal-gaia/$SEG" || rc=$?
rm -f "$T/get/$SEG"
run_pgbackrest "$CONF" --stanza=demo archive-get "$SEG" "$T/get/$SEG" >"$T/get.log" 2>&1
if [ $rc = 0 ] && cmp -s "$T/wal-gaia/$SEG" "$T/get/$SEG"; then
    tap_ok "the push succeeds after the faults stop and stock archive-get returns the segment identical"
else
    tap_not_ok "the push succeeds after the faults stop and stock archive-get returns the segment identical"
    cat "$T/get.log" | tap_diag
fi
run_pgbackrest "$CONF" --stanza=demo --recurse repo-ls "archive/demo/$ARCHIVE_ID" >"$T/archive-ls" 2>&1
assert_eq "the segment is stored once, under its final uncompressed name only" "1" \
    "$(grep -cE "(^|/)$SEG(-|\.|$)" "$T/archive-ls")$(grep -E "(^|/)$SEG(-|\.|$)" "$T/archive-ls" | grep -vE "$SEG-[0-9a-f]{40}$")"

# The copy succeeds but the provisional object cannot be removed: the segment is stored, so the push succeeds with a
# warning and the final object is whole.
STORED=$(grep -E "(^|/)$SEG-" "$T/archive-ls")
"$S3_TOOL" --config="$CONF" rm "archive/demo/$ARCHIVE_ID/$STORED" >"$T/rm.log" 2>&1 || bail_out "cannot remove $STORED"
s3_faults "500:*:DELETE:/$SEG\\.[0-9a-f]{16}\$"
rc=0; run push-delete-fault run_gaiarest "$CONF" --stanza=demo --compress-type=none --io-timeout=2 archive-push \
    "$T/wal-gaia/$SEG" || rc=$?
s3_faults
assert_eq "a provisional object that cannot be removed: the push succeeds with a warning" "0 1" \
    "$rc $(grep -c 'unable to remove the provisional object' "$T/push-delete-fault.out" "$T/push-delete-fault.err" |
        awk -F: '{n += $2} END {print n}')"
run_pgbackrest "$CONF" --stanza=demo --recurse repo-ls "archive/demo/$ARCHIVE_ID" >"$T/archive-ls" 2>&1
rm -f "$T/get/$SEG"
run_pgbackrest "$CONF" --stanza=demo archive-get "$SEG" "$T/get/$SEG" >"$T/get.log" 2>&1
PROVISIONAL=$(grep -E "(^|/)$SEG\.[0-9a-f]{16}$" "$T/archive-ls")
if [ -n "$PROVISIONAL" ] && cmp -s "$T/wal-gaia/$SEG" "$T/get/$SEG"; then
    tap_ok "the stray provisional object is left, the final one is whole (stock archive-get)"
else
    tap_not_ok "the stray provisional object is left, the final one is whole (stock archive-get)"
fi
"$S3_TOOL" --config="$CONF" rm "archive/demo/$ARCHIVE_ID/$PROVISIONAL" >"$T/rm.log" 2>&1 ||
    bail_out "cannot remove the provisional $PROVISIONAL"

# Three pushes of that segment at once (multipart uploads, uncompressed): each uploads under its own provisional key,
# so none completes, copies or deletes another's; all succeed, and one whole object is left under the final name.
"$S3_TOOL" --config="$CONF" rm "archive/demo/$ARCHIVE_ID/$STORED" >"$T/rm.log" 2>&1 || bail_out "cannot remove $STORED"
run_concurrently 3 "$T/concurrent" \
    run_gaiarest "$CONF" --stanza=demo --compress-type=none archive-push "$T/wal-gaia/$SEG"
run_pgbackrest "$CONF" --stanza=demo --recurse repo-ls "archive/demo/$ARCHIVE_ID" >"$T/archive-ls" 2>&1
rm -f "$T/get/$SEG"
run_pgbackrest "$CONF" --stanza=demo archive-get "$SEG" "$T/get/$SEG" >"$T/get.log" 2>&1
same=no
cmp -s "$T/wal-gaia/$SEG" "$T/get/$SEG" && same=yes
assert_eq "three concurrent pushes of one segment succeed and leave one whole object (stock archive-get)" \
    "0 $STORED yes" "$CONCURRENT_FAILED $(grep -E "(^|/)$SEG(-|\.|$)" "$T/archive-ls" | tr '\n' ' ' | sed 's/ $//') $same"

# --- the checks of a push whose repository round trips overlap its compression ----------------------------------------
# On an object store archive.info and the listing of the segment's directory are fetched while the segment is
# compressed; every check still decides before anything is written. The stored segment again, same bytes: a warning,
# success; other bytes under that name: refused (45), the stored object untouched; a segment of another system: refused
# (44), nothing stored; a missing file: the same exit status as stock's.
rc=0; run dup-same run_gaiarest "$CONF" --stanza=demo archive-push "$T/wal-gaia/$SEG" || rc=$?
assert_eq "the stored segment pushed again (same bytes): success with a warning" "0 1" \
    "$rc $(cat "$T/dup-same.out" "$T/dup-same.err" | grep -c 'already exists in the repo1 archive with the same checksum')"
mkdir -p "$T/other"
cp "$T/wal-gaia/$SEG" "$T/other/$SEG"
printf 'X' | dd of="$T/other/$SEG" bs=1 seek=100000 conv=notrunc 2>/dev/null
chown -R postgres: "$T/other"
rc=0; run dup-other run_gaiarest "$CONF" --stanza=demo archive-push "$T/other/$SEG" 2>/dev/null || rc=$?
run_pgbackrest "$CONF" --stanza=demo --recurse repo-ls "archive/demo/$ARCHIVE_ID" >"$T/archive-ls-dup" 2>&1
assert_eq "other bytes under a stored name: refused (45), the stored object unchanged" "45 1 $STORED" \
    "$rc $(cat "$T/dup-other.out" "$T/dup-other.err" | grep -c 'already exists in the repo1 archive with a different checksum') $(grep -E "(^|/)$SEG(-|\.|$)" "$T/archive-ls-dup")"
FOREIGN=000000010000009900000001
cp "$T/wal-gaia/$SEG" "$T/other/$FOREIGN"
# another system identifier: the long page header's xlp_sysid, at byte 24
printf '\x01\x02\x03\x04\x05\x06\x07\x08' | dd of="$T/other/$FOREIGN" bs=1 seek=24 conv=notrunc 2>/dev/null
chown postgres: "$T/other/$FOREIGN"
rc=0; run foreign run_gaiarest "$CONF" --stanza=demo archive-push "$T/other/$FOREIGN" 2>/dev/null || rc=$?
run_pgbackrest "$CONF" --stanza=demo --recurse repo-ls "archive/demo/$ARCHIVE_ID" >"$T/archive-ls-foreign" 2>&1
assert_eq "a segment of another system: refused (44), nothing stored for it" "44 1 0" \
    "$rc $(cat "$T/foreign.out" "$T/foreign.err" | grep -c 'do not match stanza') $(grep -c "$FOREIGN" "$T/archive-ls-foreign")"
rc=0; run missing-gaia run_gaiarest "$CONF" --stanza=demo archive-push "$T/other/000000010000009900000002" || rc=$?
src=0; run missing-stock run_pgbackrest "$CONF" --stanza=demo archive-push "$T/other/000000010000009900000002" || src=$?
assert_eq "a missing WAL file: the exit status of stock's push, the file named" "$src 1" \
    "$rc $(cat "$T/missing-gaia.out" "$T/missing-gaia.err" | grep -c "$T/other/000000010000009900000002")"

# --- expire, verify -----------------------------------------------------------------------------------------------------
writes "before expire" 50
switch_and_wait
s3_log_mark
rc=0; run expire run_gaiarest "$CONF" --stanza=demo --repo1-retention-full=1 expire || rc=$?
assert_status "gaiarest expire on S3 (retention-full=1)" 0 $rc
rc=0; run stock-info3 run_pgbackrest "$CONF" --stanza=demo --output=json info || rc=$?
assert_eq "stock info after gaiarest's expire: only stock's full is left" "0 $STOCK_FULL" \
    "$rc $(jq -r '[.[0].backup[].label] | join(" ")' "$T/stock-info3.out" 2>/dev/null)"
STOCK_START=$(jq -r '.[0].backup[0].archive.start' "$T/stock-info3.out")
assert_eq "the archive now starts at the stock full's first segment" "$STOCK_START" \
    "$(jq -r '.[0].archive[0].min' "$T/stock-info3.out")"
run_pgbackrest "$CONF" --stanza=demo --recurse repo-ls backup/demo >"$T/backup-ls" 2>&1
assert_eq "the expired backups' objects are gone from the bucket" "0" \
    "$(grep -cE "^($GAIA_FULL|$GAIA_INCR|$GAIA_BUNDLE)/" "$T/backup-ls")"
VERIFY_FROM=$(wc -l <"$S3_LOG")
rc=0; run gaia-verify run_gaiarest "$CONF" --stanza=demo verify || rc=$?
assert_status "gaiarest verify on S3 after expire" 0 $rc
# Connections are reused (keep-alive, one connection cache per worker): process-max=2, so a handful of connections
# for hundreds of reads, not one per file.
connections=$(tail -n +$((VERIFY_FROM + 1)) "$S3_LOG" | jq -r .conn | sort -u | wc -l)
requests=$(tail -n +$((VERIFY_FROM + 1)) "$S3_LOG" | wc -l)
if [ "$requests" -gt 300 ] && [ "$connections" -le 6 ]; then
    tap_ok "gaiarest verify reused its connections ($requests requests on $connections connections)"
else
    tap_not_ok "gaiarest verify reused its connections ($requests requests on $connections connections)"
fi
rc=0; run stock-verify run_pgbackrest "$CONF" --stanza=demo verify || rc=$?
assert_status "stock verify agrees" 0 $rc
rc=0; run check2 run_gaiarest "$CONF" --stanza=demo check || rc=$?
assert_status "gaiarest check on S3 after everything" 0 $rc
assert_eq "expire/verify/check requests: signatures verified, Content-MD5 on every body" "" \
    "$(s3_log_check md5=1 | grep -v '^parts=')"

# --- stanza-delete ----------------------------------------------------------------------------------------------------
pg_stop demo
rc=0; run stop run_gaiarest "$CONF" --stanza=demo stop || rc=$?
rc2=0; run stanza-delete run_gaiarest "$CONF" --stanza=demo stanza-delete || rc2=$?
assert_eq "gaiarest stop + stanza-delete on S3" "0 0" "$rc $rc2"
run_pgbackrest "$CONF" --stanza=demo --recurse repo-ls >"$T/repo-ls-after" 2>&1
assert_eq "nothing of the stanza is left in the bucket (stock repo-ls)" "" \
    "$(grep -E '^(archive|backup)/demo/' "$T/repo-ls-after")"
run_gaiarest "$CONF" --stanza=demo start >/dev/null 2>&1

echo "# test_s3_commands.sh took $((SECONDS - START))s"
tap_done
