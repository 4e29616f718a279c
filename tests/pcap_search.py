#!/usr/bin/env python3
"""pcap_search [--ports A,B] PCAP DUMP [DUMP...]: does any captured UDP
datagram carry a plaintext Opus frame?

With --ports, only datagrams between those two UDP ports count (the two
clients' media sockets), so other traffic on the interface is ignored.

DUMP files hold the frames the clients encoded (--dump-opus: u16 big-endian
length, bytes).  Every 8-byte window of every frame (after its first byte,
the TOC) is looked up in every UDP payload of the capture.  Prints figures
and exits 1 if any frame is found, 2 on bad input.  Media datagrams are
recognised by their e2call header (type 1 or 2 in the high nibble) and
checked to be at least 21 bytes long.
"""
import struct
import sys


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        sys.exit("pcap_search: %s: too short" % path)
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        end = ">"
    else:
        sys.exit("pcap_search: %s: not a pcap file" % path)
    linktype = struct.unpack(end + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        pkt = data[off:off + incl]
        off += incl
        if linktype == 1:          # Ethernet
            eth, pkt = pkt[12:14], pkt[14:]
            proto = struct.unpack(">H", eth)[0]
        elif linktype == 113:      # Linux cooked
            proto = struct.unpack(">H", pkt[14:16])[0]
            pkt = pkt[16:]
        elif linktype == 276:      # Linux cooked v2
            proto = struct.unpack(">H", pkt[0:2])[0]
            pkt = pkt[20:]
        elif linktype == 0:        # BSD loopback
            proto = 0x0800 if pkt[0] == 2 else 0x86DD
            pkt = pkt[4:]
        else:
            sys.exit("pcap_search: link type %d not handled" % linktype)
        if proto == 0x0800 and len(pkt) >= 20 and pkt[9] == 17:
            udp = pkt[(pkt[0] & 15) * 4:]
        elif proto == 0x86DD and len(pkt) >= 40 and pkt[6] == 17:
            udp = pkt[40:]
        else:
            continue
        if len(udp) >= 8:
            sport, dport = struct.unpack(">HH", udp[:4])
            yield sport, dport, udp[8:]


def read_dump(path):
    frames = []
    with open(path, "rb") as f:
        data = f.read()
    off = 0
    while off + 2 <= len(data):
        n = struct.unpack(">H", data[off:off + 2])[0]
        frames.append(data[off + 2:off + 2 + n])
        off += 2 + n
    return frames


def selftest(dump):
    """The checker must find a frame sent in the clear."""
    import os
    import tempfile
    frame = read_dump(dump)[0]
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for payload in (b"\x15\x00\x00\x00\x01" + frame, os.urandom(80)):
        ip = bytes([0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17]) + bytes(10)
        udp = struct.pack(">HHHH", 1000, 2000, 8 + len(payload), 0)
        pkt = bytes(12) + b"\x08\x00" + ip + udp + payload
        out += struct.pack("<IIII", 0, 0, len(pkt), len(pkt)) + pkt
    fd, path = tempfile.mkstemp(suffix=".pcap")
    os.write(fd, out)
    os.close(fd)
    sys.argv = [sys.argv[0], "--ports", "1000,2000", path, dump]
    try:
        main()
    except SystemExit as e:
        os.unlink(path)
        ok = e.code == 1
        print("selftest:", "found the plaintext frame" if ok else "MISSED IT")
        sys.exit(0 if ok else 1)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--selftest":
        selftest(sys.argv[2])
    args = sys.argv[1:]
    ports = None
    if len(args) >= 2 and args[0] == "--ports":
        ports = set(int(p) for p in args[1].split(","))
        args = args[2:]
    if len(args) < 2:
        sys.exit("usage: pcap_search [--ports A,B] PCAP DUMP [DUMP...]")
    frames = []
    for d in args[1:]:
        frames += read_dump(d)
    windows = set()
    for fr in frames:
        for i in range(1, len(fr) - 8 + 1):
            windows.add(fr[i:i + 8])
    payloads = [p for (sp, dp, p) in read_pcap(args[0])
                if ports is None or {sp, dp} == ports]
    media = [p for p in payloads if len(p) >= 1 and (p[0] >> 4) in (1, 2)]
    short = [p for p in media if len(p) < 21]
    hits = 0
    for p in payloads:
        for i in range(0, len(p) - 8 + 1):
            if p[i:i + 8] in windows:
                hits += 1
                break
    print("datagrams=%d media_like=%d frames=%d windows=%d "
          "datagrams_with_plaintext=%d short=%d"
          % (len(payloads), len(media), len(frames), len(windows), hits,
             len(short)))
    if not frames or not payloads:
        sys.exit(2)
    sys.exit(1 if hits or short else 0)


main()
