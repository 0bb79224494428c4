#!/bin/bash
# test_archive.sh: archive-push / archive-get (synchronous) against a real PostgreSQL 15 and stock pgBackRest 2.45.
#   (a) PostgreSQL archives through `gaiarest archive-push %p`: every archived segment is stored once, under the
#       SHA-1 of its content, and stock `pgbackrest archive-get` returns it byte for byte;
#   (b) segments pushed by stock archive-push in every compress type come back byte-identical from
#       `gaiarest archive-get`;
#   (c) refusals: a segment of another cluster (header check, pg_control check), a different segment under an
#       archived name, a corrupted or mis-named stored segment, a missing segment; the repository is unchanged
#       and no destination file is left;
#   (d) an encrypted repository, both directions.
. "$(dirname "$0")/lib.sh"

lib_init
tap_plan 48

CIPHER_PASS='gaia-archive-test-pass-42'
PUSH_LOG="$GAIA_TMP/push.log"

write_conf() { # write_conf NAME REPO_DIR [encrypted]: a config for stanza demo on cluster "pg"
    local file="$GAIA_TMP/$1.conf"
    {
        echo "[global]"
        echo "repo1-path=$2"
        if [ "${3:-}" = encrypted ]; then
            echo "repo1-cipher-type=aes-256-cbc"
            echo "repo1-cipher-pass=$CIPHER_PASS"
        fi
        echo "lock-path=$GAIA_TMP/lock"
        echo "log-path=$GAIA_TMP/log"
        echo "log-level-file=off"
        echo "compress-type=lz4"
        echo "[demo]"
        echo "pg1-path=$GAIA_TMP/pg"
        echo "pg1-socket-path=$GAIA_TMP/pg-sock"
    } >"$file"
    chmod 0644 "$file"
    echo "$file"
}

# repo_sums DIR: one line per file (sha1 and path), to compare a repository before and after
repo_sums() {
    (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha1sum)
}

# stored_files CONF_REPO: the stored segment names of stanza demo (basename only), sorted
stored_segments() {
    find "$1/archive/demo" -type f -regextype posix-extended -regex '.*/[0-9A-F]{24}-[0-9a-f]{40}(\.[a-z0-9]+)?' \
        -printf '%f\n' | sort
}

sha1_of() { sha1sum "$1" | cut -c1-40; }

as_pg mkdir -p "$GAIA_TMP/lock" "$GAIA_TMP/log" "$GAIA_TMP/wal" "$GAIA_TMP/get"
as_pg chmod 0777 "$GAIA_TMP/wal" "$GAIA_TMP/get"
as_pg touch "$PUSH_LOG"
CONF=$(write_conf main "$GAIA_TMP/repo")
CONF_STOCK=$(write_conf stock "$GAIA_TMP/repo-stock")
CONF_ENC=$(write_conf enc "$GAIA_TMP/repo-enc" encrypted)

# ---------------------------------------------------------------------------------------------------------------------
# (a) PostgreSQL archives through gaiarest
# ---------------------------------------------------------------------------------------------------------------------
# The stanza is created (stock) while archive_command already points at gaiarest: PostgreSQL retries until it exists.
pg_start pg "$GAIAREST --config=$CONF --stanza=demo archive-push %p 2>>$PUSH_LOG"
sed -i "s/^\\[demo\\]/&\\npg1-port=$(pg_port pg)/" "$CONF" "$CONF_STOCK" "$CONF_ENC"
run_pgbackrest "$CONF" --stanza=demo stanza-create >/dev/null 2>&1 || bail_out "stock stanza-create failed"
run_pgbackrest "$CONF_STOCK" --stanza=demo stanza-create >/dev/null 2>&1 || bail_out "stock stanza-create failed"
run_pgbackrest "$CONF_ENC" --stanza=demo stanza-create >/dev/null 2>&1 || bail_out "stock stanza-create failed"
as_pg truncate -s 0 "$PUSH_LOG" # failures before the stanza existed are expected

pg_bench pg -i -s 3 -q >/dev/null 2>&1 || bail_out "pgbench -i failed"
pg_bench pg -T 3 -c 2 >/dev/null 2>&1 || bail_out "pgbench failed"
LAST=""
for _ in 1 2 3; do
    pg_sql pg "create table if not exists t(x int); insert into t select generate_series(1, 1000);" >/dev/null 2>&1
    LAST=$(pg_sql pg "select pg_walfile_name(pg_switch_wal())")
done
archived=""
for _ in $(seq 1 120); do
    archived=$(pg_sql pg "select coalesce(last_archived_wal, '') from pg_stat_archiver")
    [[ "$archived" > "$LAST" || "$archived" == "$LAST" ]] && break
    sleep 0.5
done
assert_eq "(a) PostgreSQL archived up to the last switched segment" "$LAST" "$archived"

# every segment PostgreSQL marked done is stored exactly once
done_list=$(as_pg ls "$GAIA_TMP/pg/pg_wal/archive_status" | sed -n 's/^\([0-9A-F]\{24\}\)\.done$/\1/p' | sort)
stored=$(stored_segments "$GAIA_TMP/repo")
missing=""
for segment in $done_list; do
    [ "$(grep -c "^$segment-" <<<"$stored")" = 1 ] || missing="$missing $segment"
done
assert_eq "(a) every .done segment is stored once in the repository" "" "$missing"
count=$(wc -l <<<"$stored")
[ "$count" -ge 4 ] && tap_ok "(a) at least 4 segments archived ($count)" || tap_not_ok "(a) only $count segments archived"
assert_eq "(a) stored with lz4 (compress-type of the config)" "$count" "$(grep -c '\.lz4$' <<<"$stored")"

# stock archive-get returns each byte for byte: its SHA-1 is the one in the stored name
bad=""
for name in $stored; do
    segment=${name:0:24}
    run_pgbackrest "$CONF" --stanza=demo archive-get "$segment" "$GAIA_TMP/wal/$segment" >/dev/null 2>&1 ||
        { bad="$bad $segment(get)"; continue; }
    [ "$(sha1_of "$GAIA_TMP/wal/$segment")" = "${name:25:40}" ] || bad="$bad $segment(sha1)"
done
assert_eq "(a) stock archive-get returns every segment with the SHA-1 of its name" "" "$bad"

# the last switched segment is still in pg_wal: compare with PostgreSQL's own file
if as_pg test -f "$GAIA_TMP/pg/pg_wal/$LAST"; then
    as_pg cmp -s "$GAIA_TMP/pg/pg_wal/$LAST" "$GAIA_TMP/wal/$LAST" && tap_ok "(a) $LAST identical to pg_wal's" ||
        tap_not_ok "(a) $LAST differs from pg_wal's"
else
    tap_ok "(a) $LAST already recycled by PostgreSQL (nothing to compare) # SKIP recycled"
fi

# gaiarest archive-get as restore_command would call it: relative %p from the data directory
first=$(head -1 <<<"$stored")
segment=${first:0:24}
out=$(cd "$GAIA_TMP/pg" && as_pg env "$GAIAREST" --config="$CONF" --stanza=demo --log-level-console=info \
    archive-get "$segment" pg_wal/RECOVERYXLOG 2>&1)
rc=$?
assert_status "(a) gaiarest archive-get with a relative destination" 0 "$rc"
grep -q "INFO: found $segment in the repo1: 15-1 archive" <<<"$out" && tap_ok "(a) archive-get logs what it found" ||
    { tap_not_ok "(a) archive-get logs what it found"; echo "$out" | tap_diag; }
as_pg cmp -s "$GAIA_TMP/pg/pg_wal/RECOVERYXLOG" "$GAIA_TMP/wal/$segment" &&
    tap_ok "(a) gaiarest archive-get returns the same bytes as stock" || tap_not_ok "(a) gaiarest archive-get bytes"
as_pg rm -f "$GAIA_TMP/pg/pg_wal/RECOVERYXLOG"
assert_eq "(a) the pushes logged no error" "" "$(grep -E 'ERROR' "$PUSH_LOG" | head -3)"

# the working-directory rule for relative paths
rc=0
out=$(cd /tmp && as_pg "$GAIAREST" --config="$CONF" --stanza=demo archive-push "pg_wal/$segment" 2>&1) || rc=$?
assert_status "(a) relative path outside pg1-path refused" 32 "$rc"
grep -q "PostgreSQL working directory '/tmp' is not the same as option pg1-path '$GAIA_TMP/pg'" <<<"$out" &&
    tap_ok "(a) working-directory message as stock" || { tap_not_ok "(a) working-directory message"; echo "$out" | tap_diag; }

# ---------------------------------------------------------------------------------------------------------------------
# (b) stock pushes in each compress type, gaiarest gets
# ---------------------------------------------------------------------------------------------------------------------
set -- $(ls "$GAIA_TMP/wal" | head -5)
[ $# -ge 4 ] || bail_out "need at least 4 fetched segments for (b)"
for type in none gz lz4 zst bz2; do
    segment=${1:-}
    [ -n "$segment" ] || segment=$(ls "$GAIA_TMP/wal" | head -1)
    [ $# -gt 0 ] && shift
    run_pgbackrest "$CONF_STOCK" --stanza=demo --compress-type=$type archive-push "$GAIA_TMP/wal/$segment" \
        >/dev/null 2>&1 || true
    stored_name=$(find "$GAIA_TMP/repo-stock/archive/demo" -name "$segment-*" -printf '%f\n')
    rc=0
    run_gaiarest "$CONF_STOCK" --stanza=demo archive-get "$segment" "$GAIA_TMP/get/$type-$segment" >/dev/null 2>&1 ||
        rc=$?
    if [ $rc = 0 ] && cmp -s "$GAIA_TMP/wal/$segment" "$GAIA_TMP/get/$type-$segment"; then
        tap_ok "(b) stock push $type ($stored_name), gaiarest get: identical"
    else
        tap_not_ok "(b) stock push $type ($stored_name), gaiarest get (exit $rc)"
    fi
done

# history file pushed by stock, fetched by gaiarest
printf '1\t0/9000000\tno recovery target specified\n' >"$GAIA_TMP/wal/00000002.history"
run_pgbackrest "$CONF_STOCK" --stanza=demo archive-push "$GAIA_TMP/wal/00000002.history" >/dev/null 2>&1
run_gaiarest "$CONF_STOCK" --stanza=demo archive-get 00000002.history "$GAIA_TMP/get/00000002.history" \
    >/dev/null 2>&1
cmp -s "$GAIA_TMP/wal/00000002.history" "$GAIA_TMP/get/00000002.history" &&
    tap_ok "(b) stock push .history, gaiarest get" || tap_not_ok "(b) stock push .history, gaiarest get"

# not found: exit 1 and stock's message
rc=0
out=$(run_gaiarest "$CONF_STOCK" --stanza=demo --log-level-console=info archive-get 0000000100000000000000FE \
    "$GAIA_TMP/get/none" 2>&1) || rc=$?
assert_status "(b) missing segment: exit 1" 1 "$rc"
grep -q "INFO: unable to find 0000000100000000000000FE in the archive" <<<"$out" &&
    tap_ok "(b) missing segment message as stock" || { tap_not_ok "(b) missing segment message"; echo "$out" | tap_diag; }
[ ! -e "$GAIA_TMP/get/none" ] && tap_ok "(b) missing segment: no file written" || tap_not_ok "(b) file written"

# ---------------------------------------------------------------------------------------------------------------------
# (c) refusals
# ---------------------------------------------------------------------------------------------------------------------
pg_start other "/bin/true"
other_segment=$(as_pg ls "$GAIA_TMP/other/pg_wal" | grep -E '^[0-9A-F]{24}$' | head -1)
as_pg cp "$GAIA_TMP/other/pg_wal/$other_segment" "$GAIA_TMP/wal/other-$other_segment"
as_pg mkdir -p "$GAIA_TMP/wal/other"
as_pg cp "$GAIA_TMP/other/pg_wal/$other_segment" "$GAIA_TMP/wal/other/$other_segment"
before=$(repo_sums "$GAIA_TMP/repo")

rc=0
out=$(run_gaiarest "$CONF" --stanza=demo archive-push "$GAIA_TMP/wal/other/$other_segment" 2>&1) || rc=$?
assert_status "(c) segment of another cluster refused (header check)" 44 "$rc"
grep -q "ERROR: \[044\]: WAL file '$GAIA_TMP/wal/other/$other_segment' version 15, system-id [0-9]* do not match stanza version 15, system-id [0-9]*" <<<"$out" &&
    tap_ok "(c) header mismatch message as stock" || { tap_not_ok "(c) header mismatch message"; echo "$out" | tap_diag; }

rc=0
out=$(run_gaiarest "$CONF" --stanza=demo --pg1-path="$GAIA_TMP/other" archive-push \
    "$GAIA_TMP/wal/other/$other_segment" 2>&1) || rc=$?
assert_status "(c) pg1-path of another cluster refused" 103 "$rc"
grep -q "repo1: \[ArchiveMismatchError\] PostgreSQL version 15, system-id [0-9]* do not match repo1 stanza version 15" <<<"$out" &&
    tap_ok "(c) pg_control mismatch message as stock" || { tap_not_ok "(c) pg_control mismatch message"; echo "$out" | tap_diag; }

# same content again: success with stock's warning
segment=$(ls "$GAIA_TMP/wal" | grep -E '^[0-9A-F]{24}$' | head -1)
rc=0
out=$(run_gaiarest "$CONF" --stanza=demo archive-push "$GAIA_TMP/wal/$segment" 2>&1) || rc=$?
assert_status "(c) duplicate push with the same content succeeds" 0 "$rc"
grep -q "WARN: WAL file '$segment' already exists in the repo1 archive with the same checksum" <<<"$out" &&
    tap_ok "(c) same-checksum warning as stock" || { tap_not_ok "(c) same-checksum warning"; echo "$out" | tap_diag; }

# different content under an archived name (header intact): refused, never overwritten
as_pg mkdir -p "$GAIA_TMP/wal/changed"
as_pg cp "$GAIA_TMP/wal/$segment" "$GAIA_TMP/wal/changed/$segment"
printf 'changed' | as_pg dd of="$GAIA_TMP/wal/changed/$segment" bs=1 seek=100000 conv=notrunc status=none
rc=0
out=$(run_gaiarest "$CONF" --stanza=demo archive-push "$GAIA_TMP/wal/changed/$segment" 2>&1) || rc=$?
assert_status "(c) duplicate push with different content refused" 45 "$rc"
grep -q "ERROR: \[045\]: WAL file '$segment' already exists in the repo1 archive with a different checksum" <<<"$out" &&
    tap_ok "(c) different-checksum message as stock" || { tap_not_ok "(c) different-checksum message"; echo "$out" | tap_diag; }

rc=0
run_gaiarest "$CONF" --stanza=demo --no-archive-header-check archive-push "$GAIA_TMP/wal/other/$other_segment" \
    >/dev/null 2>&1 || rc=$?
[ "$rc" != 0 ] && tap_ok "(c) other cluster's segment without header check: refused by the duplicate check ($rc)" ||
    tap_not_ok "(c) other cluster's segment without header check was accepted"
assert_eq "(c) the repository is unchanged by every refusal" "$before" "$(repo_sums "$GAIA_TMP/repo")"

# six pushes of one segment at once (an async background process still pushing ahead when archive_command turns
# synchronous, two hosts of one system): each writes its own provisional file, so all succeed and the one stored
# copy is whole. Uncompressed, so that the writes overlap for long.
stored_file=$(find "$GAIA_TMP/repo/archive/demo" -name "$segment-*")
mv "$stored_file" "$GAIA_TMP/stored.save"
run_concurrently 6 "$GAIA_TMP/concurrent" \
    run_gaiarest "$CONF" --stanza=demo --compress-type=none archive-push "$GAIA_TMP/wal/$segment"
assert_eq "(c) six concurrent pushes of one segment all succeed" 0 "$CONCURRENT_FAILED"
concurrent=$(find "$GAIA_TMP/repo/archive/demo" -name "$segment*" -printf '%f\n')
sha1=$(sha1_of "$GAIA_TMP/wal/$segment")
stored_sha1=$(find "$GAIA_TMP/repo/archive/demo" -name "$segment-*" -exec sha1sum {} + | cut -c1-40)
assert_eq "(c) they leave one stored copy (no provisional file), whole: the SHA-1 of its name and of its bytes" \
    "$segment-$sha1 $sha1" "$(echo $concurrent) $stored_sha1"
rm -f "$GAIA_TMP/repo/archive/demo"/*/*/"$segment"*
mv "$GAIA_TMP/stored.save" "$stored_file"

# the stop file
run_gaiarest "$CONF" --stanza=demo stop >/dev/null 2>&1
rc=0
out=$(run_gaiarest "$CONF" --stanza=demo archive-push "$GAIA_TMP/wal/$segment" 2>&1) || rc=$?
rc_get=0
run_gaiarest "$CONF" --stanza=demo archive-get "$segment" "$GAIA_TMP/get/stopped" >/dev/null 2>&1 || rc_get=$?
run_gaiarest "$CONF" --stanza=demo start >/dev/null 2>&1
assert_status "(c) stop file: archive-push refused" 62 "$rc"
assert_status "(c) stop file: archive-get refused (as 2.45)" 62 "$rc_get"

# a corrupted compressed segment (stock gz push in (b)): clear error naming the file, no destination written
gz_file=$(find "$GAIA_TMP/repo-stock/archive/demo" -name '*.gz' | head -1)
gz_segment=$(basename "$gz_file" | cut -c1-24)
printf 'garbage!' | dd of="$gz_file" bs=1 seek=3000 conv=notrunc status=none
rc=0
out=$(run_gaiarest "$CONF_STOCK" --stanza=demo archive-get "$gz_segment" "$GAIA_TMP/get/corrupt" 2>&1) || rc=$?
assert_status "(c) corrupted gz segment: archive-get fails" 42 "$rc"
grep -q "unable to get $gz_segment:" <<<"$out" && grep -q "repo1: 15-1/${gz_segment:0:16}/$(basename "$gz_file") \[FormatError\]" <<<"$out" &&
    tap_ok "(c) corrupted segment: the message names the repository file" ||
    { tap_not_ok "(c) corrupted segment message"; echo "$out" | tap_diag; }
[ -z "$(ls "$GAIA_TMP/get" | grep corrupt)" ] && tap_ok "(c) corrupted segment: no file (nor temp file) left" ||
    tap_not_ok "(c) corrupted segment: a file was left: $(ls "$GAIA_TMP/get" | grep corrupt)"

# a stored segment whose name carries the wrong SHA-1: refused (stock would hand it over)
none_file=$(find "$GAIA_TMP/repo-stock/archive/demo" -regextype posix-extended -regex '.*/[0-9A-F]{24}-[0-9a-f]{40}' |
    head -1)
none_segment=$(basename "$none_file" | cut -c1-24)
mv "$none_file" "$(dirname "$none_file")/$none_segment-0000000000000000000000000000000000000000"
rc=0
out=$(run_gaiarest "$CONF_STOCK" --stanza=demo archive-get "$none_segment" "$GAIA_TMP/get/badsum" 2>&1) || rc=$?
assert_status "(c) SHA-1 in the name does not match: archive-get fails" 42 "$rc"
[ ! -e "$GAIA_TMP/get/badsum" ] && tap_ok "(c) SHA-1 mismatch: no file left" || tap_not_ok "(c) SHA-1 mismatch: file left"

# two stored copies of one segment: stock's duplicate error
dup_file=$(find "$GAIA_TMP/repo/archive/demo" -name "$segment-*")
cp "$dup_file" "$(dirname "$dup_file")/$segment-ffffffffffffffffffffffffffffffffffffffff.lz4"
rc=0
out=$(run_gaiarest "$CONF" --stanza=demo archive-get "$segment" "$GAIA_TMP/get/dup" 2>&1) || rc=$?
rm -f "$(dirname "$dup_file")/$segment-ffffffffffffffffffffffffffffffffffffffff.lz4"
assert_status "(c) two stored copies: archive-get refuses" 45 "$rc"
grep -q "duplicates found for WAL segment $segment:" <<<"$out" && tap_ok "(c) duplicates message as stock" ||
    { tap_not_ok "(c) duplicates message"; echo "$out" | tap_diag; }

# ---------------------------------------------------------------------------------------------------------------------
# (d) encrypted repository, both directions
# ---------------------------------------------------------------------------------------------------------------------
set -- $(ls "$GAIA_TMP/wal" | grep -E '^[0-9A-F]{24}$' | head -4)
FIRST_SEGMENT=$1
for type in lz4 gz; do
    segment=$1
    shift
    run_gaiarest "$CONF_ENC" --stanza=demo --compress-type=$type archive-push "$GAIA_TMP/wal/$segment" >/dev/null 2>&1
    stored_file=$(find "$GAIA_TMP/repo-enc/archive/demo" -name "$segment-*")
    rc=0
    run_pgbackrest "$CONF_ENC" --stanza=demo archive-get "$segment" "$GAIA_TMP/get/enc-$segment" >/dev/null 2>&1 || rc=$?
    if [ $rc = 0 ] && cmp -s "$GAIA_TMP/wal/$segment" "$GAIA_TMP/get/enc-$segment" &&
        [ "$(head -c 8 "$stored_file")" = "Salted__" ]; then
        tap_ok "(d) gaiarest push $type encrypted, stock get: identical"
    else
        tap_not_ok "(d) gaiarest push $type encrypted, stock get (exit $rc, $stored_file)"
    fi
done
for type in zst gz; do
    segment=$1
    shift
    run_pgbackrest "$CONF_ENC" --stanza=demo --compress-type=$type archive-push "$GAIA_TMP/wal/$segment" >/dev/null 2>&1
    rc=0
    run_gaiarest "$CONF_ENC" --stanza=demo archive-get "$segment" "$GAIA_TMP/get/enc-$segment" >/dev/null 2>&1 || rc=$?
    [ $rc = 0 ] && cmp -s "$GAIA_TMP/wal/$segment" "$GAIA_TMP/get/enc-$segment" &&
        tap_ok "(d) stock push $type encrypted, gaiarest get: identical" ||
        tap_not_ok "(d) stock push $type encrypted, gaiarest get (exit $rc)"
done
run_gaiarest "$CONF_ENC" --stanza=demo archive-push "$GAIA_TMP/wal/00000002.history" >/dev/null 2>&1
run_pgbackrest "$CONF_ENC" --stanza=demo archive-get 00000002.history "$GAIA_TMP/get/enc.history" >/dev/null 2>&1
cmp -s "$GAIA_TMP/wal/00000002.history" "$GAIA_TMP/get/enc.history" &&
    [ "$(head -c 8 "$GAIA_TMP/repo-enc/archive/demo/15-1/00000002.history")" = "Salted__" ] &&
    tap_ok "(d) gaiarest push .history encrypted, stock get" || tap_not_ok "(d) gaiarest push .history encrypted"

# wrong repository passphrase (the environment overrides the config file): archive.info cannot be read
rc=0
out=$(as_pg env PGBACKREST_REPO1_CIPHER_PASS=wrong "$GAIAREST" --config="$CONF_ENC" --stanza=demo archive-push \
    "$GAIA_TMP/wal/$FIRST_SEGMENT" 2>&1) || rc=$?
[ "$rc" != 0 ] && grep -q "archive.info" <<<"$out" && tap_ok "(d) wrong passphrase refused ($rc)" ||
    { tap_not_ok "(d) wrong passphrase (exit $rc)"; echo "$out" | tap_diag; }

tap_done
