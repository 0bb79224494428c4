#!/bin/bash
# test_backup.sh: gaiarest backs up a real PostgreSQL 15 cluster (data checksums on, pgbench data, a tablespace, a
# symlinked directory) and stock pgBackRest 2.45 restores every backup: the restored cluster starts (recovery
# through stock archive-get) and each table has the rows and content it had at backup time. Stock `info` and
# `verify` accept the repositories; gaiarest's manifest has the structure of stock's for the same cluster; a
# corrupted page is reported; a backup killed halfway leaves nothing that looks like a backup.
. "$(dirname "$0")/lib.sh"

lib_init

W=$GAIA_TMP
CONF=$W/backup.conf
PASS='gaia-backup-test-pass-0123456789'
as_pg mkdir -p "$W/log" "$W/lock" "$W/ts1" "$W/ext" "$W/repo1" "$W/repo2"

PORT=$(port_free)
LIB_PORT_NEXT=$PORT
cat >"$CONF" <<EOF
[global]
repo1-path=$W/repo1
repo1-retention-full=99
repo2-path=$W/repo2
repo2-retention-full=99
repo2-cipher-type=aes-256-cbc
repo2-cipher-pass=$PASS
log-path=$W/log
lock-path=$W/lock
log-level-console=warn
log-level-file=off
start-fast=y
archive-timeout=60

[demo]
pg1-path=$W/src
pg1-port=$PORT
pg1-socket-path=$W/src-sock
EOF
chmod 0644 "$CONF"

pg_start src "pgbackrest --config=$CONF --stanza=demo archive-push %p"
[ "$(pg_port src)" = "$PORT" ] || bail_out "port changed under us"
as_pg ln -s "$W/ext" "$W/src/ext_link"
as_pg sh -c "echo linked >'$W/ext/linked.txt'"
pg_bench src -i -s 2 -q >"$W/pgbench.log" 2>&1 || bail_out "pgbench -i failed"
pg_sql src "create tablespace ts1 location '$W/ts1'" >/dev/null || bail_out "create tablespace failed"
pg_sql src "create table ts_data tablespace ts1 as select g, md5(g::text) as h from generate_series(1, 20000) g" \
    >/dev/null || bail_out "create table failed"
# stanza-create by gaiarest (both repos); WAL is archived by stock archive-push until gaiarest's lands on main
run_gaiarest "$CONF" --stanza=demo stanza-create >"$W/stanza.log" 2>&1 || { tap_diag <"$W/stanza.log"; bail_out "stanza-create failed"; }

TABLES="pgbench_accounts pgbench_branches pgbench_tellers pgbench_history ts_data"

# table_state CLUSTER: "table count md5" per table of $TABLES (lib.sh)
table_state() { pg_table_state "$1" $TABLES; }

writes() {
    pg_bench src -n -t 300 -c 2 >>"$W/pgbench.log" 2>&1 || bail_out "pgbench failed"
    pg_sql src "insert into ts_data select g, md5(g::text) from generate_series(20001, 20000 + $1) g" >/dev/null
}

last_label() { # last_label REPO
    run_pgbackrest "$CONF" --stanza=demo --repo="$1" --output=json info | jq -r '.[0].backup[-1].label'
}

# gaia_backup DESC REPO TYPE [ARGS...]: run gaiarest backup, remember the source's table state under its label
# (console log level GAIA_LOG_LEVEL, default info).
gaia_backup() {
    local desc=$1 repo=$2 type=$3 rc=0
    shift 3
    table_state src >"$W/state.before"
    run_gaiarest "$CONF" --stanza=demo --repo="$repo" --type="$type" --log-level-console="${GAIA_LOG_LEVEL:-info}" "$@" backup \
        >"$W/gaia-backup.log" 2>&1 || rc=$?
    assert_status "gaiarest backup: $desc" 0 $rc
    [ $rc = 0 ] || tap_diag <"$W/gaia-backup.log"
    LABEL=$(last_label "$repo")
    cp "$W/state.before" "$W/state.$LABEL"
    cat "$W/gaia-backup.log" >>"$W/gaia-all.log"
}

RESTORES=0
# restore_check DESC REPO LABEL: stock restore into a new directory, start, compare the tables.
restore_check() {
    local desc=$1 repo=$2 label=$3 name dir port rc=0
    RESTORES=$((RESTORES + 1))
    name=restore$RESTORES
    dir=$W/$name
    port=$(port_free)
    run_pgbackrest "$CONF" --stanza=demo --repo="$repo" --set="$label" --pg1-path="$dir" \
        --tablespace-map-all="$dir-ts" --type=immediate --target-action=promote restore >"$W/$name-restore.log" 2>&1 || rc=$?
    assert_status "stock restore of $desc ($label)" 0 $rc
    if [ $rc != 0 ]; then
        tap_diag <"$W/$name-restore.log"
        tap_not_ok "restored $desc starts"
        tap_not_ok "restored $desc has the tables of backup time"
        return
    fi
    as_pg mkdir -p "$dir-sock"
    printf '%s\n' "port = $port" "unix_socket_directories = '$dir-sock'" "archive_mode = off" |
        as_pg tee -a "$dir/postgresql.conf" >/dev/null
    LIB_PG_DATA[$name]=$dir
    LIB_PG_PORT[$name]=$port
    LIB_PG_SOCK[$name]=$dir-sock
    LIB_CLUSTERS+=("$name")
    rc=0
    as_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$W/$name.log" -w -t 120 start >/dev/null 2>&1 || rc=$?
    assert_status "restored $desc starts" 0 $rc
    if [ $rc != 0 ]; then
        tail -20 "$W/$name.log" | tap_diag
        tap_not_ok "restored $desc has the tables of backup time"
        return
    fi
    # wait for the promotion (recovery_target_action=promote)
    local i
    for i in $(seq 1 300); do
        [ "$(pg_sql "$name" "select pg_is_in_recovery()" 2>/dev/null)" = f ] && break
        sleep 0.1
    done
    table_state "$name" >"$W/$name.state"
    assert_file_eq "restored $desc has the tables of backup time" "$W/state.$label" "$W/$name.state"
    pg_stop "$name"
    as_pg rm -rf "$dir" "$dir-ts"
}

# manifest_compare STOCK GAIA: same sections in the same order, same keys in each, same per-file field names and
# same sizes/modes/owners/page results; values of [backup:target], [db], defaults, paths and links equal.
manifest_compare() {
    python3 - "$1" "$2" <<'EOF'
import json, re, sys
def load(path):
    sections, order, current = {}, [], None
    for line in open(path):
        line = line.rstrip('\n')
        if not line:
            continue
        match = re.match(r'^\[(.*)\]$', line)
        if match:
            current = match.group(1)
            if current not in sections:
                sections[current] = {}
                order.append(current)
            continue
        key, value = line.split('=', 1)
        sections[current][key] = value
    return sections, order
stock, stock_order = load(sys.argv[1])
gaia, gaia_order = load(sys.argv[2])
problems = []
if stock_order != gaia_order:
    problems.append('section order: %s / %s' % (stock_order, gaia_order))
stop_files = ('pg_data/backup_label', 'pg_data/tablespace_map')
for section in stock_order:
    if section not in gaia or section == 'backrest':
        continue
    a, b = stock[section], gaia[section]
    if set(a) != set(b):
        problems.append('[%s] keys: only stock %s, only gaiarest %s' % (section, sorted(set(a) - set(b))[:8], sorted(set(b) - set(a))[:8]))
    for key in sorted(set(a) & set(b)):
        if section == 'target:file':
            fa, fb = json.loads(a[key]), json.loads(b[key])
            if set(fa) != set(fb):
                problems.append('%s fields: %s / %s' % (key, sorted(fa), sorted(fb)))
            for field in ('mode', 'user', 'group', 'checksum-page', 'checksum-page-error'):
                if fa.get(field) != fb.get(field):
                    problems.append('%s %s: %s / %s' % (key, field, fa.get(field), fb.get(field)))
        elif section in ('backup', 'cipher'):
            continue
        elif section == 'backup:option':
            if key not in ('option-process-max',) and a[key] != b[key]:
                problems.append('[%s] %s: %s / %s' % (section, key, a[key], b[key]))
        elif a[key] != b[key]:
            problems.append('[%s] %s: %s / %s' % (section, key, a[key], b[key]))
for problem in problems[:40]:
    print(problem)
sys.exit(1 if problems else 0)
EOF
}

manifest_plain() { # manifest_plain REPO LABEL OUT: the manifest text (decrypted for repo2)
    local file="$W/repo$1/backup/demo/$2/backup.manifest"
    if [ "$1" = 2 ]; then
        local subpass
        subpass=$(openssl enc -d -aes-256-cbc -md sha1 -pass "pass:$PASS" -in "$W/repo2/backup/demo/backup.info" 2>/dev/null |
            sed -n 's/^cipher-pass="\(.*\)"$/\1/p')
        openssl enc -d -aes-256-cbc -md sha1 -pass "pass:$subpass" -in "$file" 2>/dev/null >"$3"
    else
        cat "$file" >"$3"
    fi
}

# --- 1. full (lz4), diff, incr on the plain repo, process-max 2; each restored by stock ---------------------------------
gaia_backup "full lz4" 1 full --compress-type=lz4 --process-max=2
FULL=$LABEL
assert_eq "full label" "F" "${FULL: -1}"
grep -q "INFO: new backup label = $FULL" "$W/gaia-backup.log" && tap_ok "log names the new label" ||
    tap_not_ok "log names the new label"
grep -Eq "INFO: full backup size = [0-9.]+MB, file total = [0-9]+" "$W/gaia-backup.log" &&
    tap_ok "log gives the backup size" || tap_not_ok "log gives the backup size"
writes 1000
gaia_backup "diff (asked zst, inherits lz4)" 1 diff --compress-type=zst
DIFF=$LABEL
grep -q "WARN: diff backup cannot alter compress-type option to 'zst', reset to value in $FULL" "$W/gaia-backup.log" &&
    tap_ok "diff warns about the inherited compress-type" || tap_not_ok "diff warns about the inherited compress-type"
writes 500
gaia_backup "incr" 1 incr --process-max=2
INCR=$LABEL
assert_eq "incr label" "${FULL}_" "${INCR:0:17}"
assert_eq "incr references" "[\"$FULL\",\"$DIFF\"]" \
    "$(run_pgbackrest "$CONF" --stanza=demo --repo=1 --set="$INCR" --output=json info | jq -c '.[0].backup[0].reference')"
restore_check "full" 1 "$FULL"
restore_check "diff" 1 "$DIFF"
restore_check "incr" 1 "$INCR"

# --- 2. each other compress type (fulls), and an encrypted repo --------------------------------------------------------
for type in none gz zst bz2; do
    gaia_backup "full $type" 1 full --compress-type=$type
    eval "FULL_$type=\$LABEL"
done
restore_check "full bz2" 1 "$FULL_bz2"
gaia_backup "encrypted full (gz)" 2 full
ENC_FULL=$LABEL
writes 200
gaia_backup "encrypted incr" 2 incr
ENC_INCR=$LABEL
restore_check "encrypted incr" 2 "$ENC_INCR"
manifest_plain 2 "$ENC_FULL" "$W/enc-full.manifest"
manifest_plain 2 "$ENC_INCR" "$W/enc-incr.manifest"
assert_eq "encrypted full and incr share the manifest subpass" \
    "$(grep '^cipher-pass=' "$W/enc-full.manifest")" "$(grep '^cipher-pass=' "$W/enc-incr.manifest")"

# --- 3. manifest structure equals stock's for the same cluster ----------------------------------------------------------
# vacuum first: autovacuum creating a visibility map between the two backups would make the file lists differ
pg_sql src "vacuum" >/dev/null
pg_sql src "checkpoint" >/dev/null
gaia_backup "full for the manifest comparison" 1 full --compress-type=gz
GAIA_CMP=$LABEL
run_pgbackrest "$CONF" --stanza=demo --repo=1 --type=full --compress-type=gz backup >"$W/stock-backup.log" 2>&1 ||
    { tap_diag <"$W/stock-backup.log"; bail_out "stock backup failed"; }
STOCK_CMP=$(last_label 1)
if out=$(manifest_compare "$W/repo1/backup/demo/$STOCK_CMP/backup.manifest" "$W/repo1/backup/demo/$GAIA_CMP/backup.manifest"); then
    tap_ok "manifest structure equals stock's"
else
    tap_not_ok "manifest structure equals stock's"
    echo "$out" | tap_diag
fi
writes 100
gaia_backup "incr on top of a stock full" 1 incr
restore_check "gaiarest incr on a stock full" 1 "$LABEL"

# --- 4. stock info and verify accept both repositories -----------------------------------------------------------------
for repo in 1 2; do
    rc=0
    run_pgbackrest "$CONF" --stanza=demo --repo=$repo info >"$W/info$repo.txt" 2>&1 || rc=$?
    assert_status "stock info on repo$repo" 0 $rc
    grep -q "status: ok" "$W/info$repo.txt" && tap_ok "stock info: repo$repo status ok" ||
        { tap_not_ok "stock info: repo$repo status ok"; tap_diag <"$W/info$repo.txt"; }
    rc=0
    run_pgbackrest "$CONF" --stanza=demo --repo=$repo --log-level-console=info verify >"$W/verify$repo.txt" 2>&1 || rc=$?
    assert_status "stock verify on repo$repo" 0 $rc
    [ $rc = 0 ] || tail -20 "$W/verify$repo.txt" | tap_diag
done

# --- 5. backup killed halfway -----------------------------------------------------------------------------------------
pg_sql src "create table big as select g, md5(g::text) || md5((g*7)::text) as h from generate_series(1, 720000) g" >/dev/null
before=$(run_pgbackrest "$CONF" --stanza=demo --repo=1 --output=json info | jq '.[0].backup | length')
as_pg env TZ=UTC "$GAIAREST" --config="$CONF" --stanza=demo --repo=1 --type=full --compress-type=bz2 \
    --log-level-console=off backup >/dev/null 2>&1 &
BG=$!
killed=
for i in $(seq 1 400); do
    if ls "$W"/repo1/backup/demo/*/backup.manifest.copy 2>/dev/null | while read -r f; do
        [ -f "${f%.copy}" ] || echo partial
    done | grep -q partial; then
        sleep 0.3
        pid=$(jq -r '.pid' "$W/lock/demo-backup.lock" 2>/dev/null)
        [ -n "$pid" ] && [ "$pid" != null ] && kill -KILL "$pid" 2>/dev/null && killed=y
        break
    fi
    sleep 0.02
done
wait $BG 2>/dev/null
assert_eq "backup killed while copying" y "$killed"
partial=$(for f in "$W"/repo1/backup/demo/*/backup.manifest.copy; do [ -f "${f%.copy}" ] || basename "$(dirname "$f")"; done)
[ -n "$partial" ] && tap_ok "the killed backup left a partial directory ($partial)" ||
    tap_not_ok "the killed backup left a partial directory"
after=$(run_pgbackrest "$CONF" --stanza=demo --repo=1 --output=json info | jq '.[0].backup | length')
assert_eq "stock info lists no new backup after the kill" "$before" "$after"
assert_eq "stock info status still ok" 0 \
    "$(run_pgbackrest "$CONF" --stanza=demo --repo=1 --output=json info | jq '.[0].status.code')"
run_gaiarest "$CONF" --stanza=demo --repo=1 --output=json info >"$W/gaia-info.json" 2>"$W/gaia-info.err"
assert_eq "gaiarest info lists no new backup after the kill" "$before" "$(jq '.[0].backup | length' "$W/gaia-info.json")"
assert_eq "gaiarest info status still ok" 0 "$(jq '.[0].status.code' "$W/gaia-info.json")"
gaia_backup "backup after the kill" 1 full --compress-type=zst --process-max=2
grep -q "backup '$partial' cannot be resumed" "$W/gaia-backup.log" && tap_ok "the partial backup is reported" ||
    tap_not_ok "the partial backup is reported"
[ ! -e "$W/repo1/backup/demo/$partial" ] && tap_ok "the partial directory is gone" || tap_not_ok "the partial directory is gone"
restore_check "full after the kill" 1 "$LABEL"

# --- 5b. files of 64 MiB or more: compressed on several threads (zstd jobs just above, lz4 blocks here) ------------------
BIG_REL=$(pg_sql src "select pg_relation_filepath('big')")
big_bytes=$(stat -c %s "$W/src/$BIG_REL")
[ "$big_bytes" -ge $((64 * 1048576)) ] && tap_ok "table big is 64 MiB or more ($big_bytes bytes)" ||
    tap_not_ok "table big is 64 MiB or more ($big_bytes bytes)"
big_header() { od -An -tx1 -j4 -N2 "$W/repo1/backup/demo/$1/pg_data/$BIG_REL.$2" | tr -d ' '; }
assert_eq "zst: the large file is one zstd frame" "28b52ffd" \
    "$(od -An -tx1 -N4 "$W/repo1/backup/demo/$LABEL/pg_data/$BIG_REL.zst" | tr -d ' ')"
gaia_backup "full lz4, process-max 1" 1 full --compress-type=lz4 --process-max=1
assert_eq "lz4 on several threads: independent 256 KiB blocks, no content checksum (the manifest holds the SHA-1)" "6050" \
    "$(big_header "$LABEL" lz4)"
restore_check "lz4 full with a large file" 1 "$LABEL"

# --- 5c. bundles (repo-bundle): small files packed into bundle objects, read by stock ---------------------------------
# a small bundle size and limit so that the test cluster makes several bundles and keeps large files out of them
BUNDLE_OPTS="--repo1-bundle --repo1-bundle-size=1MiB --repo1-bundle-limit=64KiB"
# bundle_check LABEL: every file of 1..65536 bytes stored in this backup is a slice of bundle/<bni> at <bno> of
# <repo-size> bytes whose SHA-1 is its rck and which decompresses to the bytes of its checksum; larger files are files
# of their own; empty files and the files written at backup stop (backup_label, tablespace_map) are not in a bundle.
# Prints a summary or the first problems. (Run on stock's bundled backup too: the same rules.)
bundle_check() {
    python3 - "$W/repo1/backup/demo/$1" <<'EOF'
import hashlib, json, os, subprocess, sys, zlib
root = sys.argv[1]
STOP_FILES = ("pg_data/backup_label", "pg_data/tablespace_map")
section, files, problems, bundled = None, {}, [], 0
for line in open(os.path.join(root, "backup.manifest")):
    line = line.rstrip("\n")
    if line.startswith("["):
        section = line
    elif section == "[target:file]" and "=" in line:
        name, value = line.split("=", 1)
        files[name] = json.loads(value)
    elif section == "[backup:option]" and line.startswith("option-compress-type="):
        ext = json.loads(line.split("=", 1)[1])
def plain(stored):
    if ext == "gz":
        return zlib.decompress(stored, 31)
    return subprocess.run([{"zst": "zstd", "lz4": "lz4"}[ext], "-d", "-c"], input=stored, stdout=subprocess.PIPE,
                          check=True).stdout
for name, entry in files.items():
    size, here = entry["size"], "reference" not in entry
    if "bni" in entry:
        if not here:
            continue  # a reference keeps the prior's bundle
        bundled += 1
        if size == 0 or size > 65536 or name in STOP_FILES:
            problems.append("%s (%d bytes) is in a bundle" % (name, size))
        with open(os.path.join(root, "bundle", str(entry["bni"])), "rb") as bundle:
            bundle.seek(entry.get("bno", 0))
            stored = bundle.read(entry["repo-size"])
        if hashlib.sha1(stored).hexdigest() != entry.get("rck"):
            problems.append("%s: the slice's SHA-1 is not its rck" % name)
        elif hashlib.sha1(plain(stored)).hexdigest() != entry.get("checksum"):
            problems.append("%s: the slice does not decompress to its checksum" % name)
    elif here and size > 0:
        if size <= 65536 and name not in STOP_FILES:
            problems.append("%s (%d bytes) is not in a bundle" % (name, size))
        if not os.path.exists(os.path.join(root, name + "." + ext)):
            problems.append("%s: no file of its own" % name)
    elif here and (os.path.exists(os.path.join(root, name + "." + ext)) or "checksum" in entry):
        problems.append("%s: an empty file was stored" % name)
bundles = len(os.listdir(os.path.join(root, "bundle"))) if os.path.isdir(os.path.join(root, "bundle")) else 0
print("\n".join(problems[:10]) if problems else "ok: %d bundled files in %d bundles" % (bundled, bundles))
EOF
}
GAIA_LOG_LEVEL=detail gaia_backup "bundled full (gz)" 1 full --compress-type=gz $BUNDLE_OPTS
BFULL=$LABEL
grep -qx "backup-bundle=true" "$W/repo1/backup/demo/$BFULL/backup.manifest" && tap_ok "bundled full: backup-bundle=true" ||
    tap_not_ok "bundled full: backup-bundle=true"
out=$(bundle_check "$BFULL")
case $out in
ok:*) tap_ok "bundled full: small files are verified slices of the bundles, large and empty files are not ($out)" ;;
*) tap_not_ok "bundled full: small files are verified slices of the bundles, large and empty files are not"; echo "$out" | tap_diag ;;
esac
[ "$(ls "$W/repo1/backup/demo/$BFULL/bundle" | wc -l)" -ge 2 ] && tap_ok "bundled full: several bundles of at most 1 MiB" ||
    tap_not_ok "bundled full: several bundles of at most 1 MiB"
grep -Eq "backup file .* \(bundle [0-9]+/[0-9]+, " "$W/gaia-backup.log" && tap_ok "bundled full: the log names bundle and offset" ||
    tap_not_ok "bundled full: the log names bundle and offset"
writes 200
gaia_backup "bundled incr" 1 incr $BUNDLE_OPTS
BINCR=$LABEL
out=$(bundle_check "$BINCR")
case $out in
ok:*) tap_ok "bundled incr: changed small files in new bundles ($out)" ;;
*) tap_not_ok "bundled incr: changed small files in new bundles"; echo "$out" | tap_diag ;;
esac
refs=$(grep -c "\"bni\":[0-9]*.*\"reference\":\"$BFULL\"" "$W/repo1/backup/demo/$BINCR/backup.manifest")
[ "$refs" -gt 0 ] && tap_ok "bundled incr: unchanged files reference the full's bundles ($refs)" ||
    tap_not_ok "bundled incr: unchanged files reference the full's bundles"
restore_check "bundled full" 1 "$BFULL"
restore_check "bundled incr" 1 "$BINCR"
rc=0
run_pgbackrest "$CONF" --stanza=demo --repo=1 --set="$BINCR" verify >"$W/verify-bundle.txt" 2>&1 || rc=$?
assert_status "stock verify of the bundled incr" 0 $rc
[ $rc = 0 ] || tail -20 "$W/verify-bundle.txt" | tap_diag
rc=0
run_gaiarest "$CONF" --stanza=demo --repo=1 --set="$BINCR" verify >"$W/gaia-verify-bundle.txt" 2>&1 || rc=$?
assert_status "gaiarest verify of the bundled incr" 0 $rc
[ $rc = 0 ] || tail -20 "$W/gaia-verify-bundle.txt" | tap_diag
# a damaged slice in a bundle: gaiarest verify reports that one file, as stock verify does (same summary)
# the first file stored in one of the full's bundles: its manifest line, then bundle, offset and stored size
D_LINE=$(awk '/^\[target:file\]$/ {in_files = 1; next} /^\[/ {in_files = 0} in_files' \
    "$W/repo1/backup/demo/$BFULL/backup.manifest" | grep '"bni"' | grep -v '"reference"' | head -1)
D_NAME=${D_LINE%%=*}
read -r D_BNI D_BNO D_SIZE < <(jq -r '"\(.bni) \(.bno // 0) \(."repo-size")"' <<<"${D_LINE#*=}")
D_BUNDLE=$W/repo1/backup/demo/$BFULL/bundle/$D_BNI
cp -p "$D_BUNDLE" "$W/bundle.saved"
python3 - "$D_BUNDLE" "$((D_BNO + D_SIZE / 2))" <<'EOF'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2]))
    byte = f.read(1)
    f.seek(int(sys.argv[2]))
    f.write(bytes([byte[0] ^ 0xff]))
EOF
run_pgbackrest "$CONF" --stanza=demo --repo=1 --output=text verify >"$W/verify-damaged-stock.txt" 2>&1
run_gaiarest "$CONF" --stanza=demo --repo=1 --output=text verify >"$W/verify-damaged-gaia.txt" 2>&1
grep -q "backup: $BFULL, status: invalid" "$W/verify-damaged-gaia.txt" &&
    grep -A1 "backup: $BFULL," "$W/verify-damaged-gaia.txt" | grep -q "checksum invalid: 1" &&
    tap_ok "gaiarest verify finds the damaged slice of $D_NAME in bundle $D_BNI" ||
    { tap_not_ok "gaiarest verify finds the damaged slice of $D_NAME in bundle $D_BNI"; tap_diag <"$W/verify-damaged-gaia.txt"; }
assert_file_eq "gaiarest and stock verify summarise the damaged bundle the same" "$W/verify-damaged-stock.txt" \
    "$W/verify-damaged-gaia.txt"
cp -p "$W/bundle.saved" "$D_BUNDLE"
# gaiarest's own restore of its bundled incr
rc=0
run_gaiarest "$CONF" --stanza=demo --repo=1 --set="$BINCR" --pg1-path="$W/bundle-gaia" --tablespace-map-all="$W/bundle-gaia-ts" \
    --type=immediate --target-action=promote restore >"$W/bundle-gaia-restore.log" 2>&1 || rc=$?
assert_status "gaiarest restore of the bundled incr" 0 $rc
[ $rc = 0 ] || tap_diag <"$W/bundle-gaia-restore.log"
if [ $rc = 0 ] && pg_start_restored bundle_gaia "$W/bundle-gaia"; then
    table_state bundle_gaia >"$W/bundle-gaia.state"
    assert_file_eq "gaiarest-restored bundled incr has the tables of backup time" "$W/state.$BINCR" "$W/bundle-gaia.state"
    pg_stop bundle_gaia
else
    tap_not_ok "gaiarest-restored bundled incr has the tables of backup time"
fi
# stock's bundled full (zst) with a gaiarest incr on top, restored by stock
run_pgbackrest "$CONF" --stanza=demo --repo=1 --type=full --compress-type=zst $BUNDLE_OPTS backup >"$W/stock-bundle.log" 2>&1 ||
    { tap_diag <"$W/stock-bundle.log"; bail_out "stock bundled backup failed"; }
STOCK_BFULL=$(last_label 1)
out=$(bundle_check "$STOCK_BFULL")
case $out in
ok:*) tap_ok "stock's bundled full follows the same rules ($out)" ;;
*) tap_not_ok "stock's bundled full follows the same rules"; echo "$out" | tap_diag ;;
esac
writes 100
gaia_backup "bundled incr on a stock bundled full" 1 incr $BUNDLE_OPTS
grep -q "\"bni\":[0-9]*.*\"reference\":\"$STOCK_BFULL\"" "$W/repo1/backup/demo/$LABEL/backup.manifest" &&
    tap_ok "the incr references stock's bundles" || tap_not_ok "the incr references stock's bundles"
restore_check "gaiarest bundled incr on a stock bundled full" 1 "$LABEL"

# --- 5d. options gaiarest backup does not implement are refused, the repository untouched ----------------------------
before=$(run_pgbackrest "$CONF" --stanza=demo --repo=1 --output=json info | jq '.[0].backup | length')
for option in --repo1-hardlink --backup-standby; do
    rc=0
    run_gaiarest "$CONF" --stanza=demo --repo=1 --type=full "$option" backup >"$W/refused.log" 2>&1 || rc=$?
    assert_status "backup $option refused (FeatureNotSupportedError)" 67 $rc
    grep -q "ERROR: \[067\]: .*not supported by gaiarest backup yet" "$W/refused.log" &&
        tap_ok "backup $option: the message says so" || { tap_not_ok "backup $option: the message says so"; tap_diag <"$W/refused.log"; }
done
assert_eq "no backup added by the refused commands" "$before" \
    "$(run_pgbackrest "$CONF" --stanza=demo --repo=1 --output=json info | jq '.[0].backup | length')"

# --- 6. a corrupted page ----------------------------------------------------------------------------------------------
pg_sql src "create table corrupt as select g, repeat('x', 200) as pad from generate_series(1, 5000) g" >/dev/null
pg_sql src "checkpoint" >/dev/null
rel=$(pg_sql src "select pg_relation_filepath('corrupt')")
python3 - "$W/src/$rel" <<'EOF'
import sys
with open(sys.argv[1], 'r+b') as f:
    for page in (1, 3, 4, 5):
        f.seek(page * 8192 + 4000)
        f.write(b'\xde\xad\xbe\xef\xde\xad\xbe\xef')
EOF
gaia_backup "full with a corrupted relation" 1 full --compress-type=none
CORRUPT=$LABEL
grep -q "WARN: invalid page checksums found in file $W/src/$rel at pages 1, 3-5" "$W/gaia-backup.log" &&
    tap_ok "page errors logged with 2.45's wording" || { tap_not_ok "page errors logged with 2.45's wording"; grep WARN "$W/gaia-backup.log" | tap_diag; }
grep -q "^pg_data/$rel={.*\"checksum-page\":false,\"checksum-page-error\":\[1,\[3,5\]\]" \
    "$W/repo1/backup/demo/$CORRUPT/backup.manifest" && tap_ok "manifest lists the bad pages" || tap_not_ok "manifest lists the bad pages"
assert_eq "backup.info has backup-error=true" true \
    "$(run_pgbackrest "$CONF" --stanza=demo --repo=1 --set="$CORRUPT" --output=json info | jq '.[0].backup[0].error')"
grep -q "^$CORRUPT={.*\"backup-error\":true" "$W/repo1/backup/demo/backup.info" && tap_ok "backup.info line carries backup-error" ||
    tap_not_ok "backup.info line carries backup-error"

tap_done
