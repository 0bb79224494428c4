#!/bin/bash
# test_backup_resume.sh: what gaiarest backup does around the copy itself, checked on a real PostgreSQL 15 cluster
# with stock pgBackRest 2.45 as the reader:
#   1. expire-auto: a successful backup goes on as the expire command (after the backup's end line, same exec id)
#      and removes exactly what the retention says; --no-expire-auto runs no expire.
#   2. archive-copy: the WAL from archive-start to archive-stop is stored in the backup (pg_data/pg_wal, backup
#      compression, checksums in the manifest) and a stock restore reaches consistency with those segments gone
#      from the archive.
#   3. resume: a backup killed (-9) while copying leaves only <label>/backup.manifest.copy, which stock info and
#      restore do not take for a backup; the next backup resumes it (same label), keeps and verifies every file
#      the interrupted run had finished (counted), and the result passes stock verify and restores equal data;
#      with --no-resume the leftover is removed and a new backup is taken.
#   4. offline: --no-online is refused while the cluster runs; with the cluster stopped the backup has no WAL range,
#      keeps pg_wal's content, and stock verify and restore accept it.
. "$(dirname "$0")/lib.sh"

lib_init

W=$GAIA_TMP
CONF=$W/backup.conf
as_pg mkdir -p "$W/log" "$W/lock" "$W/repo1"

PORT=$(port_free)
LIB_PORT_NEXT=$PORT
cat >"$CONF" <<EOF
[global]
repo1-path=$W/repo1
repo1-retention-full=99
log-path=$W/log
lock-path=$W/lock
log-level-console=warn
log-level-file=off
start-fast=y
archive-timeout=60

# backups lz4 (fast), the archive gz (archive-copy recompresses)
[global:backup]
compress-type=lz4

[demo]
pg1-path=$W/src
pg1-port=$PORT
pg1-socket-path=$W/src-sock
EOF
chmod 0644 "$CONF"

pg_start src "pgbackrest --config=$CONF --stanza=demo archive-push %p"
[ "$(pg_port src)" = "$PORT" ] || bail_out "port changed under us"
pg_bench src -i -s 1 -q >"$W/pgbench.log" 2>&1 || bail_out "pgbench -i failed"
run_gaiarest "$CONF" --stanza=demo stanza-create >"$W/stanza.log" 2>&1 || { tap_diag <"$W/stanza.log"; bail_out "stanza-create failed"; }

TABLES="pgbench_accounts pgbench_history big"
pg_sql src "create table big (g int, h text)" >/dev/null

# table_state CLUSTER: "table count md5" per table of $TABLES (lib.sh)
table_state() { pg_table_state "$1" $TABLES; }

writes() {
    pg_bench src -n -t 200 -c 2 >>"$W/pgbench.log" 2>&1 || bail_out "pgbench failed"
}

info_labels() { # the labels stock info lists, space separated
    run_pgbackrest "$CONF" --stanza=demo --output=json info | jq -r '[.[0].backup[].label] | join(" ")'
}

# gaia_backup DESC ARGS...: gaiarest backup at detail level into $W/gaia-backup.log; LABEL = the newest label; the
# source's table state is kept under that label.
gaia_backup() {
    local desc=$1 rc=0
    shift
    table_state src >"$W/state.before"
    run_gaiarest "$CONF" --stanza=demo --log-level-console=detail "$@" backup >"$W/gaia-backup.log" 2>&1 || rc=$?
    assert_status "gaiarest backup: $desc" 0 $rc
    [ $rc = 0 ] || tail -20 "$W/gaia-backup.log" | tap_diag
    LABEL=$(run_pgbackrest "$CONF" --stanza=demo --output=json info | jq -r '.[0].backup[-1].label')
    cp "$W/state.before" "$W/state.$LABEL"
}

RESTORES=0
# restore_check DESC LABEL [TYPE]: stock restore into a new directory (TYPE immediate with promote by default; none for
# an offline backup, which needs no recovery), start it, compare the tables.
restore_check() {
    local desc=$1 label=$2 type=${3:-immediate} name dir port rc=0 i target=()
    RESTORES=$((RESTORES + 1))
    name=restore$RESTORES
    dir=$W/$name
    port=$(port_free)
    [ "$type" = immediate ] && target=(--target-action=promote)
    run_pgbackrest "$CONF" --stanza=demo --set="$label" --pg1-path="$dir" --type="$type" "${target[@]}" \
        restore >"$W/$name-restore.log" 2>&1 || rc=$?
    assert_status "stock restore of $desc ($label)" 0 $rc
    if [ $rc != 0 ]; then
        tap_diag <"$W/$name-restore.log"
        tap_not_ok "restored $desc has the tables of backup time"
        return
    fi
    as_pg mkdir -p "$dir-sock"
    printf '%s\n' "port = $port" "unix_socket_directories = '$dir-sock'" "archive_mode = off" "log_min_messages = log" |
        as_pg tee -a "$dir/postgresql.conf" >/dev/null
    LIB_PG_DATA[$name]=$dir
    LIB_PG_PORT[$name]=$port
    LIB_PG_SOCK[$name]=$dir-sock
    LIB_CLUSTERS+=("$name")
    if ! as_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$W/$name.log" -w -t 120 start >/dev/null 2>&1; then
        tail -20 "$W/$name.log" | tap_diag
        tap_not_ok "restored $desc has the tables of backup time"
        return
    fi
    for i in $(seq 1 300); do
        [ "$(pg_sql "$name" "select pg_is_in_recovery()" 2>/dev/null)" = f ] && break
        sleep 0.1
    done
    table_state "$name" >"$W/$name.state"
    assert_file_eq "restored $desc has the tables of backup time" "$W/state.$label" "$W/$name.state"
    pg_stop "$name"
    as_pg rm -rf "$dir"
}

# --- 1. expire-auto ---------------------------------------------------------------------------------------------------
gaia_backup "full F1" --type=full
F1=$LABEL
writes
gaia_backup "full F2" --type=full
F2=$LABEL
writes
gaia_backup "incr on F2" --type=incr
I2=$LABEL
writes
F2_START=$(run_pgbackrest "$CONF" --stanza=demo --set="$F2" --output=json info | jq -r '.[0].backup[0].archive.start')
# what retention-full=2 is to remove once F1 goes: the oldest archived segment up to the one before F2's start
older_first=$(ls "$W/repo1/archive/demo/15-1/"*/ | grep -E '^[0-9A-F]{24}-' | head -1 | cut -c1-24)
older_last=$(python3 -c 'import sys; s = sys.argv[1]; n = int(s[8:16], 16) * 256 + int(s[16:24], 16) - 1
print("%s%08X%08X" % (s[:8], n // 256, n % 256))' "$F2_START")
gaia_backup "full F3 with expire-auto and repo1-retention-full=2" --type=full --repo1-retention-full=2
F3=$LABEL
assert_eq "retention-full=2: stock info lists F2, its incr and F3" "$F2 $I2 $F3" "$(info_labels)"
[ ! -e "$W/repo1/backup/demo/$F1" ] && tap_ok "the expired backup's directory is gone" ||
    tap_not_ok "the expired backup's directory is gone"
oldest=$(ls "$W/repo1/archive/demo/15-1/"*/ | grep -E '^[0-9A-F]{24}-' | head -1 | cut -c1-24)
assert_eq "the oldest WAL left is F2's archive-start" "$F2_START" "$oldest"
# the info lines after the backup's end, as 2.45 writes them (levels and order)
exec_id=$(sed -n 's/.*backup command begin [^:]*: .*--exec-id=\([^ ]*\).*/\1/p' "$W/gaia-backup.log")
sed -n '/INFO: backup command end: completed successfully/,$p' "$W/gaia-backup.log" |
    sed -E 's/^[0-9-]+ [0-9:.]+ //; s/ \([0-9]+ms\)$//; s/command begin [^:]*:/command begin VERSION:/' |
    grep -v ' DETAIL: ' >"$W/expire-lines"
cat >"$W/expire-expected" <<EOF
P00   INFO: backup command end: completed successfully
P00   INFO: expire command begin VERSION: --config=$CONF --exec-id=$exec_id --lock-path=$W/lock --log-level-console=detail --log-level-file=off --log-path=$W/log --repo1-path=$W/repo1 --repo1-retention-full=2 --stanza=demo
P00   INFO: repo1: expire full backup $F1
P00   INFO: repo1: remove expired backup $F1
P00   INFO: repo1: 15-1 remove archive, start = $older_first, stop = $older_last
P00   INFO: expire command end: completed successfully
EOF
assert_file_eq "expire-auto: the expire command follows the backup's end with 2.45's lines and levels" \
    "$W/expire-expected" "$W/expire-lines"
gaia_backup "full F4 with --no-expire-auto and repo1-retention-full=2" --type=full --repo1-retention-full=2 --no-expire-auto
F4=$LABEL
grep -q "expire command" "$W/gaia-backup.log" && tap_not_ok "--no-expire-auto: no expire command" ||
    tap_ok "--no-expire-auto: no expire command"
assert_eq "--no-expire-auto: F2 is still there" "$F2 $I2 $F3 $F4" "$(info_labels)"

# --- 2. archive-copy --------------------------------------------------------------------------------------------------
writes
gaia_backup "full with archive-copy (lz4)" --type=full --archive-copy --compress-type=lz4
AC=$LABEL
AC_DIR=$W/repo1/backup/demo/$AC
read -r AC_START AC_STOP < <(run_pgbackrest "$CONF" --stanza=demo --set="$AC" --output=json info |
    jq -r '.[0].backup[0].archive | "\(.start) \(.stop)"')
grep -q "DETAIL: copy segment $AC_STOP to backup" "$W/gaia-backup.log" && tap_ok "archive-copy logs each segment" ||
    tap_not_ok "archive-copy logs each segment"
# every segment of the range: in the manifest with the size and the SHA-1 of the archived copy, stored as .lz4
problems=
segments=0
for stored in $(ls "$W/repo1/archive/demo/15-1/${AC_START:0:16}/" | grep -E '^[0-9A-F]{24}-[0-9a-f]{40}'); do
    seg=${stored:0:24}
    [[ "$seg" < "$AC_START" || "$seg" > "$AC_STOP" ]] && continue
    segments=$((segments + 1))
    line=$(grep "^pg_data/pg_wal/$seg=" "$AC_DIR/backup.manifest")
    [ "$(echo "${line#*=}" | jq -r '"\(.size) \(.checksum)"')" = "16777216 ${stored:25:40}" ] ||
        problems="$problems $seg:manifest"
    [ -f "$AC_DIR/pg_data/pg_wal/$seg.lz4" ] || problems="$problems $seg:file"
    [ "$(lz4 -dc "$AC_DIR/pg_data/pg_wal/$seg.lz4" | sha1sum | cut -c1-40)" = "${stored:25:40}" ] ||
        problems="$problems $seg:content"
done
[ $segments -ge 1 ] && [ -z "$problems" ] &&
    tap_ok "archive-copy: $segments segment(s) $AC_START..$AC_STOP in the manifest and stored lz4 with their checksums" ||
    { tap_not_ok "archive-copy: segments in the manifest and the backup"; echo "segments=$segments$problems" | tap_diag; }
assert_eq "manifest: option-archive-copy=true" "option-archive-copy=true" "$(grep '^option-archive-copy=' "$AC_DIR/backup.manifest")"
# restore with the backup's WAL range gone from the archive: the copies in pg_wal bring it to consistency
as_pg mkdir -p "$W/aside"
for stored in $(ls "$W/repo1/archive/demo/15-1/${AC_START:0:16}/" | grep -E '^[0-9A-F]{24}-'); do
    seg=${stored:0:24}
    [[ "$seg" < "$AC_START" ]] || mv "$W/repo1/archive/demo/15-1/${AC_START:0:16}/$stored" "$W/aside/"
done
restore_check "archive-copy backup without its WAL in the archive" "$AC"
grep -q "consistent recovery state reached" "$W/restore$RESTORES.log" &&
    ! grep -q "restored log file \"$AC_START\" from archive" "$W/restore$RESTORES.log" &&
    tap_ok "recovery reached consistency with no WAL from the archive (it used the backup's own)" ||
    { tap_not_ok "recovery reached consistency with no WAL from the archive"; grep -i "recovery\|restored" "$W/restore$RESTORES.log" | tap_diag; }
mv "$W/aside/"* "$W/repo1/archive/demo/15-1/${AC_START:0:16}/"

# --- 3. resume --------------------------------------------------------------------------------------------------------
pg_sql src "insert into big select g, md5(g::text) || md5((g * 7)::text) from generate_series(1, 250000) g" >/dev/null
pg_sql src "checkpoint" >/dev/null

# kill_backup ARGS...: start gaiarest backup (bz2, one worker, .copy saved every 256KB) and kill -9 it once it has
# copied 150 files; PARTIAL = the directory it left.
kill_backup() {
    local i n=0 pid killed=
    as_pg env TZ=UTC "$GAIAREST" --config="$CONF" --stanza=demo --type=full --compress-type=bz2 --process-max=1 \
        --manifest-save-threshold=256KB --log-level-console=detail --no-expire-auto "$@" backup >"$W/killed.log" 2>&1 &
    local bg=$!
    for i in $(seq 1 1500); do
        n=$(grep -c "DETAIL: backup file" "$W/killed.log")
        [ "$n" -ge 150 ] && break
        sleep 0.02
    done
    pid=$(jq -r '.pid' "$W/lock/demo-backup.lock" 2>/dev/null)
    [ -n "$pid" ] && [ "$pid" != null ] && kill -KILL "$pid" 2>/dev/null && killed=y
    wait $bg 2>/dev/null
    assert_eq "backup killed while copying (after $n files)" y "$killed"
    PARTIAL=$(for f in "$W"/repo1/backup/demo/*/backup.manifest.copy; do
        [ -f "${f%.copy}" ] || basename "$(dirname "$f")"; done)
}

before=$(info_labels)
kill_backup
[ -n "$PARTIAL" ] && tap_ok "the killed backup left $PARTIAL with backup.manifest.copy only" ||
    tap_not_ok "the killed backup left a directory with backup.manifest.copy only"
assert_eq "stock info lists no new backup" "$before" "$(info_labels)"
assert_eq "stock info status still ok" 0 "$(run_pgbackrest "$CONF" --stanza=demo --output=json info | jq '.[0].status.code')"
assert_eq "gaiarest info lists no new backup" "$before" \
    "$(run_gaiarest "$CONF" --stanza=demo --output=json info 2>/dev/null | jq -r '[.[0].backup[].label] | join(" ")')"
rc=0
run_pgbackrest "$CONF" --stanza=demo --set="$PARTIAL" --pg1-path="$W/never" restore >"$W/partial-restore.log" 2>&1 || rc=$?
[ $rc != 0 ] && grep -q "backup set $PARTIAL is not valid" "$W/partial-restore.log" &&
    tap_ok "stock restore refuses the partial backup" || { tap_not_ok "stock restore refuses the partial backup"; tap_diag <"$W/partial-restore.log"; }
# the files the killed run finished (a checksum in the saved .copy and the file present), one per line
python3 - "$W/repo1/backup/demo/$PARTIAL" >"$W/finished" <<'EOF'
import json, os, sys
root = sys.argv[1]
section = None
for line in open(os.path.join(root, 'backup.manifest.copy')):
    line = line.rstrip('\n')
    if line.startswith('['):
        section = line
        continue
    if section == '[target:file]' and '=' in line:
        name, value = line.split('=', 1)
        if 'checksum' in json.loads(value) and os.path.exists(os.path.join(root, name + '.bz2')):
            print(name)
EOF
done_files=$(wc -l <"$W/finished")
[ "$done_files" -gt 0 ] && tap_ok "the partial backup has $done_files finished files" || tap_not_ok "the partial backup has finished files"

gaia_backup "resume of the killed backup" --type=full --compress-type=bz2
RESUMED=$LABEL
assert_eq "the resumed backup keeps the partial label" "$PARTIAL" "$RESUMED"
grep -q "WARN: resumable backup $PARTIAL of same type exists -- invalid files will be removed then the backup will resume" \
    "$W/gaia-backup.log" && tap_ok "resume is announced with 2.45's warning" || tap_not_ok "resume is announced with 2.45's warning"
kept=$(grep -c "DETAIL: checksum resumed file " "$W/gaia-backup.log")
# finished files the resume had to drop (changed or gone since), from its "remove file" lines
sed -n "s#.*remove file '$W/repo1/backup/demo/$PARTIAL/\(.*\)\.bz2' from resumed backup (.*#\1#p" "$W/gaia-backup.log" |
    sort >"$W/dropped"
dropped=$(sort "$W/finished" | comm -12 - "$W/dropped" | wc -l)
assert_eq "every finished file is kept and verified unless it changed since ($done_files - $dropped)" \
    $((done_files - dropped)) "$kept"
copied=$(grep -c "DETAIL: backup file " "$W/gaia-backup.log")
total=$(grep -o 'file total = [0-9]*' "$W/gaia-backup.log" | grep -o '[0-9]*$')
# backup_label is written after the copy, not by a worker
assert_eq "resumed + copied = every file of the backup but backup_label" "$((total - 1))" "$((kept + copied))"
rc=0
run_pgbackrest "$CONF" --stanza=demo --log-level-console=info verify >"$W/verify.log" 2>&1 || rc=$?
assert_status "stock verify of the repository with the resumed backup" 0 $rc
[ $rc = 0 ] || tail -20 "$W/verify.log" | tap_diag
restore_check "resumed backup" "$RESUMED"

# resume disabled: the leftover goes and a new backup is taken
kill_backup
NORESUME=$PARTIAL
gaia_backup "--no-resume after a kill" --type=full --no-resume
grep -q "INFO: backup '$NORESUME' cannot be resumed: resume is disabled" "$W/gaia-backup.log" &&
    tap_ok "--no-resume: reported at info level" || tap_not_ok "--no-resume: reported at info level"
grep -q "checksum resumed file" "$W/gaia-backup.log" && tap_not_ok "--no-resume: nothing resumed" || tap_ok "--no-resume: nothing resumed"
[ ! -e "$W/repo1/backup/demo/$NORESUME" ] && [ "$LABEL" != "$NORESUME" ] &&
    tap_ok "--no-resume: the leftover is removed, the backup has a new label" ||
    tap_not_ok "--no-resume: the leftover is removed, the backup has a new label"

# --- 4. offline (--no-online): refused while the cluster runs, then a backup of the stopped cluster ---------------------
rc=0
run_gaiarest "$CONF" --stanza=demo --type=full --no-online backup >"$W/offline-running.log" 2>&1 || rc=$?
assert_status "--no-online with the cluster running fails (PgRunningError)" 38 $rc
grep -q "ERROR: \[038\]: --no-online passed but postmaster.pid exists - looks like PostgreSQL is running" "$W/offline-running.log" &&
    tap_ok "--no-online refusal has 2.45's message" || { tap_not_ok "--no-online refusal has 2.45's message"; tap_diag <"$W/offline-running.log"; }
table_state src >"$W/state.offline"
pg_stop src
rc=0
run_gaiarest "$CONF" --stanza=demo --type=full --no-online --log-level-console=info backup >"$W/gaia-backup.log" 2>&1 || rc=$?
assert_status "gaiarest backup --no-online of the stopped cluster" 0 $rc
[ $rc = 0 ] || tail -20 "$W/gaia-backup.log" | tap_diag
OFF=$(run_pgbackrest "$CONF" --stanza=demo --output=json info | jq -r '.[0].backup[-1].label')
cp "$W/state.offline" "$W/state.$OFF"
grep -q "backup start\|backup stop" "$W/gaia-backup.log" && tap_not_ok "offline: no backup start/stop" ||
    tap_ok "offline: no backup start/stop"
assert_eq "offline: stock info shows no WAL range" "null null" \
    "$(run_pgbackrest "$CONF" --stanza=demo --set="$OFF" --output=json info | jq -r '.[0].backup[0] | "\(.archive.start) \(.archive.stop)"')"
grep -q "^$OFF={.*\"backup-archive-start\":null,\"backup-archive-stop\":null,.*\"option-online\":false}" \
    "$W/repo1/backup/demo/backup.info" && tap_ok "offline: backup.info line as 2.45 writes it (null WAL range, option-online false)" ||
    tap_not_ok "offline: backup.info line as 2.45 writes it (null WAL range, option-online false)"
OFF_DIR=$W/repo1/backup/demo/$OFF
grep -q '^option-online=false$' "$OFF_DIR/backup.manifest" && ! grep -q '^\[db\]$' "$OFF_DIR/backup.manifest" &&
    grep -q '^pg_data/pg_wal/[0-9A-F]\{24\}=' "$OFF_DIR/backup.manifest" && ! grep -q '^pg_data/backup_label=' "$OFF_DIR/backup.manifest" &&
    tap_ok "offline manifest: option-online=false, no [db], pg_wal content kept, no backup_label" ||
    tap_not_ok "offline manifest: option-online=false, no [db], pg_wal content kept, no backup_label"
rc=0
run_pgbackrest "$CONF" --stanza=demo --log-level-console=info verify >"$W/verify-offline.log" 2>&1 || rc=$?
assert_status "stock verify with the offline backup" 0 $rc
[ $rc = 0 ] || tail -20 "$W/verify-offline.log" | tap_diag
restore_check "offline backup (type none)" "$OFF" none

tap_done
