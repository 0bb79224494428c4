#!/bin/bash
# test_s3_faults.sh: gaiarest's S3 driver (through repo_open, driven by gaia-s3tool) against injected faults from
# s3proxy.py: 500, 503 SlowDown, 429 Retry-After, connection resets, stalls, truncated bodies, 403.
# Every operation either succeeds after retries or fails cleanly with an error naming the key, bucket and
# endpoint; once the faults stop, everything that was written successfully reads back complete, and nothing that
# failed is left behind. Multipart parts are equal except the smaller last one. A wrong secret is an
# authentication error naming the bucket and endpoint, never the secret.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../s3/lib-s3.sh"

lib_init
s3_start

C="$GAIA_TMP/conf"
W="$GAIA_TMP/work"
mkdir -p "$C" "$W/want"
s3_conf "$C/s3.conf" /faults "" "repo1-storage-upload-chunk-size=64KiB" "io-timeout=10"
s3_conf "$C/short.conf" /faults "" "repo1-storage-upload-chunk-size=64KiB" "io-timeout=3"
sed 's/^repo1-s3-key-secret=.*/repo1-s3-key-secret=NotTheRealSecret77/' "$C/s3.conf" >"$C/wrong.conf"

head -c 1000 /dev/urandom >"$W/small"
head -c $((300 * 1024 + 123)) /dev/urandom >"$W/big"   # 5 parts of 64 KiB, the last one smaller

tool() { # tool CONF OP ARGS...: gaia-s3tool; output in $W/tool.out / $W/tool.err
    "$S3_TOOL" --config="$1" "${@:2}" >"$W/tool.out" 2>"$W/tool.err"
}

# put_ok DESC KEY FILE [CONF]: the put succeeds (and is remembered for the final comparison)
put_ok() {
    local rc=0
    tool "${4:-$C/s3.conf}" put "$2" "$3" || rc=$?
    assert_status "$1" 0 $rc
    [ $rc = 0 ] || tap_diag <"$W/tool.err"
    [ $rc = 0 ] && cp "$3" "$W/want/$(echo "$2" | tr / _)"
    return 0
}

# assert_err DESC FIXED_STRING: the tool's stderr holds the string (shown on failure)
assert_err() {
    if grep -qF -- "$2" "$W/tool.err"; then
        tap_ok "$1"
    else
        tap_not_ok "$1"
        { echo "wanted: $2"; cat "$W/tool.err"; } | tap_diag
    fi
}

# faults_applied ACTION: how many requests since the mark got this fault
faults_applied() {
    s3_log_since | python3 -c 'import json,sys; print(sum(1 for l in sys.stdin if json.loads(l)["fault"] == sys.argv[1]))' "$1"
}

# --- faults that retries absorb --------------------------------------------------------------------------------
put_ok "baseline put" a/small "$W/small"

s3_log_mark
s3_faults "500:2:PUT:/faults/b/"
put_ok "PUT answered 500 twice, then stored" b/small "$W/small"
assert_eq "the proxy injected both 500s" 2 "$(faults_applied 500)"

s3_log_mark
s3_faults "503:2:GET:/faults/a/small"
rc=0; tool "$C/s3.conf" get a/small "$W/got" || rc=$?
assert_status "GET answered 503 SlowDown twice, then read" 0 $rc
assert_eq "content read after SlowDown" "$(md5sum <"$W/small")" "$(md5sum <"$W/got")"
assert_eq "the proxy injected both 503s" 2 "$(faults_applied 503)"

s3_log_mark
s3_faults "429:1:GET:list-type=2:2"
start=$(date +%s.%N)
rc=0; tool "$C/s3.conf" ls || rc=$?
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
assert_status "list answered 429 Retry-After: 2, then listed" 0 $rc
assert_eq "the retry waited for Retry-After (>= 2 s, took $elapsed s)" 1 "$(echo "$elapsed >= 2" | bc)"

s3_log_mark
s3_faults "reset:2:PUT:partNumber=2&"
put_ok "multipart upload with part 2 reset twice" c/big "$W/big"
assert_eq "the proxy reset both attempts" 2 "$(faults_applied reset)"
out=$(s3_log_check md5=1)
assert_eq "parts: signatures verified, Content-MD5 on each, equal sizes but the smaller last" "parts=5 uploads=1" "$out"
sizes=$(s3_log_since | python3 -c '
import json, sys
print(" ".join(str(r["body_size"]) for r in map(json.loads, sys.stdin)
      if r["method"] == "PUT" and "partNumber=" in r["query"] and r["status"] == 200))')
assert_eq "part sizes on the wire" "65536 65536 65536 65536 $((300 * 1024 + 123 - 4 * 65536))" "$sizes"

s3_log_mark
s3_faults "reset:1:POST:uploadId=" "500:1:POST:uploads="
put_ok "multipart upload with initiate 500 and complete reset" c/big2 "$W/big"

s3_log_mark
s3_faults "stall:1:GET:/faults/c/big:2"
rc=0; tool "$C/s3.conf" get c/big "$W/got" || rc=$?
assert_status "GET stalled 2 s (io-timeout 10 s) still reads" 0 $rc
assert_eq "content after the stall" "$(md5sum <"$W/big")" "$(md5sum <"$W/got")"

# --- faults that outlast io-timeout: clean failures ---------------------------------------------------------------
s3_log_mark
s3_faults "503:*:PUT:/faults/d/"
start=$(date +%s)
rc=0; tool "$C/short.conf" put d/never "$W/small" || rc=$?
elapsed=$(($(date +%s) - start))
assert_status "PUT answered 503 until io-timeout fails" 1 $rc
assert_err "error: protocol error naming status, code, key, bucket and endpoint" \
    "ERROR: [039]: unable to write 'faults/d/never' in bucket 'gaiarest' at localhost: HTTP 503 SlowDown"
assert_eq "gave up within io-timeout plus one backoff ($elapsed s)" 1 "$([ $elapsed -le 15 ] && echo 1)"
assert_eq "retried more than once" 1 "$([ "$(faults_applied 503)" -ge 2 ] && echo 1)"

s3_faults "500:*:PUT:partNumber=3&"
s3_log_mark
rc=0; tool "$C/short.conf" put d/big-never "$W/big" || rc=$?
assert_status "multipart with part 3 failing until io-timeout fails" 1 $rc
assert_eq "the unfinished upload was aborted" 1 \
    "$(s3_log_since | python3 -c 'import json,sys; print(sum(1 for r in map(json.loads, sys.stdin) if r["method"] == "DELETE" and "uploadId=" in r["query"]))')"

s3_faults "reset:*:GET:/faults/a/small"
rc=0; tool "$C/short.conf" get a/small "$W/got" || rc=$?
assert_status "GET reset until io-timeout fails" 1 $rc
assert_err "error: connection failure naming the host" "ERROR: [049]: unable to GET https://localhost/gaiarest/faults/a/small"

s3_faults "stall:*:HEAD:/faults/a/small:30"
start=$(date +%s)
rc=0; tool "$C/short.conf" rm a/small || rc=$?
elapsed=$(($(date +%s) - start))
assert_status "HEAD stalled beyond io-timeout fails" 1 $rc
assert_eq "stall detected within the io-timeout bound ($elapsed s)" 1 "$([ $elapsed -le 12 ] && echo 1)"
assert_err "stall error is a connection error naming the object" "ERROR: [049]: unable to HEAD https://localhost/gaiarest/faults/a/small"

s3_faults "truncate:1:GET:/faults/c/big"
rm -f "$W/got"
rc=0; tool "$C/s3.conf" get c/big "$W/got" || rc=$?
# When the cut arrives before the driver hands out the first body bytes the request is simply retried (the whole
# response was already in: a slower build); once bytes went to the reader the read must fail.
if [ $rc = 0 ]; then
    tap_ok "body cut halfway: retried before any byte was handed out"
    assert_eq "content after the retried cut" "$(md5sum <"$W/big")" "$(md5sum <"$W/got")"
else
    tap_ok "body cut halfway fails the read"
    assert_err "error: read error naming the object" "ERROR: [042]: unable to read https://localhost/gaiarest/faults/c/big"
fi

s3_log_mark
s3_faults "forbid:1:PUT:/faults/e/"
rc=0; tool "$C/s3.conf" put e/denied "$W/small" || rc=$?
assert_status "403 AccessDenied fails at once" 1 $rc
assert_eq "403 is not retried" 1 "$(s3_log_since | grep -c '"/gaiarest/faults/e/denied"')"
assert_err "error names AccessDenied, key and bucket" \
    "unable to write 'faults/e/denied' in bucket 'gaiarest' at localhost: HTTP 403 AccessDenied"

# 500 on the batch delete: retried.
s3_faults
put_ok "put under a path to delete" f/one "$W/small"
put_ok "put under a path to delete" f/two "$W/small"
rm -f "$W/want/f_one" "$W/want/f_two"
s3_faults "500:1:POST:delete="
rc=0; tool "$C/s3.conf" rmdir f || rc=$?
assert_status "batch delete answered 500 once, then done" 0 $rc
s3_faults
tool "$C/s3.conf" ls f
assert_eq "nothing left under the deleted path" "" "$(cat "$W/tool.out")"

# A DeleteResult that reports one object as not deleted: that key alone is deleted again. One whose error names no
# key: every key of the batch is deleted again. Either way nothing is left.
for action in keyed keyless; do
    s3_faults
    for name in one two three; do
        put_ok "put under a path to delete ($action)" "f$action/$name" "$W/small"
        rm -f "$W/want/f${action}_$name"
    done
    s3_log_mark
    s3_faults "$action:1:POST:delete="
    rc=0; tool "$C/s3.conf" rmdir "f$action" || rc=$?
    assert_status "batch delete with a $action error: done" 0 $rc
    assert_eq "the proxy kept one object back ($action)" 1 "$(faults_applied "$action")"
    assert_eq "single deletes after the $action error" "$([ $action = keyed ] && echo 1 || echo 3)" \
        "$(s3_log_since | python3 -c 'import json,sys; print(sum(1 for r in map(json.loads, sys.stdin) if r["method"] == "DELETE"))')"
    s3_faults
    tool "$C/s3.conf" ls "f$action"
    assert_eq "nothing left under the deleted path ($action)" "" "$(cat "$W/tool.out")"
done

# --- wrong secret ---------------------------------------------------------------------------------------------------
s3_log_mark
rc=0; tool "$C/wrong.conf" put g/secret "$W/small" || rc=$?
assert_status "wrong secret fails" 1 $rc
assert_eq "the proxy rejected the signature" 1 \
    "$(s3_log_since | python3 -c 'import json,sys; print(sum(1 for r in map(json.loads, sys.stdin) if r["sig"] == "mismatch"))')"
assert_err "error: SignatureDoesNotMatch naming key, bucket and endpoint" \
    "ERROR: [039]: unable to write 'faults/g/secret' in bucket 'gaiarest' at localhost: HTTP 403 SignatureDoesNotMatch"
assert_err "hint about key and secret" "HINT: check the S3 key and key-secret options (and the region) for bucket 'gaiarest'"
assert_eq "the secret appears nowhere in the output" 0 "$(cat "$W/tool.err" "$W/tool.out" | grep -c NotTheRealSecret77)"

# --- after the faults: everything written is complete, nothing failed is left ----------------------------------------
s3_faults
tool "$C/s3.conf" ls
expected=$(cd "$W/want" && for f in *; do echo "$(echo "$f" | tr _ /) $(stat -c %s "$f")"; done | sort)
assert_eq "the bucket holds exactly what was written successfully" "$expected" "$(cat "$W/tool.out")"
same=yes
for f in "$W"/want/*; do
    key=$(basename "$f" | tr _ /)
    "$S3_TOOL" --config="$C/s3.conf" get "$key" "$W/got" && cmp -s "$f" "$W/got" || { same="$key differs"; break; }
done
assert_eq "every object reads back byte for byte" yes "$same"

tap_done
