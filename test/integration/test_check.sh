#!/usr/bin/env bash
# gaiarest check on a real PostgreSQL 15 cluster archiving with stock pgBackRest: success with stock's log lines,
# then archive_mode=off (087), an archive_command that does not call pgbackrest (068) and one that fails (082).
. "$(dirname "$0")/lib.sh"
lib_init
tap_plan 14

STANZA=demo
REPO=$GAIA_TMP/repo
CONF=$GAIA_TMP/pgbackrest.conf
PUSH="pgbackrest --config=$CONF --stanza=$STANZA archive-push %p"

as_pg mkdir -p "$GAIA_TMP/log" "$GAIA_TMP/lock"
pg_start a "$PUSH"
cat >"$CONF" <<EOC
[global]
repo1-path=$REPO
lock-path=$GAIA_TMP/lock
log-path=$GAIA_TMP/log
log-level-console=warn
log-level-file=off
[$STANZA]
pg1-path=$(pg_data a)
pg1-port=$(pg_port a)
pg1-socket-path=$(pg_sock a)
EOC
chmod 0644 "$CONF"

# set_archive SETTING VALUE: change a setting of cluster a (restart for archive_mode)
set_archive() {
    pg_sql a "alter system set $1 = '$2'" >/dev/null
    if [ "$1" = archive_mode ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$(pg_data a)" -w -t 60 -m fast restart >/dev/null 2>&1 || bail_out "restart failed"
    else
        pg_sql a "select pg_reload_conf()" >/dev/null
    fi
}

run_gaiarest "$CONF" --stanza=$STANZA stanza-create >/dev/null 2>&1
assert_status "gaiarest stanza-create" 0 $?

out=$(run_gaiarest "$CONF" --stanza=$STANZA --log-level-console=info check 2>&1)
rc=$?
assert_status "check succeeds while stock archive-push archives" 0 $rc
[ $rc = 0 ] || tap_diag <<<"$out"
assert_eq "check logs the configuration check" "1" "$(grep -c 'INFO: check repo1 configuration (primary)' <<<"$out")"
line=$(grep 'successfully archived to' <<<"$out")
stored=$(sed -n "s/.*successfully archived to '\([^']*\)' on repo1\$/\1/p" <<<"$line")
assert_eq "the segment it names is in the repository" "yes" "$([ -n "$stored" ] && [ -f "$stored" ] && echo yes || echo no)"
segment=$(sed -n 's/.*WAL segment \([0-9A-F]\{24\}\) successfully.*/\1/p' <<<"$line")
assert_eq "the log line is stock's" "INFO: WAL segment $segment successfully archived to '$REPO/archive/$STANZA/15-1/${segment:0:16}/$(basename "$stored")' on repo1" \
    "$(sed 's/^.* P00   //' <<<"$line")"

run_pgbackrest "$CONF" --stanza=$STANZA check >/dev/null 2>&1
assert_status "stock check agrees" 0 $?

set_archive archive_command "/bin/false"
out=$(run_gaiarest "$CONF" --stanza=$STANZA check 2>&1)
assert_status "archive_command without pgbackrest: ArchiveCommandInvalidError" 68 $?
assert_eq "with stock's message" "ERROR: [068]: archive_command '/bin/false' must contain pgbackrest" "$out"

set_archive archive_command "/bin/false pgbackrest"
start=$(date +%s)
out=$(run_gaiarest "$CONF" --stanza=$STANZA check --archive-timeout=2 2>&1)
assert_status "archiving that fails: ArchiveTimeoutError after archive-timeout" 82 $?
assert_eq "with stock's message and hints" "yes" \
    "$(grep -qE '^ERROR: \[082\]: WAL segment [0-9A-F]{24} was not archived before the 2000ms timeout$' <<<"$out" &&
        grep -q "HINT: check the archive_command to ensure that all options are correct (especially --stanza)." <<<"$out" &&
        [ $(($(date +%s) - start)) -lt 20 ] && echo yes || echo no)"

# libpq is loaded only when a command connects: with a broken libpq on the library path, check fails with a clear
# message and its own exit code, and info (which never connects) still works.
mkdir -p "$GAIA_TMP/badlib"
: >"$GAIA_TMP/badlib/libpq.so.5"
out=$(LD_LIBRARY_PATH="$GAIA_TMP/badlib" run_gaiarest "$CONF" --stanza=$STANZA check 2>&1)
assert_status "check with a broken libpq: FileOpenError" 41 $?
assert_eq "naming the library and the package" "yes" \
    "$(grep -qF "ERROR: [041]: unable to load library 'libpq.so.5' (needed to connect to PostgreSQL): $GAIA_TMP/badlib/libpq.so.5" <<<"$out" &&
        grep -qF "HINT: install the Debian package libpq5." <<<"$out" && echo yes || echo no)"
LD_LIBRARY_PATH="$GAIA_TMP/badlib" run_gaiarest "$CONF" --stanza=$STANZA info >/dev/null 2>&1
assert_status "info does not need libpq" 0 $?

set_archive archive_command "$PUSH"
set_archive archive_mode off
out=$(run_gaiarest "$CONF" --stanza=$STANZA check 2>&1)
assert_status "archive_mode=off: ArchiveDisabledError" 87 $?

tap_done
