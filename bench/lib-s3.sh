# bench/lib-s3.sh: the S3 repository mode of the benchmarks (sourced by bench/archive-push and bench/backup-restore).
#
#   BENCH_REPO=s3 bench/...   both tools use an S3 repository on a local s3rver (test/s3/s3rver-start.sh: TLS with
#                             a self-signed certificate, path style), each under its own repo path, with the same
#                             settings (default upload chunk size, CA file); BENCH_REPO=posix (the default) keeps
#                             local directories.
#
#   BENCH_S3_DELAY_MS=N       (with BENCH_REPO=s3) both tools reach s3rver through test/s3/s3proxy.py, which holds
#                             every request N ms before forwarding it: a stand-in for a remote bucket's round trip
#                             (the proxy's own TLS costs both tools the same CPU); unset: straight to s3rver
#
#   bench_s3_start WORK_DIR   start s3rver in WORK_DIR/s3 when BENCH_REPO=s3 (nothing otherwise); sets BENCH_S3_PID
#   bench_s3_stop             stop it (by PID)
#   bench_repo_conf KEY PATH  the config lines of repo KEY: an S3 repository with repo path /PATH, or the local
#                             directory PATH (absolute) in posix mode
# s3rver is not a fast server (one Node.js process writing files): the figures say how the two tools compare against
# the same server, not what a real bucket would give.
BENCH_REPO=${BENCH_REPO:-posix}
BENCH_S3_PID=
BENCH_S3_PROXY_PID=
BENCH_S3_BUCKET=bench

bench_s3_start() {
    [ "$BENCH_REPO" = s3 ] || return 0
    local here dir
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    dir=$1/s3
    mkdir -p "$dir"
    read -r BENCH_S3_PORT BENCH_S3_PID < <("$here/../test/s3/s3rver-start.sh" "$dir" "$BENCH_S3_BUCKET") ||
        { echo "s3rver did not start (npm install s3rver@3.7.1 in test/s3, see test/s3/README.md)" >&2; return 1; }
    [ -n "$BENCH_S3_PID" ] || { echo "s3rver did not start" >&2; return 1; }
    BENCH_S3_CA=$dir/cert.pem
    if [ -n "${BENCH_S3_DELAY_MS:-}" ]; then
        local delay upstream=$BENCH_S3_PORT
        delay=$(echo "$BENCH_S3_DELAY_MS / 1000" | bc -l)
        read -r BENCH_S3_PORT BENCH_S3_PROXY_PID < <(python3 "$here/../test/s3/s3proxy.py" --upstream-port "$upstream" \
            --cert "$dir/cert.pem" --key "$dir/key.pem" --no-verify --fault "stall:*:*:.*:$delay" \
            --log "$dir/proxy.jsonl" 2>"$dir/proxy.err" &)
        [ -n "$BENCH_S3_PROXY_PID" ] || { echo "s3proxy did not start" >&2; return 1; }
        echo "# S3 requests held ${BENCH_S3_DELAY_MS} ms each by s3proxy.py (port $BENCH_S3_PORT) before s3rver"
    fi
    chmod 0755 "$dir"
    chmod 0644 "$BENCH_S3_CA"
}

bench_s3_stop() {
    [ -n "$BENCH_S3_PROXY_PID" ] && kill "$BENCH_S3_PROXY_PID" 2>/dev/null
    BENCH_S3_PROXY_PID=
    [ -n "$BENCH_S3_PID" ] && kill "$BENCH_S3_PID" 2>/dev/null
    BENCH_S3_PID=
    return 0
}

bench_repo_conf() { # bench_repo_conf KEY PATH
    local key=$1 path=$2
    if [ "$BENCH_REPO" != s3 ]; then
        echo "repo$key-path=$path"
        return
    fi
    cat <<EOF
repo$key-type=s3
repo$key-path=/${path##*/}
repo$key-s3-bucket=$BENCH_S3_BUCKET
repo$key-s3-endpoint=localhost
repo$key-s3-region=us-east-1
repo$key-s3-key=S3RVER
repo$key-s3-key-secret=S3RVER
repo$key-s3-uri-style=path
repo$key-storage-host=localhost
repo$key-storage-port=$BENCH_S3_PORT
repo$key-storage-ca-file=$BENCH_S3_CA
EOF
}
