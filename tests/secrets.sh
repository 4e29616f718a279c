#!/bin/sh
# Secrets stay secret: a whole call with --verbose on both clients and the
# server must not print any private key (identity or server key) in any
# form to any stdout or stderr; a running client cannot dump core and is
# not dumpable (no ptrace, no /proc/PID/mem for other processes); key
# files are checked for their permissions on every load, not only when
# they are made.
. "$top_srcdir/tests/lib.sh"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is needed"

not() { ! "$@"; }
# exec_user USER COMMAND...: as_user, but the command replaces the shell,
# so that "exec_user ... &" leaves the command itself in $!.
exec_user() {
	u=$1; shift
	h=$(user_home "$u")
	HOME=$h XDG_CONFIG_HOME=$h/config XDG_DATA_HOME=$h/data E2CALL_HOME= \
	    exec "$@"
}
idfile() { echo "$T/$1/config/e2call/identity"; }

# leaks OUTFILE KEYFILE...: writes to OUTFILE which key of which file
# appears in which of the files named on stdin (raw bytes, base64 with and
# without padding, URL-safe base64, hex in both cases); exit 1 if any.
cat >"$T/leaks.py" <<'PY'
import base64, binascii, sys
report, keyfiles = sys.argv[1], sys.argv[2:]
forms = []
for kf in keyfiles:
    for line in open(kf):
        if line.startswith("private "):
            raw = base64.b64decode(line.split()[1])
            assert len(raw) == 32
            b64 = base64.b64encode(raw)
            u64 = base64.urlsafe_b64encode(raw)
            hx = binascii.hexlify(raw)
            for name, f in (("raw", raw), ("base64", b64),
                            ("base64 unpadded", b64.rstrip(b"=")),
                            ("url-safe base64", u64.rstrip(b"=")),
                            ("hex", hx), ("HEX", hx.upper()),
                            # a prefix is enough to give a key away
                            ("base64 prefix", b64[:16]),
                            ("hex prefix", hx[:24])):
                forms.append((kf, name, f))
found = 0
with open(report, "w") as out:
    for path in sys.stdin.read().split():
        data = open(path, "rb").read()
        for kf, name, f in forms:
            if f in data:
                out.write("%s: the %s private key of %s\n" % (path, name, kf))
                found += 1
sys.exit(1 if found else 0)
PY

# ---- a call with everything verbose ----
port=$(free_port)
SERVER=127.0.0.1:$port
mkdir -p "$T/server"
"$E2CALL" serve --verbose --listen "$SERVER" --db "$T/server/server.db" \
    >"$T/server/out" 2>"$T/server/log" &
SERVER_PID=$!
PIDS="$PIDS $SERVER_PID"
wait_for "$T/server/log" "listening" 10 || { not_ok "server starts"; finish; }
configure alice; configure bob
as_user alice "$E2CALL" id >"$T/id.alice" 2>&1
as_user bob "$E2CALL" id >"$T/id.bob" 2>&1

# A short tone each way, so that media runs through the codec.
python3 - "$T/tone.wav" <<'PY'
import math, struct, sys, wave
w = wave.open(sys.argv[1], "wb")
w.setnchannels(1); w.setsampwidth(2); w.setframerate(48000)
w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(
    2 * math.pi * 440 * i / 48000))) for i in range(48000 * 2)))
w.close()
PY

exec_user alice "$E2CALL" listen --batch --verbose --auto-answer --once \
    --play "$T/tone.wav" --record "$T/a.wav" </dev/null >"$T/a.out" \
    2>"$T/a.err" &
apid=$!
PIDS="$PIDS $apid"
wait_for "$T/a.out" '"registered"' 10
# While alice waits for the call: her process limits and dumpability.
cp "/proc/$apid/limits" "$T/a.limits" 2>/dev/null
cp "/proc/$SERVER_PID/limits" "$T/s.limits" 2>/dev/null
as_user bob timeout 30 "$E2CALL" dial alice --batch --verbose --timeout 2 \
    --play "$T/tone.wav" --record "$T/b.wav" </dev/null >"$T/b.out" \
    2>"$T/b.err"
brc=$?
wait "$apid"; arc=$?
check "the verbose call works (exit $brc and $arc)" \
    [ "$brc" -eq 0 -a "$arc" -eq 0 ]
ca=$(json_field "$T/a.out" security_code code)
cb=$(json_field "$T/b.out" security_code code)
check "both sides show the same code" test -n "$ca" -a "$ca" = "$cb"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
check "the server logged at debug level (--verbose)" \
    grep -q "e2call serve: debug:" "$T/server/log"

keys="$(idfile alice) $(idfile bob) $T/server/server_key"
check "the key files are where the test looks" \
    sh -c 'for f in $0; do grep -q "^private " "$f" || exit 1; done' "$keys"
# The checker must find what it looks for.
echo "$(idfile alice)" | python3 "$T/leaks.py" "$T/selftest" $keys
check "the checker finds a private key where one is" \
    grep -q "base64 private key of $(idfile alice)" "$T/selftest"
sed -n 's/^private //p' "$(idfile bob)" | base64 -d | od -An -tx1 |
    tr -d ' \n' >"$T/hex.selftest"
echo "$T/hex.selftest" | python3 "$T/leaks.py" "$T/selftest" $keys
check "... and its hex form" \
    grep -q "hex private key of $(idfile bob)" "$T/selftest"
ls "$T"/*.out "$T"/*.err "$T"/id.* "$T"/server/out "$T"/server/log |
    python3 "$T/leaks.py" "$T/leaks" $keys
rc=$?
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$T/leaks"
check "no private key in any output of the clients or the server" \
    [ "$rc" -eq 0 ]
check "no 'private' line of a key file in any output" \
    not grep -q "^private " "$T"/*.out "$T"/*.err "$T"/server/out \
    "$T"/server/log
echo "# searched: server log $(wc -l <"$T/server/log") lines ($(grep -c ': debug:' "$T/server/log") debug); clients $(cat "$T"/a.out "$T"/a.err "$T"/b.out "$T"/b.err | grep -c '') lines of events and logs ($(cat "$T"/a.err "$T"/b.err | grep -c ': debug:') debug)"

# ---- core dumps and dumpability ----
check "a running client cannot dump core (Max core file size 0, hard 0)" \
    grep -Eq '^Max core file size +0 +0 ' "$T/a.limits"
check "the server cannot dump core either" \
    grep -Eq '^Max core file size +0 +0 ' "$T/s.limits"
# A process that is not dumpable has its /proc/PID files owned by root;
# that shows only when it runs as another user.
me=$(id -u)
if [ "$me" -ne 0 ]; then
	runas=""
elif command -v setpriv >/dev/null 2>&1; then
	runas="setpriv --reuid=65534 --regid=65534 --clear-groups"
	chmod 755 "$T"
	mkdir -p "$T/nobody"; chown 65534:65534 "$T/nobody"
else
	runas=none
fi
if [ "$runas" != none ]; then
	# as the test user, or as nobody when the test runs as root
	h=$T/nobody
	[ -z "$runas" ] && h=$T/self
	mkdir -p "$h"
	[ -z "$runas" ] || chown 65534:65534 "$h"
	uid=$me; [ -z "$runas" ] || uid=65534
	( HOME=$h E2CALL_HOME=$h/e2 exec $runas "$E2CALL" listen --batch \
	    --audio null --server 127.0.0.1:1 --name zed ) \
	    </dev/null >"$T/z.out" 2>&1 &
	zpid=$!
	PIDS="$PIDS $zpid"
	wait_for "$T/z.out" "reconnecting" 10 >/dev/null
	zown=$(stat -c %u "/proc/$zpid/status" 2>/dev/null)
	zdir=$(stat -c %u "/proc/$zpid" 2>/dev/null)
	kill "$zpid"; wait "$zpid" 2>/dev/null
	check "a client is not dumpable (its /proc files belong to root, the process to uid $zdir)" \
	    [ "$zown" = 0 -a "$zdir" = "$uid" ]
	( HOME=$h exec $runas "$E2CALL" serve --listen 127.0.0.1:0 \
	    --db "$h/s.db" ) </dev/null >"$T/zs.out" 2>&1 &
	zpid=$!
	PIDS="$PIDS $zpid"
	wait_for "$T/zs.out" "listening" 10 >/dev/null
	zown=$(stat -c %u "/proc/$zpid/status" 2>/dev/null)
	kill "$zpid"; wait "$zpid" 2>/dev/null
	check "the server stays dumpable for its operator (owner $zown)" \
	    [ "$zown" = "$uid" ]
else
	echo "# SKIP: dumpability needs a non-root user or setpriv"
fi

# ---- permissions checked on every load ----
f=$(idfile alice)
chmod 644 "$f"
as_user alice timeout 20 "$E2CALL" listen --batch --audio null --once \
    </dev/null >"$T/p.out" 2>"$T/p.err"
rc=$?
check "after chmod 644 of the identity, listen refuses it (exit $rc)" \
    [ "$rc" -eq 1 ]
check "... naming the file and the fix" \
    sh -c 'grep -qF "$0: permissions 0644 are too open" "$1" &&
    grep -qF "chmod 600 $0" "$1"' "$f" "$T/p.err"
check "... and never got as far as the server" \
    not grep -q '"registered"' "$T/p.out"
as_user alice timeout 20 "$E2CALL" dial bob --batch --audio null \
    </dev/null >/dev/null 2>"$T/p.err"
rc=$?
check "dial refuses it too (exit $rc)" \
    sh -c '[ "$0" -eq 1 ] && grep -q "too open" "$1"' "$rc" "$T/p.err"
as_user alice timeout 20 "$E2CALL" register alice --server "$SERVER" \
    </dev/null >/dev/null 2>"$T/p.err"
rc=$?
check "register refuses it too (exit $rc)" \
    sh -c '[ "$0" -eq 1 ] && grep -q "too open" "$1"' "$rc" "$T/p.err"
chmod 640 "$(idfile bob)"
as_user bob timeout 20 "$E2CALL" dial alice --batch --audio null \
    </dev/null >/dev/null 2>"$T/p.err"
rc=$?
check "a group-readable identity (640) is refused as well (exit $rc)" \
    sh -c '[ "$0" -eq 1 ] && grep -q "permissions 0640 are too open" "$1"' \
    "$rc" "$T/p.err"
chmod 600 "$f" "$(idfile bob)"
chmod 644 "$T/server/server_key"
"$E2CALL" serve --listen "$SERVER" --db "$T/server/server.db" \
    </dev/null >/dev/null 2>"$T/p.err" &
spid=$!
PIDS="$PIDS $spid"
n=50; while kill -0 "$spid" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
kill "$spid" 2>/dev/null
wait "$spid"; rc=$?
check "a server key made readable by others stops the server (exit $rc)" \
    sh -c '[ "$0" -eq 1 ] && grep -q "server_key: permissions 0644 are too open" "$1"' \
    "$rc" "$T/p.err"
chmod 600 "$T/server/server_key"
ls "$T"/p.* | python3 "$T/leaks.py" "$T/leaks" $keys
check "the refusals print no key either" [ $? -eq 0 ]
finish
