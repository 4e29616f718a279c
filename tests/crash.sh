#!/bin/sh
# Crash safety: kill -9 the client and the server at random moments while
# they write the contacts and known_servers pins, and the registration
# database; afterwards every file must be whole and every change that was
# acknowledged before the kill must be there.
#
#  1. verify/unverify on a contacts file of 2000 entries, killed at random
#     moments (CRASH_RUNS, default 100).
#  2. Calls that pin the peer (contacts) and the server (known_servers),
#     both sides killed at random moments of the call set-up; the identity
#     files must come through untouched (CRASH_CALLS, default 50).
#  3. The server killed at random moments while eight clients register
#     names; after each restart every acknowledged name must still belong
#     to its key (CRASH_SERVER_RUNS, default 15).
. "$top_srcdir/tests/lib.sh"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is needed"
SIGCLIENT=${SIGCLIENT:-$top_builddir/tests/sigclient}
[ -x "$SIGCLIENT" ] || skip_all "tests/sigclient is not built"
NPINS=2000

# ---- helpers (python: pins files and the registration driver) ----
cat >"$T/pins.py" <<'PY'
# pins.py gen FILE PREFIX N [PLACE] | check FILE BASE NAME KEY MUST ...
#   gen:   a pins file as pins_save writes it, N entries PREFIXnnnn: of
#          contacts in PLACE, else of known_servers
#   check: each FILE must be byte for byte its BASE, or BASE plus the
#          line "NAME KEY new TIME" at the end (NAME holds the place of a
#          contact); with MUST=1 only the latter.  Exit 1 with the reason
#          otherwise.
import base64, os, re, sys
HDR = ("# e2call pinned keys: NAME PUBLIC-KEY new|verified FIRST-SEEN\n"
       "# (FIRST-SEEN in seconds since 1970-01-01 UTC)\n")
CHDR = ("# e2call pinned keys of people: NAME PLACE PUBLIC-KEY new|verified "
        "FIRST-SEEN\n"
        "# (PLACE: server:<server key>, server:* for any server, direct or "
        "caller;\n"
        "# FIRST-SEEN in seconds since 1970-01-01 UTC)\n")
if sys.argv[1] == "gen":
    path, prefix, n = sys.argv[2], sys.argv[3], int(sys.argv[4])
    place = sys.argv[5] + " " if len(sys.argv) > 5 else ""
    with open(path, "w") as f:
        f.write(CHDR if place else HDR)
        for i in range(n):
            k = base64.b64encode(os.urandom(32)).decode()
            f.write("%s%04d %s%s %s %d\n" % (prefix, i, place, k,
                    "verified" if i % 3 == 0 else "new", 1700000000 + i))
    os.chmod(path, 0o600)
    sys.exit(0)
def check(path, base, name, key, must):
    data = open(path, "rb").read()
    ref = open(base, "rb").read()
    if data == ref:
        if must == "1":
            return "acknowledged pin of %s is missing" % name
        return None
    if not data.startswith(ref):
        return ("the entries that were there are not intact (%d bytes, "
                "was %d)" % (len(data), len(ref)))
    tail = data[len(ref):].decode("ascii", "replace")
    if not re.fullmatch(re.escape(name) + " " + re.escape(key) +
                        r" new ([0-9]{1,12})\n", tail):
        return "unexpected addition: %r" % tail[:200]
    return None
a = sys.argv[2:]
for i in range(0, len(a), 5):
    why = check(*a[i:i + 5])
    if why:
        print("%s: %s" % (a[i], why))
        sys.exit(1)
PY

cat >"$T/reg.py" <<'PY'
# reg.py load SIGCLIENT ADDR KEYDIR NCLIENTS PREFIX ACKFILE
#   NCLIENTS connections, each with its own key KEYDIR/cK.key, register
#   PREFIXcKnJ for J = 0, 1, ... one after the other, until the server
#   goes away.  Each acknowledged name is appended to ACKFILE as
#   "NAME K" the moment its REGISTERED arrives.
# reg.py verify SIGCLIENT ADDR KEY|- EXPECT NAMEFILE
#   One connection (KEY, or a fresh key for -) registers every name of
#   NAMEFILE; EXPECT "own": each must be "registered", "taken": each must
#   be refused with name_taken.  Prints the count, or the first mismatch
#   and exits 1.
import asyncio, sys

async def lines(p):
    while True:
        l = await p.stdout.readline()
        if not l:
            return
        yield l.decode().rstrip("\n")

async def load_one(sigc, addr, key, prefix, k, ack):
    p = await asyncio.create_subprocess_exec(
        sigc, "--key", key, addr, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    j = 0
    def send():
        p.stdin.write(("register %sc%dn%d\n" % (prefix, k, j)).encode())
    try:
        async for l in lines(p):
            if l.startswith("welcome"):
                send()
            elif l == "registered %sc%dn%d" % (prefix, k, j):
                ack.write("%sc%dn%d %d\n" % (prefix, k, j, k))
                ack.flush()
                j += 1
                send()
            elif l.startswith("error"):
                j += 1
                send()
            elif l.startswith("closed"):
                break
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        p.stdin.close()
    except Exception:
        pass
    await p.wait()

async def load(sigc, addr, keydir, n, prefix, ackpath):
    with open(ackpath, "a") as ack:
        await asyncio.gather(*(load_one(sigc, addr, "%s/c%d.key" % (keydir, k),
                                        prefix, k, ack) for k in range(n)))

async def verify(sigc, addr, key, expect, namefile):
    names = [l.split()[0] for l in open(namefile) if l.strip()]
    args = [sigc] + (["--key", key] if key != "-" else []) + [addr]
    p = await asyncio.create_subprocess_exec(
        *args, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    i, bad = 0, None
    it = lines(p)
    async for l in it:
        if l.startswith("welcome"):
            break
    else:
        print("no welcome from the server")
        return 1
    for name in names:
        p.stdin.write(("register %s\n" % name).encode())
        async for l in it:
            if l.startswith("registered ") or l.startswith("error "):
                break
        else:
            bad = "%s: connection closed" % name
            break
        if expect == "own" and l != "registered " + name:
            bad = "%s: %s" % (name, l)
            break
        if expect == "taken" and not l.startswith("error name_taken name=%s "
                                                  % name):
            bad = "%s: %s" % (name, l)
            break
        i += 1
    p.stdin.close()
    await p.wait()
    if bad:
        print("mismatch after %d: %s" % (i, bad))
        return 1
    print(i)
    return 0

if sys.argv[1] == "load":
    asyncio.run(load(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]),
                     sys.argv[6], sys.argv[7]))
else:
    sys.exit(asyncio.run(verify(*sys.argv[2:7])))
PY

pins() { python3 "$T/pins.py" "$@"; }
# exec_user USER COMMAND...: as_user, but the command replaces the shell,
# so that "exec_user ... &" leaves the command itself in $!, to be killed.
exec_user() {
	u=$1; shift
	h=$(user_home "$u")
	HOME=$h XDG_CONFIG_HOME=$h/config XDG_DATA_HOME=$h/data E2CALL_HOME= \
	    exec "$@"
}
# randoms N MAX_SECONDS: N random delays in [0, MAX) seconds, one a line
randoms() {
	awk -v n="$1" -v max="$2" -v seed="$3" 'BEGIN {
		srand(seed)
		for (i = 0; i < n; i++)
			printf "%.4f\n", rand() * max
	}'
}
now_us() { echo $(( $(date +%s%N) / 1000 )); }
# killnow PID: kill -9 and reap it
killnow() { kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
# pubkey FILE: the public key of a key file
pubkey() { sed -n 's/^public //p' "$1"; }

# ==== 1. verify / unverify on a large contacts file ====
V=$T/v
mkdir -p "$V"; chmod 700 "$V"
pins gen "$V/contacts" peer "$NPINS" 'server:*'
cp "$V/contacts" "$V/model"
vrun() { E2CALL_HOME=$V "$E2CALL" "$@"; }

vrun contacts >"$T/list" 2>&1; rc=$?
check "a contacts file of $NPINS entries lists (exit $rc)" \
    sh -c '[ "$0" -eq 0 ] && [ "$(grep -c "^peer[0-9]" "$1")" -eq "$2" ]' \
    "$rc" "$T/list" "$NPINS"

# How long does one verify take here (sanitizers, valgrind, slow disks)?
t0=$(now_us)
for i in 1 2 3 4 5; do vrun verify peer0001 >/dev/null; vrun unverify peer0001 >/dev/null; done
t1=$(now_us)
span=$(( (t1 - t0) / 10 ))
[ "$span" -gt 1000 ] || span=1000
cmp -s "$V/contacts" "$V/model" || cp "$V/contacts" "$V/model"
nv=${CRASH_RUNS:-100}
randoms "$nv" "$(awk -v s="$span" 'BEGIN { print s * 2 / 1e6 }')" $$ \
    >"$T/delays"
i=0 bad=0 acked=0 changed_unacked=0 unchanged=0 lerr=0
while read -r d; do
	i=$((i + 1))
	name=$(printf 'peer%04d' $(( (i * 7919) % NPINS )))
	line=$(grep "^$name " "$V/model")
	case $line in
	*" verified "*) cmd=unverify want=new ;;
	*) cmd=verify want=verified ;;
	esac
	E2CALL_HOME=$V "$E2CALL" "$cmd" "$name" >"$T/vout" 2>"$T/verr" &
	pid=$!
	sleep "$d"
	killnow "$pid"
	new=$(printf '%s\n' "$line" | sed "s/ verified / $want /; s/ new / $want /")
	# What may the file hold now: the model, or the model with the change.
	awk -v n="$name" -v l="$new" '$1 == n { print l; next } { print }' \
	    "$V/model" >"$T/changed"
	why=""
	if grep -q "^$name: " "$T/vout"; then
		acked=$((acked + 1))
		cmp -s "$V/contacts" "$T/changed" ||
		    why="$cmd $name was confirmed but the file does not hold it"
	elif cmp -s "$V/contacts" "$T/changed"; then
		changed_unacked=$((changed_unacked + 1))
	elif cmp -s "$V/contacts" "$V/model"; then
		unchanged=$((unchanged + 1))
	else
		why="$cmd $name: the file is neither before nor after"
	fi
	vrun contacts >"$T/list" 2>"$T/lerr"; rc=$?
	if [ -z "$why" ] && { [ "$rc" -ne 0 ] ||
	    [ "$(grep -c "^peer[0-9]" "$T/list")" -ne "$NPINS" ]; }; then
		why="contacts exited $rc listing $(grep -c "^peer[0-9]" "$T/list") entries: $(head -c 300 "$T/lerr")"
	fi
	if [ -z "$why" ] && [ "$(stat -c %a "$V/contacts")" != 600 ]; then
		why="mode $(stat -c %a "$V/contacts")"
	fi
	if [ -n "$why" ]; then
		bad=$((bad + 1))
		[ "$bad" -le 3 ] && echo "# run $i (kill after ${d}s): $why"
		[ "$bad" -le 3 ] && diff "$V/model" "$V/contacts" | head -5 | sed 's/^/#   /'
		cp "$V/contacts" "$V/model" 2>/dev/null
	else
		cp "$V/contacts" "$V/model"
	fi
done <"$T/delays"
left=$(find "$V" -name '.contacts.tmp-*' | wc -l)
echo "# verify/unverify: $nv kills within $((span * 2))us (one run ~${span}us): confirmed $acked, written but not confirmed $changed_unacked, not written $unchanged; temporary files left $left"
check "after kill -9 of verify/unverify the contacts file is whole, lists all $NPINS entries and holds every confirmed change" \
    [ "$bad" -eq 0 ]
check "the kills landed before, during and after the write" \
    sh -c '[ "$0" -gt 0 ] && [ "$1" -gt 0 ]' "$acked" "$unchanged"
rm -f "$V"/.contacts.tmp-*
vrun verify peer0002 >/dev/null 2>&1 && vrun unverify peer0002 >/dev/null 2>&1
check "verify and unverify still work after the crashes" [ $? -eq 0 ]

# ==== 2. calls killed during set-up: contacts, known_servers, identity ====
# (dozens of calls a minute from one key: the DIAL limits stay out of it)
start_server --dial-per-key 0 --dial-per-addr 0 ||
	{ not_ok "server starts"; finish; }
srvpub=$(pubkey "$T/server/server_key")
for u in alice bob; do
	configure $u
	as_user $u "$E2CALL" id >/dev/null 2>&1
	d=$T/$u/config/e2call
	cp "$d/identity" "$T/$u.identity"
	pins gen "$T/$u.contacts" "c$u" "$NPINS" 'server:*'
	pins gen "$T/$u.servers" "host" "$NPINS"
	sed -i 's/^\(host[0-9]*\) /\1.test:7350 /' "$T/$u.servers"
done
alicepub=$(pubkey "$T/alice.identity")
bobpub=$(pubkey "$T/bob.identity")
reset_pins() {
	for u in alice bob; do
		d=$T/$u/config/e2call
		cp "$T/$u.contacts" "$d/contacts"
		cp "$T/$u.servers" "$d/known_servers"
		chmod 600 "$d/contacts" "$d/known_servers"
		rm -f "$d"/.contacts.tmp-* "$d"/.known_servers.tmp-*
	done
}
start_alice() {
	rm -f "$T/a.out"
	exec_user alice "$E2CALL" listen --batch --audio null --auto-answer \
	    --once </dev/null >"$T/a.out" 2>"$T/a.err" &
	apid=$!
}
start_bob() {
	rm -f "$T/b.out"
	exec_user bob "$E2CALL" dial alice --batch --audio null --timeout 30 \
	    </dev/null >"$T/b.out" 2>"$T/b.err" &
	bpid=$!
}

# Three undisturbed calls: how long from the dial until bob has pinned
# the server, and until he reports "answered" (the slowest of the three)?
setup=0 tpin=0 pinok=0
for k in 1 2 3; do
	reset_pins
	start_alice
	wait_for "$T/a.out" '"registered"' 10
	t0=$(now_us)
	start_bob
	j=0 tp=0
	while ! grep -q '"answered"' "$T/b.out" 2>/dev/null && [ $j -lt 1000 ]; do
		[ "$tp" -eq 0 ] && grep -q 'pinned its key' "$T/b.out" &&
		    tp=$(( $(now_us) - t0 ))
		sleep 0.005; j=$((j + 1))
	done
	t1=$(( $(now_us) - t0 ))
	[ "$tp" -gt 0 ] || tp=$t1
	[ "$t1" -gt "$setup" ] && setup=$t1
	[ "$tp" -gt "$tpin" ] && tpin=$tp
	killnow "$bpid"; killnow "$apid"
	grep -q "^alice " "$T/bob/config/e2call/contacts" &&
	    grep -q "^bob " "$T/alice/config/e2call/contacts" &&
	    pinok=$((pinok + 1))
done
check "undisturbed calls pin both sides (3 of $pinok)" [ "$pinok" -eq 3 ]
window=$(awk -v s="$setup" 'BEGIN { print s * 2 / 1e6 }')

# Bob is killed within twice the set-up time on even runs, within twice
# the time it takes him to pin the server on odd ones; alice within six
# times the set-up time, so that she often outlives the answer.
ncalls=${CRASH_CALLS:-50}
awk -v n="$ncalls" -v w="$window" -v p="$tpin" -v seed=$(($$ + 1)) 'BEGIN {
	srand(seed)
	for (i = 1; i <= n; i++)
		printf "%.4f %.4f\n", rand() * (i % 2 ? p * 2 / 1e6 : w),
		    rand() * w * 3
}' >"$T/delays"
i=0 bad=0 answered=0 notanswered=0 pinned=0 notpinned=0
# check_user USER PEER PEERPUB OUT: the files USER has after the kill
check_user() {
	u=$1 peer=$2 ppub=$3 out=$4
	d=$T/$u/config/e2call
	m1=0; grep -q '"answered"' "$out" && m1=1
	m2=0; grep -q 'pinned its key' "$out" && m2=1
	pins check "$d/contacts" "$T/$u.contacts" "$peer server:$srvpub" \
	    "$ppub" $m1 \
	    "$d/known_servers" "$T/$u.servers" "$SERVER" "$srvpub" $m2 ||
	    return
	cmp -s "$d/identity" "$T/$u.identity" ||
	    { echo "$u's identity changed"; return; }
	[ "$(stat -c %a "$d/identity")" = 600 ] ||
	    { echo "$u's identity has mode $(stat -c %a "$d/identity")"; return; }
	as_user "$u" "$E2CALL" contacts >"$T/list" 2>"$T/lerr"
	rc=$?
	c=$(grep -c "^c$u[0-9]" "$T/list")
	[ "$rc" -eq 0 ] && [ "$c" -eq "$NPINS" ] ||
	    echo "$u: contacts exited $rc listing $c entries: $(head -c 300 "$T/lerr")"
}
while read -r d1 d2; do
	i=$((i + 1))
	reset_pins
	start_alice
	wait_for "$T/a.out" '"registered"' 10 >/dev/null
	start_bob
	# kill both, each at its own random moment after the dial started
	if awk -v a="$d1" -v b="$d2" 'BEGIN { exit !(a <= b) }'; then
		sleep "$d1"; killnow "$bpid"
		sleep "$(awk -v a="$d1" -v b="$d2" 'BEGIN { print b - a }')"
		killnow "$apid"
	else
		sleep "$d2"; killnow "$apid"
		sleep "$(awk -v a="$d1" -v b="$d2" 'BEGIN { print a - b }')"
		killnow "$bpid"
	fi
	if grep -q '"answered"' "$T/b.out"; then
		answered=$((answered + 1))
	else
		notanswered=$((notanswered + 1))
	fi
	if grep -q 'pinned its key' "$T/b.out"; then
		pinned=$((pinned + 1))
	else
		notpinned=$((notpinned + 1))
	fi
	why=$(check_user bob alice "$alicepub" "$T/b.out")
	[ -z "$why" ] && why=$(check_user alice bob "$bobpub" "$T/a.out")
	if [ -n "$why" ]; then
		bad=$((bad + 1))
		[ "$bad" -le 3 ] && echo "# call $i (kills after ${d1}s and ${d2}s): $why"
	fi
done <"$T/delays"
echo "# calls: $ncalls, killed within ${window}s of the dial (slowest undisturbed set-up ${setup}us, server pinned after ${tpin}us): bob answered before the kill $answered, not $notanswered; bob pinned the server before the kill $pinned, not $notpinned"
check "after kill -9 during call set-up contacts, known_servers and identity are whole and hold every acknowledged pin" \
    [ "$bad" -eq 0 ]
check "the kills landed before and after the pins were made" \
    sh -c '[ "$0" -gt 0 ] && [ "$1" -gt 0 ] && [ "$2" -gt 0 ]' \
    "$answered" "$notanswered" "$notpinned"
# After all that a call still works and pins.
reset_pins
start_alice
wait_for "$T/a.out" '"registered"' 10 >/dev/null
as_user bob timeout 20 "$E2CALL" dial alice --batch --audio null \
    --timeout 1 </dev/null >"$T/b.out" 2>&1
rc=$?
stop=50; while kill -0 "$apid" 2>/dev/null && [ $stop -gt 0 ]; do sleep 0.1; stop=$((stop - 1)); done
killnow "$apid"
check "a call after the crashes works (exit $rc)" [ "$rc" -eq 0 ]
check "... and pins the peer" [ -z "$(check_user bob alice "$alicepub" "$T/b.out")" ]
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null

# ==== 3. the registration database under kill -9 of the server ====
R=$T/reg
mkdir -p "$R/keys"
RPORT=$(free_port)
RADDR=127.0.0.1:$RPORT
nstart=0
start_rserver() {
	nstart=$((nstart + 1))
	RLOG=$R/server.$nstart.log
	"$E2CALL" serve --listen "$RADDR" --db "$R/server.db" \
	    --max-per-addr 1000 --hs-rate 0 --max-names 0 --reg-per-key 0 \
	    --reg-per-addr 0 2>"$RLOG" &
	RPID=$!
	PIDS="$PIDS $RPID"
	wait_for "$RLOG" "listening on $RADDR" 20
}
NCL=8
# verify_acks FILE: every name in FILE ("NAME K") is owned by key cK
verify_acks() {
	[ -s "$1" ] || return 0
	python3 "$T/reg.py" verify "$SIGCLIENT" "$RADDR" - taken "$1" \
	    >"$R/vt" || { echo "another key: $(cat "$R/vt")"; return 1; }
	for k in $(seq 0 $((NCL - 1))); do
		awk -v k="$k" '$2 == k' "$1" >"$R/mine"
		[ -s "$R/mine" ] || continue
		python3 "$T/reg.py" verify "$SIGCLIENT" "$RADDR" \
		    "$R/keys/c$k.key" own "$R/mine" >"$R/vo" ||
		    { echo "owner c$k: $(cat "$R/vo")"; return 1; }
	done
}
nsrv=${CRASH_SERVER_RUNS:-15}
randoms "$nsrv" 2.5 $(($$ + 3)) >"$T/delays"
: >"$R/all"
i=0 bad=0 restarts=0 empty=0
start_rserver || { not_ok "registration server starts"; finish; }
while read -r d; do
	i=$((i + 1))
	: >"$R/ack"
	python3 "$T/reg.py" load "$SIGCLIENT" "$RADDR" "$R/keys" "$NCL" \
	    "r${i}" "$R/ack" &
	lpid=$!
	sleep "$d"
	killnow "$RPID"
	wait "$lpid"
	[ -s "$R/ack" ] || empty=$((empty + 1))
	cat "$R/ack" >>"$R/all"
	if start_rserver; then
		restarts=$((restarts + 1))
		why=$(verify_acks "$R/ack")
	else
		why="the server does not start again: $(tail -n 3 "$RLOG")"
	fi
	if [ -n "$why" ]; then
		bad=$((bad + 1))
		[ "$bad" -le 3 ] && echo "# server run $i (killed after ${d}s): $why"
		break
	fi
done <"$T/delays"
total=$(wc -l <"$R/all")
stored=$(sed -n 's/.*: \([0-9]*\) registered names.*/\1/p' "$RLOG")
echo "# server: $i kills with up to 2.5 s of registrations from $NCL clients; $total names acknowledged in all, $stored stored after the last restart; runs with no acknowledgment $empty"
check "after each kill -9 the server starts again and every acknowledged name belongs to its key ($restarts restarts)" \
    [ "$bad" -eq 0 ]
check "after the last restart all $total acknowledged names are still owned" \
    [ -z "$(verify_acks "$R/all")" ]
check "the database holds at least as many names as were acknowledged" \
    [ "${stored:-0}" -ge "$total" ]
check "the kills landed while names were being stored ($((i - empty)) runs acknowledged names)" \
    [ "$total" -ge 100 -a $((i - empty)) -ge 3 ]
kill "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null
finish
