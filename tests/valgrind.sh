#!/bin/sh
# A whole call under valgrind: the server and both clients (batch mode,
# file audio, a few seconds of speech each way) run under memcheck with
# leak checking; any invalid read or write, use of uninitialised memory,
# or definite or indirect leak fails the test.  A few short commands (id,
# contacts, verify, unverify, a dial to an unknown name, garbage sent to
# the server) run under it too, for their error paths.
#
# valgrind slows Opus down many times: on a slow or busy machine the
# clients fall behind real time, so the figures (concealment, drops) and
# the speech correlation are printed, not checked.  VG_TIMEOUT (seconds,
# default 600) bounds each process.
. "$top_srcdir/tests/lib.sh"
command -v valgrind >/dev/null 2>&1 || skip_all "valgrind not installed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is needed for free_port"
if "$E2CALL" --version 2>/dev/null | grep -q asan ||
    nm "$E2CALL" 2>/dev/null | grep -q __asan_init; then
	skip_all "e2call is built with AddressSanitizer; valgrind cannot run it"
fi
SIGCLIENT=$top_builddir/tests/sigclient
WAVCMP=$top_builddir/tests/wavcmp
TMO=${VG_TIMEOUT:-600}
VG="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99
    --track-fds=no --num-callers=30"
VGEXIT=99

# ---- a few seconds of speech each way ----
if command -v espeak-ng >/dev/null 2>&1 && command -v sox >/dev/null 2>&1; then
	espeak-ng -w "$T/s1.wav" "The quick brown fox jumps over the lazy dog." 2>/dev/null
	espeak-ng -v en-us -w "$T/s2.wav" "Seven silver swans swam silently seaward." 2>/dev/null
	sox "$T/s1.wav" -r 48000 -c 1 -b 16 "$T/bob.wav"
	sox "$T/s2.wav" -r 48000 -c 1 -b 16 "$T/alice.wav"
	what="espeak-ng speech"
else
	# No speech synthesizer: a few seconds of syllable-like tone bursts.
	python3 - "$T/bob.wav" "$T/alice.wav" <<'PY'
import math, struct, sys, wave
for n, path in enumerate(sys.argv[1:]):
    w = wave.open(path, "wb")
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(48000)
    out = bytearray()
    for i in range(48000 * 3):
        t = i / 48000.0
        env = max(0.0, math.sin(2 * math.pi * (2.5 + n) * t))
        f = 180 + 60 * math.sin(2 * math.pi * 0.7 * t)
        out += struct.pack("<h", int(9000 * env * math.sin(2 * math.pi * f * t)))
    w.writeframes(bytes(out))
    w.close()
PY
	what="synthetic tone bursts"
fi

# ---- the server under valgrind ----
port=$(free_port)
SERVER=127.0.0.1:$port
mkdir -p "$T/server"
$VG --log-file="$T/vg.server" "$E2CALL" serve --listen "$SERVER" \
    --db "$T/server/server.db" >"$T/server/out" 2>"$T/server/log" &
SERVER_PID=$!
PIDS="$PIDS $SERVER_PID"
wait_for "$T/server/log" "listening" 120 || { not_ok "server starts under valgrind"; finish; }
configure alice; configure bob

# ---- short commands ----
# vgrun NAME USER ARGS...: e2call ARGS as USER under valgrind; status in rc
vgrun() {
	n=$1 u=$2; shift 2
	as_user "$u" timeout "$TMO" $VG --log-file="$T/vg.$n" "$E2CALL" "$@" \
	    >"$T/$n.out" 2>"$T/$n.err" </dev/null
	rc=$?
}
vgrun id1 alice id
check "id (creating the key) under valgrind exits 0 (got $rc)" [ "$rc" -eq 0 ]
vgrun id2 alice id
check "id (loading the key) under valgrind exits 0 (got $rc)" [ "$rc" -eq 0 ]
as_user bob "$E2CALL" id >/dev/null 2>&1
chmod 644 "$T/alice/config/e2call/identity"
vgrun id3 alice id
check "id refusing a mode 644 key under valgrind exits 1 (got $rc)" [ "$rc" -eq 1 ]
chmod 600 "$T/alice/config/e2call/identity"
vgrun unknown bob dial nobody --batch --audio null
# (through a server, unknown and offline give one answer: exit 5)
check "dialing an unknown name under valgrind exits 5 (got $rc)" [ "$rc" -eq 5 ]
if [ -x "$SIGCLIENT" ]; then
	"$SIGCLIENT" "$SERVER" --garbage --wait 20000 >"$T/garbage.out" 2>&1
	"$SIGCLIENT" "$SERVER" --bad-handshake --wait 20000 >"$T/badhs.out" 2>&1
	check "the server under valgrind drops garbage and a bad handshake" \
	    sh -c 'grep -q "^closed" "$0" && grep -q "^closed" "$1"' \
	    "$T/garbage.out" "$T/badhs.out"
fi

# ---- the call ----
t0=$(date +%s)
as_user alice timeout "$TMO" $VG --log-file="$T/vg.alice" "$E2CALL" listen \
    --batch --auto-answer --once --play "$T/alice.wav" \
    --record "$T/alice_heard.wav" </dev/null >"$T/a" 2>"$T/a.err" &
apid=$!
PIDS="$PIDS $apid"
wait_for "$T/a" '"registered"' 120
as_user bob timeout "$TMO" $VG --log-file="$T/vg.bob" "$E2CALL" dial alice \
    --batch --play "$T/bob.wav" --record "$T/bob_heard.wav" --hangup-on-eof \
    </dev/null >"$T/b" 2>"$T/b.err"
brc=$?
wait "$apid"; arc=$?
secs=$(( $(date +%s) - t0 ))
check "the dialer under valgrind exits 0 (got $brc; $VGEXIT means valgrind errors)" \
    [ "$brc" -eq 0 ]
check "the listener under valgrind exits 0 (got $arc)" [ "$arc" -eq 0 ]
ca=$(json_field "$T/a" security_code code)
cb=$(json_field "$T/b" security_code code)
check "both sides show the same security code" test -n "$ca" -a "$ca" = "$cb"
final() { grep '"final":true' "$1" | sed -n "s/.*\"$2\":\\([0-9]*\\).*/\\1/p"; }
arx=$(final "$T/a" rx_packets) brx=$(final "$T/b" rx_packets)
check "media flowed both ways (alice got ${arx:-0}, bob ${brx:-0} packets)" \
    [ "${arx:-0}" -gt 0 -a "${brx:-0}" -gt 0 ]
check "no packet failed authentication" \
    sh -c '[ "$0" = 0 ] && [ "$1" = 0 ]' "$(final "$T/a" bad)" "$(final "$T/b" bad)"
echo "# call with $what: ${secs}s under valgrind; alice: $(grep '"final":true' "$T/a" | sed 's/.*"delay_ms"/"delay_ms"/')"
echo "# bob: $(grep '"final":true' "$T/b" | sed 's/.*"delay_ms"/"delay_ms"/')"
if [ -x "$WAVCMP" ]; then
	echo "# bob -> alice: $("$WAVCMP" "$T/bob.wav" "$T/alice_heard.wav" 2>&1)"
	echo "# alice -> bob: $("$WAVCMP" "$T/alice.wav" "$T/bob_heard.wav" 2>&1)"
fi

# ---- after the call: the pins it made ----
vgrun contacts bob contacts
check "contacts under valgrind lists alice (exit $rc)" \
    sh -c '[ "$0" -eq 0 ] && grep -q "^alice " "$1"' "$rc" "$T/contacts.out"
vgrun verify bob verify alice
check "verify under valgrind exits 0 (got $rc)" [ "$rc" -eq 0 ]
vgrun unverify bob unverify alice
check "unverify under valgrind exits 0 (got $rc)" [ "$rc" -eq 0 ]
vgrun noone bob verify nobody
check "verify of an unknown name under valgrind exits 1 (got $rc)" [ "$rc" -eq 1 ]

kill -TERM "$SERVER_PID"
wait "$SERVER_PID"; src=$?
check "the server under valgrind stops cleanly on SIGTERM (got $src)" \
    [ "$src" -eq 0 ]

# ---- what valgrind said ----
nlogs=0 dirty=0
for f in "$T"/vg.*; do
	nlogs=$((nlogs + 1))
	if [ -s "$f" ]; then
		dirty=$((dirty + 1))
		echo "# ${f##*/}:"
		head -n 60 "$f" | sed 's/^/#   /'
	fi
done
check "valgrind found no memory errors and no leaks in $nlogs processes" \
    [ "$nlogs" -ge 10 -a "$dirty" -eq 0 ]
finish
