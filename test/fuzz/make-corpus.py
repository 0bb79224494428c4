#!/usr/bin/env python3
"""make-corpus.py: write the seed corpus of the fuzz targets (test/fuzz/corpus/<target>/) from the repository
files in test/data and small inputs made here. Run from anywhere; overwrites the seeds it names, leaves the rest
(crash reproducers added by hand) alone. Needs gzip, lz4, zstd, bzip2 and openssl on PATH."""
import os
import subprocess

here = os.path.dirname(os.path.abspath(__file__))
data = os.path.join(here, "..", "data", "repo-format")


def seed(target, name, content):
    path = os.path.join(here, "corpus", target)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, name), "wb") as out:
        out.write(content)


def read(*parts):
    with open(os.path.join(data, *parts), "rb") as source:
        return source.read()


def shrink_manifest(text, keep=6):
    """Keep the first `keep` entries of the file, path and link lists: a small manifest (its checksum no longer matches; the
    target seals it again)."""
    lines, out, count, long_section = text.split(b"\n"), [], 0, False
    for line in lines:
        if line.startswith(b"["):
            count = 0
            long_section = line in (b"[target:file]", b"[target:path]", b"[target:link]")
        elif long_section and count >= keep:
            continue
        else:
            count += 1
        out.append(line)
    return b"\n".join(out)


# fuzz_info: kind byte (0 any info file, 1 archive.info, 2 backup.info, 3 manifest) + text
seed("fuzz_info", "file-archive-info", b"\x00" + read("plain", "archive.info"))
seed("fuzz_info", "archive-info", b"\x01" + read("plain", "archive.info"))
seed("fuzz_info", "archive-info-cipher", b"\x01" + read("encrypted", "archive.info.decrypted"))
seed("fuzz_info", "backup-info", b"\x02" + read("plain", "backup.info"))
seed("fuzz_info", "backup-info-cipher", b"\x02" + read("encrypted", "backup.info.decrypted"))
seed("fuzz_info", "manifest-full", b"\x03" + shrink_manifest(read("plain", "20261124-103301F.backup.manifest")))
seed("fuzz_info", "manifest-diff",
     b"\x03" + shrink_manifest(read("encrypted", "20261124-102959F_20261124-103006D.backup.manifest.decrypted")))

# fuzz_json: values as info files and manifests hold them
for index, value in enumerate([
        b'{"db-catalog-version":202209061,"db-control-version":1300,"db-system-id":7441038427916869678,'
        b'"db-version":"15"}',
        b'{"checksum":"c2f2c57a30d4ba9e2d1c7a1d5cd3bda49e2c3a5c","checksum-page":false,"checksum-page-error":'
        b'[1,[3,7]],"reference":"20261124-103049F","size":8192,"timestamp":1764000000}',
        b'["20261124-103049F","20261124-103049F_20261124-103101D"]',
        b'"a \\"quoted\\" string with \\u00e9 and \\\\ and \\/"',
        b'-9223372036854775808', b'18446744073709551615', b'true', b'null', b'{}', b'[]']):
    seed("fuzz_json", "value-%d" % index, value)

# fuzz_xml: selector byte (0 list, 1 upload id, 2 delete result, 3 error) + body
xml_head = b'<?xml version="1.0" encoding="UTF-8"?>\n'
seed("fuzz_xml", "list", b"\x00" + xml_head +
     b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>gaia</Name><Prefix>archive/</Prefix>'
     b'<KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>'
     b'<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>'
     b'<Contents><Key>archive/gaia/archive.info</Key><LastModified>2026-11-24T10:30:49.000Z</LastModified>'
     b'<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>253</Size><StorageClass>STANDARD'
     b'</StorageClass></Contents><CommonPrefixes><Prefix>archive/gaia/15-1/</Prefix></CommonPrefixes>'
     b'</ListBucketResult>')
seed("fuzz_xml", "upload-id", b"\x01" + xml_head +
     b'<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>gaia</Bucket>'
     b'<Key>backup/gaia/20261124-103049F/pg_data/base/1/1259.lz4</Key><UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBt'
     b'eS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId></InitiateMultipartUploadResult>')
seed("fuzz_xml", "delete-result", b"\x02" + xml_head +
     b'<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Deleted><Key>a/b</Key></Deleted><Error>'
     b'<Key>a/c</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>')
seed("fuzz_xml", "error", b"\x03" + xml_head +
     b'<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the '
     b'signature you provided.</Message><Resource>/gaia/archive/gaia/archive.info</Resource>'
     b'<RequestId>4442587FB7D0A2F9</RequestId></Error>')

# fuzz_filter: mode byte (bits 0-1 mode, 2-4 variant, 5 raw, 6 large pieces) + piece byte + data
text = b"".join(b"%06d the quick brown fox jumps over the lazy validator\n" % n for n in range(400))


def tool(args, content):
    return subprocess.run(args, input=content, stdout=subprocess.PIPE, check=True).stdout


variants = {"gz": 0, "lz4": 1, "zst": 2, "bz2": 3, "lz4-checksummed": 4, "lz4-parallel": 5, "zst-threaded": 6}
seed("fuzz_filter", "decompress-gz", bytes([0 | variants["gz"] << 2, 7]) + tool(["gzip", "-6", "-n", "-c"], text))
seed("fuzz_filter", "decompress-lz4", bytes([0 | variants["lz4"] << 2, 13]) + tool(["lz4", "-1", "-c"], text))
seed("fuzz_filter", "decompress-zst", bytes([0 | variants["zst"] << 2, 0]) + tool(["zstd", "-3", "-c"], text))
seed("fuzz_filter", "decompress-bz2", bytes([0 | variants["bz2"] << 2, 200]) + tool(["bzip2", "-9", "-c"], text))
for name, variant in variants.items():
    seed("fuzz_filter", "round-trip-" + name, bytes([1 | variant << 2, 61]) + text[:6000])
    seed("fuzz_filter", "round-trip-raw-" + name, bytes([1 | variant << 2 | 0x20, 255]) + text[:3000])
seed("fuzz_filter", "decrypt", bytes([2, 16]) + tool(
    ["openssl", "enc", "-aes-256-cbc", "-md", "sha1", "-salt", "-pass", "pass:fuzz-cipher-pass"], text[:2000]))
seed("fuzz_filter", "encrypt-round-trip", bytes([3, 5]) + text[:1000])
seed("fuzz_filter", "encrypt-round-trip-raw", bytes([3 | 0x20, 0]) + text[:1000])

# fuzz_pg: selector byte (0 pg_control, 1 WAL header, 2 WAL file name, 3 LSN) + bytes
for name in ["pg_control-15", "wal-header-15"]:
    path = os.path.join(here, "seeds", name)
    with open(path, "rb") as source:
        seed("fuzz_pg", name, bytes([0 if name.startswith("pg_control") else 1]) + source.read())
for index, name in enumerate([b"000000010000000000000001", b"0000000A000000FF000000FE.partial",
                              b"00000002.history", b"000000010000000000000003.00000028.backup", b"RECOVERYXLOG"]):
    seed("fuzz_pg", "name-%d" % index, b"\x02" + name)
for index, lsn in enumerate([b"0/3000028", b"FFFFFFFF/FFFFFFFF", b"1A/B"]):
    seed("fuzz_pg", "lsn-%d" % index, b"\x03" + lsn)

# fuzz_page: control byte (bits 0-1 re-read mode, 2-3 segment), seal mask, piece byte, then the file
def data_page(fill):
    header = bytearray(24)
    header[0:8] = (0x1000028).to_bytes(8, "little")       # pd_lsn
    header[12:14] = (28).to_bytes(2, "little")            # pd_lower
    header[14:16] = (8000).to_bytes(2, "little")          # pd_upper
    header[16:18] = (8192).to_bytes(2, "little")          # pd_special
    header[18:20] = (8192 | 4).to_bytes(2, "little")      # pd_pagesize_version
    body = bytes([fill]) * (8192 - 24 - 192) + bytes(range(192))
    return bytes(header) + body


zero_page = bytes(8192)
seed("fuzz_page", "valid-pages", bytes([0, 0xff, 0]) + data_page(1) + data_page(2) + zero_page)
seed("fuzz_page", "bad-pages-reread-same", bytes([1 | 1 << 2, 0b101, 37]) + data_page(3) * 4)
seed("fuzz_page", "bad-pages-reread-changed", bytes([2, 0, 1]) + data_page(4) * 2)
seed("fuzz_page", "bad-pages-reread-short", bytes([3 | 3 << 2, 0b10, 0]) + data_page(5) * 3)
seed("fuzz_page", "misaligned-large-tail", bytes([0, 1, 0]) + data_page(6) + bytes(600))
seed("fuzz_page", "misaligned-small-tail", bytes([1, 1, 9]) + data_page(7) + bytes(100))
seed("fuzz_page", "zero-page-with-a-byte", bytes([0, 0, 0]) + bytes(8191) + b"\x01")

# fuzz_sigv4: control byte (bit 0 keep '/'), then NUL-separated key, query names/values, header values
seed("fuzz_sigv4", "key-and-query", b"\x01archive/gaia/15-1/0000000100000000/000000010000000000000001-"
     b"c7775479cbd63df775c4dff9332b072cfafb0f04.lz4\x00list-type\x002\x00prefix\x00backup/gaia/\x00"
     b"continuation-token\x001ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
seed("fuzz_sigv4", "odd-bytes", b"\x00pg_data/base/1/t\xc3\xa9st file+%=&?#\x7f\xff\x00delete\x00\x00"
     b"uploadId\x00a b+c\x00")

# fuzz_conf
seed("fuzz_conf", "gaia", b"""# the Gaia validator's configuration
[global]
repo1-type=s3
repo1-s3-bucket=gaia-backups
repo1-s3-endpoint=0123456789abcdef.r2.cloudflarestorage.com
repo1-s3-region=auto
repo1-retention-full=2
compress-type=lz4
process-max = 2
archive-async=y

[global:archive-push]
compress-level=3

[gaia]
pg1-path=/var/lib/postgresql/15/main
pg1-port=5432
recovery-option=primary_conninfo=host=10.0.0.1 user=replicator
""")
