#!/usr/bin/env bash
# Install what gaiarest needs to build and test on Debian 12 (run as root; idempotent).
# Build: compiler, autotools, the libraries. Tests: PostgreSQL 15, stock pgBackRest 2.45 (the peer),
# the compression CLIs (interop checks), Node.js/npm for the local S3 server, jq/python3 for comparisons,
# shellcheck for the contrib/gaia scripts.
set -euo pipefail

packages=(
    build-essential autoconf automake libtool pkg-config
    libpq-dev libssl-dev libzstd-dev liblz4-dev zlib1g-dev libbz2-dev libcurl4-openssl-dev libxml2-dev check
    postgresql-15 postgresql-client-15 pgbackrest
    lz4 zstd bzip2 gzip openssl jq python3 procps iproute2 util-linux
    prometheus groff-base shellcheck
)
# Node.js and npm (for the local S3 server): Debian's packages only where the machine has no node yet, since an
# installed upstream Node.js conflicts with Debian's npm.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: missing packages: ${missing[*]} (run this script as root)" >&2
        exit 1
    fi
    echo "install-deps: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's postgresql-common creates a default cluster on install; the tests never use it.
if command -v pg_lsclusters >/dev/null 2>&1 && pg_lsclusters -h 2>/dev/null | grep -q '^15 main'; then
    pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
fi
echo "install-deps: packages ok"

# The local S3 server for the tests: s3rver 3.7.1 from npm, patched by shared/tools/s3rver-fix.py
# (shared/ sits beside the repository; GAIAREST_SHARED overrides).
top=$(cd "$(dirname "$0")/.." && pwd)
shared=${GAIAREST_SHARED:-$(cd "$top/.." && pwd)/shared}
if [ ! -f "$top/test/s3/node_modules/s3rver/package.json" ]; then
    echo "install-deps: installing s3rver@3.7.1 (npm)"
    (cd "$top/test/s3" && npm install --no-audit --no-fund --silent s3rver@3.7.1 >/dev/null)
fi
python3 "$shared/tools/s3rver-fix.py" "$top/test/s3/node_modules/s3rver" >/dev/null
echo "install-deps: s3rver ok"
