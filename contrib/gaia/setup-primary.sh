#!/usr/bin/env bash
# contrib/gaia/setup-primary.sh: set up a Gaia validator's primary PostgreSQL to archive and back up to R2 with
# gaiarest. See --help and doc/user-guide.md ("Setting up a validator").
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=contrib/gaia/gaia-setup-common.sh
. "$here/gaia-setup-common.sh"

GS_RETENTION_FULL=${GAIA_RETENTION_FULL:-2}
MAX_WAL_SENDERS=${GAIA_MAX_WAL_SENDERS:-10}
REPLICA_ADDRESSES=()
REPLICATION_USER=""
HBA_METHOD=${GAIA_HBA_METHOD:-scram-sha-256}
CRONTAB=${GAIA_CRONTAB:-/etc/cron.d/gaia-pgbackrest}
SCHEDULE=1
FULL_SCHEDULE=${GAIA_FULL_SCHEDULE:-30 1 * * 0}
DIFF_SCHEDULE=${GAIA_DIFF_SCHEDULE:-30 1 * * 1-6}
CHECK_SCHEDULE=${GAIA_CHECK_SCHEDULE:-15 * * * *}
LOCK_FILE=${GAIA_LOCK_FILE:-/run/lock/gaia-pgbackrest.lock}
FIRST_BACKUP=1
ALLOW_NOT_SOURCE=0

usage() {
    cat <<EOF
Usage: $GS_PROG [OPTIONS]

Sets up this validator's primary PostgreSQL to archive its WAL and back up to the R2 bucket with gaiarest, from the
Gaia variables of the validator's .env file. Run it as root. Steps, each named in the output:

  1. validate    the variables and options: a missing or malformed one stops the script before any change
  2. preflight   the bucket answers with these settings (gaiarest info) and PostgreSQL is reachable and uses
                 PGBACKREST_PGDATA
  3. config      write the gaiarest configuration (--config), R2 secret included, mode 0640 root:<os group>
  4. settings    archive_mode=on, archive_command=gaiarest archive-push, wal_level=replica (logical is kept),
                 max_wal_senders (at least --max-wal-senders) through ALTER SYSTEM (postgresql.auto.conf)
  5. pg_hba      a replication entry per --replica-address in the file PostgreSQL reads (SHOW hba_file)
  6. restart     only when a setting needs it (a reload otherwise)
  7. stanza-create, check, and a first full backup when the repository holds none
  8. schedule    a cron file: weekly full and daily diff backup (each expires what retention no longer keeps,
                 expire-auto), hourly check,
                 run through flock so that no two jobs overlap (a job finding the lock taken is skipped)

Every file edited is copied first to <file>.gaia-backup-<time>. Running the script again changes nothing that is
already as it should be. Logs go to LOG_DIR (default /var/log/gaia-pgbackrest): this script's setup-primary.log,
gaiarest's <stanza>-<command>.log and the scheduled jobs' cron-*.log.

Variables (from the .env file or the environment): PGBACKREST_STANZA_NAME, PGBACKREST_R2_BUCKET,
PGBACKREST_R2_ENDPOINT, PGBACKREST_R2_ACCESS_KEY_ID, PGBACKREST_R2_SECRET_ACCESS_KEY, PGBACKREST_PGDATA (required);
PGBACKREST_R2_REGION (auto), PGBACKREST_PGPORT (5432), PGBACKREST_PGUSER (postgres),
IS_SOURCE_VALIDATOR_FOR_DB_SYNC, DB_SYNC_ENABLED (True/False).

Options of setup-primary:
  --max-wal-senders=N     at least this many WAL senders (default: 10)
  --retention-full=N      full backups to keep, repo1-retention-full (default: 2)
  --replica-address=ADDR  pg_hba address (CIDR, host name, samenet) replicas connect from (repeatable;
                          default: samenet); --replica-address=none adds no entry
  --replication-user=ROLE the role replicas connect as (default: PGBACKREST_PGUSER)
  --hba-method=METHOD     authentication of the entry (default: scram-sha-256)
  --crontab=FILE          the cron file to write, /etc/cron.d format (default: /etc/cron.d/gaia-pgbackrest)
  --no-schedule           install no schedule
  --full-schedule="M H DOM MON DOW"   when the full backup runs (default: "30 1 * * 0", Sunday 01:30)
  --diff-schedule="..."   the differential backup (default: "30 1 * * 1-6", the other days 01:30)
  --check-schedule="..."  gaiarest check (default: "15 * * * *", hourly)
  --lock-file=FILE        the flock file of the scheduled jobs (default: /run/lock/gaia-pgbackrest.lock)
  --no-first-backup       skip the first full backup
  --allow-not-source      run although IS_SOURCE_VALIDATOR_FOR_DB_SYNC=False (this validator's backups then go
                          to the bucket and stanza named in .env)
The schedules also come from GAIA_FULL_SCHEDULE, GAIA_DIFF_SCHEDULE and GAIA_CHECK_SCHEDULE.

$GS_COMMON_HELP

Exit status: 0 done (or nothing to do), 2 invalid variables or options (nothing changed), 1 a failed step.
EOF
}

for arg in "$@"; do
    gs_parse_common_option "$arg" && continue
    case $arg in
        --help | -h) usage; exit 0 ;;
        --max-wal-senders=*) MAX_WAL_SENDERS=${arg#*=} ;;
        --retention-full=*) GS_RETENTION_FULL=${arg#*=} ;;
        --replica-address=*) REPLICA_ADDRESSES+=("${arg#*=}") ;;
        --replication-user=*) REPLICATION_USER=${arg#*=} ;;
        --hba-method=*) HBA_METHOD=${arg#*=} ;;
        --crontab=*) CRONTAB=${arg#*=} ;;
        --no-schedule) SCHEDULE=0 ;;
        --full-schedule=*) FULL_SCHEDULE=${arg#*=} ;;
        --diff-schedule=*) DIFF_SCHEDULE=${arg#*=} ;;
        --check-schedule=*) CHECK_SCHEDULE=${arg#*=} ;;
        --lock-file=*) LOCK_FILE=${arg#*=} ;;
        --no-first-backup) FIRST_BACKUP=0 ;;
        --allow-not-source) ALLOW_NOT_SOURCE=1 ;;
        *) gs_usage_error "unknown argument '$arg'" ;;
    esac
done

# ---------------------------------------------------------------------------------------------------------------------
# 1. validate
# ---------------------------------------------------------------------------------------------------------------------
gs_load_env
gs_validate_env primary
[ ${#REPLICA_ADDRESSES[@]} -gt 0 ] || REPLICA_ADDRESSES=(samenet)
[ -n "$REPLICATION_USER" ] || REPLICATION_USER=$GS_PGUSER

[[ $MAX_WAL_SENDERS =~ ^[0-9]+$ ]] && [ "$MAX_WAL_SENDERS" -ge 1 ] ||
    GS_PROBLEMS+=("--max-wal-senders='$MAX_WAL_SENDERS' is malformed: a number of at least 1")
[[ $GS_RETENTION_FULL =~ ^[0-9]+$ ]] && [ "$GS_RETENTION_FULL" -ge 1 ] ||
    GS_PROBLEMS+=("--retention-full='$GS_RETENTION_FULL' is malformed: a number of at least 1")
for address in "${REPLICA_ADDRESSES[@]}"; do
    [[ $address =~ ^[A-Za-z0-9.:/_-]+$ ]] || GS_PROBLEMS+=("--replica-address='$address' is malformed")
done
[[ $REPLICATION_USER =~ ^[A-Za-z_][A-Za-z0-9_$-]*$ ]] || GS_PROBLEMS+=("--replication-user='$REPLICATION_USER' is malformed")
[[ $HBA_METHOD =~ ^[a-z0-9-]+$ ]] || GS_PROBLEMS+=("--hba-method='$HBA_METHOD' is malformed")
for which in full diff check; do
    var=${which^^}_SCHEDULE
    read -r -a fields <<<"${!var}"
    if [ ${#fields[@]} != 5 ] || ! [[ ${!var} =~ ^[0-9A-Za-z*/,\ -]+$ ]]; then
        GS_PROBLEMS+=("--$which-schedule='${!var}' is malformed: five cron fields (minute hour day month weekday)")
    fi
done
for path in "$CRONTAB" "$LOCK_FILE"; do
    [[ $path == /* ]] && ! [[ $path =~ [[:space:]\'\"%] ]] ||
        GS_PROBLEMS+=("'$path' is not an absolute path without spaces, quotes or '%'")
done
if [ "$(gs_bool IS_SOURCE_VALIDATOR_FOR_DB_SYNC)" = false ] && [ "$ALLOW_NOT_SOURCE" = 0 ]; then
    GS_PROBLEMS+=("$(gs_join "IS_SOURCE_VALIDATOR_FOR_DB_SYNC=${GS_ENV[IS_SOURCE_VALIDATOR_FOR_DB_SYNC]}: this validator is not" \
        "the db-sync source, whose backups the replicas restore; run setup-replica.sh here, or give" \
        "--allow-not-source to back this validator up to stanza '$GS_STANZA' anyway")")
fi
if [ "$SCHEDULE" = 1 ] && [[ $CRONTAB == /etc/cron.d/* ]] && ! command -v cron >/dev/null &&
    ! command -v crond >/dev/null && [ ! -x /usr/sbin/cron ]; then
    GS_PROBLEMS+=("no cron daemon on this host: install cron (apt-get install cron), or give --no-schedule")
fi
if [ "$(id -u)" != 0 ] && [ "$GS_DRY_RUN" = 0 ]; then
    GS_PROBLEMS+=("run as root (it edits PostgreSQL's configuration, $GS_CONFIG and $CRONTAB)")
fi
gs_problems_check

gs_init
ARCHIVE_COMMAND="$GS_GAIAREST --config=$GS_CONFIG --stanza=$GS_STANZA archive-push %p"
[ "$GS_DRY_RUN" = 0 ] || gs_log "dry run: printing the changes, making none"
gs_log "stanza $GS_STANZA, data directory $GS_PGDATA, port $GS_PGPORT, bucket ${GS_ENV[PGBACKREST_R2_BUCKET]}" \
    "at $(gs_endpoint_host), DB_SYNC_ENABLED=${GS_ENV[DB_SYNC_ENABLED]:-unset}," \
    "IS_SOURCE_VALIDATOR_FOR_DB_SYNC=${GS_ENV[IS_SOURCE_VALIDATOR_FOR_DB_SYNC]:-unset}"

# ---------------------------------------------------------------------------------------------------------------------
# 2. preflight: nothing is changed before the repository and the cluster both answer
# ---------------------------------------------------------------------------------------------------------------------
gs_step preflight
gs_preflight_repo primary
gs_log "the repository answers: $(printf '%s\n' "$GS_REPO_INFO" | tr -s ' \n' ' ' | cut -c1-200)"
gs_pg_reachable || gs_die "PostgreSQL does not accept connections on $GS_SOCKET port $GS_PGPORT as $GS_PGUSER" \
    "(start it, or check PGBACKREST_PGPORT, PGBACKREST_PGUSER and --pg-socket-path)"
data_dir=$(gs_pg_sql -c "show data_directory")
if [ "$(readlink -f "$data_dir")" != "$(readlink -f "$GS_PGDATA")" ]; then
    gs_die "the cluster on port $GS_PGPORT uses $data_dir, not PGBACKREST_PGDATA=$GS_PGDATA"
fi
[ "$(gs_pg_sql -c "select rolsuper from pg_roles where rolname = current_user")" = t ] ||
    gs_die "$GS_PGUSER is not a superuser: ALTER SYSTEM, backups and check need one"
HBA_FILE=$(gs_pg_sql -c "show hba_file")

gs_step log-dir
gs_make_log_dir
gs_log_to_dir

# ---------------------------------------------------------------------------------------------------------------------
# 3. config
# ---------------------------------------------------------------------------------------------------------------------
gs_step config
gs_write_config primary

# ---------------------------------------------------------------------------------------------------------------------
# 4. settings: ALTER SYSTEM (postgresql.auto.conf, in the data directory whatever the packaging, read after
#    postgresql.conf and conf.d, so nothing there can override it), only for values that differ
# ---------------------------------------------------------------------------------------------------------------------
gs_step settings
declare -A file_value=()
while IFS='|' read -r name value; do
    [ -n "$name" ] && file_value[$name]=$value
done < <(gs_pg_sql -c "select name, setting from (select name, setting, row_number() over (partition by name
    order by seqno desc) as last from pg_file_settings where name in ('archive_mode', 'archive_command',
    'wal_level', 'max_wal_senders')) s where last = 1")
current_archive_mode=${file_value[archive_mode]:-off}
current_archive_command=${file_value[archive_command]:-}
current_wal_level=${file_value[wal_level]:-replica}
current_max_wal_senders=${file_value[max_wal_senders]:-10}

declare -A want=()
case $current_archive_mode in on | always) ;; *) want[archive_mode]=on ;; esac
[ "$current_archive_command" = "$ARCHIVE_COMMAND" ] || want[archive_command]=$ARCHIVE_COMMAND
case $current_wal_level in replica | logical) ;; *) want[wal_level]=replica ;; esac
if ! [[ $current_max_wal_senders =~ ^[0-9]+$ ]] || [ "$current_max_wal_senders" -lt "$MAX_WAL_SENDERS" ]; then
    want[max_wal_senders]=$MAX_WAL_SENDERS
fi
restart=0
if [ ${#want[@]} = 0 ]; then
    gs_log "unchanged: archive_mode=$current_archive_mode wal_level=$current_wal_level" \
        "max_wal_senders=$current_max_wal_senders archive_command='$current_archive_command'"
else
    auto_conf="$GS_PGDATA/postgresql.auto.conf"
    [ ! -f "$auto_conf" ] || gs_run "keep a copy of $auto_conf" cp -p "$auto_conf" "$auto_conf.gaia-backup-$GS_STAMP"
    for name in archive_mode wal_level max_wal_senders archive_command; do
        [ -n "${want[$name]+set}" ] || continue
        [ "$name" = archive_command ] || restart=1
        if [ "$GS_DRY_RUN" = 1 ]; then
            gs_log "[dry-run] would run SQL: ALTER SYSTEM SET $name = '${want[$name]}'"
        else
            gs_log "SQL: ALTER SYSTEM SET $name = '${want[$name]}'"
            printf "ALTER SYSTEM SET %s = :'value';\n" "$name" | gs_pg_sql -v value="${want[$name]}"
        fi
    done
fi

# ---------------------------------------------------------------------------------------------------------------------
# 5. pg_hba: one line per replica address, appended when not there (first match wins, and only lines naming the
#    replication database match replication connections, so an appended line is reached)
# ---------------------------------------------------------------------------------------------------------------------
gs_step pg_hba
hba_changed=0
if [ "${REPLICA_ADDRESSES[0]}" = none ]; then
    gs_log "no replication entry (--replica-address=none)"
else
    missing=()
    for address in "${REPLICA_ADDRESSES[@]}"; do
        line="host replication $REPLICATION_USER $address $HBA_METHOD"
        if ! awk -v want="$line" '!/^[[:space:]]*#/ { $1 = $1; if (NF >= 5 && $1 " " $2 " " $3 " " $4 " " $5 == want)
            found = 1 } END { exit !found }' "$HBA_FILE"; then
            missing+=("$line")
        fi
    done
    if [ ${#missing[@]} = 0 ]; then
        gs_log "unchanged: $HBA_FILE has the replication entries"
    else
        hba_owner=$(stat -c '%U' "$HBA_FILE")
        hba_group=$(stat -c '%G' "$HBA_FILE")
        hba_mode=$(stat -c '%a' "$HBA_FILE")
        {
            cat "$HBA_FILE"
            echo "# gaiarest replicas (stream from this primary), added by setup-primary.sh"
            printf '%s\n' "${missing[@]}"
        } | gs_install_content "$HBA_FILE" "0$hba_mode" "$hba_owner" "$hba_group"
        hba_changed=1
        if [ "$GS_DRY_RUN" = 0 ]; then
            errors=$(gs_pg_sql -c "select line_number || ': ' || error from pg_hba_file_rules where error is not null")
            if [ -n "$errors" ]; then
                cp -p "$HBA_FILE.gaia-backup-$GS_STAMP" "$HBA_FILE"
                gs_die "PostgreSQL rejects the new $HBA_FILE (put back as it was): $errors"
            fi
        fi
    fi
fi

# ---------------------------------------------------------------------------------------------------------------------
# 6. reload, restart when a setting needs it
# ---------------------------------------------------------------------------------------------------------------------
gs_step restart
if [ "$GS_DRY_RUN" = 1 ]; then
    pending=$(gs_pg_sql -c "select count(*) from pg_settings where pending_restart")
    if [ "$restart" = 1 ] || [ "$pending" != 0 ]; then
        gs_log "[dry-run] would restart PostgreSQL ($(gs_pg_mode))"
    elif [ ${#want[@]} != 0 ] || [ "$hba_changed" = 1 ]; then
        gs_log "[dry-run] would reload the configuration (select pg_reload_conf())"
    else
        gs_log "no restart or reload needed"
    fi
else
    if [ ${#want[@]} != 0 ] || [ "$hba_changed" = 1 ]; then
        gs_log "reload the configuration"
        gs_pg_sql -c "select pg_reload_conf()" >/dev/null
        sleep 1
    fi
    pending=$(gs_pg_sql -c "select string_agg(name, ', ') from pg_settings where pending_restart")
    if [ -n "$pending" ]; then
        gs_log "restart needed for: $pending"
        gs_pg_ctl restart
        gs_pg_wait_up
    else
        gs_log "no restart needed"
    fi
    gs_step verify-settings
    declare -A live=()
    while IFS='|' read -r name value; do
        [ -n "$name" ] && live[$name]=$value
    done < <(gs_pg_sql -c "select name, setting from pg_settings where name in ('archive_mode', 'archive_command',
        'wal_level', 'max_wal_senders')")
    bad=()
    case ${live[archive_mode]} in on | always) ;; *) bad+=("archive_mode=${live[archive_mode]}") ;; esac
    case ${live[wal_level]} in replica | logical) ;; *) bad+=("wal_level=${live[wal_level]}") ;; esac
    [ "${live[max_wal_senders]}" -ge "$MAX_WAL_SENDERS" ] || bad+=("max_wal_senders=${live[max_wal_senders]}")
    [ "${live[archive_command]}" = "$ARCHIVE_COMMAND" ] || bad+=("archive_command=${live[archive_command]}")
    if [ ${#bad[@]} != 0 ]; then
        gs_die "PostgreSQL runs with ${bad[*]} (a command-line option of the server overrides" \
            "postgresql.auto.conf? see pg_settings.source)"
    fi
    gs_log "PostgreSQL runs with archive_mode=${live[archive_mode]} wal_level=${live[wal_level]}" \
        "max_wal_senders=${live[max_wal_senders]} archive_command='${live[archive_command]}'"
fi

# ---------------------------------------------------------------------------------------------------------------------
# 7. stanza, check, first full backup
# ---------------------------------------------------------------------------------------------------------------------
gs_step stanza-create
gs_run "create the stanza (nothing happens when it exists and matches)" \
    gs_gaiarest_with "$GS_CONFIG" --log-level-console=info stanza-create

gs_step check
gs_run "check that WAL reaches the repository" gs_gaiarest_with "$GS_CONFIG" --log-level-console=info check

gs_step first-backup
if [ "$FIRST_BACKUP" = 0 ]; then
    gs_log "no first backup (--no-first-backup)"
elif [ "$GS_DRY_RUN" = 0 ] && gs_gaiarest_with "$GS_CONFIG" --output=json info | grep -q '"type":"full"'; then
    gs_log "the repository holds a full backup already: no first backup"
elif [ "$GS_DRY_RUN" = 1 ] && printf '%s' "$GS_REPO_INFO" | grep -q 'full backup:'; then
    gs_log "the repository holds a full backup already: no first backup"
else
    gs_run "take the first full backup" gs_gaiarest_with "$GS_CONFIG" --log-level-console=info --type=full backup
fi

# ---------------------------------------------------------------------------------------------------------------------
# 8. schedule
# ---------------------------------------------------------------------------------------------------------------------
gs_step schedule
if [ "$SCHEDULE" = 0 ]; then
    gs_log "no schedule (--no-schedule)"
else
    g="$GS_GAIAREST --config=$GS_CONFIG --stanza=$GS_STANZA"
    # job WHEN NAME COMMAND: one cron line; flock -n: a job that finds another one running exits 75 (logged)
    job() {
        printf '%s %s flock -n -E 75 %s sh -c '\''%s'\'' >>%s 2>&1 || echo "%s: exit $? (75: skipped, another job held the lock)" >>%s\n' \
            "$1" "$GS_OS_USER" "$LOCK_FILE" "$3" "$GS_LOG_DIR/cron-$2.log" "$2" "$GS_LOG_DIR/cron-$2.log"
    }
    {
        echo "# gaiarest schedule of stanza $GS_STANZA, written by contrib/gaia/setup-primary.sh: run it again to change."
        echo "# Jobs never overlap: each takes $LOCK_FILE with flock -n, and one that finds it taken is skipped."
        echo "SHELL=/bin/sh"
        echo "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        job "$FULL_SCHEDULE" backup-full "$g --type=full backup"
        job "$DIFF_SCHEDULE" backup-diff "$g --type=diff backup"
        job "$CHECK_SCHEDULE" check "$g check"
    } | gs_install_content "$CRONTAB" 0644 root root
fi

gs_step finish
[ "$GS_DRY_RUN" = 1 ] || gs_log "primary set up: stanza $GS_STANZA archives to ${GS_ENV[PGBACKREST_R2_BUCKET]}; see '$GS_GAIAREST" \
    "--config=$GS_CONFIG --stanza=$GS_STANZA info'"
