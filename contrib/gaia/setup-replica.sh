#!/usr/bin/env bash
# contrib/gaia/setup-replica.sh: (re)build a Gaia validator's PostgreSQL as a standby restored from the R2 bucket
# with gaiarest, optionally streaming from the primary. See --help and doc/user-guide.md ("Setting up a validator").
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=contrib/gaia/gaia-setup-common.sh
. "$here/gaia-setup-common.sh"

PRIMARY_HOST=""
PRIMARY_PORT=""
REPLICATION_USER=""
PRIMARY_CONNINFO=""
DELTA=0
FORCE=0
WAIT_TIMEOUT=${GAIA_WAIT_TIMEOUT:-600}

usage() {
    cat <<EOF
Usage: $GS_PROG [OPTIONS] [PRIMARY_HOST]

Rebuilds this validator's PostgreSQL as a standby of the db-sync source: restored from the newest backup in the R2
bucket, replaying the archived WAL, and streaming from PRIMARY_HOST when one is given (the archive remains the
fallback whenever streaming stops). Run it as root. Steps, each named in the output:

  1. validate    the variables and options (refused when IS_SOURCE_VALIDATOR_FOR_DB_SYNC=True: that validator is the
                 source the others restore from); a missing or malformed one stops the script before any change
  2. preflight   the bucket holds a valid backup of the stanza (gaiarest info), before PostgreSQL is touched
  3. config      write the gaiarest configuration (--config), which the restored restore_command uses
  4. stop        stop PostgreSQL
  5. set-aside   move the data directory to <PGDATA>.gaia-old-<time>; with --force remove it instead; with --delta
                 keep it and restore over it (only the files that differ are fetched: less egress)
  6. restore     gaiarest restore --type=standby (standby.signal, restore_command; primary_conninfo when streaming)
  7. start       start PostgreSQL
  8. wait        until it is in recovery and replaying: streaming from the primary when PRIMARY_HOST is given,
                 otherwise consistent from the archive (--wait-timeout)

Variables (from the .env file or the environment): as setup-primary.sh (see its --help); PGBACKREST_PGDATA,
PGBACKREST_PGPORT and PGBACKREST_PGUSER describe this node.

Options of setup-replica:
  PRIMARY_HOST, --primary-host=HOST   stream from this primary (host name, address or socket directory)
  --primary-port=PORT     its port (default: PGBACKREST_PGPORT)
  --replication-user=ROLE the role to connect as (default: PGBACKREST_PGUSER); its password goes in the OS user's
                          ~/.pgpass, never on a command line
  --primary-conninfo=STR  the whole primary_conninfo instead (no single quotes)
  --delta                 restore over the existing data directory (must be a PostgreSQL data directory)
  --force                 remove the old data directory instead of moving it aside
  --wait-timeout=SECONDS  how long to wait for replay (default: 600)

$GS_COMMON_HELP

Exit status: 0 replaying, 2 invalid variables or options or refused (nothing changed), 1 a failed step.
EOF
}

for arg in "$@"; do
    gs_parse_common_option "$arg" && continue
    case $arg in
        --help | -h) usage; exit 0 ;;
        --primary-host=*) PRIMARY_HOST=${arg#*=} ;;
        --primary-port=*) PRIMARY_PORT=${arg#*=} ;;
        --replication-user=*) REPLICATION_USER=${arg#*=} ;;
        --primary-conninfo=*) PRIMARY_CONNINFO=${arg#*=} ;;
        --delta) DELTA=1 ;;
        --force) FORCE=1 ;;
        --wait-timeout=*) WAIT_TIMEOUT=${arg#*=} ;;
        -*) gs_usage_error "unknown option '$arg'" ;;
        *)
            [ -z "$PRIMARY_HOST" ] || gs_usage_error "one PRIMARY_HOST only ('$PRIMARY_HOST', '$arg')"
            PRIMARY_HOST=$arg
            ;;
    esac
done

# ---------------------------------------------------------------------------------------------------------------------
# 1. validate
# ---------------------------------------------------------------------------------------------------------------------
gs_load_env
if [ "$(gs_bool IS_SOURCE_VALIDATOR_FOR_DB_SYNC)" = true ]; then
    printf '%s: ERROR: IS_SOURCE_VALIDATOR_FOR_DB_SYNC=%s: this validator is the db-sync source, whose database the %s\n' \
        "$GS_PROG" "${GS_ENV[IS_SOURCE_VALIDATOR_FOR_DB_SYNC]}" "replicas restore; it is never rebuilt as a replica" >&2
    printf '%s: nothing was changed\n' "$GS_PROG" >&2
    exit 2
fi
gs_validate_env replica
[ -n "$PRIMARY_PORT" ] || PRIMARY_PORT=$GS_PGPORT
[ -n "$REPLICATION_USER" ] || REPLICATION_USER=$GS_PGUSER

if [ -n "$PRIMARY_HOST" ] && ! [[ $PRIMARY_HOST =~ ^[A-Za-z0-9./:_-]+$ ]]; then
    GS_PROBLEMS+=("PRIMARY_HOST='$PRIMARY_HOST' is malformed: a host name, an address or a socket directory")
fi
[[ $PRIMARY_PORT =~ ^[0-9]{1,5}$ ]] || GS_PROBLEMS+=("--primary-port='$PRIMARY_PORT' is malformed")
[[ $REPLICATION_USER =~ ^[A-Za-z_][A-Za-z0-9_$-]*$ ]] || GS_PROBLEMS+=("--replication-user='$REPLICATION_USER' is malformed")
[[ $PRIMARY_CONNINFO != *\'* ]] || GS_PROBLEMS+=("--primary-conninfo must not contain single quotes")
[[ $WAIT_TIMEOUT =~ ^[0-9]+$ ]] || GS_PROBLEMS+=("--wait-timeout='$WAIT_TIMEOUT' is malformed: seconds")
if [ "$DELTA" = 1 ] && [ ! -f "$GS_PGDATA/PG_VERSION" ]; then
    GS_PROBLEMS+=("--delta: $GS_PGDATA is not a PostgreSQL data directory (no PG_VERSION); run without --delta")
fi
if [ -d "$GS_PGDATA" ] && [ ! -f "$GS_PGDATA/PG_VERSION" ] && [ -n "$(ls -A "$GS_PGDATA")" ]; then
    GS_PROBLEMS+=("$(gs_join "PGBACKREST_PGDATA=$GS_PGDATA is not empty and is not a PostgreSQL data directory (no PG_VERSION):" \
        "refusing to move or remove it")")
elif [ -e "$GS_PGDATA" ] && [ ! -d "$GS_PGDATA" ]; then
    GS_PROBLEMS+=("PGBACKREST_PGDATA=$GS_PGDATA is not a directory")
fi
OLD_DIR="$GS_PGDATA.gaia-old-$GS_STAMP"
if [ "$(id -u)" != 0 ] && [ "$GS_DRY_RUN" = 0 ]; then
    GS_PROBLEMS+=("run as root (it stops PostgreSQL and replaces its data directory)")
fi
gs_problems_check
if [ -z "$PRIMARY_CONNINFO" ] && [ -n "$PRIMARY_HOST" ]; then
    app=$(hostname -s 2>/dev/null | tr -c 'A-Za-z0-9_\n-' '_')
    PRIMARY_CONNINFO="host=$PRIMARY_HOST port=$PRIMARY_PORT user=$REPLICATION_USER application_name=${app:-gaia-replica}"
fi
if [ "$(gs_bool DB_SYNC_ENABLED)" = false ]; then
    gs_warn "DB_SYNC_ENABLED=${GS_ENV[DB_SYNC_ENABLED]}: this validator is set up as a replica all the same"
fi

gs_init
[ "$GS_DRY_RUN" = 0 ] || gs_log "dry run: printing the changes, making none"
gs_log "stanza $GS_STANZA, data directory $GS_PGDATA, port $GS_PGPORT, bucket ${GS_ENV[PGBACKREST_R2_BUCKET]}" \
    "at $(gs_endpoint_host), primary_conninfo '${PRIMARY_CONNINFO:-none (archive only)}'"

# ---------------------------------------------------------------------------------------------------------------------
# 2. preflight: the bucket has something to restore before anything is stopped
# ---------------------------------------------------------------------------------------------------------------------
gs_step preflight
gs_preflight_repo replica
if ! printf '%s\n' "$GS_REPO_INFO" | grep -q '^ *status: ok'; then
    printf '%s\n' "$GS_REPO_INFO" >&2
    gs_die "stanza $GS_STANZA has no valid backup in the bucket (run setup-primary.sh on the source validator first)"
fi
gs_log "newest backup: $(printf '%s\n' "$GS_REPO_INFO" | sed -n 's/^ *\(full\|diff\|incr\) backup: //p' | tail -1)"
if [ -e "$OLD_DIR" ]; then
    gs_die "$OLD_DIR exists already"
fi

gs_step log-dir
gs_make_log_dir
gs_log_to_dir

gs_step config
gs_write_config replica

# ---------------------------------------------------------------------------------------------------------------------
# 4. stop
# ---------------------------------------------------------------------------------------------------------------------
gs_step stop
if [ "$(gs_pg_mode)" = systemctl ] || gs_pg_ctl status; then
    if gs_pg_reachable && [ "$(gs_pg_sql -c "select pg_is_in_recovery()")" = f ]; then
        gs_warn "the cluster on port $GS_PGPORT is a primary (not in recovery): it is replaced by the standby"
    fi
    gs_pg_ctl stop
else
    gs_log "PostgreSQL is not running"
fi

# ---------------------------------------------------------------------------------------------------------------------
# 5. set-aside
# ---------------------------------------------------------------------------------------------------------------------
gs_step set-aside
if [ "$DELTA" = 1 ]; then
    gs_log "--delta: restoring over $GS_PGDATA"
elif [ ! -e "$GS_PGDATA" ]; then
    gs_log "$GS_PGDATA does not exist: nothing to move aside"
    gs_run "create the data directory" install -d -m 0700 -o "$GS_OS_USER" -g "$GS_OS_GROUP" "$GS_PGDATA"
else
    if mountpoint -q "$GS_PGDATA" 2>/dev/null; then
        gs_die "$GS_PGDATA is a mount point and cannot be moved aside: use --delta (or empty it yourself)"
    fi
    if [ "$FORCE" = 1 ]; then
        gs_run "remove the old data directory (--force)" rm -rf "$GS_PGDATA"
    else
        gs_run "move the old data directory aside (remove it yourself once the replica runs)" \
            mv "$GS_PGDATA" "$OLD_DIR"
    fi
    gs_run "create the data directory" install -d -m 0700 -o "$GS_OS_USER" -g "$GS_OS_GROUP" "$GS_PGDATA"
fi

# ---------------------------------------------------------------------------------------------------------------------
# 6. restore
# ---------------------------------------------------------------------------------------------------------------------
gs_step restore
restore=(--log-level-console=info --type=standby)
[ "$DELTA" = 0 ] || restore+=(--delta)
[ -z "$PRIMARY_CONNINFO" ] || restore+=("--recovery-option=primary_conninfo=$PRIMARY_CONNINFO")
gs_run "restore the newest backup as a standby" gs_gaiarest_with "$GS_CONFIG" "${restore[@]}" restore

# ---------------------------------------------------------------------------------------------------------------------
# 7. start, 8. wait
# ---------------------------------------------------------------------------------------------------------------------
gs_step start
gs_pg_ctl start-nowait

gs_step wait
if [ "$GS_DRY_RUN" = 1 ]; then
    gs_log "[dry-run] would wait up to ${WAIT_TIMEOUT}s for the standby to replay"
    exit 0
fi
waited=0
first_lsn=""
while :; do
    state=$(gs_pg_sql -F ' ' -c "select pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn()::text, '-'),
        coalesce((select status from pg_stat_wal_receiver limit 1), '-')" 2>/dev/null || true)
    read -r in_recovery lsn receiver <<<"${state:-down - -}"
    if [ "$(gs_pg_mode)" = pg_ctl ] && [ "$in_recovery" = down ] && ! gs_pg_ctl status; then
        gs_die "PostgreSQL stopped while starting; see its log ($GS_PG_LOG)"
    fi
    if [ "$in_recovery" = f ]; then
        gs_die "PostgreSQL runs but is not in recovery (promoted? standby.signal missing from $GS_PGDATA)"
    fi
    if [ "$in_recovery" = t ] && [ "$lsn" != - ]; then
        [ -n "$first_lsn" ] || first_lsn=$lsn
        if [ -n "$PRIMARY_CONNINFO" ] && [ "$receiver" = streaming ]; then
            gs_log "replaying: streaming from the primary, replay LSN $lsn"
            break
        fi
        if [ -z "$PRIMARY_CONNINFO" ]; then
            gs_log "replaying from the archive: consistent, replay LSN $lsn; new WAL is replayed as the primary" \
                "archives it"
            break
        fi
    fi
    if [ "$waited" -ge "$WAIT_TIMEOUT" ]; then
        if [ "$in_recovery" = t ] && [ -n "$first_lsn" ]; then
            gs_die "not streaming from the primary after ${WAIT_TIMEOUT}s (receiver: $receiver; replay LSN $lsn," \
                "replaying from the archive meanwhile): check pg_hba.conf on the primary, the password in" \
                "~$GS_OS_USER/.pgpass and the primary's max_wal_senders; see the server log"
        fi
        gs_die "PostgreSQL is not replaying after ${WAIT_TIMEOUT}s (state: ${state:-no connection}); see the server log"
    fi
    sleep 2
    waited=$((waited + 2))
done

gs_step finish
if [ "$DELTA" = 0 ] && [ "$FORCE" = 0 ] && [ -e "$OLD_DIR" ]; then
    gs_log "the previous data directory is kept in $OLD_DIR: remove it when it is no longer needed"
fi
gs_log "replica set up: stanza $GS_STANZA, standby of ${PRIMARY_HOST:-the archive}"
