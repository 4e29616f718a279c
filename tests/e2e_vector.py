#!/usr/bin/env python3
"""e2e_vector.py PROTOCOL.md: a second, independent implementation of the
end-to-end handshake of e2call (call protocol 2), written from the protocol
document alone, checked against the values the document publishes.

Everything here is Python standard library: X25519 (RFC 7748) and
ChaCha20-Poly1305 (RFC 8439) are written out below and checked against the
RFCs' own test vectors; BLAKE2b is hashlib's.  On top of them sits
Noise_XX_25519_ChaChaPoly_BLAKE2b as section 2 of the document describes
it, and on top of that the committed handshake of 5.1.

The published values are read out of the document given on the command
line (2.2 check value, 4.6 example, 5.1.1 prologue, 5.1.6 full vector, 6.2
security code vectors, the sizes of 2.3), so an edit of the document that
breaks one of them fails here.  The standard Noise vector for
Noise_XX_25519_ChaChaPoly_BLAKE2b in tests/vectors (when present) checks
the Noise layer on its own, so that a failure of a document value can be
told apart from a fault of this implementation.

Output is TAP; the exit status is 1 when any check failed, 2 on bad usage.
"""
import copy
import hashlib
import hmac
import json
import os
import re
import sys

# ---------------------------------------------------------------- X25519

P25519 = 2**255 - 19
A24 = 121665


def x25519(k, u):
    """RFC 7748 section 5: scalar k (32 bytes, clamped here), u (32 bytes)."""
    k = bytearray(k)
    k[0] &= 248
    k[31] &= 127
    k[31] |= 64
    k = int.from_bytes(k, "little")
    u = bytearray(u)
    u[31] &= 127                       # the top bit of u is masked
    x1 = int.from_bytes(u, "little") % P25519
    x2, z2, x3, z3, swap = 1, 0, x1, 1, 0
    p = P25519
    for t in range(254, -1, -1):
        kt = (k >> t) & 1
        swap ^= kt
        if swap:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = kt
        a = (x2 + z2) % p
        aa = a * a % p
        b = (x2 - z2) % p
        bb = b * b % p
        e = (aa - bb) % p
        c = (x3 + z3) % p
        d = (x3 - z3) % p
        da = d * a % p
        cb = c * b % p
        x3 = (da + cb) ** 2 % p
        z3 = x1 * (da - cb) ** 2 % p
        x2 = aa * bb % p
        z2 = e * (aa + A24 * e) % p
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, p - 2, p) % p).to_bytes(32, "little")


BASE = (9).to_bytes(32, "little")


def x25519_pub(k):
    return x25519(k, BASE)


# ------------------------------------------------------ ChaCha20-Poly1305

def _rotl(v, n):
    return ((v << n) & 0xffffffff) | (v >> (32 - n))


def _qr(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = _rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = _rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = _rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = _rotl(s[b] ^ s[c], 7)


def chacha20_block(key, counter, nonce):
    """RFC 8439 2.3: 32-byte key, 32-bit block counter, 12-byte nonce."""
    state = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]
    state += [int.from_bytes(key[i:i + 4], "little") for i in range(0, 32, 4)]
    state += [counter & 0xffffffff]
    state += [int.from_bytes(nonce[i:i + 4], "little") for i in range(0, 12, 4)]
    w = list(state)
    for _ in range(10):
        _qr(w, 0, 4, 8, 12); _qr(w, 1, 5, 9, 13)
        _qr(w, 2, 6, 10, 14); _qr(w, 3, 7, 11, 15)
        _qr(w, 0, 5, 10, 15); _qr(w, 1, 6, 11, 12)
        _qr(w, 2, 7, 8, 13); _qr(w, 3, 4, 9, 14)
    return b"".join(((w[i] + state[i]) & 0xffffffff).to_bytes(4, "little")
                    for i in range(16))


def chacha20(key, counter, nonce, data):
    """RFC 8439 2.4."""
    out = bytearray()
    for j in range(0, len(data), 64):
        ks = chacha20_block(key, counter + j // 64, nonce)
        out += bytes(x ^ y for x, y in zip(data[j:j + 64], ks))
    return bytes(out)


def poly1305(key, msg):
    """RFC 8439 2.5."""
    r = int.from_bytes(key[:16], "little") & 0x0ffffffc0ffffffc0ffffffc0fffffff
    s = int.from_bytes(key[16:32], "little")
    p = 2**130 - 5
    acc = 0
    for i in range(0, len(msg), 16):
        n = int.from_bytes(msg[i:i + 16] + b"\x01", "little")
        acc = (acc + n) * r % p
    return ((acc + s) & (2**128 - 1)).to_bytes(16, "little")


def _pad16(b):
    return b"\x00" * (-len(b) % 16)


def _aead_tag(key, nonce, ad, ct):
    otk = chacha20_block(key, 0, nonce)[:32]
    mac_data = (ad + _pad16(ad) + ct + _pad16(ct) +
                len(ad).to_bytes(8, "little") + len(ct).to_bytes(8, "little"))
    return poly1305(otk, mac_data)


def aead_encrypt(key, nonce, ad, pt):
    """RFC 8439 2.8: ciphertext with the 16-byte tag appended."""
    ct = chacha20(key, 1, nonce, pt)
    return ct + _aead_tag(key, nonce, ad, ct)


class AuthError(Exception):
    pass


def aead_decrypt(key, nonce, ad, data):
    if len(data) < 16:
        raise AuthError("ciphertext shorter than a tag")
    ct, tag = data[:-16], data[-16:]
    if not hmac.compare_digest(_aead_tag(key, nonce, ad, ct), tag):
        raise AuthError("bad tag")
    return chacha20(key, 1, nonce, ct)


# ----------------------------------------------------------------- Noise
# Section 2 of the document: Noise revision 34, 25519 / ChaChaPoly / BLAKE2b.

HASHLEN = 64
BLOCKLEN = 128


def HASH(data):
    return hashlib.blake2b(data).digest()


def HMAC(key, data):
    """2.2: HMAC per RFC 2104 over BLAKE2b, written out (not keyed BLAKE2b)."""
    if len(key) > BLOCKLEN:
        key = HASH(key)
    key = key + b"\x00" * (BLOCKLEN - len(key))
    ipad = bytes(b ^ 0x36 for b in key)
    opad = bytes(b ^ 0x5c for b in key)
    return HASH(opad + HASH(ipad + data))


def HKDF(ck, ikm, n):
    """2.2 / Noise 4.3."""
    t = HMAC(ck, ikm)
    o1 = HMAC(t, b"\x01")
    o2 = HMAC(t, o1 + b"\x02")
    if n == 2:
        return o1, o2
    return o1, o2, HMAC(t, o2 + b"\x03")


class HandshakeError(Exception):
    pass


def DH(priv, pub):
    out = x25519(priv, pub)
    if out == b"\x00" * 32:
        raise HandshakeError("DH result is zero (small-order point)")
    return out


NONCE_MAX = 2**64 - 1


def noise_nonce(n):
    return b"\x00" * 4 + n.to_bytes(8, "little")


class CipherState:
    def __init__(self, k=None):
        self.k = k
        self.n = 0

    def encrypt_with_ad(self, ad, pt):
        if self.k is None:
            return pt
        if self.n == NONCE_MAX:
            raise HandshakeError("nonce exhausted")
        ct = aead_encrypt(self.k, noise_nonce(self.n), ad, pt)
        self.n += 1
        return ct

    def decrypt_with_ad(self, ad, ct):
        if self.k is None:
            return ct
        if self.n == NONCE_MAX:
            raise HandshakeError("nonce exhausted")
        try:
            pt = aead_decrypt(self.k, noise_nonce(self.n), ad, ct)
        except AuthError as e:
            raise HandshakeError(str(e))
        self.n += 1
        return pt


class SymmetricState:
    def __init__(self, protocol_name):
        if len(protocol_name) <= HASHLEN:
            self.h = protocol_name + b"\x00" * (HASHLEN - len(protocol_name))
        else:
            self.h = HASH(protocol_name)
        self.ck = self.h
        self.cs = CipherState()

    def mix_key(self, ikm):
        self.ck, temp_k = HKDF(self.ck, ikm, 2)
        self.cs = CipherState(temp_k[:32])

    def mix_hash(self, data):
        self.h = HASH(self.h + data)

    def encrypt_and_hash(self, pt):
        ct = self.cs.encrypt_with_ad(self.h, pt)
        self.mix_hash(ct)
        return ct

    def decrypt_and_hash(self, ct):
        pt = self.cs.decrypt_with_ad(self.h, ct)
        self.mix_hash(ct)
        return pt

    def split(self):
        t1, t2 = HKDF(self.ck, b"", 2)
        return CipherState(t1[:32]), CipherState(t2[:32])


XX = [["e"], ["e", "ee", "s", "es"], ["s", "se"]]
PROTOCOL_NAME = b"Noise_XX_25519_ChaChaPoly_BLAKE2b"


class HandshakeState:
    """Noise_XX_25519_ChaChaPoly_BLAKE2b for one role.  `e` is the fixed
    ephemeral private key (a test vector) or None for a random one.  A
    message is processed on a copy of the state, kept only on success
    (2.4)."""

    def __init__(self, initiator, prologue, s, e=None):
        self.initiator = initiator
        self.ss = SymmetricState(PROTOCOL_NAME)
        self.ss.mix_hash(prologue)
        self.s = s
        self.s_pub = x25519_pub(s)
        self.e = e
        self.e_pub = x25519_pub(e) if e is not None else None
        self.rs = None
        self.re = None
        self.step = 0
        self.failed = False
        self.result = None               # (c1, c2) after the last message

    def _dh(self, token):
        if token == "ee":
            return DH(self.e, self.re)
        if token == "es":    # initiator's e with responder's s
            return DH(self.e, self.rs) if self.initiator else DH(self.s, self.re)
        if token == "se":    # initiator's s with responder's e
            return DH(self.s, self.re) if self.initiator else DH(self.e, self.rs)
        raise ValueError(token)

    def _my_turn(self):
        return (self.step % 2 == 0) == self.initiator

    def write_message(self, payload):
        if self.failed:
            raise HandshakeError("the handshake has failed")
        if self.step >= len(XX) or not self._my_turn():
            raise HandshakeError("not this side's message")
        st = copy.deepcopy(self)
        out = bytearray()
        for tok in XX[st.step]:
            if tok == "e":
                if st.e is None:
                    st.e = os.urandom(32)
                    st.e_pub = x25519_pub(st.e)
                out += st.e_pub
                st.ss.mix_hash(st.e_pub)
            elif tok == "s":
                out += st.ss.encrypt_and_hash(st.s_pub)
            else:
                st.ss.mix_key(st._dh(tok))
        out += st.ss.encrypt_and_hash(payload)
        st._advance()
        self.__dict__.update(st.__dict__)
        return bytes(out)

    def read_message(self, msg):
        if self.failed:
            raise HandshakeError("the handshake has failed")
        if self.step >= len(XX) or self._my_turn():
            raise HandshakeError("not the peer's message")
        st = copy.deepcopy(self)
        try:
            rest = msg
            for tok in XX[st.step]:
                if tok == "e":
                    if len(rest) < 32:
                        raise HandshakeError("message too short")
                    st.re, rest = rest[:32], rest[32:]
                    st.ss.mix_hash(st.re)
                elif tok == "s":
                    n = 32 + (16 if st.ss.cs.k is not None else 0)
                    if len(rest) < n:
                        raise HandshakeError("message too short")
                    st.rs = st.ss.decrypt_and_hash(rest[:n])
                    rest = rest[n:]
                else:
                    st.ss.mix_key(st._dh(tok))
            payload = st.ss.decrypt_and_hash(rest)
        except HandshakeError:
            self.failed = True           # 2.4: the handshake ends for good
            raise
        st._advance()
        self.__dict__.update(st.__dict__)
        return payload

    def _advance(self):
        self.step += 1
        if self.step == len(XX):
            self.result = self.ss.split()

    @property
    def h(self):
        return self.ss.h


# ------------------------------------------- 4.1 signaling message encoding

T_ACCEPT = 0x05
TAG_CALL = 0x01


def encode_message(mtype, fields):
    """4.1: u8 type, then (u8 tag, u16 length, value) in ascending tag order."""
    out = bytearray([mtype])
    for tag, value in sorted(fields, key=lambda f: f[0]):
        out += bytes([tag]) + len(value).to_bytes(2, "big") + value
    return bytes(out)


# --------------------------------------------- 5.1 the committed handshake

LABEL_CALL = b"e2call-call/2"
LABEL_COMMIT = b"e2call-call/2 commit"
LABEL_MOVE = b"e2call-call/2 move"
LABEL_MEDIA = b"e2call-call/2 media"
LABEL_CONTROL = b"e2call-call/2 control"
CODE_KEY = b"e2call security code v2"


class VersionOne(HandshakeError):
    """A message 1 of 32 bytes: the caller runs call protocol 1 (5.1.5)."""


def prologue(call_id, caller, callee):
    """5.1.1."""
    return (LABEL_CALL + call_id.to_bytes(8, "big") +
            bytes([len(caller)]) + caller + bytes([len(callee)]) + callee)


def make_commit(e, s, nonce, old):
    """5.1.2: mv is 00, or 01 || old."""
    mv = b"\x00" if old is None else b"\x01" + old
    return hashlib.blake2b(LABEL_COMMIT + e + s + nonce + mv,
                           digest_size=32).digest()


def move_mac(dh, old, s):
    return hashlib.blake2b(LABEL_MOVE + old + s, key=dh,
                           digest_size=32).digest()


def make_proof(old_priv, receiver_e, s_pub):
    """5.1.2: old || BLAKE2b(key = DH(old private, receiver's e), ...)."""
    old = x25519_pub(old_priv)
    return old + move_mac(DH(old_priv, receiver_e), old, s_pub)


def check_proof(proof, e_priv, sender_s):
    """The receiver's side: DH(own ephemeral private, old).  Returns old."""
    old, mac = proof[:32], proof[32:]
    want = move_mac(DH(e_priv, old), old, sender_s)
    if not hmac.compare_digest(want, mac):
        raise HandshakeError("move proof does not check")
    return old


def derive(k, label):
    """5.1.3: BLAKE2b's keyed mode, key = a Split() key, 32 bytes out."""
    return hashlib.blake2b(label, key=k, digest_size=32).digest()


def security_code(h):
    """6.1."""
    c = hashlib.blake2b(h, key=CODE_KEY, digest_size=32).digest()
    return " ".join("%05d" % (int.from_bytes(c[5 * i:5 * i + 5], "big") % 100000)
                    for i in range(4))


class E2E:
    """What one side has after message 3 (5.1.3)."""

    def finish(self):
        c1, c2 = self.hs.result
        self.k1, self.k2 = c1.k, c2.k        # k1 caller->callee, k2 back
        self.h = self.hs.h
        self.code = security_code(self.h)
        self.media = {"c2e": derive(self.k1, LABEL_MEDIA),
                      "e2c": derive(self.k2, LABEL_MEDIA)}
        self.control = {"c2e": derive(self.k1, LABEL_CONTROL),
                        "e2c": derive(self.k2, LABEL_CONTROL)}
        self.peer = self.hs.rs


class Caller(E2E):
    def __init__(self, call_id, me, peer, s, e=None, nonce=None, old=None):
        self.call_id = call_id
        self.hs = HandshakeState(True, prologue(call_id, me, peer), s, e)
        self.nonce = nonce if nonce is not None else os.urandom(32)
        self.old = old                       # old identity private key
        self.old_pub = x25519_pub(old) if old is not None else None
        self.peer_old = None

    def message1(self):
        if self.hs.e is None:
            self.hs.e = os.urandom(32)
            self.hs.e_pub = x25519_pub(self.hs.e)
        self.commit = make_commit(self.hs.e_pub, self.hs.s_pub, self.nonce,
                                  self.old_pub)
        return self.hs.write_message(self.commit)

    def read_message2(self, msg):
        st = copy.deepcopy(self.hs)
        try:
            payload = st.read_message(msg)
            if len(payload) not in (0, 64):
                raise HandshakeError("message 2 payload of %d bytes" % len(payload))
            if payload:
                self.peer_old = check_proof(payload, st.e, st.rs)
        except HandshakeError:
            self.hs.failed = True
            raise
        self.hs = st

    def message3(self):
        payload = self.nonce
        if self.old is not None:
            payload += make_proof(self.old, self.hs.re, self.hs.s_pub)
        msg = self.hs.write_message(payload)
        self.finish()
        return msg

    def seal_key(self):
        return self.control["c2e"]

    def open_key(self):
        return self.control["e2c"]


class Callee(E2E):
    def __init__(self, call_id, peer, me, s, e=None, old=None):
        self.call_id = call_id
        self.hs = HandshakeState(False, prologue(call_id, peer, me), s, e)
        self.old = old
        self.peer_old = None

    def read_message1(self, msg):
        if len(msg) == 32:
            raise VersionOne("message 1 of 32 bytes: call protocol 1")
        if len(msg) != 64:
            raise HandshakeError("message 1 of %d bytes" % len(msg))
        self.commit = self.hs.read_message(msg)
        self.peer_e = self.hs.re

    def message2(self):
        payload = b""
        if self.old is not None:
            payload = make_proof(self.old, self.hs.re, self.hs.s_pub)
        return self.hs.write_message(payload)

    def read_message3(self, msg):
        st = copy.deepcopy(self.hs)
        try:
            payload = st.read_message(msg)
            if len(payload) not in (32, 96):
                raise HandshakeError("message 3 payload of %d bytes" % len(payload))
            nonce, proof = payload[:32], payload[32:]
            old = proof[:32] if proof else None
            want = make_commit(self.peer_e, st.rs, nonce, old)
            if not hmac.compare_digest(want, self.commit):
                raise HandshakeError("commit does not open")
            if proof:
                self.peer_old = check_proof(proof, st.e, st.rs)
        except HandshakeError:
            self.hs.failed = True
            raise
        self.hs = st
        self.finish()

    def seal_key(self):
        return self.control["e2c"]

    def open_key(self):
        return self.control["c2e"]


def seal(key, mtype, call_id, plaintext):
    """5.1.4."""
    return aead_encrypt(key, b"\x00" * 4 + mtype.to_bytes(8, "little"),
                        bytes([mtype]) + call_id.to_bytes(8, "big"), plaintext)


def open_sealed(key, mtype, call_id, sealed):
    return aead_decrypt(key, b"\x00" * 4 + mtype.to_bytes(8, "little"),
                        bytes([mtype]) + call_id.to_bytes(8, "big"), sealed)


# ------------------------------------------------------------------- TAP

class Tap:
    def __init__(self):
        self.lines = []
        self.n = 0
        self.failed = 0

    def check(self, cond, desc, diag=()):
        self.n += 1
        if cond:
            self.lines.append("ok %d - %s" % (self.n, desc))
        else:
            self.failed += 1
            self.lines.append("not ok %d - %s" % (self.n, desc))
            self.lines += ["# " + d for d in diag]

    def skip(self, desc, why):
        self.n += 1
        self.lines.append("ok %d - %s # SKIP %s" % (self.n, desc, why))

    def run(self, desc, fn):
        """fn() returns None (passed) or a list of diagnostic lines."""
        try:
            diag = fn()
        except Exception as e:           # a crash is a failure, with its cause
            diag = ["%s: %s" % (type(e).__name__, e)]
        self.check(not diag, desc, diag or ())

    def done(self):
        print("1..%d" % self.n)
        for line in self.lines:
            print(line)
        return 1 if self.failed else 0


# ------------------------------------------------------ reading the document

class DocError(Exception):
    pass


def sections(text):
    """Heading number ("5.1.6") -> the text up to the next heading."""
    out = {}
    cur = None
    for line in text.splitlines():
        m = re.match(r"^#{2,4} ([0-9]+[a-z]?(?:\.[0-9]+)*)\.? ", line)
        if m:
            cur = m.group(1)
            out[cur] = []
        elif line.startswith("#") and re.match(r"^#{1,6} ", line):
            cur = None
        elif cur is not None:
            out[cur].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def section(secs, num):
    if num not in secs:
        raise DocError("no section %s in the document" % num)
    return secs[num]


def flat(text):
    return re.sub(r"\s+", " ", text)


def unhex(s):
    s = re.sub(r"\s+", "", s)
    if not re.fullmatch(r"(?:[0-9a-fA-F]{2})*", s):
        raise DocError("not hex: %r" % s)
    return bytes.fromhex(s)


def parse_vector(text):
    """5.1.6: the names and call id of its first sentence, the one-line
    values (label, space, a hex string or a code), the multi-line blocks
    (`NAME (N bytes)` then hex lines) and the sealed ACCEPT."""
    ft = flat(text)
    m = re.search(r"Caller `([a-z0-9._-]+)`, callee `([a-z0-9._-]+)`, "
                  r"call id 0x([0-9a-f]{16})", ft)
    if not m:
        raise DocError("5.1.6: caller, callee and call id not found")
    v = {"caller": m.group(1).encode(), "callee": m.group(2).encode(),
         "call id": int(m.group(3), 16)}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.startswith("    "):
            continue
        body = line.strip()
        m = re.fullmatch(r"(.+?) \((\d+) bytes\)", body)
        if m and "sealed" not in body:
            hexs = ""
            while i < len(lines) and re.fullmatch(r"\s+[0-9a-f]+\s*", lines[i]):
                hexs += lines[i].strip()
                i += 1
            v[m.group(1)] = unhex(hexs)
            v[m.group(1) + " length"] = int(m.group(2))
            continue
        m = (re.fullmatch(r"(\S.*?)\s+([0-9a-f]{16,})", body) or
             re.fullmatch(r"(\S.*?)\s+(\d{5}(?: \d{5}){3})", body))
        if m:
            v[m.group(1)] = m.group(2)
    m = re.search(r"ACCEPT without candidates: plaintext ([0-9a-f ]+?) "
                  r"\(type ACCEPT, CALL\), sealed \((\d+) bytes\) ([0-9a-f]+)", ft)
    if not m:
        raise DocError("5.1.6: the sealed ACCEPT not found")
    v["sealed plaintext"] = unhex(m.group(1))
    v["sealed length"] = int(m.group(2))
    v["sealed"] = unhex(m.group(3))
    return v


def parse_vector_values(text):
    """5.1.7: one-line values and `NAME (N bytes)` blocks, as in 5.1.6."""
    v = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        body = lines[i].strip()
        indented = lines[i].startswith("    ")
        i += 1
        if not indented:
            continue
        m = re.fullmatch(r"(.+?) \((\d+) bytes\)", body)
        if m:
            hexs = ""
            while i < len(lines) and re.fullmatch(r"\s+[0-9a-f]+\s*", lines[i]):
                hexs += lines[i].strip()
                i += 1
            b = unhex(hexs)
            if len(b) != int(m.group(2)):
                raise DocError("'%s' has %d bytes, its heading says %s"
                               % (m.group(1), len(b), m.group(2)))
            v[m.group(1)] = b
            continue
        m = (re.fullmatch(r"(\S.*?)\s+([0-9a-f]{16,})", body) or
             re.fullmatch(r"(\S.*?)\s+(\d{5}(?: \d{5}){3})", body))
        if m:
            v[m.group(1)] = m.group(2)
    return v


def vector_value(v, label, as_hex=True):
    if label not in v:
        raise DocError("5.1.6: no value '%s'" % label)
    return unhex(v[label]) if as_hex else v[label]


def parse_code_table(text, vector_h):
    """6.2: rows of (description of h, code)."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not line.startswith("|"):
            continue
        desc, code = cells
        mc = re.fullmatch(r"`(\d{5} \d{5} \d{5} \d{5})`", code)
        if not mc:
            continue                     # the header and the rule
        rows.append((desc, mc.group(1)))
    out = []
    prev = None
    for desc, code in rows:
        h = None
        if re.fullmatch(r"(?:`[0-9a-f]+`\s*)+", desc):
            h = unhex("".join(re.findall(r"`([0-9a-f]+)`", desc)))
        elif (m := re.fullmatch(r"the same with the first byte ([0-9a-f]{2}) "
                                r"instead of ([0-9a-f]{2})", desc)):
            if prev is None or prev[0] != int(m.group(2), 16):
                raise DocError("6.2: '%s' does not fit the row before" % desc)
            h = bytes([int(m.group(1), 16)]) + prev[1:]
        elif (m := re.fullmatch(r"`([0-9a-f]+)` followed by (\d+) zero bytes", desc)):
            h = unhex(m.group(1)) + b"\x00" * int(m.group(2))
        elif (m := re.fullmatch(r"(\d+) bytes ([0-9a-f]{2})", desc)):
            h = bytes([int(m.group(2), 16)]) * int(m.group(1))
        elif desc == "the `h` of the vector in 5.1.6":
            h = vector_h
        out.append((desc, h, code))
        prev = h
    return out


def parse_dial_example(text):
    """4.6: the call id, name, E2E bytes and the encoded bytes."""
    ft = flat(text)
    m = re.search(r"A DIAL for call id 0x([0-9a-f]{16}) to `([a-z0-9._-]+)`, "
                  r"carrying a (\d+)-byte end-to-end message whose bytes are "
                  r"00 01 02 \.\. ([0-9a-f]{2}), is these (\d+) bytes", ft)
    if not m:
        raise DocError("4.6: the description of the example not found")
    e2e = bytes(range(int(m.group(4), 16) + 1))
    if len(e2e) != int(m.group(3)):
        raise DocError("4.6: the E2E bytes 00..%s are not %s bytes"
                       % (m.group(4), m.group(3)))
    enc = bytearray()
    for line in text.splitlines():
        if not line.startswith("    "):
            continue
        for tok in line.split():
            if not re.fullmatch(r"[0-9a-f]{2}", tok):
                break
            enc.append(int(tok, 16))
    m2 = re.search(r"one Noise transport message of (\d+) \+ 16 = (\d+) bytes, "
                   r"in a frame with the length header ([0-9a-f]{2}) ([0-9a-f]{2})", ft)
    return {"call id": int(m.group(1), 16), "name": m.group(2).encode(),
            "e2e": e2e, "length": int(m.group(5)), "bytes": bytes(enc),
            "transport": m2 and (int(m2.group(1)), int(m2.group(2)),
                                 bytes([int(m2.group(3), 16), int(m2.group(4), 16)]))}


def parse_sizes(text):
    """2.3: the end-to-end rows of the size table: message -> (plain, with
    move proof)."""
    out = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] == "end to end":
            num = int(cells[1].split(",")[0])
            m = re.fullmatch(r"(\d+)(?: \((\d+)\))?", cells[3])
            if not m:
                raise DocError("2.3: size '%s' not understood" % cells[3])
            plain = int(m.group(1))
            out[num] = (plain, int(m.group(2)) if m.group(2) else plain)
    if sorted(out) != [1, 2, 3]:
        raise DocError("2.3: the end-to-end rows not found")
    return out


# ------------------------------------------ checks of the building blocks

def check_rfc7748():
    bad = []
    vectors = [
        ("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
         "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
         "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"),
        ("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
         "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
         "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"),
    ]
    for i, (k, u, out) in enumerate(vectors, 1):
        got = x25519(unhex(k), unhex(u)).hex()
        if got != out:
            bad.append("5.2 vector %d: %s" % (i, got))
    iters = [(1, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079")]
    if os.environ.get("E2E_VECTOR_SLOW"):
        iters.append((1000, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"))
    k = u = BASE
    done = 0
    for n, out in iters:
        while done < n:
            k, u = x25519(k, u), k
            done += 1
        if k.hex() != out:
            bad.append("5.2 after %d iteration(s): %s" % (n, k.hex()))
    return bad


def check_rfc7748_dh():
    a = unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    b = unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
    bad = []
    pa, pb = x25519_pub(a), x25519_pub(b)
    if pa.hex() != "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a":
        bad.append("Alice's public key: " + pa.hex())
    if pb.hex() != "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f":
        bad.append("Bob's public key: " + pb.hex())
    k = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
    if x25519(a, pb).hex() != k or x25519(b, pa).hex() != k:
        bad.append("shared secret")
    try:
        DH(a, b"\x00" * 32)              # u = 0 has small order
        bad.append("a zero DH result was not refused")
    except HandshakeError:
        pass
    return bad


SUNSCREEN = (b"Ladies and Gentlemen of the class of '99: If I could offer you "
             b"only one tip for the future, sunscreen would be it.")


def check_chacha_block():
    got = chacha20_block(bytes(range(32)), 1, unhex("000000090000004a00000000"))
    want = ("10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
            "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e")
    return None if got.hex() == want else ["block: " + got.hex()]


def check_poly1305():
    got = poly1305(unhex("85d6be7857556d337f4452fe42d506a8"
                         "0103808afb0db2fd4abff6af4149f51b"),
                   b"Cryptographic Forum Research Group")
    return None if got.hex() == "a8061dc1305136c6c22b8baf0c0127a9" else ["tag: " + got.hex()]


def check_aead():
    key = bytes(range(0x80, 0xa0))
    nonce = unhex("070000004041424344454647")
    ad = unhex("50515253c0c1c2c3c4c5c6c7")
    want = ("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
            "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
            "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
            "3ff4def08e4b7a9de576d26586cec64b6116"
            "1ae10b594f09e26a7e902ecbd0600691")
    bad = []
    ct = aead_encrypt(key, nonce, ad, SUNSCREEN)
    if ct.hex() != want:
        bad.append("sealed: " + ct.hex())
    if aead_decrypt(key, nonce, ad, ct) != SUNSCREEN:
        bad.append("does not open")
    for i in (0, len(ct) - 1):
        forged = bytearray(ct)
        forged[i] ^= 1
        try:
            aead_decrypt(key, nonce, ad, bytes(forged))
            bad.append("a flipped bit at %d was not refused" % i)
        except AuthError:
            pass
    return bad


def check_blake2b():
    # RFC 7693 appendix A: BLAKE2b-512("abc"); hashlib is the hash here.
    want = ("ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
            "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
    got = HASH(b"abc").hex()
    return None if got == want else ["BLAKE2b-512(abc): " + got]


def check_hmac(secs):
    ft = flat(section(secs, "2.2"))
    m = re.search(r"Check value: HMAC-BLAKE2b\(key = `([^`]*)`, message = "
                  r"`([^`]*)`\) = `([0-9a-f]+)` `([0-9a-f]+)`", ft)
    if not m:
        raise DocError("2.2: the HMAC check value not found")
    want = m.group(3) + m.group(4)
    got = HMAC(m.group(1).encode(), m.group(2).encode()).hex()
    if got != want:
        return ["computed:  " + got, "published: " + want]
    if got == hashlib.blake2b(m.group(2).encode(), key=m.group(1).encode()).hexdigest():
        return ["the check value is keyed BLAKE2b, not HMAC"]
    return None


def noise_vector_file():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "vectors", "cacophony-25519-chachapoly-blake2b.json")


def check_noise_vector(path):
    """The standard XX vector: the Noise layer on its own, both roles,
    handshake and transport messages."""
    with open(path) as f:
        vecs = json.load(f)["vectors"]
    v = [x for x in vecs if x.get("protocol_name") == PROTOCOL_NAME.decode()]
    if not v:
        return ["no %s vector in %s" % (PROTOCOL_NAME.decode(), path)]
    v = v[0]
    i = HandshakeState(True, unhex(v["init_prologue"]), unhex(v["init_static"]),
                       unhex(v["init_ephemeral"]))
    r = HandshakeState(False, unhex(v["resp_prologue"]), unhex(v["resp_static"]),
                       unhex(v["resp_ephemeral"]))
    bad = []
    for n, m in enumerate(v["messages"]):
        pt, want = unhex(m["payload"]), m["ciphertext"]
        snd, rcv = (i, r) if n % 2 == 0 else (r, i)
        if n < len(XX):
            ct = snd.write_message(pt)
            back = rcv.read_message(ct)
        else:
            c1s, c2s = snd.result
            c1r, c2r = rcv.result
            out, inn = (c1s, c1r) if snd is i else (c2s, c2r)
            ct = out.encrypt_with_ad(b"", pt)
            back = inn.decrypt_with_ad(b"", ct)
        if ct.hex() != want:
            bad.append("message %d: %s" % (n, ct.hex()))
        if back != pt:
            bad.append("message %d does not read back" % n)
        if n == len(XX) - 1:
            for side in (i, r):
                if side.h.hex() != v["handshake_hash"]:
                    bad.append("handshake hash: " + side.h.hex())
    return bad


# -------------------------------------------------- checks of the document

def check_dial_example(secs):
    ex = parse_dial_example(section(secs, "4.6"))
    got = encode_message(0x02, [(0x01, ex["call id"].to_bytes(8, "big")),
                                (0x02, ex["name"]), (0x03, ex["e2e"])])
    bad = []
    if got != ex["bytes"]:
        bad += ["computed:  " + got.hex(), "published: " + ex["bytes"].hex()]
    if len(ex["bytes"]) != ex["length"]:
        bad.append("the example has %d bytes, the text says %d"
                   % (len(ex["bytes"]), ex["length"]))
    t = ex["transport"]
    if not t:
        bad.append("4.6: the transport size and frame header not found")
    elif t[0] != len(got) or t[1] != len(got) + 16 or t[2] != (len(got) + 16).to_bytes(2, "big"):
        bad.append("4.6: transport %r, computed %d + 16 and header %s"
                   % (t, len(got), (len(got) + 16).to_bytes(2, "big").hex()))
    return bad


def check_prologue_example(secs):
    ft = flat(section(secs, "5.1.1"))
    m = re.search(r"For call id 0x([0-9a-f]{16}) from `([a-z0-9._-]+)` to "
                  r"`([a-z0-9._-]+)` the prologue is the (\d+) bytes `([0-9a-f ]+)`", ft)
    if not m:
        raise DocError("5.1.1: the prologue example not found")
    want = unhex(m.group(5))
    got = prologue(int(m.group(1), 16), m.group(2).encode(), m.group(3).encode())
    bad = []
    if got != want:
        bad += ["computed:  " + got.hex(), "published: " + want.hex()]
    if len(want) != int(m.group(4)):
        bad.append("the example has %d bytes, the text says %s" % (len(want), m.group(4)))
    return bad


class Run:
    """The handshake of 5.1.6, run once by both roles; the checks below
    look at its pieces.  Snapshots after message 2 serve the refusals."""

    def __init__(self, v):
        self.v = v
        g = lambda label: vector_value(v, label)
        self.caller = Caller(v["call id"], v["caller"], v["callee"],
                             g("caller static private"),
                             g("caller ephemeral private"), g("nonce"))
        self.callee = Callee(v["call id"], v["caller"], v["callee"],
                             g("callee static private"),
                             g("callee ephemeral private"))
        self.m1 = self.caller.message1()
        self.callee.read_message1(self.m1)
        self.m2 = self.callee.message2()
        self.caller.read_message2(self.m2)
        self.after2 = (copy.deepcopy(self.caller), copy.deepcopy(self.callee))
        self.m3 = self.caller.message3()
        self.callee.read_message3(self.m3)


def published_block(v, name):
    if name not in v:
        raise DocError("5.1.6: no block '%s (N bytes)'" % name)
    b = v[name]
    if len(b) != v[name + " length"]:
        raise DocError("5.1.6: '%s' has %d bytes, its heading says %d"
                       % (name, len(b), v[name + " length"]))
    return b


def refused(fn, why, what):
    """fn() must raise a HandshakeError whose text holds `why`."""
    try:
        fn()
    except HandshakeError as e:
        if why in str(e):
            return []
        return ["%s: refused, but for another reason: %s" % (what, e)]
    return ["%s: taken" % what]


def cmp(got, want):
    if got == want:
        return None
    f = lambda x: x.hex() if isinstance(x, bytes) else str(x)
    return ["computed:  " + f(got), "published: " + f(want)]


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: e2e_vector.py PROTOCOL.md\n")
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            secs = sections(f.read())
    except OSError as e:
        sys.stderr.write("e2e_vector.py: %s\n" % e)
        return 2
    tap = Tap()

    # The building blocks, against the RFCs and the standard Noise vector.
    tap.run("X25519 (RFC 7748 5.2: two vectors, one iteration)", check_rfc7748)
    tap.run("X25519 (RFC 7748 6.1: Diffie-Hellman), a zero result refused",
            check_rfc7748_dh)
    tap.run("ChaCha20 block function (RFC 8439 2.3.2)", check_chacha_block)
    tap.run("Poly1305 (RFC 8439 2.5.2)", check_poly1305)
    tap.run("ChaCha20-Poly1305 seal, open, forgery refused (RFC 8439 2.8.2)",
            check_aead)
    tap.run("BLAKE2b-512 (RFC 7693 appendix A)", check_blake2b)
    tap.run("2.2: HMAC-BLAKE2b check value", lambda: check_hmac(secs))
    nv = noise_vector_file()
    if os.path.exists(nv):
        tap.run("Noise_XX_25519_ChaChaPoly_BLAKE2b: the standard vector, "
                "both roles, handshake and transport", lambda: check_noise_vector(nv))
    else:
        tap.skip("Noise_XX_25519_ChaChaPoly_BLAKE2b: the standard vector",
                 "%s not present" % nv)

    # Examples of the document outside the handshake vector.
    tap.run("4.6: the DIAL example encodes as published", lambda: check_dial_example(secs))
    tap.run("5.1.1: the prologue example", lambda: check_prologue_example(secs))

    # The full vector of 5.1.6.
    state = {}

    def run_vector():
        state["v"] = parse_vector(section(secs, "5.1.6"))
        state["run"] = Run(state["v"])
    tap.run("5.1.6: the vector parses, caller and callee complete the handshake",
            run_vector)
    need = lambda: state.get("run") or (_ for _ in ()).throw(
        DocError("no completed run of the 5.1.6 vector"))

    def pub(role):
        r = need()
        side = r.caller if role == "caller" else r.callee
        return cmp(side.hs.s_pub, vector_value(r.v, role + " static public"))
    tap.run("5.1.6: caller static public = X25519(caller static private)",
            lambda: pub("caller"))
    tap.run("5.1.6: callee static public = X25519(callee static private)",
            lambda: pub("callee"))
    tap.run("5.1.6: commit", lambda: cmp(need().caller.commit,
                                          vector_value(need().v, "commit")))
    tap.run("5.1.6: message 1", lambda: cmp(need().m1, published_block(need().v, "message 1")))
    tap.run("5.1.6: message 2", lambda: cmp(need().m2, published_block(need().v, "message 2")))
    tap.run("5.1.6: message 3", lambda: cmp(need().m3, published_block(need().v, "message 3")))

    def check_h():
        r = need()
        if r.caller.h != r.callee.h:
            return ["caller and callee disagree on h"]
        return cmp(r.caller.h, published_block(r.v, "h"))
    tap.run("5.1.6: h (both sides)", check_h)

    def check_code():
        r = need()
        if r.caller.code != r.callee.code:
            return ["caller and callee disagree on the code"]
        return cmp(r.caller.code, vector_value(r.v, "security code", False))
    tap.run("5.1.6: security code (both sides)", check_code)

    def media(direction, label):
        r = need()
        if r.caller.media[direction] != r.callee.media[direction]:
            return ["caller and callee disagree"]
        return cmp(r.caller.media[direction], vector_value(r.v, label))
    tap.run("5.1.6: media key, caller->callee (both sides)",
            lambda: media("c2e", "media key, caller->callee"))
    tap.run("5.1.6: media key, callee->caller (both sides)",
            lambda: media("e2c", "media key, callee->caller"))

    def check_peers():
        r = need()
        bad = []
        if r.caller.peer != r.callee.hs.s_pub:
            bad.append("the caller did not learn the callee's static key")
        if r.callee.peer != r.caller.hs.s_pub:
            bad.append("the callee did not learn the caller's static key")
        return bad
    tap.run("5.1.6: each side learns the other's static key", check_peers)

    def check_sealed_form():
        r = need()
        got = encode_message(T_ACCEPT, [(TAG_CALL, r.v["call id"].to_bytes(8, "big"))])
        return cmp(got, r.v["sealed plaintext"])
    tap.run("5.1.6: the sealed form of an ACCEPT without candidates (4.1, 5.1.4)",
            check_sealed_form)

    def check_sealed():
        r = need()
        pt = r.v["sealed plaintext"]
        got = seal(r.callee.seal_key(), T_ACCEPT, r.v["call id"], pt)
        bad = cmp(got, r.v["sealed"]) or []
        if len(r.v["sealed"]) != r.v["sealed length"]:
            bad.append("the sealed ACCEPT has %d bytes, the text says %d"
                       % (len(r.v["sealed"]), r.v["sealed length"]))
        try:
            if open_sealed(r.caller.open_key(), T_ACCEPT, r.v["call id"], r.v["sealed"]) != pt:
                bad.append("the caller opens it to something else")
        except AuthError:
            bad.append("the published SEALED does not open at the caller")
        return bad
    tap.run("5.1.6: the callee's SEALED ACCEPT, and the caller opens it", check_sealed)

    def check_seal_direction():
        # Sealed under the callee's control key, it must not open under the
        # caller's own sending key, nor as another type or call id.
        r = need()
        s = r.v["sealed"]
        bad = []
        for key, mtype, cid, what in (
                (r.caller.seal_key(), T_ACCEPT, r.v["call id"], "the other direction's key"),
                (r.caller.open_key(), 0x06, r.v["call id"], "another type"),
                (r.caller.open_key(), T_ACCEPT, r.v["call id"] ^ 1 << 63, "another call id")):
            try:
                open_sealed(key, mtype, cid, s)
                bad.append("opens with " + what)
            except AuthError:
                pass
        return bad
    tap.run("5.1.4: a SEALED opens only under its direction, type and call id",
            check_seal_direction)

    # 5.1.7: the same inputs with move proofs both ways.
    def check_move_vector():
        r = need()
        t = section(secs, "5.1.7")
        w = parse_vector_values(t)
        v = r.v
        g = lambda label: vector_value(v, label)
        for lab in ("caller old private", "caller old public",
                    "callee old private", "callee old public", "commit",
                    "security code", "message 2", "message 3"):
            if lab not in w:
                raise DocError("5.1.7: no value '%s'" % lab)
        bad = []
        if x25519_pub(unhex(w["caller old private"])) != unhex(w["caller old public"]):
            bad.append("caller old public is not X25519(caller old private)")
        if x25519_pub(unhex(w["callee old private"])) != unhex(w["callee old public"]):
            bad.append("callee old public is not X25519(callee old private)")
        c = Caller(v["call id"], v["caller"], v["callee"],
                   g("caller static private"), g("caller ephemeral private"),
                   g("nonce"), old=unhex(w["caller old private"]))
        e = Callee(v["call id"], v["caller"], v["callee"],
                   g("callee static private"), g("callee ephemeral private"),
                   old=unhex(w["callee old private"]))
        m1 = c.message1()
        e.read_message1(m1)
        m2 = e.message2()
        c.read_message2(m2)
        m3 = c.message3()
        e.read_message3(m3)
        bad += cmp(c.commit, unhex(w["commit"])) or []
        bad += cmp(m2, w["message 2"]) or []
        bad += cmp(m3, w["message 3"]) or []
        bad += cmp(c.code, w["security code"]) or []
        bad += cmp(e.code, w["security code"]) or []
        if c.peer_old != unhex(w["callee old public"]) or \
                e.peer_old != unhex(w["caller old public"]):
            bad.append("a side does not see the peer's old key")
        return bad
    tap.run("5.1.7: the vector with move proofs both ways", check_move_vector)

    # 6.2 security code vectors.
    def code_rows():
        v = state.get("v")
        return parse_code_table(section(secs, "6.2"), v and published_block(v, "h"))
    try:
        rows = code_rows()
    except Exception as e:
        rows = []
        tap.check(False, "6.2: the table parses", ["%s: %s" % (type(e).__name__, e)])
    if not rows:
        tap.check(False, "6.2: the table has rows")
    for desc, h, code in rows:
        def row(h=h, code=code, desc=desc):
            if h is None:
                return ["the row's h is not understood: " + desc]
            if len(h) != 64:
                return ["h has %d bytes, not 64" % len(h)]
            return cmp(security_code(h), code)
        tap.run("6.2: code of h = %s" % desc.replace("`", ""), row)

    # Self-consistency: the sizes of 2.3, move proofs, refusals.
    def check_sizes():
        r = need()
        sizes = parse_sizes(section(secs, "2.3"))
        bad = []
        got = [len(r.m1), len(r.m2), len(r.m3)]
        moved = state.setdefault("moved", MoveRun(r.v))
        got_moved = [len(moved.m1), len(moved.m2), len(moved.m3)]
        for n in (1, 2, 3):
            if (got[n - 1], got_moved[n - 1]) != sizes[n]:
                bad.append("message %d: %d (%d with a move proof), 2.3 says %d (%d)"
                           % ((n, got[n - 1], got_moved[n - 1]) + sizes[n]))
        return bad
    tap.run("2.3: end-to-end message sizes, with and without move proofs", check_sizes)

    def check_move():
        r = need()
        m = state.setdefault("moved", MoveRun(r.v))
        bad = []
        if m.caller.peer_old != m.callee_old_pub:
            bad.append("the caller did not learn the callee's old key")
        if m.callee.peer_old != m.caller_old_pub:
            bad.append("the callee did not learn the caller's old key")
        if m.caller.h != m.callee.h or m.caller.media != m.callee.media:
            bad.append("the two sides disagree on h or the keys")
        if m.caller.h == r.caller.h:
            bad.append("h does not depend on the move proofs")
        return bad
    tap.run("5.1.2: move proofs in messages 2 and 3 round-trip", check_move)

    def check_bad_proof():
        r = need()
        m = state.setdefault("moved", MoveRun(r.v))
        caller, callee = copy.deepcopy(m.after1)
        good = make_proof(m.callee_old, callee.hs.re, callee.hs.s_pub)
        forged = good[:-1] + bytes([good[-1] ^ 1])
        m2 = callee.hs.write_message(forged)
        return refused(lambda: caller.read_message2(m2), "move proof does not check",
                       "a forged move proof in message 2")
    tap.run("5.1.2: a move proof that does not check fails the handshake",
            check_bad_proof)

    def bad_opening(kind):
        r = need()
        caller, callee = copy.deepcopy(r.after2)
        if kind == "nonce":
            caller.nonce = bytes(x ^ 0xff for x in caller.nonce)
        else:                       # a move proof that message 1 did not commit to
            caller.old = vector_value(r.v, "callee ephemeral private")
        m3 = caller.message3()
        bad = refused(lambda: callee.read_message3(m3), "commit does not open",
                      "a message 3 with another " + kind)
        # 2.4: the handshake stays failed, the right message 3 is refused too
        return bad + refused(lambda: callee.read_message3(r.m3), "has failed",
                             "the right message 3 after a refused one")
    tap.run("5.1.2: a message 3 with another nonce than committed is refused, "
            "for good", lambda: bad_opening("nonce"))
    tap.run("5.1.2: a message 3 with an uncommitted move proof is refused",
            lambda: bad_opening("move proof"))

    def check_lengths():
        r = need()
        bad = []
        callee = Callee(r.v["call id"], r.v["caller"], r.v["callee"],
                        vector_value(r.v, "callee static private"),
                        vector_value(r.v, "callee ephemeral private"))
        bad += refused(lambda: copy.deepcopy(callee).read_message1(r.m1[:32]),
                       "call protocol 1", "a 32-byte message 1")
        for n in (31, 63, 65, 96):
            m1 = r.m1[:n] + bytes(max(0, n - 64))
            bad += refused(lambda: copy.deepcopy(callee).read_message1(m1),
                           "message 1 of %d bytes" % n, "a %d-byte message 1" % n)
        return bad
    tap.run("5.1.2/5.1.5: message 1 lengths: 32 is call protocol 1, others fail",
            check_lengths)

    def check_payload_lengths():
        r = need()
        bad = []
        m = state.setdefault("moved", MoveRun(r.v))
        for n in (16, 32, 63):
            caller, callee = copy.deepcopy(m.after1)
            m2 = callee.hs.write_message(bytes(n))
            bad += refused(lambda: caller.read_message2(m2), "payload of %d bytes" % n,
                           "a message 2 payload of %d bytes" % n)
        for n in (0, 31, 64, 97):
            caller, callee = copy.deepcopy(r.after2)
            m3 = caller.hs.write_message((caller.nonce + bytes(97))[:n])
            bad += refused(lambda: callee.read_message3(m3), "payload of %d bytes" % n,
                           "a message 3 payload of %d bytes" % n)
        return bad
    tap.run("5.1.2: payloads of other lengths fail the handshake", check_payload_lengths)

    return tap.done()


class MoveRun:
    """The 5.1.6 parties again, both holding an old key this time (the old
    keys are made up here: there are no published values for proofs)."""

    def __init__(self, v):
        g = lambda label: vector_value(v, label)
        self.caller_old = bytes(range(0xa0, 0xc0))
        self.callee_old = bytes(range(0xc0, 0xe0))
        self.caller_old_pub = x25519_pub(self.caller_old)
        self.callee_old_pub = x25519_pub(self.callee_old)
        self.caller = Caller(v["call id"], v["caller"], v["callee"],
                             g("caller static private"),
                             g("caller ephemeral private"), g("nonce"),
                             old=self.caller_old)
        self.callee = Callee(v["call id"], v["caller"], v["callee"],
                             g("callee static private"),
                             g("callee ephemeral private"), old=self.callee_old)
        self.m1 = self.caller.message1()
        self.callee.read_message1(self.m1)
        self.after1 = (copy.deepcopy(self.caller), copy.deepcopy(self.callee))
        self.m2 = self.callee.message2()
        self.caller.read_message2(self.m2)
        self.m3 = self.caller.message3()
        self.callee.read_message3(self.m3)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
