#!/usr/bin/env python3
"""Writes the seed corpora under tests/fuzz/corpus/<target>/: small valid
(and a few nearly valid) inputs in each target's input format, as the
comments at the top of tests/fuzz/fuzz_<target>.c describe it.  The WAV
seeds are made with sox.  Usage: tests/fuzz/make_corpus.py [OUTDIR]"""
import base64
import os
import struct
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus")


def put(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def u16(v):
    return struct.pack(">H", v)


def u32(v):
    return struct.pack(">I", v)


# ---- frame: u16 limit, u8 n, n chunk sizes, stream ----
def frames(*payloads):
    return b"".join(u16(len(p)) + p for p in payloads)


put("frame", "three-frames", u16(0) + bytes([1, 64]) + frames(b"a", b"hello", b"x" * 40))
put("frame", "byte-by-byte", u16(100) + bytes([1, 1]) + frames(b"abc", b"de"))
put("frame", "chunks", u16(50) + bytes([3, 3, 0, 7]) + frames(b"0123456789", b"z" * 20) + b"\x00")
put("frame", "too-big", u16(10) + bytes([0]) + frames(b"ok") + frames(b"y" * 11))
put("frame", "zero-length", u16(0) + bytes([0]) + frames(b"ok") + u16(0))

# ---- sigmsg: one message each ----
def field(tag, value):
    return bytes([tag]) + u16(len(value)) + value


CALL = field(1, struct.pack(">Q", 0x0123456789ABCDEF))
E2E = field(3, bytes(range(32)))
CAND4 = field(4, bytes([1, 4, 127, 0, 0, 1]) + u16(40000))
CAND6 = field(4, bytes([2, 6]) + bytes(15) + b"\x01" + u16(3478))
msgs = {
    "register": b"\x01" + field(2, b"alice"),
    "dial": b"\x02" + CALL + field(2, b"bob") + E2E,
    "ringing": b"\x03" + CALL + E2E,
    "handshake": b"\x04" + CALL + E2E + CAND4 + CAND6,
    "accept": b"\x05" + CALL + CAND4,
    "reject": b"\x06" + CALL + field(5, b"\x03") + field(6, "busy, call later \u00e9".encode()),
    "hangup": b"\x07" + field(5, b"\x01") + CALL,
    "ping": b"\x08",
    "pong": b"\x09" + field(0x80, b"extension"),
    "registered": b"\x10" + field(2, b"a.b_c-9"),
    "incoming": b"\x11" + CALL + field(2, b"carol") + E2E,
    "error": b"\x12" + field(5, b"\x0e") + field(6, b"bad \x1b[31m") + CALL + field(2, b"dave"),
    "welcome": b"\x13" + field(7, b"\x01"),
}
for name, m in msgs.items():
    put("sigmsg", name, m)

# ---- noise: u8 mode, u8 paycap, u8 flags, message ----
for mode, name in enumerate(["xx1", "xx2", "xx3", "ik1", "ik2", "xxpsk3"]):
    put("noise", name + "-honest", bytes([mode, 0xFF, 1]))
    put("noise", name + "-flip", bytes([mode, 0xFF, 1]) + bytes(40) + b"\x01")
put("noise", "xx1-forged", bytes([0, 0xFF, 0]) + bytes(range(1, 33)) + b"payload")
put("noise", "cs-honest", bytes([6, 0x40, 1]) + struct.pack(">Q", 7) + bytes([3]) + b"ad!")
put("noise", "cs-max-nonce", bytes([6, 0x40, 1]) + b"\xff" * 8 + bytes([0]))

# ---- mpkt: operations ----
put("mpkt", "audio-control", bytes([1, 40, 2, 9, 1, 0, 2, 5]))
put("mpkt", "replay-tamper", bytes([1, 40, 4, 0, 4, 7, 5, 1, 0, 3, 0x10, 5, 2, 0, 30, 0xFF]))
put("mpkt", "rekey", bytes([3, 0x10, 0x00, 0, 1, 20, 3, 0x10, 0x00, 0, 1, 20, 2, 3, 1, 20]))
put("mpkt", "raw", bytes([0]) + u16(30) + bytes([0x10]) + u32(9) + bytes(25))
put("mpkt", "ctrl", bytes([6, 9, 1]) + bytes(8) + bytes([6, 2, 3, 4, 6, 5, 4, 0, 10, 0, 20]))
put("mpkt", "far-skip", bytes([3, 0xFF, 0xFF, 16, 1, 10, 1, 10]))

# ---- jbuf: u8 setup, u32 seq, ops (op, seq step, time step, length) ----
def jb(setup, seq, ops):
    return bytes([setup]) + u32(seq) + b"".join(bytes(o) for o in ops)


steady = []
for i in range(60):
    steady += [(1, 1, 20, 20), (0, 0, 0, 0)]
put("jbuf", "steady-20ms", jb(0, 1000, steady))
jitter = []
for i in range(60):
    jitter += [(1, 1, 20 + (i * 37) % 50, 30), (0, 0, 0, 0), (0, 0, 20, 0)]
put("jbuf", "jitter-10ms", jb(1, 5, jitter))
lossy = []
for i in range(50):
    lossy += [(1, 2 if i % 7 == 0 else 1, 20, 10), (0, 0, 0, 0)]
lossy += [(3, 3, 0, 10)] + [(0, 0, 20, 0)] * 10
put("jbuf", "loss-reorder", jb(0x86, 0xFFFFFFF0, lossy))
jumps = [(1, 1, 20, 5)] * 5 + [(7, 1, 20, 5)] * 4 + [(0, 0, 20, 0)] * 60
put("jbuf", "jump-pause", jb(0x02, 77, jumps))

# ---- conf: u8 maxf selector, u8 stop, text ----
put("conf", "full", b"\x03\x00" + b"""# e2call config
server = example.org:7400
name = alice
stun = [::1]:3478   # trailing comment
audio = null
capture = hw:0,0
playback = default
frame_ms = 10
bitrate = 32000
ring_timeout = 60
""")
put("conf", "errors", b"\x81\x02name = Bad Name\nbitrate 6000\n\x00\n")
put("conf", "fields", b"\x04\x00a b c d e f\n  # comment\n\n\tx\ty  z  \r\nlast line without newline")
put("conf", "hostports", b"\x20\x00host-1.example:65535\n1.2.3.4:1\n[fe80::1%x]:80\n[::]:0\nh:99999\n")

# ---- pins: u8 selector (bit 0: key file; bit 1: known_servers, else
# contacts; bit 2: older contacts lines get a server's place), file ----
alice_pub = bytes.fromhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
alice_priv = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
bob_pub = bytes.fromhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")


def b64(k):
    return base64.b64encode(k).decode()


srv = "server:" + b64(bytes([0x5a] * 32))
# contacts of the older four-field kind: migrated on load
put("pins", "contacts", "\x00# e2call pinned keys\nalice %s new 1700000000\nbob %s verified 1700000123\n"
    "bob@example.org:7400 %s new 0\nanonymous %s new 5\n" % (b64(alice_pub), b64(bob_pub), b64(bob_pub),
                                                          b64(alice_pub)))
put("pins", "contacts-v1-server", "\x04alice %s verified 1700000000\nbob@[::1]:7400 %s new 0\n"
    % (b64(alice_pub), b64(bob_pub)))
# contacts with places, and a mixed file
put("pins", "contacts-places", "\x00# e2call pinned keys of people\nalice %s %s verified 1700000000\n"
    "alice server:* %s new 1\nalice caller %s new 2\nbob@example.org:7400 direct %s new 3\n"
    "~nu6qdljrvsjtdj3fihyyjyu5bjnxwefu caller %s new 4\n"
    % (srv, b64(alice_pub), b64(bob_pub), b64(bob_pub), b64(alice_pub), b64(bob_pub)))
put("pins", "contacts-mixed", "\x04carol caller %s new 9\ncarol %s new 10\nanonymous %s verified 11\n"
    % (b64(alice_pub), b64(bob_pub), b64(alice_pub)))
put("pins", "bad-line", "\x00alice %s maybe 1\n" % b64(alice_pub))
put("pins", "keyfile", "\x01# e2call private key (keep secret)\nprivate %s\npublic %s\n"
    % (b64(alice_priv), b64(alice_pub)))
put("pins", "keyfile-mismatch", "\x01private %s\npublic %s\n" % (b64(alice_priv), b64(bob_pub)))

# ---- call: operations (see fuzz_call.c) ----
# deliver DIAL to B, RINGING to A, A's key is known, HANDSHAKE to B,
# B's key is known, B answers, ACCEPT to A, A hangs up, HANGUP to B
put("call", "answered", bytes([0, 1, 8, 1, 0, 0x88, 1, 0x85, 1, 7, 0, 0]))
put("call", "rejected", bytes([0, 1, 8, 1, 0, 0x88, 1, 0x86, 1]))
put("call", "changed-key", bytes([0, 11, 1, 1, 8, 3, 0, 0x88, 3, 0x85, 1]))
put("call", "no-answer", bytes([0, 1, 8, 0, 0, 0x88, 0, 9, 0xFF, 0xFF, 9, 0xFF, 0xFF, 0]))
put("call", "cands-glare", bytes([10, 3, 0, 0x8A, 2, 1, 8, 2, 0, 0x88, 2, 0x85, 1, 3, 0x83]))
put("call", "injected", bytes([0, 0x84, 1]) + u16(len(msgs["hangup"])) + msgs["hangup"]
    + bytes([4, 1]) + u16(len(msgs["ringing"])) + msgs["ringing"])

# ---- stun: u8 selector (bit 0: sender IPv6, bit 1: client tid = the
# input's), then the datagram ----
COOKIE = 0x2112A442
TID = bytes(range(0xA0, 0xAC))


def stun(mtype, attrs, tid=TID):
    body = b"".join(u16(t) + u16(len(v)) + v + bytes(-len(v) % 4) for t, v in attrs)
    return u16(mtype) + u16(len(body)) + u32(COOKIE) + tid + body


def xor_v4(port, addr):
    a = bytes(x ^ y for x, y in zip(addr, u32(COOKIE)))
    return b"\x00\x01" + u16(port ^ 0x2112) + a


def xor_v6(port, addr):
    a = bytes(x ^ y for x, y in zip(addr, u32(COOKIE) + TID))
    return b"\x00\x02" + u16(port ^ 0x2112) + a


put("stun", "request", b"\x00" + stun(0x0001, []))
put("stun", "request-software", b"\x01" + stun(0x0001, [(0x8022, b"e2call")]))
put("stun", "request-username", b"\x00" + stun(0x0001, [(0x0006, b"user")]))
put("stun", "response-v4", b"\x02" + stun(0x0101, [(0x0020, xor_v4(40000, bytes([192, 0, 2, 7])))]))
put("stun", "response-v6", b"\x03" + stun(0x0101, [(0x8022, b"srv"), (0x0020, xor_v6(3478, bytes(range(16))))]))
put("stun", "response-mapped", b"\x02" + stun(0x0101, [(0x0001, b"\x00\x01" + u16(5000) + bytes([198, 51, 100, 1]))]))
put("stun", "error-response", b"\x02" + stun(0x0111, [(0x0009, b"\x00\x00\x04\x00Bad Request")]))
put("stun", "unknown-required", b"\x02" + stun(0x0101, [(0x0033, b"????"), (0x0020, xor_v4(1, bytes(4)))]))

# ---- relay: u8 mode; mode 1: u64 leg, u64 seq, u8 flags, XOR mask ----
put("relay", "honest", b"\x01" + struct.pack(">QQ", 7, 1) + b"\x01")
put("relay", "flipped", b"\x01" + struct.pack(">QQ", 1 << 40, 99) + b"\x00" + bytes(20) + b"\x80")
put("relay", "longer", b"\x01" + struct.pack(">QQ", 5, 5) + b"\x00" + bytes(52))
put("relay", "raw-bind", b"\x00\xe1" + struct.pack(">QQ", 3, 4) + bytes(32))
put("relay", "raw-cookie", b"\x00\xe3" + struct.pack(">QQ", 3, 4) + bytes(32))
put("relay", "raw-media", b"\x00\x11" + bytes(30))

# ---- wav: sound files for libsndfile ----
def sox(name, *args):
    path = os.path.join(out, "wav", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    subprocess.run(["sox", "-D", "-V1", "-n", *args, path, "synth", "0.01", "sine", "440"], check=True)


sox("mono16.wav", "-r", "48000", "-c", "1", "-b", "16")
sox("stereo16.wav", "-r", "48000", "-c", "2", "-b", "16")
sox("mono8.wav", "-r", "48000", "-c", "1", "-b", "8")
sox("float.wav", "-r", "48000", "-c", "1", "-e", "floating-point", "-b", "32")
sox("ulaw.wav", "-r", "48000", "-c", "1", "-e", "u-law")
sox("ima-adpcm.wav", "-r", "48000", "-c", "1", "-e", "ima-adpcm")
sox("rate44k.wav", "-r", "44100", "-c", "1", "-b", "16")
sox("mono.aiff", "-r", "48000", "-c", "1", "-b", "16")
sox("mono.flac", "-r", "48000", "-c", "1", "-b", "16")
