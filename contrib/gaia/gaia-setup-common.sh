# shellcheck shell=bash
# contrib/gaia/gaia-setup-common.sh: what setup-primary.sh and setup-replica.sh share (sourced, bash only).
#
#   gs_parse_common_option ARG      one of the options both scripts take (returns 1 when ARG is not one of them)
#   gs_load_env                     read the Gaia variables from --env-file and the process environment
#   gs_validate_env ROLE            check them; every problem is printed, then exit 2 (nothing has been changed)
#   gs_step NAME                    start a named step (a failure after it names it and exits non-zero)
#   gs_run DESC CMD...              run a command that changes something (only printed under --dry-run)
#   gs_as_os CMD...                 run a command as the PostgreSQL OS user
#   gs_install_content FILE MODE OWNER GROUP   replace FILE by stdin when it differs (backup kept, diff printed)
#   gs_conf_render ROLE             the gaiarest configuration (pgbackrest.conf format) on stdout
#   gs_pg_sql SQL / gs_pg_ctl start|stop|restart|status   the cluster

# The last command of a pipeline runs in this shell (gs_conf_render | gs_install_content keeps its state).
shopt -s lastpipe

GS_PROG=$(basename "$0")
GS_DRY_RUN=0
GS_STEP=""
GS_STAMP=$(date -u +%Y%m%dT%H%M%SZ)
GS_TMP_FILES=()
GS_TEE_PID=""

# Settings (options override the defaults; the Gaia variables come from the .env file and the environment).
GS_ENV_FILE=${GAIA_ENV_FILE:-}
GS_CONFIG=${GAIA_PGBACKREST_CONFIG:-/etc/pgbackrest/pgbackrest.conf}
GS_GAIAREST=${GAIAREST:-}
GS_OS_USER=${GAIA_PG_OS_USER:-postgres}
GS_LOG_DIR=${GAIA_LOG_DIR:-/var/log/gaia-pgbackrest}
GS_PG_CTL=""
GS_PG_CTL_OPTIONS=""
GS_PG_LOG=""
GS_SERVICE=""
GS_PGDATA_OPTION=""
GS_SOCKET=${GAIA_PG_SOCKET_PATH:-/var/run/postgresql}
GS_REPO_PATH=""
GS_TIMEOUT=${GAIA_PG_TIMEOUT:-300}
GS_EXTRA_OPTIONS=()

# The Gaia variables and their values once loaded.
GS_VARS=(PGBACKREST_STANZA_NAME PGBACKREST_R2_BUCKET PGBACKREST_R2_ENDPOINT PGBACKREST_R2_ACCESS_KEY_ID
    PGBACKREST_R2_SECRET_ACCESS_KEY PGBACKREST_R2_REGION PGBACKREST_PGDATA PGBACKREST_PGPORT PGBACKREST_PGUSER
    IS_SOURCE_VALIDATOR_FOR_DB_SYNC DB_SYNC_ENABLED)
declare -A GS_ENV=()

# shellcheck disable=SC2034 # used by the scripts' usage()
GS_COMMON_HELP="Options both scripts take:
  --env-file=FILE        the validator's .env file (default: \$GAIA_ENV_FILE, else ./.env when it exists);
                         variables of the process environment override the file
  --config=FILE          the gaiarest configuration to write (default: /etc/pgbackrest/pgbackrest.conf, the
                         file gaiarest reads when no --config is given)
  --gaiarest=PATH        the gaiarest binary (default: the one on PATH)
  --os-user=NAME         OS user that owns the data directory and runs gaiarest (default: postgres)
  --log-dir=DIR          where this script, gaiarest and the scheduled jobs log (default: /var/log/gaia-pgbackrest)
  --pgdata=DIR           the data directory (default: PGBACKREST_PGDATA)
  --pg-socket-path=DIR   directory of PostgreSQL's Unix socket (default: /var/run/postgresql)
  --repo-path=PATH       repo1-path, the prefix of the repository inside the bucket (default: the one of the
                         existing --config file, else gaiarest's, /var/lib/pgbackrest); every node sharing the
                         bucket must use the same
  --option=KEY=VALUE     one more gaiarest option for [global] of the configuration (repeatable; replaces a
                         generated one of the same name), e.g. --option=repo1-storage-port=9000
  --pg-ctl=PATH          control PostgreSQL with this pg_ctl on the data directory, without systemd
  --pg-ctl-options=OPTS  options for the postmaster when started with --pg-ctl (pg_ctl -o)
  --pg-log=FILE          server log file when started with --pg-ctl (default: LOG_DIR/postgresql.log)
  --service=UNIT         control PostgreSQL with systemctl on this unit (default: pg_ctlcluster for the Debian
                         cluster of the data directory, else the unit postgresql)
  --timeout=SECONDS      how long to wait for PostgreSQL to start or stop (default: 300)
  --dry-run              print every change (files with a diff, SQL, commands) and make none
  --help                 this text"

# ---------------------------------------------------------------------------------------------------------------------
# Messages, steps, exit
# ---------------------------------------------------------------------------------------------------------------------
gs_log() {
    printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$GS_PROG" "$*"
}

# gs_join WORD...: the words as one line (long messages are written over several source lines)
gs_join() {
    printf '%s' "$*"
}

gs_warn() {
    printf '%s: WARNING: %s\n' "$GS_PROG" "$*" >&2
}

gs_die() {
    printf '%s: ERROR: %s\n' "$GS_PROG" "$*" >&2
    exit 1
}

gs_usage_error() {
    printf '%s: %s (see --help)\n' "$GS_PROG" "$*" >&2
    exit 2
}

gs_step() {
    GS_STEP=$1
    gs_log "step: $1"
}

gs_on_exit() {
    local rc=$?
    local file
    for file in "${GS_TMP_FILES[@]}"; do
        rm -f "$file"
    done
    if [ "$rc" != 0 ] && [ -n "$GS_STEP" ]; then
        printf '%s: FAILED at step "%s" (exit %s)\n' "$GS_PROG" "$GS_STEP" "$rc" >&2
    elif [ "$rc" = 0 ] && [ "$GS_DRY_RUN" = 1 ]; then
        printf '%s: dry run: nothing was changed\n' "$GS_PROG"
    fi
    if [ -n "$GS_TEE_PID" ]; then
        exec >&- 2>&-
        wait "$GS_TEE_PID" 2>/dev/null || true
    fi
    exit "$rc"
}

gs_init() {
    trap gs_on_exit EXIT
    trap 'exit 130' INT TERM
}

# Copy everything printed from now on into LOG_DIR/<script>.log (not under --dry-run, which creates nothing).
gs_log_to_dir() {
    [ "$GS_DRY_RUN" = 1 ] && return 0
    local file
    file="$GS_LOG_DIR/${GS_PROG%.sh}.log"
    exec > >(tee -a "$file") 2>&1
    GS_TEE_PID=$!
    gs_log "log: $file (run $GS_STAMP)"
}

# gs_quote WORD...: the words as one shell-quoted line (for printing commands).
gs_quote() {
    local out="" word
    for word in "$@"; do
        out+="${out:+ }$(printf '%q' "$word")"
    done
    printf '%s' "$out"
}

# gs_shown CMD...: the command as an operator would type it (the helper functions spelled out).
gs_shown() {
    case $1 in
        gs_as_os) shift; gs_quote runuser -u "$GS_OS_USER" -- "$@" ;;
        gs_gaiarest_with)
            local conf=$2
            shift 2
            gs_quote runuser -u "$GS_OS_USER" -- "$GS_GAIAREST" --config="$conf" --stanza="$GS_STANZA" "$@"
            ;;
        *) gs_quote "$@" ;;
    esac
}

# gs_run DESC CMD...: run a command that changes the system; under --dry-run only print it.
gs_run() {
    local desc=$1
    shift
    if [ "$GS_DRY_RUN" = 1 ]; then
        gs_log "[dry-run] would $desc: $(gs_shown "$@")"
        return 0
    fi
    gs_log "$desc: $(gs_shown "$@")"
    "$@"
}

gs_as_os() {
    if [ "$(id -un)" = "$GS_OS_USER" ]; then
        "$@"
    else
        runuser -u "$GS_OS_USER" -- "$@"
    fi
}

# gs_tmp_file VAR: a new private temporary file (removed at exit) named in VAR.
gs_tmp_file() {
    local file
    file=$(mktemp "${TMPDIR:-/tmp}/gaia-setup.XXXXXX")
    GS_TMP_FILES+=("$file")
    printf -v "$1" '%s' "$file"
}

# ---------------------------------------------------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------------------------------------------------
# gs_parse_common_option ARG: 0 when ARG was one of the common options (and was applied).
gs_parse_common_option() {
    case $1 in
        --env-file=*) GS_ENV_FILE=${1#*=} ;;
        --config=*) GS_CONFIG=${1#*=} ;;
        --gaiarest=*) GS_GAIAREST=${1#*=} ;;
        --os-user=*) GS_OS_USER=${1#*=} ;;
        --log-dir=*) GS_LOG_DIR=${1#*=} ;;
        --pgdata=*) GS_PGDATA_OPTION=${1#*=} ;;
        --pg-socket-path=*) GS_SOCKET=${1#*=} ;;
        --repo-path=*) GS_REPO_PATH=${1#*=} ;;
        --option=*) GS_EXTRA_OPTIONS+=("${1#*=}") ;;
        --pg-ctl=*) GS_PG_CTL=${1#*=} ;;
        --pg-ctl-options=*) GS_PG_CTL_OPTIONS=${1#*=} ;;
        --pg-log=*) GS_PG_LOG=${1#*=} ;;
        --service=*) GS_SERVICE=${1#*=} ;;
        --timeout=*) GS_TIMEOUT=${1#*=} ;;
        --dry-run) GS_DRY_RUN=1 ;;
        *) return 1 ;;
    esac
    return 0
}

# ---------------------------------------------------------------------------------------------------------------------
# The .env file: [export ]KEY=VALUE lines, VALUE optionally in single or double quotes, '#' comments; read as data,
# never sourced (gaiarest's --env-file reads it the same way).
# ---------------------------------------------------------------------------------------------------------------------
gs_env_line() {
    local line=$1 name value
    line=${line#"${line%%[![:space:]]*}"}
    case $line in '' | '#'*) return 0 ;; esac
    line=${line#export }
    line=${line#"${line%%[![:space:]]*}"}
    case $line in *=*) ;; *) return 0 ;; esac
    name=${line%%=*}
    name=${name%"${name##*[![:space:]]}"}
    value=${line#*=}
    value=${value#"${value%%[![:space:]]*}"}
    case $value in
        \"*) value=${value#\"}; value=${value%%\"*} ;;
        \'*) value=${value#\'}; value=${value%%\'*} ;;
        *)
            value=${value%% #*}
            value=${value%"${value##*[![:space:]]}"}
            ;;
    esac
    printf '%s\n%s\n' "$name" "$value"
}

gs_load_env() {
    local var line name value
    if [ -z "$GS_ENV_FILE" ] && [ -f ./.env ]; then
        GS_ENV_FILE=./.env
    fi
    if [ -n "$GS_ENV_FILE" ]; then
        if [ ! -f "$GS_ENV_FILE" ] || [ ! -r "$GS_ENV_FILE" ]; then
            gs_usage_error "cannot read the .env file '$GS_ENV_FILE'"
        fi
        while IFS= read -r line || [ -n "$line" ]; do
            line=${line%$'\r'}
            { IFS= read -r name && IFS= read -r value; } < <(gs_env_line "$line") || continue
            for var in "${GS_VARS[@]}"; do
                [ "$name" = "$var" ] && GS_ENV[$var]=$value
            done
        done <"$GS_ENV_FILE"
    fi
    for var in "${GS_VARS[@]}"; do
        if [ -n "${!var+set}" ]; then
            GS_ENV[$var]=${!var}
        fi
    done
    [ -z "$GS_PGDATA_OPTION" ] || GS_ENV[PGBACKREST_PGDATA]=$GS_PGDATA_OPTION
    : "${GS_ENV[PGBACKREST_PGPORT]:=5432}"
    : "${GS_ENV[PGBACKREST_PGUSER]:=postgres}"
    : "${GS_ENV[PGBACKREST_R2_REGION]:=auto}"
    return 0
}

# gs_bool NAME: print true/false for a True/False-like value; empty when unset; "bad" when malformed.
gs_bool() {
    local value=${GS_ENV[$1]:-}
    case ${value,,} in
        '') printf '' ;;
        true | yes | y | on | 1) printf 'true' ;;
        false | no | n | off | 0) printf 'false' ;;
        *) printf 'bad' ;;
    esac
}

# The endpoint as gaiarest maps it: https:// and trailing slashes removed.
gs_endpoint_host() {
    local value=${GS_ENV[PGBACKREST_R2_ENDPOINT]:-}
    value=${value#https://}
    while [ "${value%/}" != "$value" ]; do value=${value%/}; done
    printf '%s' "$value"
}

# gs_validate_env ROLE (primary|replica): add every problem found to GS_PROBLEMS (gs_problems_check reports them).
GS_PROBLEMS=()
gs_validate_env() {
    local role=$1 var value option key
    for var in PGBACKREST_STANZA_NAME PGBACKREST_R2_BUCKET PGBACKREST_R2_ENDPOINT PGBACKREST_R2_ACCESS_KEY_ID \
        PGBACKREST_R2_SECRET_ACCESS_KEY PGBACKREST_PGDATA; do
        [ -n "${GS_ENV[$var]:-}" ] || GS_PROBLEMS+=("$var is not set (in ${GS_ENV_FILE:-the environment})")
    done
    value=${GS_ENV[PGBACKREST_STANZA_NAME]:-}
    if [ -n "$value" ] && ! [[ $value =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]]; then
        GS_PROBLEMS+=("PGBACKREST_STANZA_NAME='$value' is malformed: letters, digits, '_', '.' and '-' only")
    fi
    value=${GS_ENV[PGBACKREST_R2_BUCKET]:-}
    if [ -n "$value" ] && ! [[ $value =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]]; then
        GS_PROBLEMS+=("PGBACKREST_R2_BUCKET='$value' is malformed: 3-63 lower-case letters, digits, '.' and '-'")
    fi
    value=${GS_ENV[PGBACKREST_R2_ENDPOINT]:-}
    if [ -n "$value" ]; then
        local host
        host=$(gs_endpoint_host)
        if [[ $value == http://* ]]; then
            GS_PROBLEMS+=("PGBACKREST_R2_ENDPOINT='$value' is malformed: R2 is reached over https:// only")
        elif [[ $host == */* ]]; then
            GS_PROBLEMS+=("$(gs_join "PGBACKREST_R2_ENDPOINT='$value' is malformed: the account endpoint only" \
                "(<account>.r2.cloudflarestorage.com), no path; the bucket goes in PGBACKREST_R2_BUCKET")")
        elif ! [[ $host =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]]; then
            GS_PROBLEMS+=("$(gs_join "PGBACKREST_R2_ENDPOINT='$value' is malformed: a host name (with or without https://)" \
                "expected; a port goes in --option=repo1-storage-port=PORT")")
        fi
    fi
    for var in PGBACKREST_R2_ACCESS_KEY_ID PGBACKREST_R2_SECRET_ACCESS_KEY PGBACKREST_R2_REGION; do
        value=${GS_ENV[$var]:-}
        if [[ $value =~ [[:space:]\'\"] ]]; then
            GS_PROBLEMS+=("$var is malformed: it contains spaces or quotes (check the .env line)")
        fi
    done
    value=${GS_ENV[PGBACKREST_PGDATA]:-}
    if [ -n "$value" ]; then
        if [[ $value != /* ]] || [[ $value =~ [[:space:]\'\"%] ]]; then
            GS_PROBLEMS+=("PGBACKREST_PGDATA='$value' is malformed: an absolute path without spaces, quotes or '%'")
        elif [ "$role" = primary ] && [ ! -f "$value/PG_VERSION" ]; then
            GS_PROBLEMS+=("PGBACKREST_PGDATA='$value' is not a PostgreSQL data directory (no PG_VERSION)")
        fi
    fi
    value=${GS_ENV[PGBACKREST_PGPORT]}
    if ! [[ $value =~ ^[0-9]{1,5}$ ]] || [ "$value" -lt 1 ] || [ "$value" -gt 65535 ]; then
        GS_PROBLEMS+=("PGBACKREST_PGPORT='$value' is malformed: a TCP port number (1-65535)")
    fi
    value=${GS_ENV[PGBACKREST_PGUSER]}
    if ! [[ $value =~ ^[A-Za-z_][A-Za-z0-9_$-]*$ ]]; then
        GS_PROBLEMS+=("PGBACKREST_PGUSER='$value' is malformed: a PostgreSQL role name")
    fi
    for var in IS_SOURCE_VALIDATOR_FOR_DB_SYNC DB_SYNC_ENABLED; do
        if [ "$(gs_bool "$var")" = bad ]; then
            GS_PROBLEMS+=("$var='${GS_ENV[$var]}' is malformed: True or False")
        fi
    done
    for option in "${GS_EXTRA_OPTIONS[@]}"; do
        key=${option%%=*}
        if [[ $option != *=* ]] || ! [[ $key =~ ^[a-z0-9-]+$ ]] || [[ $option == *$'\n'* ]]; then
            GS_PROBLEMS+=("--option='$option' is malformed: KEY=VALUE with a gaiarest option name")
        fi
    done
    if [ -n "$GS_REPO_PATH" ] && [[ $GS_REPO_PATH != /* ]]; then
        GS_PROBLEMS+=("--repo-path='$GS_REPO_PATH' is malformed: it starts with /")
    fi
    if ! [[ $GS_TIMEOUT =~ ^[0-9]+$ ]]; then
        GS_PROBLEMS+=("--timeout='$GS_TIMEOUT' is malformed: seconds")
    fi
    for value in "$GS_CONFIG" "$GS_LOG_DIR" "$GS_SOCKET"; do
        if [[ $value != /* ]] || [[ $value =~ [[:space:]\'\"%] ]]; then
            GS_PROBLEMS+=("'$value' is not an absolute path without spaces, quotes or '%'")
        fi
    done
    if [ -z "$GS_GAIAREST" ]; then
        GS_GAIAREST=$(command -v gaiarest || true)
    fi
    if [ -z "$GS_GAIAREST" ] || [ ! -x "$GS_GAIAREST" ]; then
        GS_PROBLEMS+=("gaiarest not found (install it, or give --gaiarest=PATH)")
    else
        GS_GAIAREST=$(readlink -f "$GS_GAIAREST")
        [[ $GS_GAIAREST =~ [[:space:]\'\"%] ]] && GS_PROBLEMS+=("the gaiarest path '$GS_GAIAREST' has spaces or quotes")
    fi
    id "$GS_OS_USER" >/dev/null 2>&1 || GS_PROBLEMS+=("OS user '$GS_OS_USER' does not exist (--os-user)")
    if [ -n "$GS_PG_CTL" ] && [ ! -x "$GS_PG_CTL" ]; then
        GS_PROBLEMS+=("--pg-ctl='$GS_PG_CTL' is not an executable")
    fi
    if [ "$role" = primary ] || [ "$role" = replica ]; then
        local tool
        for tool in psql runuser flock; do
            command -v "$tool" >/dev/null || GS_PROBLEMS+=("missing tool: $tool")
        done
    fi
    # An existing configuration's repository path is kept (a bucket filled by the earlier setup is continued).
    if [ -z "$GS_REPO_PATH" ] && [ -f "$GS_CONFIG" ]; then
        GS_REPO_PATH=$(sed -n 's/^[[:space:]]*repo1-path[[:space:]]*=[[:space:]]*//p' "$GS_CONFIG" | tail -n 1)
        [ -z "$GS_REPO_PATH" ] || gs_log "repo1-path=$GS_REPO_PATH kept from $GS_CONFIG (--repo-path changes it)"
    fi
    GS_STANZA=${GS_ENV[PGBACKREST_STANZA_NAME]}
    GS_PGDATA=${GS_ENV[PGBACKREST_PGDATA]}
    GS_PGPORT=${GS_ENV[PGBACKREST_PGPORT]}
    GS_PGUSER=${GS_ENV[PGBACKREST_PGUSER]}
    GS_OS_GROUP=$(id -gn "$GS_OS_USER" 2>/dev/null || true)
    [ -n "$GS_PG_LOG" ] || GS_PG_LOG="$GS_LOG_DIR/postgresql.log"
}

# gs_problems_check: print every problem in GS_PROBLEMS and exit 2 (nothing has been changed yet); none: return.
gs_problems_check() {
    local problem
    [ ${#GS_PROBLEMS[@]} -gt 0 ] || return 0
    for problem in "${GS_PROBLEMS[@]}"; do
        printf '%s: ERROR: %s\n' "$GS_PROG" "$problem" >&2
    done
    printf '%s: nothing was changed\n' "$GS_PROG" >&2
    exit 2
}

# ---------------------------------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------------------------------
# Secrets never reach the terminal or the log.
gs_redact() {
    sed -E 's/^([+ -]?[[:space:]]*repo[0-9]*-(s3-key|s3-key-secret|s3-token|cipher-pass)[[:space:]]*=).*/\1<redacted>/'
}

# gs_install_content FILE MODE OWNER GROUP < content: replace FILE when its content differs (an existing file is
# first copied to FILE.gaia-backup-<stamp>); also fix mode and owner. Prints what it does (a diff under --dry-run).
gs_install_content() {
    local file=$1 mode=$2 owner=$3 group=$4 new dir
    gs_tmp_file new
    cat >"$new"
    if [ -f "$file" ] && cmp -s "$file" "$new"; then
        if [ "$(stat -c '%a %U %G' "$file")" = "${mode#0} $owner $group" ]; then
            gs_log "unchanged: $file"
        else
            gs_run "set the mode of $file" chmod "$mode" "$file"
            gs_run "set the owner of $file" chown "$owner:$group" "$file"
        fi
        return 0
    fi
    if [ "$GS_DRY_RUN" = 1 ]; then
        if [ -f "$file" ]; then
            gs_log "[dry-run] would replace $file (a copy kept as $file.gaia-backup-$GS_STAMP):"
            diff -u "$file" "$new" | tail -n +3 | gs_redact || true
        else
            gs_log "[dry-run] would create $file (mode $mode, $owner:$group):"
            gs_redact <"$new" | sed 's/^/+/'
        fi
        return 0
    fi
    dir=$(dirname "$file")
    [ -d "$dir" ] || gs_run "create directory" install -d -m 0755 "$dir"
    if [ -f "$file" ]; then
        gs_run "keep a copy of $file" cp -p "$file" "$file.gaia-backup-$GS_STAMP"
        diff -u "$file" "$new" | tail -n +3 | gs_redact || true
    fi
    install -m "$mode" -o "$owner" -g "$group" "$new" "$file.gaia-new"
    mv -f "$file.gaia-new" "$file"
    gs_log "wrote $file"
}

# The gaiarest configuration for this node (ROLE: primary or replica), in pgbackrest.conf format.
gs_conf_render() {
    local role=$1 line key option i
    local global=(
        "repo1-type=s3"
        "repo1-s3-bucket=${GS_ENV[PGBACKREST_R2_BUCKET]}"
        "repo1-s3-endpoint=$(gs_endpoint_host)"
        "repo1-s3-region=${GS_ENV[PGBACKREST_R2_REGION]}"
        "repo1-s3-key=${GS_ENV[PGBACKREST_R2_ACCESS_KEY_ID]}"
        "repo1-s3-key-secret=${GS_ENV[PGBACKREST_R2_SECRET_ACCESS_KEY]}"
    )
    [ -z "$GS_REPO_PATH" ] || global+=("repo1-path=$GS_REPO_PATH")
    [ "$role" != primary ] || global+=("repo1-retention-full=${GS_RETENTION_FULL:-2}")
    global+=("log-path=$GS_LOG_DIR" "start-fast=y")
    for option in "${GS_EXTRA_OPTIONS[@]}"; do
        key=${option%%=*}
        for i in "${!global[@]}"; do
            if [ "${global[$i]%%=*}" = "$key" ]; then
                global[i]=$option
                continue 2
            fi
        done
        global+=("$option")
    done
    echo "# gaiarest configuration for validator stanza '$GS_STANZA', written by contrib/gaia/$GS_PROG from the"
    echo "# validator's .env; running the script again replaces it (the previous file is kept as .gaia-backup-*)."
    echo "[global]"
    for line in "${global[@]}"; do
        echo "$line"
    done
    echo
    echo "[$GS_STANZA]"
    echo "pg1-path=$GS_PGDATA"
    echo "pg1-port=$GS_PGPORT"
    echo "pg1-user=$GS_PGUSER"
    echo "pg1-socket-path=$GS_SOCKET"
}

# Write the configuration (readable by the OS user only: it holds the R2 secret).
gs_write_config() {
    gs_conf_render "$1" | gs_install_content "$GS_CONFIG" 0640 root "$GS_OS_GROUP"
}

# gs_log_dir: the directory where gaiarest (as the OS user) and this script write.
gs_make_log_dir() {
    if [ -d "$GS_LOG_DIR" ] && [ "$(stat -c '%U' "$GS_LOG_DIR")" = "$GS_OS_USER" ]; then
        return 0
    fi
    gs_run "create the log directory" install -d -m 0750 -o "$GS_OS_USER" -g "$GS_OS_GROUP" "$GS_LOG_DIR"
}

# gs_gaiarest_with CONF ARGS...: run gaiarest as the OS user with a configuration and the stanza.
gs_gaiarest_with() {
    local conf=$1
    shift
    gs_as_os "$GS_GAIAREST" --config="$conf" --stanza="$GS_STANZA" "$@"
}

# gs_preflight_repo ROLE: the repository answers with the settings about to be written (read-only: info), before
# any change. Sets GS_REPO_INFO to info's text output. The configuration goes through a private temporary file.
gs_preflight_repo() {
    local conf out rc=0
    gs_tmp_file conf
    gs_conf_render "$1" >"$conf"
    chown "$GS_OS_USER" "$conf"
    chmod 0600 "$conf"
    out=$(gs_gaiarest_with "$conf" --log-level-file=off --log-level-console=warn info 2>&1) || rc=$?
    if [ $rc != 0 ]; then
        printf '%s\n' "$out" | gs_redact >&2
        gs_die "the repository cannot be read with these settings (gaiarest info exit $rc): check" \
            "PGBACKREST_R2_ENDPOINT, PGBACKREST_R2_BUCKET and the R2 key (doc/user-guide.md, Troubleshooting)"
    fi
    # shellcheck disable=SC2034 # read by the scripts
    GS_REPO_INFO=$out
}

# ---------------------------------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------------------------------
gs_pg_sql() {
    gs_as_os psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$GS_SOCKET" -p "$GS_PGPORT" -U "$GS_PGUSER" -d postgres "$@"
}

gs_pg_reachable() {
    gs_pg_sql -c "select 1" >/dev/null 2>&1
}

# How PostgreSQL is controlled: pg_ctl (--pg-ctl), systemctl (--service), or Debian's pg_ctlcluster.
gs_pg_mode() {
    if [ -n "$GS_PG_CTL" ]; then
        echo pg_ctl
    elif [ -n "$GS_SERVICE" ]; then
        echo systemctl
    elif command -v pg_lsclusters >/dev/null && [ -n "$(gs_debian_cluster)" ]; then
        echo pg_ctlcluster
    else
        echo systemctl
    fi
}

# "VERSION NAME" of the Debian cluster whose data directory is PGDATA (empty when none).
gs_debian_cluster() {
    pg_lsclusters -h 2>/dev/null | awk -v d="$GS_PGDATA" '$6 == d { print $1, $2; exit }'
}

# gs_pg_ctl start|start-nowait|stop|restart|status (start-nowait: pg_ctl does not wait for connections, the
# caller does; the other control tools wait as they do)
gs_pg_ctl() {
    local action=$1 mode cluster
    mode=$(gs_pg_mode)
    [ "$mode" = pg_ctl ] || [ "$action" != start-nowait ] || action=start
    case $mode in
        pg_ctl)
            local args=(-D "$GS_PGDATA" -w -t "$GS_TIMEOUT")
            case $action in
                status) gs_as_os "$GS_PG_CTL" -D "$GS_PGDATA" status >/dev/null 2>&1; return ;;
                stop) args+=(-m fast) ;;
                start | start-nowait | restart)
                    args+=(-l "$GS_PG_LOG")
                    [ "$action" != restart ] || args+=(-m fast)
                    [ "$action" != start-nowait ] || args=(-D "$GS_PGDATA" -W -l "$GS_PG_LOG")
                    [ -z "$GS_PG_CTL_OPTIONS" ] || args+=(-o "$GS_PG_CTL_OPTIONS")
                    ;;
            esac
            gs_run "${action%-nowait} PostgreSQL" gs_as_os "$GS_PG_CTL" "${args[@]}" "${action%-nowait}"
            ;;
        pg_ctlcluster)
            cluster=$(gs_debian_cluster)
            # shellcheck disable=SC2086 # "VERSION NAME"
            if [ "$action" = status ]; then
                pg_ctlcluster $cluster status >/dev/null 2>&1
                return
            fi
            # shellcheck disable=SC2086
            gs_run "$action PostgreSQL" pg_ctlcluster $cluster "$action"
            ;;
        systemctl)
            local unit=${GS_SERVICE:-postgresql}
            if [ "$action" = status ]; then
                gs_pg_reachable
                return
            fi
            gs_run "$action PostgreSQL" systemctl "$action" "$unit"
            ;;
    esac
}

# gs_pg_wait_up: wait until the cluster accepts connections (the control tools wait too; systemd may not).
gs_pg_wait_up() {
    local waited=0
    until gs_pg_reachable; do
        [ "$waited" -lt "$GS_TIMEOUT" ] || gs_die "PostgreSQL does not accept connections on $GS_SOCKET port" \
            "$GS_PGPORT after ${GS_TIMEOUT}s"
        sleep 1
        waited=$((waited + 1))
    done
}
