#!/bin/bash
# test_s3_interop.sh: stock pgBackRest 2.45 and gaiarest on the same S3 bucket (s3rver behind s3proxy.py, which
# verifies every request's SigV4 signature independently and logs the headers).
#   stock writes (stanza-create, archive-push, full backup with multipart uploads) -> gaiarest reads (info, info
#   files through repo_open);
#   gaiarest writes (info files re-saved, a new stanza's info files) -> stock reads (info, check, backup).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../s3/lib-s3.sh"

lib_init
s3_start

tap_skip() {
    TAP_COUNT=$((TAP_COUNT + 1))
    echo "ok $TAP_COUNT - $1 # SKIP $2"
}

C="$GAIA_TMP/conf"
mkdir -p "$C"
chmod 0755 "$C"
W="$GAIA_TMP/work"
mkdir -p "$W"
chmod 0777 "$W"

# Small parts so that the stock backup's data files go up as multipart uploads (s3rver accepts any part size).
s3_conf "$C/s3.conf" /interop "" "repo1-storage-upload-chunk-size=256KiB" "compress-type=none" "start-fast=y" \
    "archive-check=y"
pg_start demo "pgbackrest --config=$C/s3.conf --stanza=demo archive-push %p"
for stanza in demo gaia stock2; do
    echo "[$stanza]"
    echo "pg1-path=$(pg_data demo)"
    echo "pg1-port=$(pg_port demo)"
    echo "pg1-socket-path=$(pg_sock demo)"
done >>"$C/s3.conf"

control() { # control FIELD: a value of pg_controldata
    as_pg "$PG_BIN/pg_controldata" -D "$(pg_data demo)" | sed -n "s/^$1: *//p"
}
SYSTEM_ID=$(control "Database system identifier")
CATALOG=$(control "Catalog version number")
CONTROL=$(control "pg_control version number")

run() { # run LOGNAME COMMAND...: exit code, output in $W/LOGNAME.out/.err
    local name=$1 rc=0
    shift
    "$@" >"$W/$name.out" 2>"$W/$name.err" || rc=$?
    [ $rc = 0 ] || { cat "$W/$name.err" "$W/$name.out" | head -20 | tap_diag; }
    return $rc
}

# --- stock writes -----------------------------------------------------------------------------------------------
s3_log_mark
rc=0; run stanza-create run_pgbackrest "$C/s3.conf" --stanza=demo stanza-create || rc=$?
assert_status "stock stanza-create on S3 through the verifying proxy" 0 $rc
rc=0; run check run_pgbackrest "$C/s3.conf" --stanza=demo check || rc=$?
assert_status "stock check (archive-push of a WAL segment to S3)" 0 $rc
pg_bench demo -i -s 2 -q >/dev/null 2>&1 || bail_out "pgbench -i failed"
rc=0; run backup run_pgbackrest "$C/s3.conf" --stanza=demo --type=full backup || rc=$?
assert_status "stock full backup to S3" 0 $rc
pg_sql demo "select pg_switch_wal()" >/dev/null
rc=0; run check2 run_pgbackrest "$C/s3.conf" --stanza=demo check || rc=$?
assert_status "stock check after the backup" 0 $rc

out=$(s3_log_check)
verdict=$(echo "$out" | grep -v '^parts=' | grep -v '^no Content-MD5' || true)
assert_eq "stock requests: every signature verified by the proxy, no forbidden header, equal parts" "" "$verdict"
parts=$(echo "$out" | sed -n 's/^parts=\([0-9]*\) uploads=\([0-9]*\)$/\1 \2/p')
if [ "${parts%% *}" -gt 1 ]; then tap_ok "stock used multipart uploads ($parts parts/uploads)"; else
    tap_not_ok "stock used multipart uploads"; echo "$out" | tap_diag; fi
# Whether stock sends Content-MD5 is recorded, not required.
echo "$out" | grep -c '^no Content-MD5' | sed 's/^/stock requests with a body but no Content-MD5: /' | tap_diag

# --- gaiarest reads ---------------------------------------------------------------------------------------------
s3_log_mark
for output in text json; do
    rc_stock=0; rc_gaia=0
    run_pgbackrest "$C/s3.conf" --stanza=demo --output=$output info >"$W/info-stock.$output" 2>"$W/info-stock.err" ||
        rc_stock=$?
    run_gaiarest "$C/s3.conf" --stanza=demo --output=$output info >"$W/info-gaia.$output" 2>"$W/info-gaia.err" ||
        rc_gaia=$?
    assert_status "info --output=$output: exit codes" "$rc_stock" "$rc_gaia"
    if [ $output = json ]; then
        assert_json_eq "gaiarest info --output=json on S3 equals stock" "$W/info-stock.json" "$W/info-gaia.json"
    else
        assert_file_eq "gaiarest info (text) on S3 equals stock" "$W/info-stock.text" "$W/info-gaia.text"
    fi
done
rc=0; run show "$S3_TOOL" --config="$C/s3.conf" --stanza=demo info-show demo || rc=$?
assert_status "gaiarest loads archive.info and backup.info from S3 (repo_open)" 0 $rc
assert_eq "archive.info as gaiarest reads it" "archive db-id=1 system-id=$SYSTEM_ID version=15" \
    "$(grep '^archive' "$W/show.out")"
assert_eq "backup.info lists the stock backup" "1" "$(grep -c '^backup [0-9]*-[0-9]*F$' "$W/show.out")"
assert_eq "gaiarest read requests: signatures verified, no forbidden header" "" \
    "$(s3_log_check md5=1 | grep -v '^parts=')"

if [ -n "$(sed -n '/ARCHIVE_GET\] = cmd_/p' "$(dirname "$0")/../../src/cmd/command.c" 2>/dev/null)" ]; then
    segment=$(grep -o '"max":"[0-9A-F]*"' "$W/info-stock.json" | head -1 | cut -d'"' -f4)
    rc=0; run archive-get run_gaiarest "$C/s3.conf" --stanza=demo archive-get "$segment" "$W/$segment" || rc=$?
    assert_status "gaiarest archive-get of a segment stock pushed to S3" 0 $rc
else
    tap_skip "gaiarest archive-get from S3" "archive-get is not on this branch yet"
fi

# --- gaiarest writes, stock reads -------------------------------------------------------------------------------
for file in archive/demo/archive.info archive/demo/archive.info.copy backup/demo/backup.info \
    backup/demo/backup.info.copy; do
    "$S3_TOOL" --config="$C/s3.conf" get "$file" "$W/before-$(basename "$file")" || bail_out "cannot read $file"
done
s3_log_mark
rc=0; run resave "$S3_TOOL" --config="$C/s3.conf" --stanza=demo info-resave demo || rc=$?
assert_status "gaiarest re-saves the info files on S3" 0 $rc
assert_eq "gaiarest write requests: signatures verified, no forbidden header, Content-MD5 on every body" "" \
    "$(s3_log_check md5=1 | grep -v '^parts=')"
same=yes
for file in archive/demo/archive.info archive/demo/archive.info.copy backup/demo/backup.info \
    backup/demo/backup.info.copy; do
    run_pgbackrest "$C/s3.conf" --stanza=demo repo-get "$file" >"$W/after-$(basename "$file")" 2>"$W/repo-get.err" ||
        { same="repo-get $file failed"; break; }
    cmp -s "$W/before-$(basename "$file")" "$W/after-$(basename "$file")" || { same="$file differs"; break; }
done
assert_eq "info files written by gaiarest are byte-identical to stock's (read back by stock repo-get)" yes "$same"
run_pgbackrest "$C/s3.conf" --stanza=demo --output=text info >"$W/info-stock-after.text" 2>&1
assert_file_eq "stock info after gaiarest's writes" "$W/info-stock.text" "$W/info-stock-after.text"
rc=0; run backup-incr run_pgbackrest "$C/s3.conf" --stanza=demo --type=incr backup || rc=$?
assert_status "stock incremental backup on top of gaiarest's info files" 0 $rc

# A new stanza's info files from gaiarest's repofmt API: stock sees the stanza, with no backups yet.
s3_log_mark
rc=0; run create "$S3_TOOL" --config="$C/s3.conf" info-create fresh "$SYSTEM_ID" 15 "$CATALOG" "$CONTROL" || rc=$?
assert_status "gaiarest writes archive.info/backup.info of a new stanza" 0 $rc
assert_eq "gaiarest new-stanza requests: signatures verified, Content-MD5 on every body" "" \
    "$(s3_log_check md5=1 | grep -v '^parts=')"
rc=0
run_pgbackrest "$C/s3.conf" --stanza=fresh --output=json info >"$W/fresh.json" 2>"$W/fresh.err" || rc=$?
assert_status "stock info reads the new stanza" 0 $rc
assert_eq "stock sees the new stanza's database and status" "$SYSTEM_ID 2" \
    "$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))[0]; print(s["db"][0]["system-id"], s["status"]["code"])' \
        "$W/fresh.json" 2>&1)"
"$S3_TOOL" --config="$C/s3.conf" get archive/fresh/archive.info "$W/fresh-archive.info"
run_pgbackrest "$C/s3.conf" --stanza=demo repo-get archive/demo/archive.info >"$W/demo-archive.info"
assert_file_eq "gaiarest's new archive.info equals the one stock stanza-create wrote" "$W/demo-archive.info" \
    "$W/fresh-archive.info"

# gaiarest stanza-create on S3 against stock's for the same cluster: the same bytes.
s3_log_mark
rc=0; run gaia-create run_gaiarest "$C/s3.conf" --stanza=gaia stanza-create || rc=$?
assert_status "gaiarest stanza-create on S3" 0 $rc
assert_eq "gaiarest stanza-create requests: signatures verified, Content-MD5 on every body" "" \
    "$(s3_log_check md5=1 | grep -v '^parts=')"
rc=0; run stock2-create run_pgbackrest "$C/s3.conf" --stanza=stock2 stanza-create || rc=$?
assert_status "stock stanza-create of a second stanza for the same cluster" 0 $rc
same=yes
for file in archive/%s/archive.info archive/%s/archive.info.copy backup/%s/backup.info backup/%s/backup.info.copy; do
    # shellcheck disable=SC2059
    run_pgbackrest "$C/s3.conf" --stanza=demo repo-get "$(printf "$file" gaia)" >"$W/gaia-file" 2>/dev/null &&
        run_pgbackrest "$C/s3.conf" --stanza=demo repo-get "$(printf "$file" stock2)" >"$W/stock2-file" 2>/dev/null ||
        { same="repo-get $(printf "$file" gaia) failed"; break; }
    cmp -s "$W/gaia-file" "$W/stock2-file" || { same="$(printf "$file" gaia) differs"; break; }
done
assert_eq "info files of gaiarest's stanza-create on S3 are byte-identical to stock's" yes "$same"
run_pgbackrest "$C/s3.conf" --stanza=gaia info >"$W/info-gaia-stanza" 2>&1
run_pgbackrest "$C/s3.conf" --stanza=stock2 info | sed 's/^stanza: stock2$/stanza: gaia/' >"$W/info-stock2-stanza" 2>&1
assert_file_eq "stock info of gaiarest's stanza equals that of its own" "$W/info-stock2-stanza" "$W/info-gaia-stanza"
rc=0; run gaia-recreate run_gaiarest "$C/s3.conf" --stanza=stock2 stanza-create || rc=$?
assert_status "gaiarest stanza-create on stock's existing stanza on S3 succeeds" 0 $rc

tap_done
