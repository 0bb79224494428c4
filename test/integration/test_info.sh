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
# The comparisons above cover a backup with a tablespace and a link (the fixture's last full): make sure they did.
last=$(labels "$C/plain.conf" --stanza=demo | tail -1)
assert_eq "the last fixture backup lists a symlink and a tablespace" "symlinks: tablespaces:" \
    "$(run_pgbackrest "$C/plain.conf" --stanza=demo --set="$last" info | grep -oE '(symlinks|tablespaces):' | tr '\n' ' ' | sed 's/ $//')"
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
# The progress a running backup records ("pctCplt", percent x 100) is shown inside the status's parentheses,
# after the error when there is one.
echo '{"execId":"4242-abcdef01","pctCplt":4512,"pid":4242}' >"$GAIA_TMP/lock/demo-backup.lock"
compare_info "backup lock held, with progress" "$LOCKCONF"
assert_eq "backup lock held: the percent shown" "    status: ok (backup/expire running - 45.12% complete)" \
    "$(run_gaiarest "$LOCKCONF" --stanza=demo info | sed -n 2p)"
for variant in empty mixed; do
    sed "s|^lock-path=.*|lock-path=$GAIA_TMP/lock|" "$C/$variant.conf" >"$GAIA_TMP/lock-$variant.conf"
    chmod 0644 "$GAIA_TMP/lock-$variant.conf"
    compare_info "backup lock held, with progress: $variant" "$GAIA_TMP/lock-$variant.conf"
done
assert_eq "backup lock held, no valid backups: inside the parentheses" \
    "    status: error (no valid backups, backup/expire running - 45.12% complete)" \
    "$(run_gaiarest "$GAIA_TMP/lock-empty.conf" --stanza=demo info | sed -n 2p)"
exec 8>&-
compare_info "backup lock file left behind, not held" "$LOCKCONF"

# archive.info missing (on a copy). Damaged backup.info files (gaiarest warns where stock is silent) are
# compared in test_info_files.sh.
damaged_repo() { # damaged_repo NAME [SOURCE]: copy SOURCE (repo1) to $GAIA_TMP/NAME and print a config for it
    fixture_copy_meta "${2:-$FIX/repo1}" "$GAIA_TMP/$1"
    sed "s|^repo1-path=.*|repo1-path=$GAIA_TMP/$1|" "$C/plain.conf" >"$GAIA_TMP/$1.conf"
    chmod 0644 "$GAIA_TMP/$1.conf"
    echo "$GAIA_TMP/$1.conf"
}
conf=$(damaged_repo repo-bad3)
as_pg rm -f "$GAIA_TMP/repo-bad3/archive/demo/archive.info" "$GAIA_TMP/repo-bad3/archive/demo/archive.info.copy"
compare_info "archive.info missing" "$conf"

# ---------------------------------------------------------------------------------------------------------------------
# Scratch repositories edited with info_edit.py (checksums recomputed; stock reads them as its own).
# ---------------------------------------------------------------------------------------------------------------------
EDIT="$(dirname "$0")/info_edit.py"
info_edit() { # info_edit FILE OP...: edit FILE and its .copy identically
    as_pg python3 "$EDIT" "$@" || bail_out "info_edit.py failed on $1"
    as_pg cp "$1" "$1.copy"
}
fake_segment() { # fake_segment REPO ARCHIVE_ID SEGMENT [EXT]: an (empty) archived segment file; info reads names only
    as_pg mkdir -p "$1/archive/demo/$2/${3:0:16}"
    as_pg touch "$1/archive/demo/$2/${3:0:16}/$3-$(printf '%040d' 0)${4:-}"
}
two_repo_conf() { # two_repo_conf NAME REPO1 REPO2: print a config with both repos
    sed -e "s|^repo1-path=.*|repo1-path=$2\nrepo2-path=$3|" "$C/plain.conf" >"$GAIA_TMP/$1.conf"
    chmod 0644 "$GAIA_TMP/$1.conf"
    echo "$GAIA_TMP/$1.conf"
}
last_label=$(labels "$C/plain.conf" --stanza=demo | tail -1)
last_entry=$(grep "^$last_label=" "$FIX/repo1/backup/demo/backup.info" | cut -d= -f2-)
entry_with() { # entry_with PYTHON-STATEMENTS: the last fixture backup entry changed by the statements (on e)
    python3 -c 'import json,sys; e=json.loads(sys.argv[1]); exec(sys.argv[2]); print(json.dumps(dict(sorted(e.items())),separators=(",",":")))' "$last_entry" "$1"
}

# Sizes across the B/KB/MB/GB boundaries (2.45 has no TB), four per fake backup entry.
conf=$(damaged_repo repo-sizes)
sizes=(0 1 1023 1024 1126 1127 1536 10239 10240 102399 1048575 1048576 1153433 1153434 39801360 976578
    1073741823 1073741824 1181116006 1181116007 1099511627775 1099511627776 1125899906842624 18446744073709551615)
ops=()
for ((i = 0; i < ${#sizes[@]}; i += 4)); do
    ops+=(set backup:current "$(printf '20200101-%06dF' $i)" "$(entry_with "e['backup-info-size'],e['backup-info-size-delta'],e['backup-info-repo-size'],e['backup-info-repo-size-delta']=${sizes[i]},${sizes[i+1]},${sizes[i+2]},${sizes[i+3]}; e['backup-timestamp-start']=$i; e['backup-timestamp-stop']=$i+1; e.pop('backup-annotation',None)")")
done
info_edit "$GAIA_TMP/repo-sizes/backup/demo/backup.info" "${ops[@]}"
compare_info "sizes B to GB" "$conf"

# A history of three databases: 1 (15, the fixture's, prior), 2 (14, WAL only, prior), 3 (15, another system id,
# current, with WAL and one backup): prior blocks, several archive ids.
conf_hist=$(damaged_repo repo-hist)
R=$GAIA_TMP/repo-hist
info_edit "$R/archive/demo/archive.info" set db:history 2 '{"db-id":7000000000000000001,"db-version":"14"}' \
    set db:history 3 '{"db-id":7000000000000000002,"db-version":"15"}' set db db-id 3 \
    set db db-system-id 7000000000000000002
info_edit "$R/backup/demo/backup.info" \
    set db:history 2 '{"db-catalog-version":202107181,"db-control-version":1300,"db-system-id":7000000000000000001,"db-version":"14"}' \
    set db:history 3 '{"db-catalog-version":202209061,"db-control-version":1300,"db-system-id":7000000000000000002,"db-version":"15"}' \
    set db db-id 3 set db db-system-id 7000000000000000002 \
    set backup:current 20301124-000000F "$(entry_with "e['db-id']=3; e['backup-timestamp-start']+=3600; e['backup-timestamp-stop']+=3600; e['backup-archive-start']='000000010000000000000002'; e['backup-archive-stop']='000000010000000000000003'")"
fake_segment "$R" 14-2 000000010000000000000005
fake_segment "$R" 14-2 000000010000000000000009 .gz
fake_segment "$R" 15-3 000000010000000000000002 .zst
fake_segment "$R" 15-3 000000010000000000000003 .zst
compare_info "db history: prior blocks, three archive ids" "$conf_hist"
compare_info "db history, --type=full" "$conf_hist" --stanza=demo --type=full
compare_info "db history, --set of a prior backup" "$conf_hist" --stanza=demo --set="$last_label"

# The same without WAL and without the new backup: a prior database with backups shows "none present", one with
# neither is left out, the current one is shown empty (and its archive id listed in JSON with null min/max).
conf=$(damaged_repo repo-hist-nowal "$GAIA_TMP/repo-hist")
R=$GAIA_TMP/repo-hist-nowal
as_pg rm -rf "$R/archive/demo/15-1" "$R/archive/demo/14-2" "$R/archive/demo/15-3"
as_pg mkdir -p "$R/archive/demo/14-2/0000000100000000"
info_edit "$R/backup/demo/backup.info" del backup:current 20301124-000000F
compare_info "db history without WAL" "$conf"

# archive.info's current database differs from backup.info's: only archive ids with WAL or backup.info's current.
conf=$(damaged_repo repo-arch-ahead)
R=$GAIA_TMP/repo-arch-ahead
info_edit "$R/archive/demo/archive.info" set db:history 2 '{"db-id":7000000000000000001,"db-version":"14"}' \
    set db db-id 2 set db db-system-id 7000000000000000001 set db db-version '"14"'
compare_info "archive.info ahead of backup.info" "$conf"

# Two repos whose current databases differ: status 5 "database mismatch across repos" (also over a mixed status).
compare_info "database mismatch across repos" "$(two_repo_conf db-mismatch "$GAIA_TMP/repo-hist" "$FIX/repo1")"
compare_info "database mismatch across repos, repos swapped" \
    "$(two_repo_conf db-mismatch2 "$FIX/repo1" "$GAIA_TMP/repo-hist")"
compare_info "database mismatch across repos, second repo without backups" \
    "$(two_repo_conf db-mismatch3 "$GAIA_TMP/repo-hist" "$FIX/repo-empty")"

# Status 99 (both backup.info copies damaged) inside a mixed stanza: the error text under its repo line.
conf=$(damaged_repo repo-bad-mixed)
flip_byte() { # flip_byte FILE OFFSET
    as_pg python3 -c 'import sys; p=sys.argv[1]; o=int(sys.argv[2]); b=bytearray(open(p,"rb").read()); b[o]^=0x20; open(p,"wb").write(b)' "$1" "$2"
}
flip_byte "$GAIA_TMP/repo-bad-mixed/backup/demo/backup.info" 40
flip_byte "$GAIA_TMP/repo-bad-mixed/backup/demo/backup.info.copy" 40
compare_info "mixed: repo2 in error (other)" "$(two_repo_conf bad-mixed "$FIX/repo1" "$GAIA_TMP/repo-bad-mixed")"
compare_info "mixed: repo1 in error (other), --stanza" \
    "$(two_repo_conf bad-mixed2 "$GAIA_TMP/repo-bad-mixed" "$FIX/repo1")" --stanza=demo

tap_done
