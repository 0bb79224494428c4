#!/usr/bin/env bash
# Install what gaiarest needs to build and test on Debian 12 (run as root; idempotent).
# Build: compiler, autotools, the libraries. Tests: PostgreSQL 15, stock pgBackRest 2.45 (the peer),
# the compression CLIs (interop checks), Node.js/npm for the local S3 server, jq/python3 for comparisons.
set -euo pipefail

packages=(
    build-essential autoconf automake libtool pkg-config
    libpq-dev libssl-dev libzstd-dev liblz4-dev zlib1g-dev libbz2-dev libcurl4-openssl-dev libxml2-dev check
    postgresql-15 postgresql-client-15 pgbackrest
    lz4 zstd bzip2 gzip openssl jq python3 procps iproute2 util-linux nodejs npm
)

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
echo "install-deps: ok"
