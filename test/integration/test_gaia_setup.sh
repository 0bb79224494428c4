#!/bin/bash
# test_gaia_setup.sh: contrib/gaia/setup-primary.sh and setup-replica.sh on two real PostgreSQL 15 clusters and the
# local S3 server over TLS (through the signature-checking proxy), in their pg_ctl mode (no systemd), with every
# path (configuration, logs, cron file, lock) under $GAIA_TMP.
#   - validation: a missing PGBACKREST_R2_BUCKET or a malformed port stops setup-primary before any change;
#   - setup-primary --dry-run changes nothing (checksums of every file it would edit, before and after);
#   - setup-primary on a cluster that neither archives nor allows replication (archive_mode=off, wal_level=minimal,
#     max_wal_senders=0): settings, pg_hba entry, restart, stanza, first full backup, the cron file; a second run
#     changes nothing and does not restart; the scheduled command lines run as written (check, diff backup), and a
#     job that finds the lock taken is skipped;
#   - setup-replica refuses where IS_SOURCE_VALIDATOR_FOR_DB_SYNC=True; run against a second (running) cluster it
#     moves its data aside, restores a standby that streams from the primary: rows written on the primary appear;
#     run again with --delta and no primary host, the standby follows the archive only: rows appear again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../s3/lib-s3.sh"

SETUP="$(cd "$(dirname "$0")/../../contrib/gaia" && pwd)"
[ "$(id -u)" = 0 ] || bail_out "test_gaia_setup.sh runs the setup scripts, which need root"
command -v flock >/dev/null || bail_out "missing prerequisite: flock (util-linux)"
command -v shellcheck >/dev/null || bail_out "missing prerequisite: shellcheck"

lib_init
s3_start

W="$GAIA_TMP/work"
mkdir -p "$W"

if out=$(cd "$SETUP/../.." && shellcheck -x contrib/gaia/setup-primary.sh contrib/gaia/setup-replica.sh \
    contrib/gaia/gaia-setup-common.sh 2>&1); then
    tap_ok "shellcheck: the scripts are clean"
else
    tap_not_ok "shellcheck: the scripts are clean"; printf '%s\n' "$out" | head -30 | tap_diag
fi

# The primary: a cluster set up for nothing of this (the setup must change all three settings and restart it).
PG_EXTRA_CONF=$'archive_mode = off\nwal_level = minimal\nmax_wal_senders = 0' pg_start primary "false"
pg_start replica "false"
PRIMARY_DATA=$(pg_data primary)
REPLICA_DATA=$(pg_data replica)

# write_env FILE NODE [VAR=VALUE...]: a validator .env for NODE (primary|replica); extra words replace or add lines,
# VAR= alone removes the variable.
write_env() {
    local file=$1 node=$2 kv
    shift 2
    declare -A env=(
        [PGBACKREST_STANZA_NAME]=gaia
        [PGBACKREST_R2_BUCKET]=$S3_BUCKET
        [PGBACKREST_R2_ENDPOINT]=https://localhost/
        [PGBACKREST_R2_ACCESS_KEY_ID]=S3RVER
        [PGBACKREST_R2_SECRET_ACCESS_KEY]='"S3RVER"'
        [PGBACKREST_R2_REGION]=us-east-1
        [PGBACKREST_PGDATA]=$(pg_data "$node")
        [PGBACKREST_PGPORT]=$(pg_port "$node")
        [PGBACKREST_PGUSER]=postgres
        [IS_SOURCE_VALIDATOR_FOR_DB_SYNC]=$([ "$node" = primary ] && echo True || echo False)
        [DB_SYNC_ENABLED]=True
    )
    for kv in "$@"; do
        if [ -z "${kv#*=}" ]; then unset "env[${kv%%=*}]"; else env[${kv%%=*}]=${kv#*=}; fi
    done
    {
        echo "# a Gaia validator's .env"
        echo "POSTGRES_PASSWORD=unrelated"
        for kv in "${!env[@]}"; do echo "$kv=${env[$kv]}"; done
    } >"$file"
    chmod 0600 "$file"
}

# Options of both scripts for NODE: every path under $GAIA_TMP/NODE, the S3 server through the verifying proxy.
node_options() {
    local node=$1
    echo "--config=$GAIA_TMP/$node-etc/pgbackrest.conf"
    echo "--log-dir=$GAIA_TMP/$node-log"
    echo "--gaiarest=$GAIAREST"
    echo "--pg-ctl=$PG_BIN/pg_ctl"
    echo "--pg-log=$GAIA_TMP/$node.log"
    echo "--pg-socket-path=$(pg_sock "$node")"
    echo "--repo-path=/validators"
    echo "--option=repo1-s3-uri-style=path"
    echo "--option=repo1-storage-host=localhost"
    echo "--option=repo1-storage-port=$S3_PROXY_PORT"
    echo "--option=repo1-storage-ca-file=$S3_CA"
    echo "--option=lock-path=$GAIA_TMP/lock"
    echo "--option=process-max=4"
}
mapfile -t PRIMARY_OPTS < <(node_options primary)
PRIMARY_OPTS+=("--crontab=$GAIA_TMP/cron.d/gaia-pgbackrest" "--lock-file=$GAIA_TMP/jobs.lock"
    "--replica-address=127.0.0.1/32" "--timeout=60")
mapfile -t REPLICA_OPTS < <(node_options replica)
REPLICA_OPTS+=("--pg-ctl-options=-p $(pg_port replica) -c unix_socket_directories=$(pg_sock replica)"
    "--timeout=60" "--wait-timeout=60")
PRIMARY_CONF="$GAIA_TMP/primary-etc/pgbackrest.conf"
CRONTAB="$GAIA_TMP/cron.d/gaia-pgbackrest"

# run NAME SCRIPT ARGS...: RC, output in $W/NAME.out (stdout and stderr)
run() {
    local name=$1 start=$SECONDS
    shift
    RC=0
    "$@" >"$W/$name.out" 2>&1 </dev/null || RC=$?
    echo "$name: exit $RC after $((SECONDS - start)) s" | tap_diag
}
show() { tail -n 30 "$W/$1.out" | tap_diag; }

# snapshot FILE: checksum of every file the primary setup edits (or "absent"), the backup copies, the log dir
snapshot() {
    local f
    for f in "$PRIMARY_CONF" "$PRIMARY_DATA/postgresql.auto.conf" "$PRIMARY_DATA/postgresql.conf" \
        "$PRIMARY_DATA/pg_hba.conf" "$CRONTAB"; do
        if [ -f "$f" ]; then sha256sum "$f"; else echo "absent $f"; fi
    done
    find "$GAIA_TMP" -maxdepth 3 -name '*.gaia-backup-*' | sort
    [ -d "$GAIA_TMP/primary-log" ] && echo "log dir present"
    echo "postmaster started $(pg_sql primary "select pg_postmaster_start_time()")"
}

assert_grep() { # assert_grep DESC PATTERN FILE
    if grep -q -E -- "$2" "$3"; then tap_ok "$1"; else tap_not_ok "$1"; { echo "no /$2/ in $3:"; tail -20 "$3"; } | tap_diag; fi
}

# wait_rows NODE COUNT: wait up to 60 s until table gaia_t on NODE holds COUNT rows; prints the last count seen
wait_rows() {
    local n=""
    for _ in $(seq 1 60); do
        n=$(pg_sql "$1" "select count(*) from gaia_t" 2>/dev/null || true)
        [ "$n" = "$2" ] && break
        sleep 1
    done
    echo "$n"
}

# ---------------------------------------------------------------------------------------------------------------------
# Validation: nothing changes
# ---------------------------------------------------------------------------------------------------------------------
snapshot >"$W/snap-0"
write_env "$W/no-bucket.env" primary PGBACKREST_R2_BUCKET=
run no-bucket "$SETUP/setup-primary.sh" --env-file="$W/no-bucket.env" "${PRIMARY_OPTS[@]}"
assert_status "missing PGBACKREST_R2_BUCKET: exit 2" 2 "$RC"
assert_grep "missing PGBACKREST_R2_BUCKET: named in the message" 'PGBACKREST_R2_BUCKET is not set' "$W/no-bucket.out"
write_env "$W/bad-port.env" primary PGBACKREST_PGPORT=54x2 PGBACKREST_R2_ENDPOINT=http://localhost
run bad-port "$SETUP/setup-primary.sh" --env-file="$W/bad-port.env" "${PRIMARY_OPTS[@]}"
assert_status "malformed port and http endpoint: exit 2" 2 "$RC"
assert_grep "malformed port: named" "PGBACKREST_PGPORT='54x2' is malformed" "$W/bad-port.out"
assert_grep "http:// endpoint: named" "PGBACKREST_R2_ENDPOINT='http://localhost' is malformed" "$W/bad-port.out"
write_env "$W/not-source.env" primary IS_SOURCE_VALIDATOR_FOR_DB_SYNC=False \
    PGBACKREST_R2_ENDPOINT=https://acct.r2.cloudflarestorage.com/gaiarest
run not-source "$SETUP/setup-primary.sh" --env-file="$W/not-source.env" "${PRIMARY_OPTS[@]}"
assert_status "setup-primary where IS_SOURCE_VALIDATOR_FOR_DB_SYNC=False, endpoint with the bucket: exit 2" 2 "$RC"
assert_grep "setup-primary names IS_SOURCE_VALIDATOR_FOR_DB_SYNC=False" \
    "ERROR: IS_SOURCE_VALIDATOR_FOR_DB_SYNC=False: this validator is not the db-sync source" "$W/not-source.out"
assert_grep "setup-primary names the endpoint with a path" \
    "ERROR: PGBACKREST_R2_ENDPOINT='.*/gaiarest' is malformed: the account endpoint only .*no path" "$W/not-source.out"
write_env "$W/bad-secret.env" primary PGBACKREST_R2_SECRET_ACCESS_KEY=not-the-secret
run bad-secret "$SETUP/setup-primary.sh" --env-file="$W/bad-secret.env" "${PRIMARY_OPTS[@]}"
assert_status "wrong R2 secret: stopped at the preflight (exit 1)" 1 "$RC"
assert_grep "wrong R2 secret: the failed step is named" 'FAILED at step "preflight"' "$W/bad-secret.out"
snapshot >"$W/snap-1"
assert_file_eq "invalid variables, wrong secret: nothing changed" "$W/snap-0" "$W/snap-1"

# ---------------------------------------------------------------------------------------------------------------------
# setup-primary --dry-run
# ---------------------------------------------------------------------------------------------------------------------
write_env "$W/primary.env" primary
run dry "$SETUP/setup-primary.sh" --env-file="$W/primary.env" "${PRIMARY_OPTS[@]}" --dry-run
assert_status "setup-primary --dry-run: exit 0" 0 "$RC"
[ "$RC" = 0 ] || show dry
assert_grep "dry run: prints the settings it would change" \
    "would run SQL: ALTER SYSTEM SET wal_level = 'replica'" "$W/dry.out"
assert_grep "dry run: prints the configuration it would write" "would create $PRIMARY_CONF" "$W/dry.out"
assert_grep "dry run: prints the pg_hba line" "^\+host replication postgres 127.0.0.1/32 scram-sha-256" "$W/dry.out"
assert_grep "dry run: prints the restart" "would restart PostgreSQL \(pg_ctl\)" "$W/dry.out"
assert_grep "dry run: prints the cron file" "^\+15 \* \* \* \* postgres flock -n" "$W/dry.out"
if grep -q 'key-secret=S3RVER' "$W/dry.out"; then tap_not_ok "dry run: the secret is redacted"; else
    tap_ok "dry run: the secret is redacted"; fi
snapshot >"$W/snap-2"
assert_file_eq "dry run: nothing changed (files, backups, log dir, no restart)" "$W/snap-0" "$W/snap-2"

# ---------------------------------------------------------------------------------------------------------------------
# setup-primary
# ---------------------------------------------------------------------------------------------------------------------
started_before=$(pg_sql primary "select pg_postmaster_start_time()")
run primary1 "$SETUP/setup-primary.sh" --env-file="$W/primary.env" "${PRIMARY_OPTS[@]}"
assert_status "setup-primary: exit 0" 0 "$RC"
[ "$RC" = 0 ] || show primary1
settings=$(pg_sql primary "select string_agg(name || '=' || setting, ' ' order by name) from pg_settings
    where name in ('archive_mode', 'wal_level', 'max_wal_senders')")
assert_eq "primary runs with the archiving settings" "archive_mode=on max_wal_senders=10 wal_level=replica" "$settings"
assert_eq "archive_command is gaiarest archive-push" \
    "$(readlink -f "$GAIAREST") --config=$PRIMARY_CONF --stanza=gaia archive-push %p" \
    "$(pg_sql primary "show archive_command")"
assert_eq "the settings are in postgresql.auto.conf" "4" \
    "$(grep -c -E '^(archive_mode|archive_command|wal_level|max_wal_senders) = ' "$PRIMARY_DATA/postgresql.auto.conf")"
started_after=$(pg_sql primary "select pg_postmaster_start_time()")
if [ "$started_before" != "$started_after" ]; then tap_ok "PostgreSQL was restarted"; else
    tap_not_ok "PostgreSQL was restarted"; fi
assert_eq "pg_hba.conf has the replication entry, and PostgreSQL reads it" "1" \
    "$(pg_sql primary "select count(*) from pg_hba_file_rules where database = '{replication}'
        and user_name = '{postgres}' and address = '127.0.0.1' and auth_method = 'scram-sha-256'")"
backups=$(find "$GAIA_TMP" -maxdepth 2 -name '*.gaia-backup-*' -printf '%f\n' | sed 's/-[0-9TZ]*$//' | sort | tr '\n' ' ')
assert_eq "a copy of each edited file was kept" "pg_hba.conf.gaia-backup postgresql.auto.conf.gaia-backup " "$backups"
assert_eq "configuration: mode and owner" "640 root postgres" "$(stat -c '%a %U %G' "$PRIMARY_CONF")"
assert_grep "configuration: the endpoint without scheme nor slash" '^repo1-s3-endpoint=localhost$' "$PRIMARY_CONF"
assert_grep "configuration: the stanza section" '^\[gaia\]$' "$PRIMARY_CONF"
run_gaiarest "$PRIMARY_CONF" --stanza=gaia --output=json info >"$W/info1.json" 2>"$W/info1.err" || true
assert_eq "the repository holds the stanza with one full backup" "ok full" \
    "$(jq -r '.[0].status.message + " " + ([.[0].backup[].type] | join(","))' "$W/info1.json" 2>&1)"
assert_grep "setup log written in the log directory" "step: schedule" "$GAIA_TMP/primary-log/setup-primary.log"
if ls "$GAIA_TMP/primary-log"/gaia-*.log >/dev/null 2>&1; then tap_ok "gaiarest logs in the log directory"; else
    tap_not_ok "gaiarest logs in the log directory"; fi
assert_eq "cron file: three jobs, each as postgres under flock" "3" \
    "$(grep -c -E "^[^#A-Z].* postgres flock -n -E 75 $GAIA_TMP/jobs.lock sh -c " "$CRONTAB")"
assert_grep "cron file: weekly full backup (expire-auto expires after it)" \
    "^30 1 \* \* 0 postgres .*--type=full backup' >>$GAIA_TMP/primary-log/cron-backup-full.log" "$CRONTAB"
assert_grep "cron file: daily diff" "^30 1 \* \* 1-6 postgres .*--type=diff backup" "$CRONTAB"
assert_grep "cron file: hourly check" "^15 \* \* \* \* postgres .* check' " "$CRONTAB"

# Second run (without --repo-path: the one of the existing configuration is kept): nothing changes, no restart,
# no second full backup.
snapshot >"$W/snap-3"
AGAIN_OPTS=()
for opt in "${PRIMARY_OPTS[@]}"; do [[ $opt == --repo-path=* ]] || AGAIN_OPTS+=("$opt"); done
run primary2 "$SETUP/setup-primary.sh" --env-file="$W/primary.env" "${AGAIN_OPTS[@]}"
assert_status "setup-primary again: exit 0" 0 "$RC"
[ "$RC" = 0 ] || show primary2
snapshot >"$W/snap-4"
assert_file_eq "setup-primary again: nothing changed (checksums, backups, no restart)" "$W/snap-3" "$W/snap-4"
assert_grep "setup-primary again: says no restart was needed" "no restart needed" "$W/primary2.out"
assert_grep "setup-primary again: kept repo1-path of the configuration" "repo1-path=/validators kept" "$W/primary2.out"
run_gaiarest "$PRIMARY_CONF" --stanza=gaia --output=json info >"$W/info2.json" 2>/dev/null || true
assert_eq "setup-primary again: still one backup" "1" "$(jq '.[0].backup | length' "$W/info2.json" 2>&1)"

# The scheduled lines, as cron would run them: /bin/sh, as the user of the line.
cron_run() { # cron_run PATTERN: run the command part of the cron line matching PATTERN
    local line user cmd
    line=$(grep -E -- "$1" "$CRONTAB" | head -1)
    user=$(echo "$line" | cut -d' ' -f6)
    cmd=$(echo "$line" | cut -d' ' -f7-)
    RC=0
    runuser -u "$user" -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/sh -c "$cmd" ||
        RC=$?
}
archived=$(pg_sql primary "select archived_count from pg_stat_archiver")
cron_run "check'"
assert_status "cron check job: exit 0" 0 "$RC"
if [ "$(pg_sql primary "select archived_count from pg_stat_archiver")" -gt "$archived" ] &&
    ! grep -q . "$GAIA_TMP/primary-log/cron-check.log" 2>/dev/null; then
    tap_ok "cron check job: checked (a WAL segment archived, nothing logged as failed)"
else
    tap_not_ok "cron check job: checked"; tail "$GAIA_TMP/primary-log/cron-check.log" 2>&1 | tap_diag
fi
pg_sql primary "create table gaia_before_diff as select generate_series(1, 10000) as i" >/dev/null
cron_run "type=diff"
run_gaiarest "$PRIMARY_CONF" --stanza=gaia --output=json info >"$W/info3.json" 2>/dev/null || true
assert_eq "cron diff job: a differential backup was taken" "full,diff" \
    "$(jq -r '[.[0].backup[].type] | join(",")' "$W/info3.json" 2>&1)"
assert_grep "cron diff job: expire ran after the backup (expire-auto)" "expire command end: completed successfully" \
    "$GAIA_TMP/primary-log/gaia-expire.log"
flock "$GAIA_TMP/jobs.lock" sleep 4 &
holder=$!
sleep 1
cron_run "check'"
wait "$holder"
assert_grep "cron job finding the lock taken is skipped (exit 75 logged)" "^check: exit 75 " \
    "$GAIA_TMP/primary-log/cron-check.log"

# ---------------------------------------------------------------------------------------------------------------------
# setup-replica
# ---------------------------------------------------------------------------------------------------------------------
write_env "$W/source.env" replica IS_SOURCE_VALIDATOR_FOR_DB_SYNC=True
run refuse "$SETUP/setup-replica.sh" --env-file="$W/source.env" "${REPLICA_OPTS[@]}" "$(pg_sock primary)"
assert_status "setup-replica where IS_SOURCE_VALIDATOR_FOR_DB_SYNC=True: exit 2" 2 "$RC"
assert_grep "setup-replica refusal names the variable" "IS_SOURCE_VALIDATOR_FOR_DB_SYNC=True" "$W/refuse.out"
assert_eq "setup-replica refusal: the cluster still runs, untouched" "f" \
    "$(pg_sql replica "select pg_is_in_recovery()" 2>&1)"

write_env "$W/not-pgdata.env" replica PGBACKREST_PGDATA="$W"
run not-pgdata "$SETUP/setup-replica.sh" --env-file="$W/not-pgdata.env" "${REPLICA_OPTS[@]}"
assert_status "setup-replica on a directory that is not a data directory: exit 2" 2 "$RC"
assert_grep "setup-replica: refuses to move a directory that is not a data directory" \
    "is not a PostgreSQL data directory \(no PG_VERSION\): refusing" "$W/not-pgdata.out"

write_env "$W/replica.env" replica
replica_state() {
    pg_sql replica "select pg_is_in_recovery(), pg_postmaster_start_time()" 2>&1
    find "$GAIA_TMP" -maxdepth 1 -name 'replica[-.]*' ! -name 'replica-sock' ! -name 'replica-initdb.log' -printf '%f\n' | sort
    sha256sum "$REPLICA_DATA/postgresql.auto.conf"
}
replica_state >"$W/replica-before"
run replica-dry "$SETUP/setup-replica.sh" --env-file="$W/replica.env" "${REPLICA_OPTS[@]}" \
    --primary-port="$(pg_port primary)" --dry-run "$(pg_sock primary)"
assert_status "setup-replica --dry-run: exit 0" 0 "$RC"
[ "$RC" = 0 ] || show replica-dry
assert_grep "setup-replica --dry-run: prints the restore" "would restore the newest backup as a standby: .*--type=standby" \
    "$W/replica-dry.out"
replica_state >"$W/replica-after"
assert_file_eq "setup-replica --dry-run: nothing changed (still running as before, no files)" "$W/replica-before" \
    "$W/replica-after"
run replica1 "$SETUP/setup-replica.sh" --env-file="$W/replica.env" "${REPLICA_OPTS[@]}" \
    --primary-port="$(pg_port primary)" "$(pg_sock primary)"
assert_status "setup-replica with a primary host: exit 0" 0 "$RC"
[ "$RC" = 0 ] || { show replica1; tail -20 "$GAIA_TMP/replica.log" | tap_diag; }
assert_eq "the replica is in recovery" "t" "$(pg_sql replica "select pg_is_in_recovery()" 2>&1)"
assert_eq "the replica streams from the primary" "streaming" \
    "$(pg_sql replica "select status from pg_stat_wal_receiver" 2>&1)"
old=$(find "$GAIA_TMP" -maxdepth 1 -name "replica.gaia-old-*" | head -1)
if [ -n "$old" ] && [ -f "$old/PG_VERSION" ]; then tap_ok "the old data directory was moved aside"; else
    tap_not_ok "the old data directory was moved aside"; fi
assert_grep "restore_command calls gaiarest archive-get with the written configuration" \
    "^restore_command = '.*--config=$GAIA_TMP/replica-etc/pgbackrest.conf .*archive-get" \
    "$REPLICA_DATA/postgresql.auto.conf"
pg_sql primary "create table gaia_t (i int); insert into gaia_t select generate_series(1, 100)" >/dev/null
pg_sql primary "select pg_switch_wal()" >/dev/null
assert_eq "rows written on the primary appear on the replica (streaming)" "100" "$(wait_rows replica 100)"

# Again, over the existing data (--delta), following the archive only.
run replica2 "$SETUP/setup-replica.sh" --env-file="$W/replica.env" "${REPLICA_OPTS[@]}" --delta
assert_status "setup-replica --delta without a primary: exit 0" 0 "$RC"
[ "$RC" = 0 ] || { show replica2; tail -20 "$GAIA_TMP/replica.log" | tap_diag; }
assert_grep "--delta: restored over the data directory" "restoring over $REPLICA_DATA" "$W/replica2.out"
assert_eq "archive-only replica: no WAL receiver" "0" "$(pg_sql replica "select count(*) from pg_stat_wal_receiver" 2>&1)"
pg_sql primary "insert into gaia_t select generate_series(1, 50)" >/dev/null
pg_sql primary "select pg_switch_wal()" >/dev/null
assert_eq "rows written on the primary appear on the replica (from the archive)" "150" "$(wait_rows replica 150)"

tap_done
