# test/s3/lib-s3.sh: S3 helpers for the integration scripts (sourced after test/integration/lib.sh and lib_init).
#
#   s3_start             start s3rver (test/s3/s3rver-start.sh) and the signature-checking proxy (s3proxy.py) in
#                        $GAIA_TMP/s3; sets S3_PORT (s3rver), S3_PROXY_PORT, S3_CA (the CA file), S3_LOG (the
#                        proxy's request log), S3_CONTROL (its fault control file); both are stopped (by PID) at exit
#   s3_faults SPEC...    replace the proxy's fault schedule (s3proxy.py: ACTION:COUNT:METHOD:PATH_REGEX[:ARG]);
#                        no SPEC clears it
#   s3_conf FILE PATH [PORT] [extra lines...]   write a config (repo1 on the bucket, path style, storage-host
#                        localhost, CA file) readable by postgres; PORT defaults to the proxy
#   s3_log_mark / s3_log_since   remember the log position / print the log lines written since
#   S3_TOOL              gaia-s3tool from the build directory (put/get/ls/rm/info files through repo_open)
#
# Why storage-host is "localhost", not 127.0.0.1: stock pgBackRest 2.45 checks the server certificate against
# storage-host when it is set and only compares DNS names (the certificate's IP:127.0.0.1 entry does not count):
# with 127.0.0.1 every request fails the host check and is retried until io-timeout (60 s), which looks like a hang.

S3_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
S3_BUCKET=${S3_BUCKET:-gaiarest}
S3_PIDS=()
S3_TOOL=${GAIA_S3TOOL:-$(dirname "$(command -v "${GAIAREST_BUILD:-$GAIAREST}" 2>/dev/null || echo .)")/test/s3/gaia-s3tool}

s3_cleanup() {
    local pid name
    # Clusters first: a shutdown waits for the archiver, whose archive_command may need the S3 server.
    for name in "${LIB_CLUSTERS[@]}"; do
        pg_stop "$name" >/dev/null 2>&1 || true
    done
    for pid in "${S3_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    lib_cleanup
}

s3_start() {
    [ -x "$S3_TOOL" ] || bail_out "gaia-s3tool not built: $S3_TOOL (run make check)"
    local dir="$GAIA_TMP/s3" pid
    mkdir -p "$dir"
    trap s3_cleanup EXIT
    read -r S3_PORT pid < <("$S3_SRC/s3rver-start.sh" "$dir" "$S3_BUCKET") ||
        bail_out "s3rver did not start (npm install s3rver@3.7.1 in test/s3, see test/s3/README.md)"
    [ -n "${pid:-}" ] || bail_out "s3rver did not start"
    S3_PIDS+=("$pid")
    S3_CA="$dir/cert.pem"
    chmod 0644 "$S3_CA"
    S3_LOG="$dir/proxy.jsonl"
    S3_CONTROL="$dir/faults"
    : >"$S3_CONTROL"
    python3 "$S3_SRC/s3proxy.py" --upstream-port "$S3_PORT" --cert "$dir/cert.pem" --key "$dir/key.pem" \
        --ca-file "$S3_CA" --log "$S3_LOG" --control "$S3_CONTROL" --port-file "$dir/proxy.port" \
        >"$dir/proxy.out" 2>"$dir/proxy.err" &
    S3_PIDS+=("$!")
    local i
    for i in $(seq 1 100); do
        [ -s "$dir/proxy.port" ] && break
        sleep 0.1
    done
    [ -s "$dir/proxy.port" ] || { tap_diag <"$dir/proxy.err"; bail_out "s3proxy did not start"; }
    read -r S3_PROXY_PORT pid <"$dir/proxy.port"
}

s3_faults() {
    printf '%s\n' "$@" >"$S3_CONTROL.new"
    mv "$S3_CONTROL.new" "$S3_CONTROL"
}

s3_conf() { # s3_conf FILE PATH [PORT] [extra lines...]
    local file=$1 path=$2 port=${3:-$S3_PROXY_PORT}
    shift 3 2>/dev/null || shift $#
    {
        echo "[global]"
        echo "repo1-type=s3"
        echo "repo1-s3-bucket=$S3_BUCKET"
        echo "repo1-s3-endpoint=localhost"
        echo "repo1-s3-region=us-east-1"
        echo "repo1-s3-key=S3RVER"
        echo "repo1-s3-key-secret=S3RVER"
        echo "repo1-s3-uri-style=path"
        echo "repo1-storage-host=localhost"
        echo "repo1-storage-port=$port"
        echo "repo1-storage-ca-file=$S3_CA"
        echo "repo1-path=$path"
        echo "log-path=$GAIA_TMP/log"
        echo "lock-path=$GAIA_TMP/lock"
        echo "spool-path=$GAIA_TMP/spool"
        echo "log-level-console=warn"
        echo "log-level-file=off"
        printf '%s\n' "$@"
    } >"$file"
    chmod 0644 "$file"
    mkdir -p "$GAIA_TMP/log" "$GAIA_TMP/lock" "$GAIA_TMP/spool"
    chmod 0777 "$GAIA_TMP/log" "$GAIA_TMP/lock" "$GAIA_TMP/spool"
}

S3_LOG_MARK=0
s3_log_mark() {
    S3_LOG_MARK=$(wc -l <"$S3_LOG")
}

s3_log_since() {
    tail -n +"$((S3_LOG_MARK + 1))" "$S3_LOG"
}

# s3_log_check: the requests logged since the mark (python, one verdict line per problem; no output = fine):
# every signature verified, no forbidden header, Content-MD5 on every PUT/POST (md5=1), and for every multipart
# upload all parts but the last of one size and the last no larger. Prints "parts=<n> uploads=<n>" last.
s3_log_check() { # s3_log_check [md5=1]
    s3_log_since | python3 -c '
import json, sys, collections
need_md5 = "md5=1" in sys.argv[1:]
forbidden = ("x-amz-tagging", "x-amz-server-side-encryption", "x-amz-request-payer", "x-amz-checksum-", "expect",
             "transfer-encoding")
uploads = collections.defaultdict(dict)
for line in sys.stdin:
    r = json.loads(line)
    if r["fault"] is None and r["sig"] != "ok":
        print("signature %s: %s %s" % (r["sig"], r["method"], r["path"]))
    for name in r["headers"]:
        if name.startswith(forbidden):
            print("forbidden header %s: %s %s" % (name, r["method"], r["path"]))
    if need_md5 and r["method"] in ("PUT", "POST") and not r["md5"]:
        print("no Content-MD5: %s %s?%s" % (r["method"], r["path"], r["query"]))
    if r["method"] == "PUT" and "partNumber=" in r["query"] and r["status"] == 200:
        q = dict(p.split("=", 1) for p in r["query"].split("&"))
        uploads[q["uploadId"]][int(q["partNumber"])] = r["body_size"]
parts = 0
for upload, sizes in uploads.items():
    numbers = sorted(sizes)
    parts += len(numbers)
    if numbers != list(range(1, len(numbers) + 1)):
        print("upload %s: part numbers %s" % (upload, numbers))
    body = [sizes[n] for n in numbers]
    if len(set(body[:-1])) > 1 or (len(body) > 1 and body[-1] > body[0]):
        print("upload %s: unequal parts %s" % (upload, body))
print("parts=%d uploads=%d" % (parts, len(uploads)))
' "$@"
}
