#!/bin/bash
# test_info.sh: `gaiarest info` must print what stock pgBackRest 2.45 prints, text and JSON, for every status
# of the stock fixture (see fixture-stock.sh): both programs run on the same repository at the same moment,
# and their stdout, stderr and exit codes are compared.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixture-stock.sh"

lib_init
fixture_stock

CASE=0

# compare_info DESC CONF ARGS...: text and JSON output of both programs.
compare_info() {
    local desc=$1 conf=$2
    shift 2
    local output dir rc_stock rc_gaia
    for output in text json; do
        CASE=$((CASE + 1))
        dir="$GAIA_TMP/case-$CASE"
        mkdir -p "$dir"
        chmod 0777 "$dir"
        rc_stock=0
        rc_gaia=0
        run_pgbackrest "$conf" "$@" --output=$output info >"$dir/stock.out" 2>"$dir/stock.err" || rc_stock=$?
        run_gaiarest "$conf" "$@" --output=$output info >"$dir/gaia.out" 2>"$dir/gaia.err" || rc_gaia=$?
        if [ $output = json ] && [ $rc_stock = 0 ]; then
            assert_json_eq "$desc: json" "$dir/stock.out" "$dir/gaia.out"
        else
            assert_file_eq "$desc: $output stdout" "$dir/stock.out" "$dir/gaia.out"
        fi
        assert_file_eq "$desc: $output stderr" "$dir/stock.err" "$dir/gaia.err"
        assert_status "$desc: $output exit code" "$rc_stock" "$rc_gaia"
    done
}

labels() { # labels CONF [ARGS]: every backup label the stock info lists
    local conf=$1
    shift
    run_pgbackrest "$conf" "$@" --output=json info | jq -r '.[].backup[].label'
}

C=$FIX/conf

# Plain repo: all stanzas, one stanza, a missing stanza, a filter on type, every backup with --set.
compare_info "plain, all stanzas" "$C/plain.conf"
compare_info "plain, --stanza=demo" "$C/plain.conf" --stanza=demo
compare_info "plain, missing stanza path" "$C/plain.conf" --stanza=nosuch
compare_info "plain, --type=full" "$C/plain.conf" --stanza=demo --type=full
compare_info "plain, --type=incr" "$C/plain.conf" --stanza=demo --type=incr
for label in $(labels "$C/plain.conf" --stanza=demo); do
    compare_info "plain, --set=$label" "$C/plain.conf" --stanza=demo --set="$label"
done
compare_info "plain, --set of a missing backup" "$C/plain.conf" --stanza=demo --set=20200101-000000F

# Encrypted repo, alone and beside the plain one.
compare_info "encrypted" "$C/enc.conf"
compare_info "encrypted, --stanza" "$C/enc.conf" --stanza=demo
compare_info "two repos" "$C/both.conf"
compare_info "two repos, --repo=1" "$C/both.conf" --repo=1
compare_info "two repos, --repo=2" "$C/both.conf" --repo=2 --stanza=demo
for label in $(labels "$C/both.conf" --repo=2 --stanza=demo); do
    compare_info "two repos, --set=$label" "$C/both.conf" --stanza=demo --set="$label"
done

# Statuses.
compare_info "no valid backups" "$C/empty.conf"
compare_info "mixed" "$C/mixed.conf"
compare_info "mixed, --stanza" "$C/mixed.conf" --stanza=demo
compare_info "two stanzas" "$C/multi.conf"
compare_info "two stanzas, --stanza=other" "$C/multi.conf" --stanza=other
compare_info "missing stanza data" "$C/nodata.conf"

# A backup lock held by another process: "backup/expire running".
LOCKCONF="$GAIA_TMP/lock.conf"
sed "s|^lock-path=.*|lock-path=$GAIA_TMP/lock|" "$C/plain.conf" >"$LOCKCONF"
chmod 0644 "$LOCKCONF"
as_pg mkdir -p "$GAIA_TMP/lock"
as_pg touch "$GAIA_TMP/lock/demo-backup.lock"
# 2.45 reports the lock as held only when another process holds the flock AND the file holds its JSON record.
exec 8>>"$GAIA_TMP/lock/demo-backup.lock"
flock -x 8 || bail_out "cannot lock $GAIA_TMP/lock/demo-backup.lock"
compare_info "backup lock file empty, flock held" "$LOCKCONF"
echo '{"execId":"4242-abcdef01","pid":4242}' >"$GAIA_TMP/lock/demo-backup.lock"
compare_info "backup lock held" "$LOCKCONF"
echo '{"execId":"4242-abcdef01","pid":4242,"percentComplete":"45.12"}' >"$GAIA_TMP/lock/demo-backup.lock"
compare_info "backup lock held, with progress" "$LOCKCONF"
exec 8>&-
compare_info "backup lock file left behind, not held" "$LOCKCONF"

# Damaged info files (on a copy): backup.info damaged -> the copy is used; both damaged -> error status;
# archive.info missing.
damaged_repo() { # damaged_repo NAME: copy repo1 to $GAIA_TMP/NAME and print a config for it
    as_pg cp -a "$FIX/repo1" "$GAIA_TMP/$1"
    sed "s|^repo1-path=.*|repo1-path=$GAIA_TMP/$1|" "$C/plain.conf" >"$GAIA_TMP/$1.conf"
    chmod 0644 "$GAIA_TMP/$1.conf"
    echo "$GAIA_TMP/$1.conf"
}
flip_byte() { # flip_byte FILE OFFSET
    as_pg python3 -c 'import sys; p=sys.argv[1]; o=int(sys.argv[2]); b=bytearray(open(p,"rb").read()); b[o]^=0x20; open(p,"wb").write(b)' "$1" "$2"
}
conf=$(damaged_repo repo-bad1)
flip_byte "$GAIA_TMP/repo-bad1/backup/demo/backup.info" 40
compare_info "backup.info damaged, copy good" "$conf"
conf=$(damaged_repo repo-bad2)
flip_byte "$GAIA_TMP/repo-bad2/backup/demo/backup.info" 40
flip_byte "$GAIA_TMP/repo-bad2/backup/demo/backup.info.copy" 40
compare_info "backup.info and copy damaged" "$conf"
conf=$(damaged_repo repo-bad3)
as_pg rm -f "$GAIA_TMP/repo-bad3/archive/demo/archive.info" "$GAIA_TMP/repo-bad3/archive/demo/archive.info.copy"
compare_info "archive.info missing" "$conf"

tap_done
