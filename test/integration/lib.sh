# test/integration/lib.sh: shared helpers for the integration scripts (sourced, bash only).
#
# What a script gets:
#   GAIA_TMP            a per-run directory under ${TMPDIR:-/tmp}, readable by the postgres OS user,
#                       removed (after stopping every cluster started here) when the script exits
#   GAIAREST            the gaiarest binary under test (from the environment; make check sets it)
#   tap_plan N, tap_ok DESC, tap_not_ok DESC, tap_skip DESC REASON, tap_done
#   assert_eq / assert_file_eq / assert_json_eq / assert_status: print what differed and count a failure
#   port_free           print a free TCP port from this script's range
#   pg_start NAME CMD   initdb (checksums on) and start a PostgreSQL 15 cluster with archive_command CMD
#   pg_stop NAME        fast shutdown by the postmaster PID, SIGKILL as a fallback
#   pg_start_restored NAME DIR   start a restored data directory and wait until it is out of recovery
#   pg_sql NAME SQL     run SQL on the cluster (psql, as postgres)
#   run_pgbackrest CONF ARGS... / run_gaiarest CONF ARGS...   run as postgres with --config=CONF
# Any missing prerequisite is a failure (exit 1 after a "Bail out!"), never a skip.

set -u
set -o pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_OS_USER=${PG_OS_USER:-postgres}
GAIAREST=${GAIAREST:-gaiarest}

TAP_COUNT=0
TAP_FAILED=0
TAP_PLANNED=
LIB_CLUSTERS=()

bail_out() {
    echo "Bail out! $*"
    exit 1
}

# ---------------------------------------------------------------------------------------------------------------------
# Prerequisites: all must be present (CI installs them); a missing one fails the run.
# ---------------------------------------------------------------------------------------------------------------------
lib_require() {
    local tool
    for tool in "$PG_BIN/initdb" "$PG_BIN/pg_ctl" "$PG_BIN/postgres" "$PG_BIN/psql" "$PG_BIN/pgbench"; do
        [ -x "$tool" ] || bail_out "missing prerequisite: $tool (install postgresql-15)"
    done
    command -v pgbackrest >/dev/null || bail_out "missing prerequisite: pgbackrest (install pgbackrest)"
    command -v runuser >/dev/null || bail_out "missing prerequisite: runuser (util-linux)"
    command -v jq >/dev/null || bail_out "missing prerequisite: jq"
    command -v python3 >/dev/null || bail_out "missing prerequisite: python3"
    id "$PG_OS_USER" >/dev/null 2>&1 || bail_out "missing prerequisite: OS user $PG_OS_USER"
    [ "$(id -u)" = 0 ] || [ "$(id -un)" = "$PG_OS_USER" ] ||
        bail_out "the integration tests must run as root or as $PG_OS_USER"
}

# Run a command as the postgres OS user (directly when we already are that user).
as_pg() {
    if [ "$(id -un)" = "$PG_OS_USER" ]; then
        "$@"
    else
        runuser -u "$PG_OS_USER" -- "$@"
    fi
}

# ---------------------------------------------------------------------------------------------------------------------
# Temp directory and cleanup
# ---------------------------------------------------------------------------------------------------------------------
lib_cleanup() {
    local rc=$?
    local name
    for name in "${LIB_CLUSTERS[@]}"; do
        pg_stop "$name" >/dev/null 2>&1 || true
    done
    if [ -n "${GAIA_TMP:-}" ] && [ -d "$GAIA_TMP" ] && [ -z "${GAIA_KEEP_TMP:-}" ]; then
        rm -rf "$GAIA_TMP"
    fi
    if [ -n "$TAP_PLANNED" ] && [ "$TAP_COUNT" != "$TAP_PLANNED" ]; then
        echo "# planned $TAP_PLANNED tests but ran $TAP_COUNT"
        [ "$rc" = 0 ] && rc=1
    fi
    [ "$TAP_FAILED" -gt 0 ] && [ "$rc" = 0 ] && rc=1
    exit "$rc"
}

lib_init() {
    lib_require
    GAIA_TMP=$(mktemp -d "${TMPDIR:-/tmp}/gaia-it.XXXXXX") || bail_out "cannot create a temp directory"
    chmod 0755 "$GAIA_TMP"
    [ "$(id -u)" = 0 ] && chown "$PG_OS_USER:" "$GAIA_TMP"
    as_pg test -w "$GAIA_TMP" || bail_out "$GAIA_TMP is not writable by $PG_OS_USER (set TMPDIR to a shared path)"
    trap lib_cleanup EXIT
    trap 'exit 130' INT TERM
    export GAIA_TMP
    lib_install_binary
}

# The postgres OS user runs gaiarest (archive_command, tests), but the build directory may sit where it cannot
# go (a clone under /root): run a copy from the per-run directory instead.
lib_install_binary() {
    local source
    source=$(command -v "$GAIAREST" 2>/dev/null) || return 0
    mkdir -p "$GAIA_TMP/bin"
    install -m 0755 "$source" "$GAIA_TMP/bin/gaiarest" || bail_out "cannot copy $source into $GAIA_TMP/bin"
    GAIAREST="$GAIA_TMP/bin/gaiarest"
    export GAIAREST
}

# ---------------------------------------------------------------------------------------------------------------------
# TAP
# ---------------------------------------------------------------------------------------------------------------------
tap_plan() {
    TAP_PLANNED=$1
    echo "1..$1"
}

tap_ok() {
    TAP_COUNT=$((TAP_COUNT + 1))
    echo "ok $TAP_COUNT - $*"
}

tap_not_ok() {
    TAP_COUNT=$((TAP_COUNT + 1))
    TAP_FAILED=$((TAP_FAILED + 1))
    echo "not ok $TAP_COUNT - $*"
}

tap_diag() {
    sed 's/^/# /'
}

# assert_eq DESC EXPECTED ACTUAL
assert_eq() {
    if [ "$2" == "$3" ]; then
        tap_ok "$1"
    else
        tap_not_ok "$1"
        printf 'expected: %s\n  actual: %s\n' "$2" "$3" | tap_diag
    fi
}

# assert_file_eq DESC EXPECTED_FILE ACTUAL_FILE: line by line, the diff printed on failure
assert_file_eq() {
    local out
    if out=$(diff -u "$2" "$3" 2>&1); then
        tap_ok "$1"
    else
        tap_not_ok "$1"
        printf '%s\n' "$out" | head -80 | tap_diag
    fi
}

# json_canon FILE: the parsed document, keys sorted, one value per line (python keeps 64-bit integers exact,
# which jq does not).
json_canon() {
    python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), indent=1, sort_keys=True))' "$1"
}

# assert_json_eq DESC EXPECTED_FILE ACTUAL_FILE: compare parsed (key order ignored) and byte for byte; both must hold.
assert_json_eq() {
    local out
    if ! json_canon "$2" >"$2.sorted" 2>/dev/null; then
        tap_not_ok "$1"
        echo "expected output is not JSON: $2" | tap_diag
        return
    fi
    if ! json_canon "$3" >"$3.sorted" 2>"$3.jqerr"; then
        tap_not_ok "$1"
        { echo "actual output is not JSON:"; head -c 2000 "$3"; echo; cat "$3.jqerr"; } | tap_diag
        return
    fi
    if ! out=$(diff -u "$2.sorted" "$3.sorted" 2>&1); then
        tap_not_ok "$1"
        printf '%s\n' "$out" | head -80 | tap_diag
    elif ! cmp -s "$2" "$3"; then
        tap_not_ok "$1 (same values, different bytes or key order)"
        cmp "$2" "$3" 2>&1 | tap_diag
    else
        tap_ok "$1"
    fi
}

# assert_status DESC EXPECTED_RC ACTUAL_RC
assert_status() {
    assert_eq "$1" "exit $2" "exit $3"
}

tap_done() {
    [ -z "$TAP_PLANNED" ] && echo "1..$TAP_COUNT" && TAP_PLANNED=$TAP_COUNT
    return 0
}

# ---------------------------------------------------------------------------------------------------------------------
# Ports: each script probes its own range (derived from its PID) inside 20000-29999.
# ---------------------------------------------------------------------------------------------------------------------
LIB_PORT_NEXT=$((20000 + ($$ * 53) % 9900))

port_in_use() {
    if command -v ss >/dev/null; then
        ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
    fi
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    return 1
}

port_free() {
    local tries=0
    while [ $tries -lt 100 ]; do
        local port=$LIB_PORT_NEXT
        LIB_PORT_NEXT=$((port + 1))
        [ $LIB_PORT_NEXT -gt 29999 ] && LIB_PORT_NEXT=20000
        if ! port_in_use "$port"; then
            echo "$port"
            return 0
        fi
        tries=$((tries + 1))
    done
    bail_out "no free TCP port found"
}

# ---------------------------------------------------------------------------------------------------------------------
# PostgreSQL 15 clusters. pg_start NAME ARCHIVE_COMMAND [BASE_DIR]: data in BASE_DIR/NAME (default GAIA_TMP),
# socket in BASE_DIR/NAME-sock; sets PG_PORT_<NAME>, and prints nothing. Accessors: pg_data, pg_port, pg_sock.
# PG_INITDB_OPTS adds initdb options, PG_EXTRA_CONF adds postgresql.conf lines.
# ---------------------------------------------------------------------------------------------------------------------
declare -A LIB_PG_DATA LIB_PG_PORT LIB_PG_SOCK

pg_data() { echo "${LIB_PG_DATA[$1]}"; }
pg_port() { echo "${LIB_PG_PORT[$1]}"; }
pg_sock() { echo "${LIB_PG_SOCK[$1]}"; }

pg_start() {
    local name=$1 archive_command=$2 base=${3:-$GAIA_TMP}
    local data="$base/$name" sock="$base/$name-sock" port
    port=$(port_free)
    as_pg mkdir -p "$sock" || bail_out "cannot create $sock"
    # shellcheck disable=SC2086 # PG_INITDB_OPTS holds extra initdb words, e.g. "--wal-segsize=64"
    as_pg "$PG_BIN/initdb" -k -A trust -U postgres ${PG_INITDB_OPTS:-} -D "$data" >"$base/$name-initdb.log" 2>&1 ||
        { cat "$base/$name-initdb.log" | tap_diag; bail_out "initdb failed for $name"; }
    {
        echo "port = $port"
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$sock'"
        echo "wal_level = replica"
        echo "archive_mode = on"
        echo "archive_command = '${archive_command//\'/\'\'}'"
        echo "max_wal_senders = 3"
        echo "shared_buffers = 32MB"
        echo "fsync = off"
        echo "log_min_messages = warning"
        [ -z "${PG_EXTRA_CONF:-}" ] || printf '%s\n' "$PG_EXTRA_CONF"
    } | as_pg tee -a "$data/postgresql.conf" >/dev/null
    LIB_PG_DATA[$name]=$data
    LIB_PG_PORT[$name]=$port
    LIB_PG_SOCK[$name]=$sock
    LIB_CLUSTERS+=("$name")
    as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$base/$name.log" -w -t 60 start >/dev/null 2>&1 ||
        { tail -20 "$base/$name.log" | tap_diag; bail_out "cannot start cluster $name"; }
}

pg_stop() {
    local name=$1 data=${LIB_PG_DATA[$1]:-} pid
    [ -n "$data" ] && [ -f "$data/postmaster.pid" ] || return 0
    pid=$(head -1 "$data/postmaster.pid")
    as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 && return 0
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    return 0
}

# pg_start_restored NAME DIR: start a restored data directory as cluster NAME on its own port and socket, archiving
# off, and wait until it accepts connections and has left recovery (a standby, STANDBY=1: only until it runs).
# Returns 1 (the end of its log shown) when it does not get there.
pg_start_restored() {
    local name=$1 dir=$2 port sock="$GAIA_TMP/$1-sock" i
    port=$(port_free)
    as_pg mkdir -p "$sock"
    printf "port = %s\nunix_socket_directories = '%s'\narchive_mode = off\n" "$port" "$sock" |
        as_pg tee -a "$dir/postgresql.conf" >/dev/null
    LIB_PG_DATA[$name]=$dir
    LIB_PG_PORT[$name]=$port
    LIB_PG_SOCK[$name]=$sock
    LIB_CLUSTERS+=("$name")
    if ! as_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$GAIA_TMP/$name.log" -w -t 120 start >/dev/null 2>&1; then
        tail -20 "$GAIA_TMP/$name.log" | tap_diag
        return 1
    fi
    [ "${STANDBY:-0}" = 1 ] && return 0
    for i in $(seq 1 300); do
        [ "$(pg_sql "$name" "select pg_is_in_recovery()" 2>/dev/null)" = f ] && return 0
        sleep 0.2
    done
    tail -20 "$GAIA_TMP/$name.log" | tap_diag
    return 1
}

pg_sql() {
    as_pg "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "${LIB_PG_SOCK[$1]}" -p "${LIB_PG_PORT[$1]}" \
        -U postgres -d postgres -c "$2"
}

# pg_table_state CLUSTER TABLE...: one line per table, "table count md5", the md5 over the sorted text of every row:
# equal states mean equal contents (the backup/restore tests compare a source and a restored cluster with it)
pg_table_state() {
    local cluster=$1 table sql=""
    shift
    for table in "$@"; do
        [ -n "$sql" ] && sql="$sql union all "
        sql="${sql}select '$table '||count(*)||' '||coalesce(md5(string_agg(t::text, ',' order by t::text)), '-') from $table t"
    done
    pg_sql "$cluster" "$sql"
}

# run_concurrently COUNT LOG_PREFIX COMMAND...: COUNT copies of COMMAND started at once, the output of copy i in
# LOG_PREFIX.i.log; sets CONCURRENT_FAILED to how many exited non-zero, and prints the start of their logs as
# diagnostics when any did
run_concurrently() {
    local count=$1 prefix=$2 i pid pids=()
    shift 2
    for i in $(seq 1 "$count"); do
        "$@" >"$prefix.$i.log" 2>&1 &
        pids+=($!)
    done
    CONCURRENT_FAILED=0
    for pid in "${pids[@]}"; do wait "$pid" || CONCURRENT_FAILED=$((CONCURRENT_FAILED + 1)); done
    [ "$CONCURRENT_FAILED" = 0 ] || cat "$prefix".*.log | head -20 | tap_diag
}

pg_bench() {
    local name=$1
    shift
    as_pg "$PG_BIN/pgbench" -h "${LIB_PG_SOCK[$name]}" -p "${LIB_PG_PORT[$name]}" -U postgres "$@" postgres
}

# ---------------------------------------------------------------------------------------------------------------------
# The two programs, as postgres, with a config file. Output goes to stdout/stderr as the program writes it.
# ---------------------------------------------------------------------------------------------------------------------
run_pgbackrest() {
    local conf=$1
    shift
    as_pg env TZ="${TZ:-UTC}" pgbackrest --config="$conf" "$@"
}

run_gaiarest() {
    local conf=$1
    shift
    [ -x "$GAIAREST" ] || command -v "$GAIAREST" >/dev/null || bail_out "gaiarest binary not found: $GAIAREST"
    as_pg env TZ="${TZ:-UTC}" "$GAIAREST" --config="$conf" "$@"
}
