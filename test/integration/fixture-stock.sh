# test/integration/fixture-stock.sh: repositories written by stock pgBackRest 2.45 (sourced after lib.sh).
#
# fixture_stock [DIR] builds (once per run) and prints nothing; afterwards FIX is the fixture directory:
#   $FIX/repo1        plain posix repo, stanza demo: full/diff/incr backups and archived WAL under compress
#                     types none, gz, lz4, zst, bz2; the first full backup carries annotations; the bz2 full
#                     backup has a tablespace (gaia_ts) and a linked directory (pg_data/gaia_link)
#   $FIX/repo2        the same stanza, encrypted (aes-256-cbc, pass in the configs), fewer backups
#   $FIX/repo-empty   stanza demo created, never backed up (status "no valid backups")
#   $FIX/repo-multi   a copy of repo1 plus a second stanza "other" with one full backup
#   $FIX/repo-nodata  stanza demo with archive.info but no backup.info (status "missing stanza data")
#   $FIX/conf/<name>.conf, ready for `info` (every one has lock-path $FIX/lock, log-path $FIX/log):
#     plain (repo1)  enc (repo2 only)  both (repo1 + repo2)  empty  mixed (repo1 + repo-empty)
#     multi  nodata
# DIR defaults to $GAIA_FIXTURE_DIR (shared by the scripts of one `make check`, built under a lock by the
# first script that needs it) and otherwise to $GAIA_TMP/fixture. A finished fixture has $FIX/.complete.
# The cluster is stopped when the build ends; the repositories are read-only for the tests (copy first).

FIXTURE_CIPHER_PASS='gaia-fixture-pass-0123456789'
FIXTURE_VERSION=2 # raise when the build changes: an older fixture directory is then rebuilt

fixture_conf_global() { # fixture_conf_global DIR
    cat <<EOF
[global]
log-path=$1/log
lock-path=$1/lock
spool-path=$1/spool
log-level-console=warn
log-level-file=off
start-fast=y
EOF
}

fixture_conf_repo() { # fixture_conf_repo INDEX PATH [encrypted]
    echo "repo$1-path=$2"
    if [ "${3:-}" = encrypted ]; then
        echo "repo$1-cipher-type=aes-256-cbc"
        echo "repo$1-cipher-pass=$FIXTURE_CIPHER_PASS"
    fi
}

fixture_conf_stanza() { # fixture_conf_stanza STANZA DIR
    cat <<EOF
[$1]
pg1-path=$2/pg
pg1-port=${FIX_PG_PORT:-5432}
pg1-socket-path=$2/pg-sock
EOF
}

fixture_write_conf() { # fixture_write_conf NAME CONTENT...
    local file="$FIX/conf/$1.conf"
    shift
    printf '%s\n' "$@" >"$file"
    chmod 0644 "$file"
}

fixture_set_compress() { # rewrite compress-type of the build config (archive-push reads it on each call)
    sed -i "s/^compress-type=.*/compress-type=$1/" "$FIX/conf/build.conf"
}

fixture_backup() { # fixture_backup CONF TYPE [ARGS...]
    local conf=$1 type=$2
    shift 2
    run_pgbackrest "$conf" --stanza=demo --type="$type" "$@" backup >>"$FIX/build.log" 2>&1 ||
        { tail -30 "$FIX/build.log" | tap_diag; bail_out "fixture: pgbackrest backup --type=$type failed"; }
}

fixture_writes() { # some changes and a WAL switch, so that each compress type gets archived segments
    pg_bench pg -n -t 200 -c 1 >>"$FIX/build.log" 2>&1 || bail_out "fixture: pgbench failed"
    pg_sql pg "create table if not exists gaia_$1 as select g from generate_series(1, 5000) g" >/dev/null ||
        bail_out "fixture: write failed"
    FIX_LAST_SEGMENT=$(pg_sql pg "select pg_walfile_name(pg_switch_wal())") || bail_out "fixture: switch failed"
}

fixture_wait_archived() { # wait until the segment switched by the last fixture_writes is archived
    local i
    for i in $(seq 1 150); do
        [ "$(pg_sql pg "select coalesce(last_archived_wal >= '$FIX_LAST_SEGMENT', false) from pg_stat_archiver")" = t ] &&
            return 0
        sleep 0.2
    done
    bail_out "fixture: WAL $FIX_LAST_SEGMENT not archived in time"
}

fixture_build() {
    local start=$SECONDS build="$FIX/conf/build.conf"
    mkdir -p "$FIX/conf" "$FIX/log" "$FIX/lock" "$FIX/spool"
    [ "$(id -u)" = 0 ] && chown -R "$PG_OS_USER:" "$FIX"
    FIX_PG_PORT=$(port_free)
    as_pg touch "$FIX/build.log"

    fixture_write_conf build "$(fixture_conf_global "$FIX")" "compress-type=none" \
        "$(fixture_conf_repo 1 "$FIX/repo1")" "$(fixture_conf_repo 2 "$FIX/repo2" encrypted)" \
        "$(fixture_conf_stanza demo "$FIX")" "$(fixture_conf_stanza other "$FIX")"
    fixture_write_conf build-empty "$(fixture_conf_global "$FIX")" "$(fixture_conf_repo 1 "$FIX/repo-empty")" \
        "$(fixture_conf_stanza demo "$FIX")"

    # The cluster, on the port the configs name, archiving to repo1 and repo2.
    LIB_PORT_NEXT=$FIX_PG_PORT
    pg_start pg "pgbackrest --config=$build --stanza=demo archive-push %p" "$FIX"
    [ "$(pg_port pg)" = "$FIX_PG_PORT" ] || bail_out "fixture: port changed under us"
    pg_bench pg -i -s 1 -q >>"$FIX/build.log" 2>&1 || bail_out "fixture: pgbench -i failed"
    pg_sql pg "create database gaia_app" >/dev/null || bail_out "fixture: createdb failed"

    run_pgbackrest "$build" --stanza=demo stanza-create >>"$FIX/build.log" 2>&1 ||
        { tail -20 "$FIX/build.log" | tap_diag; bail_out "fixture: stanza-create failed"; }
    run_pgbackrest "$FIX/conf/build-empty.conf" --stanza=demo stanza-create >>"$FIX/build.log" 2>&1 ||
        bail_out "fixture: stanza-create (empty) failed"

    # repo1: a full backup per compress type (diff/incr keep the type of their full), WAL archived in each
    # type between them. repo2 (encrypted): a full and an incr.
    fixture_set_compress none
    fixture_backup "$build" full --repo=1 --annotation=owner=ci --annotation="purpose=gaia fixture"
    fixture_backup "$build" full --repo=2
    fixture_writes none
    fixture_backup "$build" incr --repo=1
    fixture_set_compress gz
    fixture_writes gz
    fixture_wait_archived
    fixture_backup "$build" full --repo=1
    fixture_writes gz2
    fixture_backup "$build" diff --repo=1 --annotation=kind=diff
    fixture_backup "$build" incr --repo=2
    fixture_set_compress lz4
    fixture_writes lz4
    fixture_wait_archived
    fixture_backup "$build" full --repo=1
    fixture_set_compress zst
    fixture_writes zst
    fixture_wait_archived
    fixture_backup "$build" full --repo=1
    fixture_writes zst2
    fixture_backup "$build" incr --repo=1
    # From here on the cluster has a tablespace and a linked directory (pg_data/gaia_link): the bz2 full backup
    # lists them (info --set: tablespaces, links).
    as_pg mkdir -p "$FIX/tblspc" "$FIX/pg-link" || bail_out "fixture: mkdir failed"
    as_pg sh -c "echo gaia >'$FIX/pg-link/extra.txt' && ln -s '$FIX/pg-link' '$FIX/pg/gaia_link'" ||
        bail_out "fixture: link failed"
    pg_sql pg "create tablespace gaia_ts location '$FIX/tblspc'" >/dev/null || bail_out "fixture: tablespace failed"
    pg_sql pg "create table gaia_ts_t tablespace gaia_ts as select g from generate_series(1, 100) g" >/dev/null ||
        bail_out "fixture: table in tablespace failed"
    fixture_set_compress bz2
    fixture_writes bz2
    fixture_wait_archived
    fixture_backup "$build" full --repo=1
    fixture_writes bz2b
    fixture_wait_archived

    # repo-multi: repo1 plus a second stanza "other" (one full backup without archive check).
    as_pg cp -a "$FIX/repo1" "$FIX/repo-multi"
    fixture_write_conf build-multi "$(fixture_conf_global "$FIX")" "compress-type=zst" \
        "$(fixture_conf_repo 1 "$FIX/repo-multi")" "$(fixture_conf_stanza other "$FIX")"
    run_pgbackrest "$FIX/conf/build-multi.conf" --stanza=other stanza-create >>"$FIX/build.log" 2>&1 ||
        bail_out "fixture: stanza-create other failed"
    run_pgbackrest "$FIX/conf/build-multi.conf" --stanza=other --type=full --no-archive-check backup \
        >>"$FIX/build.log" 2>&1 || { tail -20 "$FIX/build.log" | tap_diag; bail_out "fixture: backup other failed"; }

    pg_stop pg

    # repo-nodata: archive.info only.
    as_pg cp -a "$FIX/repo-empty" "$FIX/repo-nodata"
    as_pg rm -f "$FIX/repo-nodata/backup/demo/backup.info" "$FIX/repo-nodata/backup/demo/backup.info.copy"

    # The configs the tests use.
    local g s
    g=$(fixture_conf_global "$FIX")
    s=$(fixture_conf_stanza demo "$FIX")
    fixture_write_conf plain "$g" "$(fixture_conf_repo 1 "$FIX/repo1")" "$s"
    fixture_write_conf enc "$g" "$(fixture_conf_repo 1 "$FIX/repo2" encrypted)" "$s"
    fixture_write_conf both "$g" "$(fixture_conf_repo 1 "$FIX/repo1")" "$(fixture_conf_repo 2 "$FIX/repo2" encrypted)" "$s"
    fixture_write_conf empty "$g" "$(fixture_conf_repo 1 "$FIX/repo-empty")" "$s"
    fixture_write_conf mixed "$g" "$(fixture_conf_repo 1 "$FIX/repo1")" "$(fixture_conf_repo 2 "$FIX/repo-empty")" "$s"
    fixture_write_conf multi "$g" "$(fixture_conf_repo 1 "$FIX/repo-multi")" "$s" "$(fixture_conf_stanza other "$FIX")"
    fixture_write_conf nodata "$g" "$(fixture_conf_repo 1 "$FIX/repo-nodata")" "$s"

    echo "$((SECONDS - start))" >"$FIX/.build-seconds"
    echo "$FIXTURE_VERSION" >"$FIX/.complete"
}

fixture_stock() {
    FIX=${1:-${GAIA_FIXTURE_DIR:-$GAIA_TMP/fixture}}
    export FIX
    mkdir -p "$(dirname "$FIX")"
    (
        flock -x 9 || bail_out "fixture: cannot lock $FIX.lock"
        trap 'pg_stop pg' EXIT
        if [ "$(cat "$FIX/.complete" 2>/dev/null)" != "$FIXTURE_VERSION" ]; then
            rm -rf "$FIX"
            mkdir -p "$FIX"
            chmod 0755 "$FIX"
            # Every directory above the fixture must be traversable by postgres.
            as_pg test -x "$FIX" || bail_out "fixture: $FIX is not reachable by $PG_OS_USER"
            fixture_build
            pg_stop pg
        fi
    ) 9>"$FIX.lock" || bail_out "fixture build failed (see $FIX/build.log)"
    [ -f "$FIX/.complete" ] || bail_out "fixture: $FIX is incomplete"
    echo "# fixture: $FIX (built in $(cat "$FIX/.build-seconds")s)"
}

# fixture_copy_meta SRC DST: a copy of a repository as `info` sees it, cheap enough to make per test case: every
# directory and file name with its mode, info files and manifests with their content, every other file empty.
fixture_copy_meta() {
    local src=$1 dst=$2
    as_pg cp -a --attributes-only "$src" "$dst" || bail_out "cannot copy $src"
    as_pg sh -c 'cd "$1" && find . -type f \( -name "archive.info*" -o -name "backup.info*" -o -name "backup.manifest*" \) \
        -print0 | xargs -0 cp -a --parents -t "$2"' sh "$src" "$dst" || bail_out "cannot copy the info files of $src"
}
