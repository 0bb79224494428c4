#!/usr/bin/env bash
# gaiarest expire against stock pgBackRest 2.45 on identical copies of a stock-made repository (the shared
# fixture: 5 fulls, a diff, 2 incrs, 30 WAL segments in five compress types): same log lines, same backup.info
# bytes, same backup directories, same remaining WAL and backup.history files.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixture-stock.sh"
lib_init
fixture_stock

CASES=(
    "--repo1-retention-full=2"
    "--repo1-retention-full=1"
    "--repo1-retention-full=5 --repo1-retention-diff=1"
    "--repo1-retention-full=4 --repo1-retention-archive=2"
    "--repo1-retention-full=5 --repo1-retention-archive=2 --repo1-retention-archive-type=incr"
    "--repo1-retention-full=5 --repo1-retention-archive=1 --repo1-retention-archive-type=diff"
    "--repo1-retention-full=5 --repo1-retention-archive-type=diff"
    "--repo1-retention-full=5 --repo1-retention-archive-type=incr"
    "--repo1-retention-full=2 --repo1-retention-history=0"
    "--repo1-retention-full=2 --dry-run"
    "--set=BACKUP_FULL2"
    "--set=BACKUP_LATEST"
    "--set=BACKUP_INCR"
    "--set=20200101-000000F"
    "--repo1-retention-full-type=time --repo1-retention-full=1"
    ""
)
tap_plan $((${#CASES[@]} * 4 + 2))

# The labels of the fixture's backups (label order = time order).
mapfile -t LABELS < <(ls "$FIX/repo1/backup/demo" | grep -E '^[0-9]{8}-[0-9]{6}F')
FULLS=($(printf '%s\n' "${LABELS[@]}" | grep -E 'F$'))
INCR=$(printf '%s\n' "${LABELS[@]}" | grep -E 'I$' | tail -1)

# copy_repo DIR: a private copy of the fixture's plain repo with its own config (DIR/conf)
copy_repo() {
    as_pg mkdir -p "$1/lock" "$1/log"
    as_pg cp -a "$FIX/repo1" "$1/repo"
    cat >"$1/conf" <<EOC
[global]
repo1-path=$1/repo
lock-path=$1/lock
log-path=$1/log
log-level-console=detail
log-level-stderr=off
log-level-file=off
log-timestamp=n
[demo]
pg1-path=$1/pg
EOC
    chmod 0644 "$1/conf"
}

# normalize: drop what differs by nature (exec id, version, durations, the directory)
normalize() {
    sed -e 's/--exec-id=[^ ]* //' -e 's/command begin [^:]*:/command begin VERSION:/' -e 's/ ([0-9]*ms)$//' \
        -e "s#$1/#DIR/#g"
}

n=0
for args in "${CASES[@]}"; do
    n=$((n + 1))
    args=${args//BACKUP_FULL2/${FULLS[1]}}
    args=${args//BACKUP_LATEST/${LABELS[-1]}}
    args=${args//BACKUP_INCR/$INCR}
    for side in stock gaia; do
        dir=$GAIA_TMP/case$n-$side
        copy_repo "$dir"
        if [ $side = stock ]; then
            # shellcheck disable=SC2086
            run_pgbackrest "$dir/conf" --stanza=demo $args expire >"$dir.out" 2>&1
        else
            # shellcheck disable=SC2086
            run_gaiarest "$dir/conf" --stanza=demo $args expire >"$dir.out" 2>&1
        fi
        echo "exit $?" >>"$dir.out"
        normalize "$dir" <"$dir.out" >"$dir.log"
        (cd "$dir/repo" && find . -print | sort) >"$dir.files"
    done
    s=$GAIA_TMP/case$n-stock g=$GAIA_TMP/case$n-gaia
    assert_file_eq "expire ${args:-(no retention)}: same log lines and exit status" "$s.log" "$g.log"
    assert_file_eq "expire ${args:-(no retention)}: same files remain" "$s.files" "$g.files"
    assert_eq "expire ${args:-(no retention)}: same backup.info" "$(sha1sum <"$s/repo/backup/demo/backup.info")" \
        "$(sha1sum <"$g/repo/backup/demo/backup.info")"
    run_pgbackrest "$g/conf" --stanza=demo --output=json info >"$g.info" 2>&1
    run_pgbackrest "$s/conf" --stanza=demo --output=json info >"$s.info" 2>&1
    assert_eq "expire ${args:-(no retention)}: stock info reads the result the same" \
        "$(sed "s#$s/#DIR/#g" "$s.info")" "$(sed "s#$g/#DIR/#g" "$g.info")"
done

# What retention-full=2 keeps: the two newest fulls with their dependents, WAL from the older one's start.
g=$GAIA_TMP/case1-gaia
assert_eq "retention-full=2 keeps exactly the two newest fulls and their dependents" \
    "$(printf '%s\n' "${LABELS[@]}" | awk -v f="${FULLS[-2]}" '$0 >= f' | tr '\n' ' ')" \
    "$(ls "$g/repo/backup/demo" | grep -E '^[0-9]{8}-' | tr '\n' ' ')"
start=$(grep -o "\"${FULLS[-2]}\"=\|${FULLS[-2]}={[^}]*" "$g/repo/backup/demo/backup.info" |
    sed -n 's/.*"backup-archive-start":"\([0-9A-F]*\)".*/\1/p')
oldest=$(ls "$g/repo/archive/demo/15-1/"*/ | grep -E '^[0-9A-F]{24}-' | head -1 | cut -c1-24)
assert_eq "the oldest WAL left is the archive-start of the oldest kept full" "$start" "$oldest"
tap_done
