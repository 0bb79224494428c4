#!/bin/bash
# test_info_files.sh: the repository format codecs against files written by stock pgBackRest 2.45.
#   - every archive.info, backup.info and backup.manifest (and .copy) of every fixture repository, loaded and
#     saved again by gaiarest's codecs (test/tools/gaia-resave), is byte-identical to the original; for the
#     encrypted repository the decrypted texts are compared, and stock pgBackRest reads the re-encrypted files;
#   - a damaged backup.info: gaiarest info warns (naming both files) and prints what stock prints;
#     backup.info and its copy damaged: the same error output and exit code as stock, and `info` changes no
#     byte of the repository.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixture-stock.sh"

GAIA_RESAVE=${GAIA_RESAVE:-$(dirname "$(command -v "$GAIAREST")")/test/tools/gaia-resave}
lib_init
fixture_stock

[ -x "$GAIA_RESAVE" ] || bail_out "gaia-resave not found: $GAIA_RESAVE (make check builds it)"
# Like gaiarest (lib_install_binary), run a copy that the postgres user can reach; every file is made as postgres.
install -m 0755 "$GAIA_RESAVE" "$GAIA_TMP/bin/gaia-resave" || bail_out "cannot copy $GAIA_RESAVE"
resave() { as_pg "$GAIA_TMP/bin/gaia-resave" "$@"; }
C=$FIX/conf
WORK="$GAIA_TMP/files"
mkdir -p "$WORK"
chmod 0777 "$WORK"

decrypt() { # decrypt PASS FILE: the plain text on stdout (OpenSSL's own tool, independent of gaiarest)
    openssl enc -d -aes-256-cbc -md sha1 -pass "pass:$1" -in "$2" 2>/dev/null
}

kind_of() { # kind_of FILE: the gaia-resave kind of an info file or manifest
    case "$(basename "$1")" in
    archive.info*) echo archive ;;
    backup.info*) echo backup ;;
    backup.manifest*) echo manifest ;;
    esac
}

repo_files() { # repo_files REPO: every info file and manifest (with .copy) of the repository, sorted
    find "$1" \( -name archive.info -o -name archive.info.copy -o -name backup.info -o -name backup.info.copy \
        -o -name backup.manifest -o -name backup.manifest.copy \) -type f | sort
}

# ---------------------------------------------------------------------------------------------------------------------
# (b) Plain repositories: load + save gives the same bytes.
# ---------------------------------------------------------------------------------------------------------------------
N=0
for repo in repo1 repo-multi repo-empty repo-nodata; do
    count=0
    failed=()
    for file in $(repo_files "$FIX/$repo"); do
        N=$((N + 1))
        count=$((count + 1))
        out="$WORK/plain-$N"
        if ! resave --no-fallback "$(kind_of "$file")" "$file" "$out" 2>"$out.err"; then
            failed+=("${file#"$FIX"/}: $(cat "$out.err")")
        elif ! cmp -s "$file" "$out" || ! cmp -s "$file" "$out.copy"; then
            failed+=("${file#"$FIX"/}: re-saved bytes differ ($(cmp "$file" "$out" 2>&1))")
        fi
    done
    if [ "$count" -lt 2 ]; then
        tap_not_ok "$repo: re-saved info files and manifests are byte-identical (no files found)"
    elif [ ${#failed[@]} = 0 ]; then
        tap_ok "$repo: $count info files and manifests re-saved byte-identical"
    else
        tap_not_ok "$repo: re-saved info files and manifests are byte-identical"
        printf '%s\n' "${failed[@]}" | head -20 | tap_diag
    fi
done

# Every compress type of the fixture has a manifest among those compared (the manifests name their type).
types=$(grep -h '^option-compress-type=' $(find "$FIX/repo1" -name backup.manifest) | sort -u | tr '\n' ' ')
assert_eq "repo1: manifests of every compress type compared" \
    'option-compress-type="bz2" option-compress-type="gz" option-compress-type="lz4" option-compress-type="none" option-compress-type="zst" ' \
    "$types"

# ---------------------------------------------------------------------------------------------------------------------
# (b) The encrypted repository: archive.info / backup.info with the repo pass, manifests with the backup.info
# subpass. Decrypted by gaiarest (written plain) = decrypted by openssl; re-encrypted by gaiarest, decrypted by
# openssl = the original plain text; and stock pgBackRest reads a copy of the repository whose every info file
# and manifest is gaiarest's re-encrypted one.
# ---------------------------------------------------------------------------------------------------------------------
subpass=$(decrypt "$FIXTURE_CIPHER_PASS" "$FIX/repo2/backup/demo/backup.info" |
    sed -n 's/^cipher-pass="\(.*\)"$/\1/p')
[ -n "$subpass" ] || bail_out "cannot read the manifest subpass of repo2/backup/demo/backup.info"
fixture_copy_meta "$FIX/repo2" "$WORK/repo2-resaved"
count=0
failed=()
for file in $(repo_files "$FIX/repo2"); do
    N=$((N + 1))
    count=$((count + 1))
    kind=$(kind_of "$file")
    pass=$FIXTURE_CIPHER_PASS
    [ "$kind" = manifest ] && pass=$subpass
    out="$WORK/enc-$N"
    decrypt "$pass" "$file" >"$out.orig" || failed+=("${file#"$FIX"/}: openssl cannot decrypt the original")
    if ! resave --no-fallback --cipher-pass="$pass" --out-cipher-pass= "$kind" "$file" "$out.plain" \
        2>"$out.err"; then
        failed+=("${file#"$FIX"/}: $(cat "$out.err")")
        continue
    fi
    cmp -s "$out.orig" "$out.plain" || failed+=("${file#"$FIX"/}: decrypted and re-saved text differs")
    if ! resave --no-fallback --cipher-pass="$pass" "$kind" "$file" "$out.enc" 2>"$out.err"; then
        failed+=("${file#"$FIX"/}: $(cat "$out.err")")
        continue
    fi
    decrypt "$pass" "$out.enc" >"$out.dec" || failed+=("${file#"$FIX"/}: openssl cannot decrypt gaiarest's file")
    cmp -s "$out.orig" "$out.dec" || failed+=("${file#"$FIX"/}: re-encrypted text differs")
    cmp -s "$file" "$out.enc" && failed+=("${file#"$FIX"/}: re-encrypted bytes equal the original (no fresh salt?)")
    as_pg cp "$out.enc" "$WORK/repo2-resaved/${file#"$FIX/repo2/"}"
done
if [ "$count" -lt 8 ]; then
    tap_not_ok "repo2 (encrypted): re-saved files (only $count found)"
elif [ ${#failed[@]} = 0 ]; then
    tap_ok "repo2 (encrypted): $count info files and manifests decrypt, re-save and re-encrypt to the same text"
else
    tap_not_ok "repo2 (encrypted): info files and manifests re-saved"
    printf '%s\n' "${failed[@]}" | head -20 | tap_diag
fi

# Stock pgBackRest reads gaiarest's encrypted files: info (every backup with --set) is unchanged.
sed "s|^repo1-path=.*|repo1-path=$WORK/repo2-resaved|" "$C/enc.conf" >"$WORK/enc-resaved.conf"
chmod 0644 "$WORK/enc-resaved.conf"
for set in "" $(run_pgbackrest "$C/enc.conf" --stanza=demo --output=json info | jq -r '.[].backup[].label'); do
    args=(--stanza=demo --output=json)
    [ -n "$set" ] && args+=(--set="$set")
    run_pgbackrest "$C/enc.conf" "${args[@]}" info >"$WORK/enc-orig.json" 2>&1
    run_pgbackrest "$WORK/enc-resaved.conf" "${args[@]}" info >"$WORK/enc-resaved.json" 2>&1
    # The repository path is the only legitimate difference (it appears in no JSON field of a healthy repo).
    assert_file_eq "stock info reads gaiarest's re-encrypted repo2${set:+ (--set=$set)}" \
        "$WORK/enc-orig.json" "$WORK/enc-resaved.json"
done

# ---------------------------------------------------------------------------------------------------------------------
# (c) Damaged backup.info.
# ---------------------------------------------------------------------------------------------------------------------
flip_byte() { # flip_byte FILE OFFSET
    as_pg python3 -c 'import sys; p=sys.argv[1]; o=int(sys.argv[2]); b=bytearray(open(p,"rb").read()); b[o]^=0x20; open(p,"wb").write(b)' "$1" "$2"
}
repo_digest() { # repo_digest REPO: sha1 of every file (path-sorted), plus the listing with modes
    (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha1sum && find . -printf '%M %p\n' | sort)
}
scratch_repo() { # scratch_repo NAME: copy repo1 to $WORK/NAME and print a config for it
    fixture_copy_meta "$FIX/repo1" "$WORK/$1"
    sed "s|^repo1-path=.*|repo1-path=$WORK/$1|" "$C/plain.conf" >"$WORK/$1.conf"
    chmod 0644 "$WORK/$1.conf"
    echo "$WORK/$1.conf"
}

# run_both CONF ARGS...: stock and gaiarest info into $WORK/{stock,gaia}.{out,err}, exit codes in RC_STOCK/RC_GAIA.
run_both() {
    local conf=$1
    shift
    RC_STOCK=0
    RC_GAIA=0
    run_pgbackrest "$conf" "$@" info >"$WORK/stock.out" 2>"$WORK/stock.err" || RC_STOCK=$?
    run_gaiarest "$conf" "$@" info >"$WORK/gaia.out" 2>"$WORK/gaia.err" || RC_GAIA=$?
}

conf=$(scratch_repo bad-main)
bad="$WORK/bad-main/backup/demo/backup.info"
flip_byte "$bad" 40
before=$(repo_digest "$WORK/bad-main")
for output in text json; do
    run_both "$conf" --output=$output
    assert_file_eq "backup.info damaged, --output=$output: stdout equals stock's" "$WORK/stock.out" "$WORK/gaia.out"
    assert_status "backup.info damaged, --output=$output: exit code equals stock's" "$RC_STOCK" "$RC_GAIA"
    if grep -q "^WARN: " "$WORK/gaia.err" && grep -qF "'$bad'" "$WORK/gaia.err" &&
        grep -qF "'$bad.copy'" "$WORK/gaia.err"; then
        tap_ok "backup.info damaged, --output=$output: a warning names backup.info and backup.info.copy"
    else
        tap_not_ok "backup.info damaged, --output=$output: a warning names backup.info and backup.info.copy"
        tap_diag <"$WORK/gaia.err"
    fi
done
assert_eq "backup.info damaged: info leaves the repository unchanged" "$before" "$(repo_digest "$WORK/bad-main")"

conf=$(scratch_repo bad-both)
bad="$WORK/bad-both/backup/demo/backup.info"
flip_byte "$bad" 40
flip_byte "$bad.copy" 40
before=$(repo_digest "$WORK/bad-both")
for output in text json; do
    run_both "$conf" --output=$output
    assert_file_eq "backup.info and copy damaged, --output=$output: stdout equals stock's" \
        "$WORK/stock.out" "$WORK/gaia.out"
    assert_file_eq "backup.info and copy damaged, --output=$output: stderr equals stock's" \
        "$WORK/stock.err" "$WORK/gaia.err"
    assert_status "backup.info and copy damaged, --output=$output: exit code equals stock's" "$RC_STOCK" "$RC_GAIA"
done
# The error names both files and the checksum failure.
if grep -qF "unable to load info file '$bad' or '$bad.copy'" "$WORK/gaia.out" &&
    grep -q "ChecksumError: invalid checksum" "$WORK/gaia.out"; then
    tap_ok "backup.info and copy damaged: the error names both files and the checksum failure"
else
    tap_not_ok "backup.info and copy damaged: the error names both files and the checksum failure"
    tap_diag <"$WORK/gaia.out"
fi
assert_eq "backup.info and copy damaged: info leaves the repository unchanged" "$before" \
    "$(repo_digest "$WORK/bad-both")"

tap_done
