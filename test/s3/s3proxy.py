#!/usr/bin/env python3
"""s3proxy: a TLS proxy in front of s3rver for tests (Python 3 standard library only).

    s3proxy.py --upstream-port PORT --cert cert.pem --key key.pem --log requests.jsonl \
               [--ca-file cert.pem] [--access-key S3RVER] [--secret S3RVER] [--endpoint localhost] \
               [--fault SPEC]... [--control FILE] [--port-file FILE]

Listens over TLS on a free port of 127.0.0.1, prints "<port> <pid>" on stdout once it accepts connections
(and writes it to --port-file), and forwards every request to s3rver at 127.0.0.1:PORT (TLS, path style).
Stop it with kill <pid>.

What it adds to s3rver:
  * AWS Signature V4 verification of every request, computed independently from the secret (s3rver 3.7.1 checks
    only the access key id): canonical request, string to sign, signing key, signature. A mismatch is answered
    403 SignatureDoesNotMatch; also checked: unsigned x-amz-* headers (403 AccessDenied), the payload hash against
    the body (400 XAmzContentSHA256Mismatch), Content-MD5 against the body (400 BadDigest), clock skew (403
    RequestTimeTooSkewed), the access key (403 InvalidAccessKeyId). --no-verify turns this off.
  * Host-style requests: Host <bucket>.<endpoint> is forwarded as /<bucket>/<path> (s3rver runs without vhost
    buckets).
  * Faults, from --fault options and from the control file (re-read whenever it changes; its lines replace the
    schedule and restart the counts). A fault spec is

        ACTION:COUNT:METHOD:PATH_REGEX[:ARG]

    and applies to the first COUNT requests whose method matches METHOD ('*' for any) and whose path plus query
    matches PATH_REGEX (re.search). COUNT '*' means every matching request. Actions:
        500      answer 500 InternalError
        503      answer 503 SlowDown
        429      answer 429 SlowDown with Retry-After: ARG seconds (default 1)
        reset    read the request, then reset the connection (TCP RST) without answering
        stall    wait ARG seconds (default 5), then forward the request as usual
        truncate forward, then send the status, headers and half the body, and reset the connection
        forbid   answer 403 AccessDenied (not retryable)
        keyed    (a DeleteObjects POST) forward it without its first <Object>, and add an <Error> naming that
                 object's key to the DeleteResult: that object is still there and the answer says so
        keyless  the same, but the added <Error> names no key (a malformed answer: the client cannot tell which
                 object is left)
  * A log, one JSON object per line for every request: n, method, path, query, host, header names (lower case,
    in the order received), content_length, md5 (true when Content-MD5 was sent), sig ("ok", "mismatch",
    "unsigned", ... or "off"), region, fault (the action applied or null), status (the answer, null after a
    reset), code (the S3 error code of an upstream error answer), conn (the number of the client's TLS connection:
    how well a client reuses its connections).
"""

import argparse
import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import urllib.parse
import uuid
import base64
from datetime import datetime, timezone

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
              "expect"}
UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"


def aws_encode(text, keep_slash):
    """Percent-encode as SigV4 wants: unreserved characters as they are, everything else %XX (upper case)."""
    safe = UNRESERVED + ("/" if keep_slash else "")
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        out.append(char if char in safe else "%%%02X" % byte)
    return "".join(out)


def canonical_uri(raw_path):
    return aws_encode(urllib.parse.unquote(raw_path), True)


def canonical_query(raw_query):
    pairs = []
    if raw_query:
        for part in raw_query.split("&"):
            if part == "":
                continue
            name, _, value = part.partition("=")
            pairs.append((aws_encode(urllib.parse.unquote(name), False), aws_encode(urllib.parse.unquote(value), False)))
    pairs.sort()
    return "&".join("%s=%s" % pair for pair in pairs)


def header_value(values):
    return ",".join(re.sub(r"\s+", " ", value.strip()) for value in values)


def hmac_sha256(key, text):
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def error_xml(code, message, resource="", extra=""):
    request_id = uuid.uuid4().hex[:16].upper()
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message><Resource>%s</Resource>'
            '%s<RequestId>%s</RequestId></Error>' % (code, message, resource, extra, request_id)).encode("utf-8")


class SignatureError(Exception):
    def __init__(self, status, code, message, tag):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.tag = tag


def verify_sigv4(method, raw_path, raw_query, headers, body, access_key, secret, max_skew):
    """Check one request's V4 signature. headers: list of (name, value) as received. Returns the region."""
    by_name = {}
    for name, value in headers:
        by_name.setdefault(name.lower(), []).append(value)
    authorization = by_name.get("authorization", [None])[0]
    if authorization is None:
        raise SignatureError(403, "AccessDenied", "Anonymous access is not allowed by this proxy", "unsigned")
    match = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,\s*"
                     r"SignedHeaders=([a-z0-9;\-]+),\s*Signature=([0-9a-f]{64})$", authorization.strip())
    if match is None:
        raise SignatureError(400, "AuthorizationHeaderMalformed", "The authorization header is malformed", "malformed")
    key_id, scope_date, region, service, signed_names, signature = match.groups()
    if key_id != access_key:
        raise SignatureError(403, "InvalidAccessKeyId",
                             "The AWS Access Key Id you provided does not exist in our records.", "key")
    amz_date = by_name.get("x-amz-date", [None])[0]
    if amz_date is None or not re.match(r"^\d{8}T\d{6}Z$", amz_date) or amz_date[:8] != scope_date:
        raise SignatureError(403, "AccessDenied", "x-amz-date is missing or does not match the credential scope",
                             "date")
    when = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
    if abs(time.time() - when) > max_skew:
        raise SignatureError(403, "RequestTimeTooSkewed",
                             "The difference between the request time and the current time is too large.", "skew")
    signed = signed_names.split(";")
    if signed != sorted(signed) or "host" not in signed:
        raise SignatureError(403, "SignatureDoesNotMatch", "SignedHeaders must be sorted and include host", "mismatch")
    for name in by_name:
        if name.startswith("x-amz-") and name not in signed:
            raise SignatureError(403, "AccessDenied",
                                 "There were headers present in the request which were not signed: %s" % name,
                                 "unsigned-header")
    payload_hash = by_name.get("x-amz-content-sha256", [None])[0]
    if payload_hash is None:
        raise SignatureError(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256",
                             "payload")
    if payload_hash != "UNSIGNED-PAYLOAD" and payload_hash != hashlib.sha256(body).hexdigest():
        raise SignatureError(400, "XAmzContentSHA256Mismatch",
                             "The provided 'x-amz-content-sha256' header does not match what was computed.", "payload")
    md5 = by_name.get("content-md5", [None])[0]
    if md5 is not None and md5 != base64.b64encode(hashlib.md5(body).digest()).decode("ascii"):
        raise SignatureError(400, "BadDigest", "The Content-MD5 you specified did not match what we received.", "md5")

    canonical_headers = ""
    for name in signed:
        if name not in by_name:
            raise SignatureError(403, "SignatureDoesNotMatch", "signed header %s is missing" % name, "mismatch")
        canonical_headers += "%s:%s\n" % (name, header_value(by_name[name]))
    canonical_request = "\n".join([method, canonical_uri(raw_path), canonical_query(raw_query), canonical_headers,
                                   signed_names, payload_hash])
    scope = "%s/%s/%s/aws4_request" % (scope_date, region, service)
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                                hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()])
    key = hmac_sha256(("AWS4" + secret).encode("utf-8"), scope_date)
    key = hmac_sha256(key, region)
    key = hmac_sha256(key, service)
    key = hmac_sha256(key, "aws4_request")
    expected = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise SignatureError(403, "SignatureDoesNotMatch",
                             "The request signature we calculated does not match the signature you provided. "
                             "Check your key and signing method.", "mismatch")
    return region


class Fault:
    def __init__(self, spec):
        parts = spec.split(":", 4)
        if len(parts) < 4:
            raise ValueError("fault spec needs ACTION:COUNT:METHOD:PATH_REGEX[:ARG]: %r" % spec)
        self.action, count, self.method, pattern = parts[:4]
        self.arg = parts[4] if len(parts) > 4 else None
        if self.action not in ("500", "503", "429", "reset", "stall", "truncate", "forbid", "keyed", "keyless"):
            raise ValueError("unknown fault action %r" % self.action)
        self.remaining = None if count == "*" else int(count)
        self.pattern = re.compile(pattern)

    def take(self, method, target):
        if self.method not in ("*", method) or not self.pattern.search(target):
            return False
        if self.remaining is None:
            return True
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True


class Schedule:
    def __init__(self, specs, control):
        self.lock = threading.Lock()
        self.faults = [Fault(spec) for spec in specs]
        self.control = control
        self.control_stamp = None

    def _reload(self):
        if self.control is None:
            return
        try:
            stat = os.stat(self.control)
            stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except FileNotFoundError:
            stamp = None
        if stamp == self.control_stamp:
            return
        self.control_stamp = stamp
        faults = []
        if stamp is not None:
            with open(self.control) as handle:
                for line in handle:
                    line = line.strip()
                    if line and not line.startswith("#"):
                        faults.append(Fault(line))
        self.faults = faults

    def take(self, method, target):
        with self.lock:
            self._reload()
            for fault in self.faults:
                if fault.take(method, target):
                    return fault
        return None


class UpstreamConnection(http.client.HTTPSConnection):
    """A connection to s3rver at 127.0.0.1 whose certificate is checked for the name localhost."""

    def __init__(self, port, context):
        super().__init__("localhost", port, timeout=120, context=context)
        self.upstream_context = context

    def connect(self):
        raw = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle stall between headers and body
        self.sock = self.upstream_context.wrap_socket(raw, server_hostname="localhost")


class Proxy:
    def __init__(self, options):
        self.options = options
        self.schedule = Schedule(options.fault or [], options.control)
        self.log_lock = threading.Lock()
        self.count = 0
        self.connections = 0
        self.log = open(options.log, "a", buffering=1) if options.log else None
        self.upstream_context = ssl.create_default_context(cafile=options.ca_file)
        if options.ca_file is None:
            self.upstream_context.check_hostname = False
            self.upstream_context.verify_mode = ssl.CERT_NONE

    def next_number(self):
        with self.log_lock:
            self.count += 1
            return self.count

    def next_connection(self):
        with self.log_lock:
            self.connections += 1
            return self.connections

    def write_log(self, record):
        if self.log is not None:
            with self.log_lock:
                self.log.write(json.dumps(record, sort_keys=True) + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        self.connection_number = self.server.proxy.next_connection()
    protocol_version = "HTTP/1.1"
    server_version = "s3proxy"
    sys_version = ""

    def log_message(self, format, *args):  # quiet: the JSON log says it all
        pass

    # Expect: 100-continue is logged by name like every header; answer it as a server would.
    def handle_expect_100(self):
        self.send_response_only(100)
        self.end_headers()
        return True

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length", "0") or "0")
        return self.rfile.read(length) if length > 0 else b""

    def _answer(self, status, body, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return status

    def _reset(self):
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def _upstream_target(self, raw_path):
        """Path style for s3rver: Host <bucket>.<endpoint> becomes /<bucket><path>."""
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0] if not (self.headers.get("Host") or "").startswith(
            "[") else self.headers.get("Host")
        for endpoint in self.server.proxy.options.endpoint or ["localhost", "s3.amazonaws.com"]:
            if host.endswith("." + endpoint):
                return "/" + host[: -len(endpoint) - 1] + raw_path
        return raw_path

    def _upstream_request(self, method, target, body, headers):
        """Send to s3rver on this client connection's upstream connection (kept alive across requests: a TLS
        handshake per request made the proxy the bottleneck of whole-cluster restores); a kept connection that
        the server closed meanwhile is replaced once."""
        proxy = self.server.proxy
        for attempt in (0, 1):
            connection = getattr(self, "upstream", None)
            fresh = connection is None
            if fresh:
                connection = self.upstream = UpstreamConnection(proxy.options.upstream_port, proxy.upstream_context)
            try:
                connection.request(method, target, body=body if body else None, headers=headers)
                return connection, connection.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                connection.close()
                self.upstream = None
                if fresh or attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def finish(self):
        if getattr(self, "upstream", None) is not None:
            self.upstream.close()
            self.upstream = None
        super().finish()

    def _forward(self, body, raw_path, raw_query, truncate, delete_fault=None):
        target = self._upstream_target(raw_path) + ("?" + raw_query if raw_query else "")
        kept_key = None
        if delete_fault is not None:  # keyed / keyless: the first object of a DeleteObjects body stays
            match = re.search(rb"<Object>\s*<Key>([^<]*)</Key>.*?</Object>", body, re.S)
            if match is not None:
                kept_key = match.group(1)
                body = body[: match.start()] + body[match.end():]
        headers = {}
        for name, value in self.headers.items():
            if name.lower() in HOP_BY_HOP or name.lower() in ("host", "content-length"):
                continue
            if name.lower() == "content-md5" and kept_key is not None:
                value = base64.b64encode(hashlib.md5(body).digest()).decode()
            headers[name] = value
        headers["Host"] = "localhost"
        headers["Content-Length"] = str(len(body))
        connection, response = self._upstream_request(self.command, target, body, headers)
        data = response.read()
        status = response.status
        if kept_key is not None and status == 200:
            key = b"<Key>" + kept_key + b"</Key>" if delete_fault == "keyed" else b""
            data = data.replace(b"</DeleteResult>", b"<Error>" + key + b"<Code>InternalError</Code><Message>"
                                b"injected by s3proxy</Message></Error></DeleteResult>")
        self.send_response(status)
        for name, value in response.getheaders():
            if name.lower() in HOP_BY_HOP or name.lower() == "content-length":
                continue
            self.send_header(name, value)
        length = response.getheader("Content-Length")
        if self.command == "HEAD":
            self.send_header("Content-Length", length if length is not None else "0")
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if response.will_close:
            connection.close()
            self.upstream = None
        if status >= 300:
            code = re.search(rb"<Code>([^<]*)</Code>", data)
            self.upstream_code = code.group(1).decode("utf-8", "replace") if code else None
        if self.command != "HEAD":
            if truncate:
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self._reset()
                return None
            self.wfile.write(data)
        return status

    def _handle(self):
        proxy = self.server.proxy
        number = proxy.next_number()
        parsed = urllib.parse.urlsplit(self.path)
        raw_path, raw_query = parsed.path, parsed.query
        record = {
            "n": number,
            "conn": self.connection_number,
            "method": self.command,
            "path": raw_path,
            "query": raw_query,
            "host": self.headers.get("Host"),
            "headers": [name.lower() for name in self.headers.keys()],
            "content_length": int(self.headers.get("Content-Length", "0") or "0"),
            "md5": "Content-MD5" in self.headers,
            "fault": None,
            "sig": "off",
            "region": None,
            "status": None,
        }
        try:
            body = self._read_body()
            record["body_size"] = len(body)
            fault = proxy.schedule.take(self.command, raw_path + ("?" + raw_query if raw_query else ""))
            if fault is not None:
                record["fault"] = fault.action
            if fault is not None and fault.action == "reset":
                self._reset()
                return
            if fault is not None and fault.action == "stall":
                time.sleep(float(fault.arg or "5"))
            if fault is not None and fault.action in ("500", "503", "429", "forbid"):
                if fault.action == "500":
                    record["status"] = self._answer(500, error_xml("InternalError", "injected by s3proxy", raw_path))
                elif fault.action == "503":
                    record["status"] = self._answer(503, error_xml("SlowDown", "Please reduce your request rate.",
                                                                    raw_path))
                elif fault.action == "429":
                    record["status"] = self._answer(429, error_xml("SlowDown", "Please reduce your request rate.",
                                                                    raw_path), [("Retry-After", fault.arg or "1")])
                else:
                    record["status"] = self._answer(403, error_xml("AccessDenied", "Access Denied", raw_path))
                return
            if not proxy.options.no_verify:
                try:
                    record["region"] = verify_sigv4(self.command, raw_path, raw_query, list(self.headers.items()), body,
                                                    proxy.options.access_key, proxy.options.secret,
                                                    proxy.options.max_skew)
                    record["sig"] = "ok"
                except SignatureError as error:
                    record["sig"] = error.tag
                    record["status"] = self._answer(error.status, error_xml(error.code, error.message, raw_path))
                    return
            self.upstream_code = None
            record["status"] = self._forward(body, raw_path, raw_query,
                                             fault is not None and fault.action == "truncate",
                                             fault.action if fault is not None and fault.action in ("keyed",
                                                                                                    "keyless") else None)
            if self.upstream_code is not None:
                record["code"] = self.upstream_code
        except (ConnectionError, ssl.SSLError, socket.timeout, OSError) as error:
            record["error"] = str(error)
            self.close_connection = True
        finally:
            proxy.write_log(record)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, proxy, context):
        super().__init__(address, handler)
        self.proxy = proxy
        self.context = context

    def get_request(self):
        sock, address = self.socket.accept()
        return sock, address

    def finish_request(self, request, client_address):
        # TLS handshake in the worker thread (a stalled client must not block accept).
        try:
            request.settimeout(120)
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass


def main():
    parser = argparse.ArgumentParser(description="fault-injecting, SigV4-verifying TLS proxy for s3rver")
    parser.add_argument("--upstream-port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--ca-file", help="CA to check s3rver's certificate (default: not checked)")
    parser.add_argument("--access-key", default="S3RVER")
    parser.add_argument("--secret", default="S3RVER")
    parser.add_argument("--endpoint", action="append",
                        help="host-style requests: Host <bucket>.<endpoint> (default: localhost and s3.amazonaws.com)")
    parser.add_argument("--max-skew", type=int, default=900)
    parser.add_argument("--no-verify", action="store_true", help="do not check signatures")
    parser.add_argument("--fault", action="append")
    parser.add_argument("--control")
    parser.add_argument("--log")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    options = parser.parse_args()

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(options.cert, options.key)
    server = Server(("127.0.0.1", options.port), Handler, Proxy(options), context)
    port = server.server_address[1]
    line = "%d %d" % (port, os.getpid())
    if options.port_file:
        with open(options.port_file + ".tmp", "w") as handle:
            handle.write(line + "\n")
        os.rename(options.port_file + ".tmp", options.port_file)
    print(line, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
