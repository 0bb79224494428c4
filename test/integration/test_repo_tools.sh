#!/usr/bin/env bash
# gaiarest repo-ls and repo-get against stock pgBackRest 2.45 on the same stock-made repositories (the shared
# fixture: a plain and an encrypted posix repo): for each invocation, the same standard output, the same messages
# and the same exit status. repo-ls: text and JSON, --recurse, --sort, --filter, relative and absolute paths, a
# file, a missing path, a path outside the repository. repo-get: info files, manifests, WAL segments, backup.history
# and backup files (decrypted with the pass each was written with in the encrypted repo, not decompressed), a
# missing file with and without --ignore-missing. The S3 side is in test_s3_commands.sh. annotate on copies of
# both repositories: the backup.info each program rewrites is the same as the other's (decrypted when encrypted).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixture-stock.sh"
lib_init
fixture_stock

# same DESC CONF COMMAND ARGS...: run both programs, compare stdout+stderr and the exit status
same() {
    local desc=$1 conf=$2
    shift 2
    run_pgbackrest "$conf" "$@" >"$GAIA_TMP/s.out" 2>&1
    echo "exit $?" >>"$GAIA_TMP/s.out"
    run_gaiarest "$conf" "$@" >"$GAIA_TMP/g.out" 2>&1
    echo "exit $?" >>"$GAIA_TMP/g.out"
    assert_file_eq "$desc" "$GAIA_TMP/s.out" "$GAIA_TMP/g.out"
}

PLAIN=$FIX/conf/plain.conf
ENC=$FIX/conf/enc.conf

# --- repo-ls ------------------------------------------------------------------------------------------------------------
same "repo-ls: the root" "$PLAIN" repo-ls
same "repo-ls: the root as JSON" "$PLAIN" repo-ls --output=json
same "repo-ls: a path as JSON (files with size and time)" "$PLAIN" repo-ls --output=json archive/demo
same "repo-ls: recursive" "$PLAIN" repo-ls --recurse archive
same "repo-ls: recursive JSON" "$PLAIN" repo-ls --recurse --output=json backup/demo
same "repo-ls: descending, filtered" "$PLAIN" repo-ls --sort=desc --filter='^arch'
same "repo-ls: recursive, descending (the link 'latest' first)" "$PLAIN" repo-ls --recurse --sort=desc backup/demo
same "repo-ls: a filter over recursive names" "$PLAIN" repo-ls --recurse --filter='info$' archive
same "repo-ls: a file (text)" "$PLAIN" repo-ls backup/demo/backup.info
same "repo-ls: a file (JSON)" "$PLAIN" repo-ls --output=json backup/demo/backup.info
same "repo-ls: a file the filter drops" "$PLAIN" repo-ls --output=json --filter=zz backup/demo/backup.info
same "repo-ls: an absolute path inside the repository, trailing slash" "$PLAIN" repo-ls --output=json "$FIX/repo1/archive/"
same "repo-ls: a missing path lists as empty" "$PLAIN" repo-ls --output=json nothing
same "repo-ls: a path outside the repository is refused" "$PLAIN" repo-ls /etc
same "repo-ls: the encrypted repository (names are not encrypted)" "$ENC" repo-ls --recurse --output=json archive/demo
rc=0
run_gaiarest "$PLAIN" repo-ls --filter='[' archive >"$GAIA_TMP/bad.out" 2>&1 || rc=$?
assert_status "repo-ls: a bad --filter is a format error (as stock)" 29 $rc
grep -q "filter" "$GAIA_TMP/bad.out" && tap_ok "repo-ls: the message names --filter" ||
    { tap_not_ok "repo-ls: the message names --filter"; tap_diag <"$GAIA_TMP/bad.out"; }

# --- repo-get -----------------------------------------------------------------------------------------------------------
for conf in "$PLAIN" "$ENC"; do
    name=$(basename "$conf" .conf)
    label=$(run_pgbackrest "$conf" --stanza=demo --output=json info | jq -r '.[0].backup[-1].label')
    segment=$(run_pgbackrest "$conf" repo-ls --recurse archive/demo | grep -E '/[0-9A-F]{24}-[0-9a-f]{40}' | tail -1)
    history_file=$(run_pgbackrest "$conf" repo-ls --recurse archive/demo | grep -E '\.backup$' | head -1)
    backup_file=$(run_pgbackrest "$conf" repo-ls --recurse "backup/demo/$label/pg_data/base" | grep -E '/[0-9]+(\.[a-z0-9]+)?$' | head -1)
    manifest_history=$(run_pgbackrest "$conf" repo-ls --recurse backup/demo/backup.history | grep manifest | head -1)
    [ -n "$segment" ] && [ -n "$history_file" ] && [ -n "$backup_file" ] && [ -n "$manifest_history" ] ||
        bail_out "repo-get: the fixture lacks a file to get ($name)"
    same "repo-get ($name): archive.info" "$conf" repo-get archive/demo/archive.info
    same "repo-get ($name): backup.info.copy" "$conf" repo-get backup/demo/backup.info.copy
    same "repo-get ($name): a manifest" "$conf" repo-get "backup/demo/$label/backup.manifest"
    same "repo-get ($name): a WAL segment (still compressed)" "$conf" repo-get "archive/demo/$segment"
    same "repo-get ($name): a backup history file" "$conf" repo-get "archive/demo/$history_file"
    same "repo-get ($name): a backup file" "$conf" repo-get "backup/demo/$label/pg_data/base/$backup_file"
    same "repo-get ($name): a manifest in backup.history" "$conf" repo-get "backup/demo/backup.history/$manifest_history"
    same "repo-get ($name): a missing file" "$conf" repo-get archive/demo/nothing
    same "repo-get ($name): a missing file with --ignore-missing (exit 1)" "$conf" repo-get --ignore-missing archive/demo/nothing
done
same "repo-get: no file named" "$PLAIN" repo-get
same "repo-get: outside the repository" "$PLAIN" repo-get /etc/passwd
same "repo-get --raw: the bytes as stored (encrypted)" "$ENC" repo-get --raw archive/demo/archive.info
# the encrypted WAL segment really is decrypted: it decompresses to a whole segment
segment=$(run_pgbackrest "$ENC" repo-ls --recurse archive/demo | grep -E '/[0-9A-F]{24}-[0-9a-f]{40}\.gz$' | tail -1)
if [ -n "$segment" ]; then
    size=$(run_gaiarest "$ENC" repo-get "archive/demo/$segment" | gzip -dc | wc -c)
    assert_eq "repo-get of an encrypted gz segment, gunzipped, is a 16 MiB segment" 16777216 "$size"
else
    tap_not_ok "repo-get of an encrypted gz segment: no gz segment in the encrypted fixture"
fi

# --- annotate ------------------------------------------------------------------------------------------------------------
# The same annotate by each program on its own copy of the plain and of the encrypted repository: the rewritten
# backup.info (and .copy) are byte-identical to stock's, the manifest untouched; stock info shows the result.
for source in plain enc; do
    src_repo=$FIX/repo1
    [ $source = enc ] && src_repo=$FIX/repo2
    for tool in stock gaia; do
        fixture_copy_meta "$src_repo" "$GAIA_TMP/annotate-$source-$tool"
        sed "s#^repo1-path=.*#repo1-path=$GAIA_TMP/annotate-$source-$tool#" "$FIX/conf/$source.conf" >"$GAIA_TMP/annotate-$source-$tool.conf"
        chmod 0644 "$GAIA_TMP/annotate-$source-$tool.conf"
    done
    label=$(run_pgbackrest "$GAIA_TMP/annotate-$source-stock.conf" --stanza=demo --output=json info | jq -r '.[0].backup[0].label')
    same_conf() { # same_conf DESC ARGS...: stock on its copy, gaiarest on its own, same output and exit status
        local desc=$1
        shift
        run_pgbackrest "$GAIA_TMP/annotate-$source-stock.conf" "$@" 2>&1 | sed "s#annotate-$source-stock#COPY#g" >"$GAIA_TMP/s.out"
        echo "exit ${PIPESTATUS[0]}" >>"$GAIA_TMP/s.out"
        run_gaiarest "$GAIA_TMP/annotate-$source-gaia.conf" "$@" 2>&1 | sed "s#annotate-$source-gaia#COPY#g" >"$GAIA_TMP/g.out"
        echo "exit ${PIPESTATUS[0]}" >>"$GAIA_TMP/g.out"
        assert_file_eq "$desc" "$GAIA_TMP/s.out" "$GAIA_TMP/g.out"
    }
    same_conf "annotate ($source): set one key, remove another" --stanza=demo --set="$label" --annotation=owner=gaia \
        --annotation=purpose= --annotation=site=edge annotate
    same_conf "annotate ($source): a set that is not there (error 75)" --stanza=demo --set=20990101-000000F \
        --annotation=a=b annotate
    # plain text (the encrypted copies differ in their random salt: compared decrypted)
    text_of() { # text_of FILE: its content, decrypted with the repository pass in the encrypted repository
        if [ $source = enc ] && [ "${1##*/}" != backup.manifest ]; then
            openssl enc -d -aes-256-cbc -md sha1 -pass "pass:$FIXTURE_CIPHER_PASS" -in "$1" 2>/dev/null
        else
            cat "$1"
        fi
    }
    for file in backup.info backup.info.copy "$label/backup.manifest"; do
        if [ "$(text_of "$GAIA_TMP/annotate-$source-stock/backup/demo/$file" | md5sum)" = \
            "$(text_of "$GAIA_TMP/annotate-$source-gaia/backup/demo/$file" | md5sum)" ] &&
            [ -n "$(text_of "$GAIA_TMP/annotate-$source-gaia/backup/demo/$file" | head -c 10)" ]; then
            tap_ok "annotate ($source): $file the same as stock's"
        else
            tap_not_ok "annotate ($source): $file the same as stock's"
        fi
    done
    assert_eq "annotate ($source): stock info reads the new annotations" '{"owner":"gaia","site":"edge"}' \
        "$(run_pgbackrest "$GAIA_TMP/annotate-$source-gaia.conf" --stanza=demo --set="$label" --output=json info |
            jq -c '.[0].backup[0].annotation')"
done

tap_done
