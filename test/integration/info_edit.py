#!/usr/bin/env python3
"""info_edit.py: edit a plain (unencrypted) pgBackRest info file or manifest in place and recompute its checksum.

    info_edit.py FILE OP...   where OP is one of
        set SECTION KEY JSON      replace the value, or add the key (kept in byte order within the section;
                                  a new section is placed in byte order after the leading [backrest])
        del SECTION KEY           remove the key (and the section when it becomes empty)
        merge SECTION KEY JSON    set the listed members of an object value, keeping the others

The checksum is the SHA-1 of the compact document {"section":{"key":value,...},...} built from the raw value
text in file order (see shared/spec/repo-format.md 2.3); the result ends like the files 2.45 writes.
Used by the integration scripts to build repositories that stock pgBackRest then reads (test data only).
"""
import hashlib
import json
import sys


def parse(text):
    sections = []  # [name, [[key, raw], ...]]
    for line in text.split('\n'):
        if line == '':
            continue
        if line[0] == '[' and line[-1] == ']':
            sections.append([line[1:-1], []])
            continue
        index = line.index('=')
        while True:
            key, raw = line[:index], line[index + 1:]
            try:
                json.loads(raw)
                break
            except ValueError:
                index = line.index('=', index + 1)
        sections[-1][1].append([key, raw])
    # Drop the trailing checksum section.
    if sections and sections[-1][0] == 'backrest' and [k for k, _ in sections[-1][1]] == ['backrest-checksum']:
        sections.pop()
    return sections


def checksum(sections):
    parts = []
    for name, entries in sections:
        body = ','.join(json.dumps(key, ensure_ascii=False) + ':' + raw for key, raw in entries)
        parts.append(json.dumps(name) + ':{' + body + '}')
    return hashlib.sha1(('{' + ','.join(parts) + '}').encode()).hexdigest()


def render(sections):
    out = []
    for name, entries in sections:
        out.append('[' + name + ']')
        out.extend(key + '=' + raw for key, raw in entries)
        out.append('')
    out.append('[backrest]')
    out.append('backrest-checksum=' + json.dumps(checksum(sections)))
    return '\n'.join(out) + '\n'


def section(sections, name, create):
    for entry in sections:
        if entry[0] == name:
            return entry
    if not create:
        return None
    new = [name, []]
    position = 1
    while position < len(sections) and sections[position][0] < name:
        position += 1
    sections.insert(position, new)
    return new


def compact(value):
    return json.dumps(value, separators=(',', ':'), ensure_ascii=False)


def set_value(sections, name, key, raw):
    json.loads(raw)
    entries = section(sections, name, True)[1]
    for entry in entries:
        if entry[0] == key:
            entry[1] = raw
            return
    position = 0
    while position < len(entries) and entries[position][0].encode() < key.encode():
        position += 1
    entries.insert(position, [key, raw])


def main(argv):
    path = argv[1]
    sections = parse(open(path, encoding='utf-8').read())
    ops = argv[2:]
    while ops:
        op = ops.pop(0)
        if op == 'set':
            name, key, raw = ops.pop(0), ops.pop(0), ops.pop(0)
            set_value(sections, name, key, raw)
        elif op == 'merge':
            name, key, raw = ops.pop(0), ops.pop(0), ops.pop(0)
            found = section(sections, name, False)
            current = dict((k, v) for k, v in found[1]) if found else {}
            value = json.loads(current[key])
            value.update(json.loads(raw))
            set_value(sections, name, key, compact(dict(sorted(value.items()))))
        elif op == 'del':
            name, key = ops.pop(0), ops.pop(0)
            found = section(sections, name, False)
            if found:
                found[1] = [entry for entry in found[1] if entry[0] != key]
                if not found[1]:
                    sections.remove(found)
        else:
            sys.exit('unknown operation ' + op)
    open(path, 'w', encoding='utf-8').write(render(sections))


if __name__ == '__main__':
    main(sys.argv)
