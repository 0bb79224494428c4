#!/bin/bash
# test_restore.sh: `gaiarest restore` of backups written by stock pgBackRest 2.45.
#
# A PostgreSQL 15 cluster (data checksums, pgbench -i -s 2, a tablespace) is backed up by stock pgbackrest:
#   repo1  full/diff/incr in each compress type (none, gz, lz4, zst, bz2)
#   repo2  encrypted (aes-256-cbc): full + diff
#   repo3  bundled (repo3-bundle=y): full + incr
#   repo4  bundled block incremental (--beta): gaiarest must refuse it clearly
# After each backup the content of every table (row count + md5 over the sorted rows) is recorded; each backup is
# restored by gaiarest with --type=immediate into a new directory, started as postgres (restore_command = stock
# archive-get) and compared. Then: PITR to a time and to a named restore point, a standby that follows the
# archive, a delta restore that rewrites only what was damaged, a corrupted repository file, and the refusals
# (running cluster, non-empty directory). The restore time of gaiarest and stock on the same backup is printed.
. "$(dirname "$0")/lib.sh"

lib_init
T=$GAIA_TMP
CONF=$T/pgbackrest.conf
PASS='gaia-restore-pass-0123456789'
SRC_PORT=$(port_free)

cat >"$CONF" <<EOF
[global]
log-path=$T/log
lock-path=$T/lock
spool-path=$T/spool
log-level-console=warn
log-level-file=off
start-fast=y
archive-check=y
repo1-path=$T/repo1
repo1-retention-full=99
repo2-path=$T/repo2
repo2-cipher-type=aes-256-cbc
repo2-cipher-pass=$PASS
repo2-retention-full=99
repo3-path=$T/repo3
repo3-bundle=y
repo3-retention-full=99
repo4-path=$T/repo4
repo4-bundle=y
repo4-retention-full=99

[demo]
pg1-path=$T/src
pg1-port=$SRC_PORT
pg1-socket-path=$T/src-sock
EOF
chmod 0644 "$CONF"
mkdir -p "$T/log" "$T/lock" "$T/spool"
chown -R "$PG_OS_USER:" "$T" 2>/dev/null || true

LIB_PORT_NEXT=$SRC_PORT
pg_start src "pgbackrest --config=$CONF --stanza=demo archive-push %p"
[ "$(pg_port src)" = "$SRC_PORT" ] || bail_out "source port changed"
as_pg mkdir -p "$T/ts1"
pg_sql src "create tablespace ts1 location '$T/ts1'" >/dev/null || bail_out "create tablespace failed"
pg_bench src -i -s 2 -q >"$T/pgbench.log" 2>&1 || bail_out "pgbench -i failed"
pg_sql src "create table t_ts (id int primary key, v text) tablespace ts1;
            insert into t_ts select g, md5(g::text) from generate_series(1, 20000) g;
            create table marker (id serial primary key, note text, at timestamptz default clock_timestamp())" \
    >/dev/null || bail_out "test tables failed"
run_pgbackrest "$CONF" --stanza=demo stanza-create >"$T/stanza.log" 2>&1 ||
    { tap_diag <"$T/stanza.log"; bail_out "stanza-create failed"; }

TABLES="pgbench_accounts pgbench_branches pgbench_tellers pgbench_history t_ts marker"

# snapshot CLUSTER: "name count md5-of-sorted-rows" per table of $TABLES (lib.sh)
snapshot() { pg_table_state "$1" $TABLES; }

writes() { # writes NOTE: some changes between backups
    pg_bench src -n -t 100 -c 1 >>"$T/pgbench.log" 2>&1 || bail_out "pgbench failed"
    pg_sql src "insert into marker (note) values ('$1'); update t_ts set v = v || 'x' where id % 97 = 0" >/dev/null ||
        bail_out "writes failed"
}

latest_label() { # latest_label REPO_DIR
    ls "$1/backup/demo" | grep -E '^[0-9]{8}-[0-9]{6}F' | sort | tail -1
}

declare -A SNAP
BACKUPS=()
backup() { # backup REPO TYPE ARGS...: stock backup, remember label and snapshot
    local repo=$1 type=$2 label
    shift 2
    run_pgbackrest "$CONF" --stanza=demo --repo="$repo" --type="$type" "$@" backup >>"$T/backup.log" 2>&1 ||
        { tail -20 "$T/backup.log" | tap_diag; bail_out "stock backup repo$repo $type $* failed"; }
    label=$(latest_label "$T/repo$repo")
    SNAP["$repo/$label"]=$(snapshot src)
    BACKUPS+=("$repo/$label")
}

START=$SECONDS
# Every compress type gets a full; gz (the default) and zst also get a diff and an incr on top (CI time is bounded:
# the chains exercise references, the fulls each decompressor).
for compress in none gz lz4 zst bz2; do
    backup 1 full --compress-type=$compress
    case $compress in
    gz | zst)
        writes "$compress diff"
        backup 1 diff
        writes "$compress incr"
        backup 1 incr
        ;;
    esac
done
backup 2 full
writes "enc diff"
backup 2 diff
backup 3 full
writes "bundle incr"
backup 3 incr
run_pgbackrest "$CONF" --stanza=demo --repo=4 --type=full --repo4-block --beta --compress-type=zst backup >>"$T/backup.log" 2>&1 ||
    { tail -20 "$T/backup.log" | tap_diag; bail_out "stock block incremental backup failed"; }
echo "# stock backups took $((SECONDS - START))s" 

stock_restore_command() { # stock_restore_command REPO PG_PATH: the archive-get of stock pgbackrest
    echo "pgbackrest --config=$CONF --pg1-path=$2 --repo=$1 --stanza=demo archive-get %f \"%p\""
}

# restore_and_check KEY: restore repo/label with gaiarest, start it, compare with the snapshot taken after the backup
N=0
restore_and_check() {
    local key=$1 repo=${1%%/*} label=${1#*/} dir rc=0
    N=$((N + 1))
    dir="$T/r$N"
    as_pg mkdir -p "$dir" "$T/r$N-ts"
    # the stanza's archive spool belongs to the cluster being replaced: restore empties it (other stanzas' stay)
    as_pg mkdir -p "$T/spool/archive/demo/in" "$T/spool/archive/demo/out" "$T/spool/archive/other/in"
    as_pg touch "$T/spool/archive/demo/in/000000010000000000000099" "$T/spool/archive/demo/in/000000010000000000000098.ok" \
        "$T/spool/archive/demo/out/000000010000000000000097.ok" "$T/spool/archive/other/in/000000010000000000000099"
    run_gaiarest "$CONF" --stanza=demo --repo="$repo" --set="$label" --pg1-path="$dir" --process-max=2 \
        --spool-path="$T/spool" --tablespace-map=ts1="$T/r$N-ts" --type=immediate --target-action=promote \
        --recovery-option="restore_command=$(stock_restore_command "$repo" "$dir")" --log-level-console=info restore \
        >"$T/r$N.restore.log" 2>&1 || rc=$?
    if [ $rc != 0 ]; then
        tap_not_ok "restore repo$repo $label"
        tail -20 "$T/r$N.restore.log" | tap_diag
        return
    fi
    [ ! -e "$T/spool/archive/demo" ] && [ -e "$T/spool/archive/other/in/000000010000000000000099" ] &&
        tap_ok "restore repo$repo $label: the stanza's archive spool was emptied, not the other's" ||
        tap_not_ok "restore repo$repo $label: the stanza's archive spool was emptied, not the other's"
    if ! pg_start_restored "r$N" "$dir"; then
        tap_not_ok "restore repo$repo $label: restored cluster starts"
        return
    fi
    assert_eq "restore repo$repo $label: tables equal the source at backup time" "${SNAP[$key]}" "$(snapshot "r$N")"
    pg_stop "r$N"
}

for key in "${BACKUPS[@]}"; do
    restore_and_check "$key"
done

# --- block incremental: refused with ERR_FEATURE_NOT_SUPPORTED (67) ---------------------------------------------------
as_pg mkdir -p "$T/rbi"
rc=0
run_gaiarest "$CONF" --stanza=demo --repo=4 --pg1-path="$T/rbi" --tablespace-map=ts1="$T/rbi-ts" restore \
    >"$T/rbi.log" 2>&1 || rc=$?
assert_status "block incremental backup refused" 67 $rc
grep -q 'block incremental' "$T/rbi.log" && tap_ok "block incremental refusal says why" ||
    { tap_not_ok "block incremental refusal says why"; tap_diag <"$T/rbi.log"; }

# --- refusals ------------------------------------------------------------------------------------------------------
rc=0
run_gaiarest "$CONF" --stanza=demo --repo=1 restore >"$T/running.log" 2>&1 || rc=$?
assert_status "running cluster refused (postmaster.pid)" 38 $rc
as_pg mkdir -p "$T/nonempty"
as_pg touch "$T/nonempty/somefile"
rc=0
run_gaiarest "$CONF" --stanza=demo --repo=1 --pg1-path="$T/nonempty" restore >"$T/nonempty.log" 2>&1 || rc=$?
assert_status "non-empty directory refused without --delta/--force" 40 $rc

# --- PITR: a time and a named restore point between two transactions ---------------------------------------------------
pg_sql src "create table pitr (id int); insert into pitr values (1)" >/dev/null
pg_sql src "select pg_create_restore_point('gaia_rp')" >/dev/null
sleep 1.2
TARGET_TIME=$(pg_sql src "select clock_timestamp()::text")
sleep 1.2
pg_sql src "insert into pitr values (2)" >/dev/null
SEG=$(pg_sql src "select pg_walfile_name(pg_switch_wal())")
for i in $(seq 1 150); do
    [ "$(pg_sql src "select coalesce(last_archived_wal >= '$SEG', false) from pg_stat_archiver")" = t ] && break
    sleep 0.2
done

pitr_check() { # pitr_check DESC ARGS...
    local desc=$1 rc=0
    shift
    N=$((N + 1))
    as_pg mkdir -p "$T/r$N"
    run_gaiarest "$CONF" --stanza=demo --repo=1 --pg1-path="$T/r$N" --process-max=2 \
        --tablespace-map=ts1="$T/r$N-ts" --target-action=promote "$@" \
        --recovery-option="restore_command=$(stock_restore_command 1 "$T/r$N")" restore >"$T/r$N.restore.log" 2>&1 || rc=$?
    if [ $rc != 0 ] || ! pg_start_restored "r$N" "$T/r$N"; then
        tap_not_ok "$desc"
        tail -20 "$T/r$N.restore.log" | tap_diag
        return
    fi
    assert_eq "$desc: holds exactly the first transaction" "1" "$(pg_sql "r$N" "select string_agg(id::text, ',' order by id) from pitr")"
    pg_stop "r$N"
}
pitr_check "PITR to a time" --type=time "--target=$TARGET_TIME"
pitr_check "PITR to a named restore point" --type=name --target=gaia_rp

# --- standby: follows the archive while the primary keeps writing -------------------------------------------------------
N=$((N + 1))
as_pg mkdir -p "$T/r$N"
rc=0
run_gaiarest "$CONF" --stanza=demo --repo=1 --pg1-path="$T/r$N" --process-max=2 --tablespace-map=ts1="$T/r$N-ts" \
    --type=standby --recovery-option="restore_command=$(stock_restore_command 1 "$T/r$N")" restore >"$T/r$N.restore.log" 2>&1 || rc=$?
assert_status "standby restore" 0 $rc
if [ -f "$T/r$N/standby.signal" ] && STANDBY=1 pg_start_restored "r$N" "$T/r$N"; then
    tap_ok "standby starts (standby.signal)"
    pg_sql src "create table after_standby (v text); insert into after_standby values ('written later')" >/dev/null
    pg_sql src "select pg_switch_wal()" >/dev/null
    got=""
    for i in $(seq 1 150); do
        got=$(pg_sql "r$N" "select v from after_standby" 2>/dev/null) && [ -n "$got" ] && break
        sleep 0.4
    done
    assert_eq "standby replays WAL from the archive: a row inserted later appears" "written later" "$got"
    assert_eq "standby is still in recovery" "t" "$(pg_sql "r$N" "select pg_is_in_recovery()")"
    pg_stop "r$N"
else
    tap_not_ok "standby starts (standby.signal)"
fi

# --- delta: a restored (never started) cluster with files damaged and removed --------------------------------------------
# on the gz incr of repo1 and on the bundled incr of repo3 (the damaged small files are then read out of bundles, the
# slices of the files that match skipped)
delta_restore() {
    run_gaiarest "$CONF" --stanza=demo --repo="${DELTA_KEY%%/*}" --set="${DELTA_KEY#*/}" --pg1-path="$DD" --process-max=2 \
        --tablespace-map=ts1="$DD-ts" --type=immediate --target-action=promote \
        --recovery-option="restore_command=$(stock_restore_command "${DELTA_KEY%%/*}" "$DD")" --log-level-console=detail \
        "$@" restore
}
for DELTA_KEY in "1/$(ls "$T/repo1/backup/demo" | grep -E 'I$' | sort | sed -n 1p)" \
    "3/$(ls "$T/repo3/backup/demo" | grep -E 'I$' | sort | sed -n 1p)"; do
    N=$((N + 1))
    DD=$T/r$N
    as_pg mkdir -p "$DD"
    delta_restore >"$DD.first.log" 2>&1 || bail_out "delta: first restore of $DELTA_KEY failed"
    ACC_FILE=$DD/$(pg_sql src "select pg_relation_filepath('pgbench_accounts')")
    as_pg dd if=/dev/urandom of="$ACC_FILE" bs=8192 count=1 seek=3 conv=notrunc status=none
    TELLERS_FILE=$(ls "$DD"/pg_tblspc/*/PG_15_*/5/* | head -1)
    as_pg dd if=/dev/urandom of="$TELLERS_FILE" bs=100 count=1 conv=notrunc status=none
    as_pg rm -f "$DD/base/1/PG_VERSION"
    as_pg touch "$DD/base/5/999999" "$DD/stray_file"
    rc=0
    delta_restore --delta >"$DD.delta.log" 2>&1 || rc=$?
    assert_status "delta restore ($DELTA_KEY)" 0 $rc
    COPIED=$(grep 'restore file' "$DD.delta.log" | grep -vc 'exists and matches')
    assert_eq "delta rewrites only the damaged/removed files (+ pg_control) ($DELTA_KEY)" 4 "$COPIED"
    REMOVED=$(grep -c "remove invalid file '" "$DD.delta.log")
    assert_eq "delta removes the files that are not in the backup (+ recovery.signal) ($DELTA_KEY)" 3 "$REMOVED"
    if pg_start_restored "r$N" "$DD"; then
        assert_eq "delta restore: tables equal the source at backup time ($DELTA_KEY)" "${SNAP[$DELTA_KEY]}" \
            "$(snapshot "r$N")"
        pg_stop "r$N"
    else
        tap_not_ok "delta restore: cluster starts ($DELTA_KEY)"
    fi
done

# --- a corrupted file in the repository: restore fails naming it ---------------------------------------------------------
cp -a "$T/repo1" "$T/repo-bad"
NONE_FULL=$(ls "$T/repo-bad/backup/demo" | grep -E 'F$' | sort | head -1)
BAD=$(ls -S "$T/repo-bad/backup/demo/$NONE_FULL/pg_data/base/5/"* | head -1)
printf 'X' | dd of="$BAD" bs=1 seek=100 conv=notrunc status=none
as_pg mkdir -p "$T/rbad"
rc=0
run_gaiarest "$CONF" --stanza=demo --repo=1 --repo1-path="$T/repo-bad" --set="$NONE_FULL" --pg1-path="$T/rbad" \
    --tablespace-map=ts1="$T/rbad-ts" restore >"$T/rbad.log" 2>&1 || rc=$?
assert_status "corrupted repository file: restore fails with a checksum error" 26 $rc
grep -qF "$BAD" "$T/rbad.log" && tap_ok "the error names the repository file" ||
    { tap_not_ok "the error names the repository file"; tap_diag <"$T/rbad.log"; }
[ ! -f "$T/rbad/global/pg_control" ] && tap_ok "the failed restore left no pg_control" ||
    tap_not_ok "the failed restore left no pg_control"

# --- a manifest naming a file outside pg_data: restore refuses it before writing anything --------------------------
# (stock pgBackRest 2.45 restores such an entry where it points; gaiarest names it and stops)
cp -a "$T/repo1" "$T/repo-trav"
printf 'escaped\n' >"$T/repo-trav/backup/demo/$NONE_FULL/escaped"   # where the entry's repository file would be
chown postgres: "$T/repo-trav/backup/demo/$NONE_FULL/escaped"
for manifest in backup.manifest backup.manifest.copy; do
    python3 "$(dirname "$0")/info_edit.py" "$T/repo-trav/backup/demo/$NONE_FULL/$manifest" set target:file \
        "pg_data/../escaped" '{"checksum":"'"$(sha1sum <"$T/repo-trav/backup/demo/$NONE_FULL/escaped" | cut -c1-40)"'","size":8,"timestamp":1700000000}'
done
as_pg mkdir -p "$T/rtrav"
rc=0
run_gaiarest "$CONF" --stanza=demo --repo=1 --repo1-path="$T/repo-trav" --set="$NONE_FULL" --pg1-path="$T/rtrav" \
    --tablespace-map=ts1="$T/rtrav-ts" restore >"$T/rtrav.log" 2>&1 || rc=$?
assert_status "a manifest entry outside pg_data: restore fails with a format error" 29 $rc
grep -qF "'pg_data/../escaped' in section [target:file]: not a path inside pg_data or pg_tblspc" "$T/rtrav.log" &&
    tap_ok "the error names the manifest entry" || { tap_not_ok "the error names the manifest entry"; tap_diag <"$T/rtrav.log"; }
[ ! -e "$T/escaped" ] && [ -z "$(ls -A "$T/rtrav")" ] && tap_ok "nothing was written, outside pg_data or in it" ||
    tap_not_ok "nothing was written, outside pg_data or in it"

# --- timing: the same backup restored by stock and by gaiarest (process-max=2) ---------------------------------------
TIME_SET=$(ls "$T/repo1/backup/demo" | grep -E 'I$' | sort | sed -n 2p) # the zst incr
timed_restore() { # timed_restore PROGRAM DIR: prints milliseconds
    local program=$1 dir=$2 start end
    as_pg mkdir -p "$dir"
    start=$(date +%s%N)
    as_pg env TZ=UTC "$program" --config="$CONF" --stanza=demo --repo=1 --set="$TIME_SET" --pg1-path="$dir" \
        --tablespace-map=ts1="$dir-ts" --process-max=2 restore >/dev/null 2>&1 || echo "# $program restore failed" >&2
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}
STOCK_MS=$(timed_restore pgbackrest "$T/time-stock")
GAIA_MS=$(timed_restore "$GAIAREST" "$T/time-gaia")
echo "# restore of $TIME_SET (zst incr, process-max=2): stock ${STOCK_MS}ms, gaiarest ${GAIA_MS}ms"
if diff -r -x postgresql.auto.conf "$T/time-stock" "$T/time-gaia" >"$T/time.diff" 2>&1; then
    tap_ok "stock and gaiarest restore the same bytes"
else
    tap_not_ok "stock and gaiarest restore the same bytes"
    head -20 "$T/time.diff" | tap_diag
fi

tap_done
