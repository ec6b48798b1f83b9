#!/usr/bin/env python3
"""Writes the hand-made seeds of the frame fuzzers (tests/fuzz/corpus/).

The frame fuzzers read their input through libFuzzer's FuzzedDataProvider:
integers are taken from the end of the input, strings from the front (a
backslash followed by any other byte ends a string; two backslashes are
one). Seeds laid out that way start the fuzzer at real conversations
(Hello, Settings, calls, chunks) instead of at noise. Run it again after a
change of the fuzzers' input layout; the fuzzers' own findings are kept in
the same folders."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


# Protocol buffers' wire format, enough for tunnel.proto.
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def f_varint(field, n):
    return varint(field << 3) + varint(n)


def f_bytes(field, b):
    if isinstance(b, str):
        b = b.encode()
    return varint(field << 3 | 2) + varint(len(b)) + b


class Provider:
    """Builds an input the way FuzzedDataProvider will take it apart."""

    def __init__(self):
        self.front = bytearray()
        self.back = bytearray()  # in the order they are consumed

    def byte(self, v):  # ConsumeIntegralInRange over a range below 256, ConsumeBool
        self.back.append(v & 0xFF)

    def string(self, b):  # ConsumeRandomLengthString
        self.front += b.replace(b"\\", b"\\\\") + b"\\\x00"

    def data(self):
        return bytes(self.front) + bytes(reversed(self.back))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- session_frames_fuzzer: ops of Run() in session_frames_fuzzer.cc
(K_FRAME, K_GARBAGE, K_START, K_CANCEL, K_GRANT, K_WRITE_OK, K_WRITE_FAIL, K_HEARTBEAT,
 K_ACCEPT, K_PEER_GONE) = range(10)

HELLO = f_bytes(1, f_varint(1, 2) + f_varint(2, 1) + f_bytes(3, "0.1.0") +
                f_bytes(4, "dc1.corp.example") + f_bytes(5, "sealed_password") +
                f_varint(6, 1) + f_bytes(7, b"\x11" * 32))


def result(call_id, code=0, message=""):
    return f_bytes(2, f_varint(1, call_id) + (f_varint(2, code) if code else b"") +
                   (f_bytes(3, message) if message else b"") +
                   f_bytes(10, f_bytes(1, "x")))


def chunk(call_id, users=1):
    body = b"".join(f_bytes(1, f_bytes(1, "uid=u%d,dc=x" % i)) for i in range(users))
    return f_bytes(3, f_varint(1, call_id) + f_bytes(14, body + f_bytes(2, "w1")))


def session(ops, limits=(3, 2, 4, 32, 32)):
    p = Provider()
    for v in limits:  # max calls-1, credits, outbox-1, message bytes, hostname bytes
        p.byte(v)
    for op in ops:
        p.byte(op[0])
        if op[0] in (K_FRAME, K_GARBAGE):
            p.string(op[1])
        elif op[0] == K_START:
            p.byte(op[1])  # streams
        elif op[0] in (K_CANCEL, K_GRANT):
            p.byte(op[1])  # which call
            p.byte(op[2])  # cancel?
            if not op[2]:
                p.byte(op[3])  # credits
        elif op[0] == K_HEARTBEAT:
            p.byte(op[1])  # seconds later
        elif op[0] == K_PEER_GONE:
            p.byte(op[1])
    return p.data()


write("session_frames_fuzzer", "hello_accept_echo", session([
    (K_FRAME, HELLO), (K_ACCEPT,), (K_WRITE_OK,), (K_START, 0), (K_WRITE_OK,),
    (K_FRAME, result(1)), (K_HEARTBEAT, 10), (K_FRAME, f_bytes(4, f_varint(1, 1)))]))
write("session_frames_fuzzer", "stream_chunks_credit", session([
    (K_FRAME, HELLO), (K_ACCEPT,), (K_START, 1), (K_WRITE_OK,), (K_WRITE_OK,),
    (K_FRAME, chunk(1, 2)), (K_FRAME, chunk(1)), (K_GRANT, 0, 0, 2), (K_WRITE_OK,),
    (K_FRAME, chunk(1)), (K_FRAME, chunk(1)), (K_FRAME, result(1))]))
write("session_frames_fuzzer", "chunk_beyond_credit", session([
    (K_FRAME, HELLO), (K_ACCEPT,), (K_START, 1), (K_FRAME, chunk(1)), (K_FRAME, chunk(1)),
    (K_FRAME, chunk(1)), (K_FRAME, chunk(1))]))
write("session_frames_fuzzer", "calls_to_the_limit_then_goaway", session([
    (K_FRAME, HELLO), (K_ACCEPT,)] + [(K_START, 0)] * 6 + [
    (K_CANCEL, 1, 1), (K_FRAME, result(2, 5, "not found")), (K_FRAME, f_bytes(5, f_bytes(1, "bye"))),
    (K_START, 0), (K_FRAME, result(3)), (K_WRITE_FAIL,)]))
write("session_frames_fuzzer", "frame_before_hello", session([
    (K_FRAME, result(1)), (K_FRAME, HELLO)]))
write("session_frames_fuzzer", "hello_twice_and_status", session([
    (K_FRAME, HELLO), (K_FRAME, f_bytes(6, f_varint(1, 1))), (K_FRAME, HELLO)]))
write("session_frames_fuzzer", "oversized_fields", session([
    (K_FRAME, f_bytes(1, f_varint(1, 2) + f_bytes(4, "h" * 100))),
    (K_FRAME, HELLO), (K_ACCEPT,), (K_START, 0), (K_FRAME, result(1, 2, "m" * 100))]))
write("session_frames_fuzzer", "silent_connector", session([
    (K_FRAME, HELLO), (K_ACCEPT,), (K_START, 0), (K_HEARTBEAT, 20), (K_HEARTBEAT, 20),
    (K_HEARTBEAT, 20)]))
write("session_frames_fuzzer", "old_revision", session([
    (K_FRAME, f_bytes(1, f_varint(1, 1) + f_varint(2, 1)))]))


# --- connector_calls_fuzzer: Run() in connector_calls_fuzzer.cc
def settings(max_frame, credits, connector_id="c-1"):
    return f_bytes(1, f_varint(1, 2) + f_varint(3, max_frame) + f_varint(5, credits) +
                   f_bytes(6, connector_id))


def call(call_id, field, body, timeout_ms=50):
    return f_bytes(2, f_varint(1, call_id) + f_varint(2, timeout_ms) + f_bytes(field, body))


def connector(users, groups, frames):
    p = Provider()
    p.byte(len(users))
    for username, dn, ngroups in users:
        p.string(username.encode())
        p.string(dn.encode())
        p.string(b"%s@example.com" % username.encode())
        p.string(b"cn=staff,ou=groups,dc=example,dc=com")
        p.byte(ngroups >> 8)  # two bytes (0..600), the first the high one
        p.byte(ngroups & 0xFF)
    p.byte(len(groups))
    for g in groups:
        p.string(g.encode())
    for f in frames:
        p.string(f)
    return p.data()


USERS = [("alice", "uid=alice,ou=people,dc=example,dc=com", 3),
         ("bob", "uid=bob,ou=people,dc=example,dc=com", 0),
         ("carol", "uid=carol,ou=people,dc=example,dc=com", 200)]
write("connector_calls_fuzzer", "search_users_small_frames", connector(USERS, [], [
    settings(1200, 1), call(7, 14, f_varint(3, 2)), f_bytes(4, f_varint(1, 7) + f_varint(2, 3))]))
write("connector_calls_fuzzer", "get_user_and_echo", connector(USERS, ["cn=g,dc=x"], [
    settings(1 << 20, 2), call(1, 15, f_bytes(1, "carol")), call(2, 10, f_bytes(1, "ping" * 50)),
    call(3, 13, b""), call(4, 11, b"")]))
write("connector_calls_fuzzer", "authenticate_and_cancel", connector(USERS, [], [
    settings(4096, 0), call(5, 16, f_bytes(1, "alice") + f_bytes(2, "pw")),
    call(6, 16, f_bytes(1, "bob") + f_bytes(3, b"\x01" + b"\x00" * 91)),
    call(8, 14, b""), f_bytes(3, f_varint(1, 8))]))
write("connector_calls_fuzzer", "tiny_frame_limit", connector(USERS, ["cn=" + "g" * 500], [
    settings(100, 1), call(9, 13, b""), call(10, 14, f_varint(3, 1)), call(11, 12, f_bytes(1, "dc=x"))]))
write("connector_calls_fuzzer", "duplicate_call_ids", connector(USERS, [], [
    settings(0, 2), call(1, 14, f_varint(3, 1)), call(1, 10, f_bytes(1, "again")),
    f_bytes(3, f_varint(1, 1))]))


# --- the fuzzers that take their input as one string
def plain(target, seeds):
    for i, s in enumerate(seeds):
        write(target, "seed%02d" % i, s if isinstance(s, bytes) else s.encode())


plain("ldap_escape_fuzzer", [
    "alice", "a*b", "x)(|(uid=*", "*", "(", ")", "\\", "\\2a", "DOMAIN\\bob",
    "bob@example.com", "a@b@c", "@", "x\\", "\\x", " lead", "trail ", "  ", "#hash",
    "a,b+c=d;e<f>g\"h", "\u00e9t\u00e9", b"nul\x00byte", b"\xff\xfe", "uid=a,dc=x"])
plain("dn_fuzzer", [
    "dc=example,dc=com", "cn=x\\,ou=People,dc=example", "CN=Alice+UID=a1,DC=x",
    "cn=#04024869,dc=x", "cn=\\#04024869,dc=x", "2.5.4.3=x,dc=y", "OID.2.5.4.11=Sales,dc=y",
    "cn=  a   b  ,dc=x", "cn=\\20a\\20,dc=x", "cn=\\c3\\a9t\\c3\\a9,dc=x", "", " ",
    "cn=,dc=x", "cn=a\\2Cb", "cn=a\\", "cn=a\\4", "cn=\\09tab,dc=x", "=x", "cn", "cn=a,,dc=x",
    "uid=a+cn=b+sn=c,ou=p\\+q,o=r\\;s", b"cn=\xc3\xa9,dc=x", b"cn=\xff,dc=x"])
plain("sealed_box_fuzzer", [
    b"\x00", b"\x01" + b"\x00" * 91, b"\x02\x05\x00\x07" * 8, b"\xff" * 120])
with open(os.path.join(HERE, "..", "..", "deploy", "connector.example.yaml"), "rb") as f:
    example = f.read()
# The fuzzer creates this 0600 file, so that a config can pass every check.
local = example.replace(b"/etc/dirbridge/bind-password", b"/tmp/dirbridge-fuzz-bind-password")
plain("connector_config_fuzzer", [
    example, local,
    local.replace(b"profile: active_directory", b"profile: openldap\n  attributes: {username: cn}"),
    b"cloud: {address: a:1}\nstate_dir: /s\nldap: {uris: [ldap://h], tls: none, bind_dn: cn=a,"
    b" bind_password_file: /tmp/dirbridge-fuzz-bind-password, base_dn: dc=x}\n",
    b"cloud: [1, 2]\nldap: 3\n", b"a: &x [*x]\n", b"{", b"- - - -\n", b"key: !!binary AAAA\n",
    b"tunnel: {worker_threads: 99999999999999999999, drain_timeout: -1s}\n"])
print("seeds written under", os.path.join(HERE, "corpus"), file=sys.stderr)
