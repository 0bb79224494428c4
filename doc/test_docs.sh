#!/bin/bash
# doc/test_docs.sh: the committed command reference and man page are exactly what doc/gaiarest-docgen writes from
# the option table today (run `make update-docs` after changing the table or landing a command), the man page
# renders without a groff warning, and every command of the table has its section in the user guide.
set -u
srcdir=${srcdir:-.}
docgen=./doc/gaiarest-docgen
count=0
failed=0
ok() { count=$((count + 1)); echo "ok $count - $1"; }
not_ok() { count=$((count + 1)); failed=$((failed + 1)); echo "not ok $count - $1"; }
diag() { sed 's/^/# /'; }

[ -x "$docgen" ] || { echo "Bail out! $docgen not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gaia-docs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

same() { # same DESC COMMITTED GENERATED
    local out
    if out=$(diff -u "$2" "$3" 2>&1); then
        ok "$1"
    else
        not_ok "$1 (run 'make update-docs' and commit the result)"
        printf '%s\n' "$out" | head -40 | diag
    fi
}

"$docgen" markdown >"$tmp/reference.md" || not_ok "docgen markdown runs"
same "doc/command-reference.md is the generator's output" "$srcdir/doc/command-reference.md" "$tmp/reference.md"
"$docgen" man "$srcdir/doc/gaiarest.1.in" >"$tmp/gaiarest.1" || not_ok "docgen man runs"
same "doc/gaiarest.1 is the generator's output" "$srcdir/doc/gaiarest.1" "$tmp/gaiarest.1"

warnings=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$srcdir/doc/gaiarest.1" 2>&1)
if [ -z "$warnings" ]; then
    ok "man page renders without warnings"
else
    not_ok "man page renders without warnings"
    printf '%s\n' "$warnings" | head -20 | diag
fi

# Every option of the table is in both documents (the generator cannot skip one silently).
missing=$(grep -o '^### --[a-zN0-9-]*' "$srcdir/doc/command-reference.md" | sed 's/^### //' | while read -r opt; do
    grep -q -- "$(printf '%s' "$opt" | sed 's/-/\\\\-/g')" "$srcdir/doc/gaiarest.1" || echo "$opt"
done)
if [ -z "$missing" ]; then
    ok "every option of the reference is in the man page"
else
    not_ok "every option of the reference is in the man page"
    printf '%s\n' "$missing" | diag
fi

# The user guide speaks of every command.
for command in $(grep -o '^| \[[a-z-]*\]' "$srcdir/doc/command-reference.md" | tr -d '|[] '); do
    if grep -q -- "gaiarest.* $command\b\|\`$command\`" "$srcdir/doc/user-guide.md"; then
        ok "user guide covers $command"
    else
        not_ok "user guide covers $command"
    fi
done

echo "1..$count"
[ "$failed" = 0 ]
