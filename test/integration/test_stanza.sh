#!/usr/bin/env bash
# stanza-create, stanza-upgrade and stanza-delete by gaiarest on real PostgreSQL 15 clusters, checked with stock
# pgBackRest 2.45: the files are the bytes stock writes, stock info/check accept them, and every refusal has
# stock's exit code and leaves the repository unchanged.
. "$(dirname "$0")/lib.sh"
lib_init
tap_plan 28

STANZA=demo
REPO=$GAIA_TMP/repo
LOCK=$GAIA_TMP/lock
CONF=$GAIA_TMP/pgbackrest.conf

# write_conf FILE REPO_PATH CLUSTER [EXTRA GLOBAL LINES...]
write_conf() {
    local file=$1 repo=$2 cluster=$3
    shift 3
    {
        echo "[global]"
        echo "repo1-path=$repo"
        echo "lock-path=$LOCK"
        echo "log-path=$GAIA_TMP/log"
        echo "log-level-console=warn"
        echo "log-level-file=off"
        for line in "$@"; do echo "$line"; done
        echo "[$STANZA]"
        echo "pg1-path=$(pg_data "$cluster")"
        echo "pg1-port=$(pg_port "$cluster")"
        echo "pg1-socket-path=$(pg_sock "$cluster")"
    } >"$file"
    chmod 0644 "$file"
}

# sums DIR: checksum of every file under DIR, by path
sums() {
    (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha1sum)
}

# same_files DESC DIR_A DIR_B: the four info files are byte-identical
same_files() {
    local file bad=
    for file in archive/$STANZA/archive.info archive/$STANZA/archive.info.copy backup/$STANZA/backup.info \
        backup/$STANZA/backup.info.copy; do
        cmp -s "$2/$file" "$3/$file" || bad="$bad $file"
    done
    assert_eq "$1" "" "$bad"
}

as_pg mkdir -p "$GAIA_TMP/log" "$LOCK"
pg_start a "pgbackrest --config=$CONF --stanza=$STANZA archive-push %p"
write_conf "$CONF" "$REPO" a

# --- stanza-create -------------------------------------------------------------------------------------------------
out=$(run_gaiarest "$CONF" --stanza=$STANZA --log-level-console=info stanza-create 2>&1)
assert_status "gaiarest stanza-create on a new repository" 0 $?
assert_eq "stanza-create logs the repository" "1" "$(grep -c "INFO: stanza-create for stanza '$STANZA' on repo1" <<<"$out")"

# stock writes the same bytes for the same cluster
write_conf "$GAIA_TMP/stock.conf" "$GAIA_TMP/repo-stock" a
run_pgbackrest "$GAIA_TMP/stock.conf" --stanza=$STANZA stanza-create >/dev/null 2>&1
assert_status "stock stanza-create on a second repository" 0 $?
same_files "info files byte-identical to stock's" "$GAIA_TMP/repo-stock" "$REPO"
assert_eq "files and directories have stock's modes" "$(cd "$GAIA_TMP/repo-stock" && find . -printf '%m %p\n' | sort)" \
    "$(cd "$REPO" && find . -printf '%m %p\n' | sort)"

run_pgbackrest "$CONF" --stanza=$STANZA info >"$GAIA_TMP/info.txt" 2>&1
assert_status "stock info reads the stanza" 0 $?
assert_eq "stock info: no valid backups yet" "1" "$(grep -c 'status: error (no valid backups)' "$GAIA_TMP/info.txt")"

run_pgbackrest "$CONF" --stanza=$STANZA check >"$GAIA_TMP/check.txt" 2>&1
rc=$?
assert_status "stock check accepts the stanza (and archive-push writes into it)" 0 $rc
[ $rc = 0 ] || tap_diag <"$GAIA_TMP/check.txt"

out=$(run_gaiarest "$CONF" --stanza=$STANZA --log-level-console=info stanza-create 2>&1)
assert_status "a second stanza-create succeeds" 0 $?
assert_eq "it reports a valid stanza" "1" \
    "$(grep -c "INFO: stanza '$STANZA' already exists on repo1 and is valid" <<<"$out")"

# --- a different cluster is refused, nothing changes ----------------------------------------------------------------
pg_start b "/bin/true"
write_conf "$GAIA_TMP/b.conf" "$REPO" b
before=$(sums "$REPO")
out=$(run_gaiarest "$GAIA_TMP/b.conf" --stanza=$STANZA stanza-create 2>&1)
assert_status "stanza-create against another cluster fails with FileInvalidError" 28 $?
assert_eq "with stock's message and hints" \
    "ERROR: [028]: backup and archive info files exist but do not match the database
       HINT: is this the correct stanza?
       HINT: did an error occur during stanza-upgrade?" "$out"
assert_eq "no repository file changed" "$before" "$(sums "$REPO")"

# --- half-made stanza -------------------------------------------------------------------------------------------------
as_pg cp -a "$REPO" "$GAIA_TMP/repo-half"
rm -f "$GAIA_TMP/repo-half/backup/$STANZA/backup.info" "$GAIA_TMP/repo-half/backup/$STANZA/backup.info.copy"
out=$(run_gaiarest "$CONF" --stanza=$STANZA --repo1-path="$GAIA_TMP/repo-half" stanza-create 2>&1)
assert_status "archive.info without backup.info: FileMissingError" 55 $?
assert_eq "with stock's message" "ERROR: [055]: archive.info exists but backup.info is missing on repo1" \
    "$(head -1 <<<"$out")"

# --- encrypted repository -------------------------------------------------------------------------------------------
write_conf "$GAIA_TMP/enc.conf" "$GAIA_TMP/repo-enc" a "repo1-cipher-type=aes-256-cbc" "repo1-cipher-pass=it-secret"
run_gaiarest "$GAIA_TMP/enc.conf" --stanza=$STANZA stanza-create >/dev/null 2>&1
assert_status "stanza-create on an encrypted repository" 0 $?
assert_eq "archive.info is encrypted" "Salted__" "$(head -c 8 "$GAIA_TMP/repo-enc/archive/$STANZA/archive.info")"
json=$(run_pgbackrest "$GAIA_TMP/enc.conf" --stanza=$STANZA info --output=json 2>&1)
assert_eq "stock info decrypts it" "aes-256-cbc 2 15" \
    "$(jq -r '.[0] | "\(.cipher) \(.status.code) \(.db[0].version)"' <<<"$json" 2>&1)"
run_gaiarest "$GAIA_TMP/enc.conf" --stanza=$STANZA stanza-create >/dev/null 2>&1
assert_status "and gaiarest finds it valid again" 0 $?

# --- stanza-upgrade: cluster b replaces cluster a --------------------------------------------------------------------
write_conf "$GAIA_TMP/up.conf" "$GAIA_TMP/repo-up" a
write_conf "$GAIA_TMP/up-stock.conf" "$GAIA_TMP/repo-up-stock" a
run_gaiarest "$GAIA_TMP/up.conf" --stanza=$STANZA stanza-create >/dev/null 2>&1
run_pgbackrest "$GAIA_TMP/up-stock.conf" --stanza=$STANZA stanza-create >/dev/null 2>&1
write_conf "$GAIA_TMP/up.conf" "$GAIA_TMP/repo-up" b
write_conf "$GAIA_TMP/up-stock.conf" "$GAIA_TMP/repo-up-stock" b
run_gaiarest "$GAIA_TMP/up.conf" --stanza=$STANZA stanza-upgrade >/dev/null 2>&1
assert_status "stanza-upgrade to a cluster with a new system id" 0 $?
run_pgbackrest "$GAIA_TMP/up-stock.conf" --stanza=$STANZA stanza-upgrade >/dev/null 2>&1
same_files "upgraded info files byte-identical to stock's upgrade" "$GAIA_TMP/repo-up-stock" "$GAIA_TMP/repo-up"
json=$(run_pgbackrest "$GAIA_TMP/up.conf" --stanza=$STANZA info --output=json 2>&1)
sysid_b=$(pg_sql b "select system_identifier from pg_control_system()")
assert_eq "stock info shows history entry 2 with the new system id" "2 $sysid_b 15-2" \
    "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1])[0]; print(len(d["db"]), d["db"][1]["system-id"], d["archive"][0]["id"])' "$json" 2>&1)"
out=$(run_gaiarest "$GAIA_TMP/up.conf" --stanza=$STANZA --log-level-console=info stanza-upgrade 2>&1)
assert_eq "a second stanza-upgrade has nothing to do" "1" \
    "$(grep -c "INFO: stanza '$STANZA' on repo1 is already up to date" <<<"$out")"

# --- stanza-delete ----------------------------------------------------------------------------------------------------
out=$(run_gaiarest "$CONF" --stanza=$STANZA stanza-delete 2>&1)
assert_status "stanza-delete without stop: FileMissingError" 55 $?
assert_eq "with stock's message" "ERROR: [055]: stop file does not exist for stanza '$STANZA'" "$(head -1 <<<"$out")"
run_gaiarest "$CONF" --stanza=$STANZA stop >/dev/null 2>&1
out=$(run_gaiarest "$CONF" --stanza=$STANZA stanza-delete 2>&1)
assert_status "stanza-delete while PostgreSQL runs: PgRunningError" 38 $?
run_gaiarest "$CONF" --stanza=$STANZA stanza-delete --force >/dev/null 2>&1
assert_status "stanza-delete --force" 0 $?
assert_eq "archive and backup directories of the stanza are gone, the stop file too" "no no no" \
    "$([ -e "$REPO/archive/$STANZA" ] && echo yes || echo no) $([ -e "$REPO/backup/$STANZA" ] && echo yes || echo no) $([ -e "$LOCK/$STANZA.stop" ] && echo yes || echo no)"

tap_done
