#!/bin/sh
# Start a local S3 server (s3rver 3.7.1, patched by shared/tools/s3rver-fix.py) over TLS for tests.
#
#   test/s3/s3rver-start.sh <work-dir> [bucket]
#
# Makes a self-signed certificate for localhost/127.0.0.1 in <work-dir> (cert.pem, key.pem; use cert.pem as
# the CA file; it also names s3.amazonaws.com and *.s3.amazonaws.com for host-style tests), keeps the objects in <work-dir>/data, creates <bucket> (default "gaiarest"), binds 127.0.0.1
# on a free port and prints "<port> <pid>" once the server answers. Credentials: S3RVER / S3RVER.
# Stop it with: kill <pid>. Needs `npm install s3rver@3.7.1` in test/s3 (see test/s3/README.md).
set -eu

work=${1:?usage: s3rver-start.sh <work-dir> [bucket]}
bucket=${2:-gaiarest}
here=$(cd "$(dirname "$0")" && pwd)
# shared/ sits beside the repository (as in CI); GAIAREST_SHARED overrides.
shared=${GAIAREST_SHARED:-$(cd "$here/../../.." && pwd)/shared}
s3rver="$here/node_modules/s3rver/bin/s3rver.js"

if [ ! -f "$s3rver" ]; then
    echo "s3rver is not installed: run 'npm install s3rver@3.7.1' in $here and" \
         "'python3 $shared/tools/s3rver-fix.py $here/node_modules/s3rver'" >&2
    exit 1
fi
python3 "$shared/tools/s3rver-fix.py" "$here/node_modules/s3rver" >/dev/null

mkdir -p "$work/data"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:s3.amazonaws.com,DNS:*.s3.amazonaws.com \
    -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

# s3rver encrypts its list continuation tokens with DES, which Node 20 (OpenSSL 3) only has in the legacy
# provider: without it any listing of more than max-keys objects fails with HTTP 500.
# --no-vhost-buckets: the path names the bucket whatever the Host header says (by default s3rver takes any Host
# other than localhost or an IP as a bucket name); host style still works for <bucket>.s3.amazonaws.com.
node --openssl-legacy-provider "$s3rver" --no-vhost-buckets -d "$work/data" -a 127.0.0.1 -p "$port" --silent --key "$work/key.pem" --cert "$work/cert.pem" \
    --configure-bucket "$bucket" >"$work/s3rver.log" 2>&1 &
pid=$!

tries=0
until curl -s -o /dev/null --cacert "$work/cert.pem" "https://localhost:$port/" 2>/dev/null; do
    tries=$((tries + 1))
    if [ $tries -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
        echo "s3rver did not start (see $work/s3rver.log)" >&2
        kill "$pid" 2>/dev/null || true
        exit 1
    fi
    sleep 0.1
done
echo "$port $pid"
