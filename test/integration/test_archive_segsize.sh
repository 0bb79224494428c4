#!/bin/bash
# test_archive_segsize.sh: a cluster with 64 MiB WAL segments (initdb --wal-segsize=64) archives through
# `gaiarest archive-push %p` (gz, the default compress type); stock `pgbackrest archive-get` and
# `gaiarest archive-get` return every stored segment byte for byte.
. "$(dirname "$0")/lib.sh"

lib_init
tap_plan 7

CONF="$GAIA_TMP/seg64.conf"
as_pg mkdir -p "$GAIA_TMP/lock" "$GAIA_TMP/log" "$GAIA_TMP/get"
as_pg chmod 0777 "$GAIA_TMP/get"
# 64 MiB segments; min_wal_size must hold at least two of them.
PG_INITDB_OPTS="--wal-segsize=64" PG_EXTRA_CONF="min_wal_size = 256MB" \
    pg_start pg "$GAIAREST --config=$CONF --stanza=demo archive-push %p"
cat >"$CONF" <<EOF
[global]
repo1-path=$GAIA_TMP/repo
lock-path=$GAIA_TMP/lock
log-path=$GAIA_TMP/log
log-level-file=off
[demo]
pg1-path=$GAIA_TMP/pg
pg1-port=$(pg_port pg)
pg1-socket-path=$(pg_sock pg)
EOF
chmod 0644 "$CONF"
run_pgbackrest "$CONF" --stanza=demo stanza-create >/dev/null 2>&1 || bail_out "stock stanza-create failed"

pg_bench pg -i -s 4 -q >/dev/null 2>&1 || bail_out "pgbench -i failed"
pg_sql pg "select pg_switch_wal()" >/dev/null
pg_sql pg "create table t as select generate_series(1, 100000) as x" >/dev/null
LAST=$(pg_sql pg "select pg_walfile_name(pg_switch_wal())")
archived=""
for _ in $(seq 1 240); do
    archived=$(pg_sql pg "select coalesce(last_archived_wal, '') from pg_stat_archiver")
    [[ "$archived" > "$LAST" || "$archived" == "$LAST" ]] && break
    sleep 0.5
done
assert_eq "PostgreSQL (64 MiB segments) archived up to the switched segment" "$LAST" "$archived"

stored=$(find "$GAIA_TMP/repo/archive/demo" -type f -name '*.gz' -printf '%f\n' | sort)
count=$(grep -c . <<<"$stored")
[ "$count" -ge 2 ] && tap_ok "at least 2 segments stored ($count, gz)" || tap_not_ok "only $count segments stored"

bad_stock=""
bad_gaia=""
sizes=""
for name in $stored; do
    segment=${name:0:24}
    sha1=${name:25:40}
    run_pgbackrest "$CONF" --stanza=demo archive-get "$segment" "$GAIA_TMP/get/stock-$segment" >/dev/null 2>&1 &&
        [ "$(sha1sum "$GAIA_TMP/get/stock-$segment" | cut -c1-40)" = "$sha1" ] || bad_stock="$bad_stock $segment"
    run_gaiarest "$CONF" --stanza=demo archive-get "$segment" "$GAIA_TMP/get/gaia-$segment" >/dev/null 2>&1 &&
        cmp -s "$GAIA_TMP/get/gaia-$segment" "$GAIA_TMP/get/stock-$segment" || bad_gaia="$bad_gaia $segment"
    sizes="$sizes $(stat -c %s "$GAIA_TMP/get/gaia-$segment" 2>/dev/null)"
    rm -f "$GAIA_TMP/get/stock-$segment"
done
assert_eq "stock archive-get returns each 64 MiB segment with the SHA-1 of its name" "" "$bad_stock"
assert_eq "gaiarest archive-get returns the same bytes" "" "$bad_gaia"
assert_eq "every fetched segment is 64 MiB" "" "$(tr ' ' '\n' <<<"$sizes" | grep . | grep -v '^67108864$' | head -3)"

# the last segment is still in pg_wal: compare with PostgreSQL's own file
as_pg cmp -s "$GAIA_TMP/pg/pg_wal/$LAST" "$GAIA_TMP/get/gaia-$LAST" && tap_ok "$LAST identical to pg_wal's" ||
    tap_not_ok "$LAST differs from pg_wal's"

# lz4 push of a 64 MiB segment by gaiarest, fetched by stock
as_pg mkdir -p "$GAIA_TMP/wal"
as_pg cp "$GAIA_TMP/get/gaia-$LAST" "$GAIA_TMP/wal/$LAST"
rm -rf "$GAIA_TMP/repo/archive/demo/15-1/${LAST:0:16}/$LAST-"*
run_gaiarest "$CONF" --stanza=demo --compress-type=lz4 archive-push "$GAIA_TMP/wal/$LAST" >/dev/null 2>&1
run_pgbackrest "$CONF" --stanza=demo archive-get "$LAST" "$GAIA_TMP/get/lz4-$LAST" >/dev/null 2>&1
cmp -s "$GAIA_TMP/wal/$LAST" "$GAIA_TMP/get/lz4-$LAST" && tap_ok "64 MiB segment pushed with lz4, stock get" ||
    tap_not_ok "64 MiB segment pushed with lz4, stock get"

tap_done
