#!/usr/bin/env python3
"""metrics_compare.py: a strict reader of Prometheus' text exposition format (0.0.4) and the comparison of
`gaiarest info --output=prometheus` with `gaiarest info --output=json` for the same repositories.

  metrics_compare.py check JSON PROM [--pg] [--type=T]
                                              every series the JSON implies, with its value, and nothing else
                                              (--pg: the gaiarest_pg_* / archiver series may appear too;
                                              --type: info ran with --type=T, only T is counted)
  metrics_compare.py get PROM 'name{a="b"}'   print one sample's value (exit 1 when absent)

Problems are printed one a line and make the exit status 1.
"""
import json
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
PG_FAMILIES = {
    "gaiarest_pg_up", "gaiarest_pg_in_recovery", "gaiarest_archive_archived_total", "gaiarest_archive_failed_total",
    "gaiarest_archive_last_archived_timestamp_seconds", "gaiarest_archive_last_failure_timestamp_seconds",
    "gaiarest_archive_lag_segments", "gaiarest_archive_lag_bytes",
}


class FormatError(Exception):
    pass


def parse_labels(text, pos, lineno):
    """Parse '{a="b",c="d"}' starting at text[pos] == '{'; return (tuple of pairs, position after '}')."""
    labels = []
    pos += 1
    while True:
        if text[pos] == "}":
            return tuple(labels), pos + 1
        m = re.compile(LABEL).match(text, pos)
        if not m:
            raise FormatError(f"line {lineno}: bad label name at column {pos}")
        name = m.group(0)
        pos = m.end()
        if text[pos:pos + 2] != '="':
            raise FormatError(f"line {lineno}: expected =\" after label {name}")
        pos += 2
        value = []
        while True:
            if pos >= len(text):
                raise FormatError(f"line {lineno}: unterminated value of label {name}")
            c = text[pos]
            if c == "\\":
                nxt = text[pos + 1:pos + 2]
                if nxt not in ("\\", '"', "n"):
                    raise FormatError(f"line {lineno}: invalid escape \\{nxt} in label {name}")
                value.append("\n" if nxt == "n" else nxt)
                pos += 2
            elif c == '"':
                pos += 1
                break
            else:
                value.append(c)
                pos += 1
        if any(n == name for n, _ in labels):
            raise FormatError(f"line {lineno}: label {name} given twice")
        labels.append((name, "".join(value)))
        if text[pos] == ",":
            pos += 1
        elif text[pos] != "}":
            raise FormatError(f"line {lineno}: expected , or }} after label {name}")


def parse(text):
    """Return {family: {"help", "type", "samples": {labels(sorted tuple): float}}}; raise FormatError."""
    if text and not text.endswith("\n"):
        raise FormatError("the last line does not end with a line feed")
    families = {}
    current = None
    done = set()
    for lineno, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("#"):
            m = re.fullmatch(r"# (HELP|TYPE) (" + NAME + r") (.*)", line)
            if not m:
                if line.startswith("# HELP") or line.startswith("# TYPE"):
                    raise FormatError(f"line {lineno}: malformed {line[2:6]} line")
                continue
            kind, name, rest = m.groups()
            family = families.setdefault(name, {"help": None, "type": None, "samples": {}})
            if name in done or family["samples"]:
                raise FormatError(f"line {lineno}: {kind} for {name} after its samples")
            if current is not None and current != name:
                done.add(current)
            current = name
            if kind == "HELP":
                if family["help"] is not None:
                    raise FormatError(f"line {lineno}: second HELP for {name}")
                if re.search(r"\\[^\\n]", rest.replace("\\\\", "")):
                    raise FormatError(f"line {lineno}: invalid escape in HELP of {name}")
                family["help"] = rest
            else:
                if family["type"] is not None:
                    raise FormatError(f"line {lineno}: second TYPE for {name}")
                if rest not in TYPES:
                    raise FormatError(f"line {lineno}: unknown type {rest}")
                family["type"] = rest
            continue
        if line.strip() == "":
            raise FormatError(f"line {lineno}: empty line")
        m = re.compile(NAME).match(line)
        if not m:
            raise FormatError(f"line {lineno}: bad metric name")
        name = m.group(0)
        pos = m.end()
        labels = ()
        if pos < len(line) and line[pos] == "{":
            labels, pos = parse_labels(line, pos, lineno)
        parts = line[pos:].split(" ")
        if len(parts) not in (2, 3) or parts[0] != "":
            raise FormatError(f"line {lineno}: expected ' value [timestamp]' after the labels")
        try:
            value = float(parts[1])
        except ValueError:
            raise FormatError(f"line {lineno}: bad value {parts[1]!r}")
        if name != current:
            if name in done or (name in families and families[name]["samples"]):
                raise FormatError(f"line {lineno}: samples of {name} are not together")
            if current is not None:
                done.add(current)
            current = name
        family = families.setdefault(name, {"help": None, "type": None, "samples": {}})
        key = tuple(sorted(labels))
        if key in family["samples"]:
            raise FormatError(f"line {lineno}: series {name}{dict(key)} given twice")
        family["samples"][key] = value
    return families


def expected(report, generated, types):
    """Every non-pg series the JSON report implies: {(name, labels): value}."""
    want = {("gaiarest_info_generated_timestamp_seconds", ()): generated}

    def put(name, value, **labels):
        want[(name, tuple(sorted(labels.items())))] = float(value)

    for stanza in report:
        s = stanza["name"]
        code = stanza["status"]["code"]
        put("gaiarest_stanza_status_code", code, stanza=s)
        put("gaiarest_stanza_ok", 1 if code == 0 else 0, stanza=s)
        put("gaiarest_stanza_backup_lock_held", 1 if stanza["status"]["lock"]["backup"]["held"] else 0, stanza=s)
        for repo in stanza["repo"]:
            r = str(repo["key"])
            put("gaiarest_repo_status_code", repo["status"]["code"], stanza=s, repo=r)
            put("gaiarest_repo_ok", 1 if repo["status"]["code"] == 0 else 0, stanza=s, repo=r)
        # Repositories whose files loaded and hold data: those with db history in the JSON.
        loaded = sorted({str(db["repo-key"]) for db in stanza["db"]})
        for r in loaded:
            for t in types:
                put("gaiarest_backups", 0, stanza=s, repo=r, type=t)
        last, good = {}, {}
        for backup in stanza["backup"]:  # listed oldest first
            r = str(backup["database"]["repo-key"])
            key = ("gaiarest_backups", tuple(sorted({"stanza": s, "repo": r, "type": backup["type"]}.items())))
            want[key] += 1
            last[(r, backup["type"])] = backup
            if not backup["error"]:
                good[r] = backup
        for (r, t), b in last.items():
            start, stop = b["timestamp"]["start"], b["timestamp"]["stop"]
            labels = dict(stanza=s, repo=r, type=t)
            put("gaiarest_backup_last_completion_timestamp_seconds", stop, **labels)
            put("gaiarest_backup_last_start_timestamp_seconds", start, **labels)
            put("gaiarest_backup_last_duration_seconds", stop - start, **labels)
            put("gaiarest_backup_last_age_seconds", generated - stop, **labels)
            put("gaiarest_backup_last_size_bytes", b["info"]["size"], **labels)
            put("gaiarest_backup_last_delta_bytes", b["info"]["delta"], **labels)
            put("gaiarest_backup_last_repo_size_bytes", b["info"]["repository"]["size"], **labels)
            put("gaiarest_backup_last_repo_delta_bytes", b["info"]["repository"]["delta"], **labels)
            put("gaiarest_backup_last_error", 1 if b["error"] else 0, **labels)
        for r, b in good.items():
            put("gaiarest_backup_last_good_completion_timestamp_seconds", b["timestamp"]["stop"], stanza=s, repo=r)
            put("gaiarest_backup_last_good_age_seconds", generated - b["timestamp"]["stop"], stanza=s, repo=r)
        for wal in stanza["archive"]:
            r = str(wal["database"]["repo-key"])
            put("gaiarest_archive_wal_info", 1, stanza=s, repo=r, archive_id=wal["id"], min=wal["min"] or "",
                max=wal["max"] or "")
            put("gaiarest_archive_wal_present", 1 if wal["min"] else 0, stanza=s, repo=r, archive_id=wal["id"])
    return want


def check(json_path, prom_path, allow_pg, types):
    problems = []
    with open(prom_path) as f:
        text = f.read()
    try:
        families = parse(text)
    except FormatError as e:
        return [f"not valid exposition text: {e}"]
    for name, family in families.items():
        if family["help"] is None or family["type"] is None:
            problems.append(f"{name}: HELP or TYPE missing")
        if not family["samples"]:
            problems.append(f"{name}: no samples")
        if name.endswith("_total") and family["type"] != "counter":
            problems.append(f"{name}: _total on a {family['type']}")
    got = {}
    for name, family in families.items():
        if name in PG_FAMILIES and allow_pg:
            continue
        for labels, value in family["samples"].items():
            got[(name, labels)] = value
    gen = got.get(("gaiarest_info_generated_timestamp_seconds", ()))
    if gen is None:
        return problems + ["gaiarest_info_generated_timestamp_seconds missing"]
    with open(json_path) as f:
        want = expected(json.load(f), gen, types)
    for key in sorted(set(want) | set(got)):
        if key not in got:
            problems.append(f"missing: {key[0]}{dict(key[1])} (json: {want[key]:.0f})")
        elif key not in want:
            problems.append(f"unexpected: {key[0]}{dict(key[1])} = {got[key]}")
        elif got[key] != want[key]:
            problems.append(f"{key[0]}{dict(key[1])}: prometheus {got[key]:.0f}, json {want[key]:.0f}")
    return problems


def get(prom_path, series):
    m = re.fullmatch(r"(" + NAME + r")(\{.*\})?", series)
    name, labels = m.group(1), ()
    if m.group(2):
        labels, _ = parse_labels(m.group(2), 0, 0)
    with open(prom_path) as f:
        families = parse(f.read())
    value = families.get(name, {"samples": {}})["samples"].get(tuple(sorted(labels)))
    if value is None:
        return 1
    print(f"{value:.0f}")
    return 0


def main(argv):
    if len(argv) >= 3 and argv[0] == "check":
        types = ("full", "diff", "incr")
        for arg in argv[3:]:
            if arg.startswith("--type="):
                types = (arg[len("--type="):],)
        problems = check(argv[1], argv[2], "--pg" in argv[3:], types)
        for p in problems:
            print(p)
        return 1 if problems else 0
    if len(argv) == 3 and argv[0] == "get":
        try:
            return get(argv[1], argv[2])
        except FormatError as e:
            print(f"not valid exposition text: {e}")
            return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
