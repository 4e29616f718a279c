#!/bin/sh
# Man-in-the-middle drills: real clients call through a hostile signaling
# server (tests/mitm_server) that speaks the protocol like `e2call serve`.
#
# Drill 1, mitm mode: the server runs its own end-to-end handshake with
# each party and relays the audio, decrypted and encrypted again.
#   a. First call between two people: it connects, locked and audible,
#      and only the security codes, which differ, reveal the attack.
#   b. People who pinned each other's keys on the honest server: when that
#      server turns hostile (the fixture holds its key, so the pins are in
#      the same place), both see the changed key; in batch mode the call
#      is refused (exit 9).
#   c. A verified contact: refused even with --accept-changed-key.
#   d. After unverify, --accept-changed-key lets the attacker in: the call
#      connects, the codes differ, the attacker's keys are pinned.
# Drill 2, forward mode: the server relays the signaling faithfully.  The
# media candidates travel sealed end to end, so it cannot point them at
# itself; it grants media relay legs instead, and the parties call with
# --relay-only, so every datagram still passes through it.
#   a. The call works, the codes match, and the capture of every datagram
#      holds no encoded Opus frame.
#   b. tamper: one bit flipped in every 25th audio datagram; each fails
#      authentication and is counted by the receiver, and the call goes on
#      to its normal end.
# Drill 3, forge mode: the server relays faithfully, but forges the
# call's control, which travels sealed end to end.
#   a. As soon as the caller's HANDSHAKE has passed, and while the
#      callee's phone still rings, it tells the caller "answered": an
#      unsealed ACCEPT whose candidate is a UDP port of this test's on
#      127.0.0.1, then an ACCEPT and a HANGUP with a SEALED field of
#      random bytes.  The caller refuses all three: it does not report
#      "answered", starts no media, keeps ringing; when the callee really
#      answers (a batch `answer`) the call works, with equal codes.
#   b. An unsealed REJECT to the caller and HANGUP to the callee while
#      it rings: both end, "by":"server", never "by":"peer".
#   c. The same while media flows: both clients note the server's word
#      and the call goes on to its real end.
#   No datagram ever reaches the forged candidate's port.
#
# The speech checks use espeak-ng and sox, as tests/speech.sh does; the
# threshold is 0.7, lower than there because the fixture decodes nothing
# but re-times every datagram through its own loop (a clean path scores
# about 0.95, the wrong sentence about 0.25); without them the calls run with the
# null audio backend and only the fixture's relay counters are checked.
. "$top_srcdir/tests/lib.sh"
MITM="$top_builddir/tests/mitm_server"
WAVCMP="$top_builddir/tests/wavcmp"
THRESH=0.70
[ -x "$MITM" ] || skip_all "tests/mitm_server not built"

speech=""
if command -v espeak-ng >/dev/null && command -v sox >/dev/null; then
	speech=1
	espeak-ng -w "$T/s1.wav" "The quick brown fox jumps over the lazy dog. Encrypted calls keep their secrets between two people." 2>/dev/null
	espeak-ng -v en-us -w "$T/s2.wav" "Seven silver swans swam silently seaward, one, two, three, four, five." 2>/dev/null
	sox "$T/s1.wav" -r 48000 -c 1 -b 16 "$T/dialer.wav"
	sox "$T/s2.wav" -r 48000 -c 1 -b 16 "$T/listener.wav"
else
	echo "# espeak-ng or sox missing: calls without speech (null audio)"
fi

start_server || { not_ok "honest server starts"; finish; }
for u in alice bob carol dave erin frank gina hank; do configure $u; done

above() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
corr() { echo "$1" | sed 's/.*seg_corr=\([-0-9.]*\).*/\1/'; }
# final_stat FILE FIELD: a number from the final stats event.
final_stat() {
	grep '"final":true' "$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" | head -n 1
}
# hostile_field FIELD: a number from the fixture's media line.
hostile_field() {
	sed -n "s/^media .* $1=\([0-9]*\).*/\1/p" "$HOUT" | head -n 1
}
pubkey() {	# pubkey USER: the public key in the user's identity file
	sed -n 's/^public //p' "$T/$1/config/e2call/identity"
}
pinned() {	# pinned USER PEER: the key USER pinned for PEER on a server
	awk -v p="$2" '$1 == p && $2 ~ /^server:/ { print $3 }' \
	    "$T/$1/config/e2call/contacts"
}

# start_hostile MODE [fixture options]: the hostile server on its own port,
# with the honest server's key: it is that server turned hostile (people
# are pinned under the key of the server their name lives on, so a server
# with a key of its own would be another place, where nobody is known yet).
# Sets HOSTILE, HOSTILE_PID and HOUT (its output).
nhostile=0
start_hostile() {
	nhostile=$((nhostile + 1))
	HOUT=$T/hostile.$nhostile
	HOSTILE=127.0.0.1:$(free_port)
	"$MITM" --listen "$HOSTILE" --key "$T/server/server_key" --mode "$@" \
		>"$HOUT" 2>"$HOUT.err" &
	HOSTILE_PID=$!
	PIDS="$PIDS $HOSTILE_PID"
	wait_for "$HOUT" "^listening" 10
}
hostile_fail=""
stop_hostile() {	# SIGTERM: it prints its totals and exits 0
	kill "$HOSTILE_PID" 2>/dev/null
	wait "$HOSTILE_PID" 2>/dev/null ||
		{ hostile_fail="$hostile_fail $nhostile"; sed 's/^/#   /' "$HOUT.err"; }
	grep -q '^totals ' "$HOUT" || hostile_fail="$hostile_fail $nhostile"
}

# call_pair SERVER LISTENER DIALER TAG [options for both]: one call, the
# listener answering by itself.  With speech, each side plays its sentence
# and records what it hears; the dialer hangs up when its sentence ends.
# Outputs in $T/TAG.l and $T/TAG.d, exit codes in LRC and DRC.
call_pair() {
	srv=$1 lu=$2 du=$3 tag=$4
	shift 4
	if [ -n "$speech" ]; then
		la="--play $T/listener.wav --record $T/$tag.l.wav"
		da="--play $T/dialer.wav --record $T/$tag.d.wav --hangup-on-eof"
	else
		la="--audio null" da="--audio null --timeout 3"
	fi
	la="$la --dump-opus $T/$tag.l.opus" da="$da --dump-opus $T/$tag.d.opus"
	# shellcheck disable=SC2086
	as_user "$lu" timeout 40 "$E2CALL" listen --batch --auto-answer --once \
		--server "$srv" $la "$@" </dev/null >"$T/$tag.l" 2>"$T/$tag.l.err" &
	lpid=$!
	PIDS="$PIDS $lpid"
	wait_for "$T/$tag.l" '"registered"' 10
	# shellcheck disable=SC2086
	as_user "$du" timeout 40 "$E2CALL" dial "$lu" --batch --server "$srv" \
		$da "$@" </dev/null >"$T/$tag.d" 2>"$T/$tag.d.err"
	DRC=$?
	wait "$lpid"
	LRC=$?
}
# speech_checks DRILL TAG: each side heard the other's sentence.
speech_checks() {
	if [ -z "$speech" ]; then
		echo "# SKIP: speech checks need espeak-ng and sox"
		return
	fi
	r1=$("$WAVCMP" "$T/dialer.wav" "$T/$2.l.wav")
	r2=$("$WAVCMP" "$T/listener.wav" "$T/$2.d.wav")
	echo "# $1. dialer -> listener: $r1"
	echo "# $1. listener -> dialer: $r2"
	check "$1. the listener heard the dialer's sentence (corr $(corr "$r1") > $THRESH)" \
		above "$(corr "$r1")" $THRESH
	check "$1. the dialer heard the listener's sentence (corr $(corr "$r2") > $THRESH)" \
		above "$(corr "$r2")" $THRESH
}

# ---- Drill 1a: a first call through a server that sits in the middle ----
start_hostile mitm || { not_ok "hostile server starts"; finish; }
call_pair "$HOSTILE" alice bob m1
sleep 2		# the fixture prints its media line after the call
stop_hostile
ca=$(json_field "$T/m1.l" security_code code)
cb=$(json_field "$T/m1.d" security_code code)
fa=$(sed -n 's/^code callee [0-9a-f]* //p' "$HOUT")
fb=$(sed -n 's/^code caller [0-9a-f]* //p' "$HOUT")
echo "# 1a. alice's code: '$ca'"
echo "# 1a. bob's code:   '$cb'"
check "1a. through the attacker: both exit 0 ($LRC, $DRC)" test "$LRC" -eq 0 -a "$DRC" -eq 0
check "1a. both show the lock" sh -c "grep -q '\"answered\".*\"e2ee\":true' '$T/m1.l' &&
	grep -q '\"answered\".*\"e2ee\":true' '$T/m1.d'"
check "1a. the keys look new on both sides" sh -c "
	grep -q '\"incoming\",\"peer\":\"bob\",\"key\":\"new\"' '$T/m1.l' &&
	grep -q '\"ringing\",\"peer\":\"alice\",\"key\":\"new\"' '$T/m1.d'"
check "1a. both print a 20-digit code" sh -c "printf '%s\n%s\n' '$ca' '$cb' |
	grep -Ecx '[0-9]{5} [0-9]{5} [0-9]{5} [0-9]{5}' | grep -qx 2"
check "1a. THE CODES DIFFER: reading them aloud exposes the attack" \
	test -n "$ca" -a -n "$cb" -a "$ca" != "$cb"
check "1a. alice's code is that of her handshake with the attacker" test "$ca" = "$fa"
check "1a. bob's code is that of his handshake with the attacker" test "$cb" = "$fb"
check "1a. bob pinned a key for alice that is not hers" \
	sh -c '[ -n "$0" ] && [ "$0" != "$1" ]' "$(pinned bob alice)" "$(pubkey alice)"
check "1a. alice pinned a key for bob that is not his" \
	sh -c '[ -n "$0" ] && [ "$0" != "$1" ]' "$(pinned alice bob)" "$(pubkey bob)"
n1=$(hostile_field audio_from_caller); n2=$(hostile_field audio_from_callee)
echo "# 1a. the attacker decrypted $n1 audio packets from bob and $n2 from alice"
check "1a. the attacker decrypted and relayed audio both ways" \
	test "${n1:-0}" -gt 100 -a "${n2:-0}" -gt 100
check "1a. no datagram failed authentication at either client" sh -c "
	[ '$(final_stat "$T/m1.l" bad)' = 0 ] && [ '$(final_stat "$T/m1.d" bad)' = 0 ]"
speech_checks 1a m1

# ---- Drill 1b: people who know each other's keys ----
as_user carol timeout 20 "$E2CALL" listen --batch --audio null --auto-answer \
	--once </dev/null >"$T/h1.l" 2>&1 &
lpid=$!; PIDS="$PIDS $lpid"
wait_for "$T/h1.l" '"registered"' 10
as_user dave timeout 20 "$E2CALL" dial carol --batch --audio null --timeout 1 \
	</dev/null >"$T/h1.d" 2>&1
rc=$?
wait $lpid
ch=$(json_field "$T/h1.l" security_code code); dh=$(json_field "$T/h1.d" security_code code)
check "1b. an honest call first: exit 0, same code ($rc; '$ch' '$dh')" \
	test "$rc" -eq 0 -a -n "$ch" -a "$ch" = "$dh"
check "1b. carol pinned dave's real key" test "$(pinned carol dave)" = "$(pubkey dave)"
check "1b. dave pinned carol's real key" test "$(pinned dave carol)" = "$(pubkey carol)"
cp "$T/carol/config/e2call/contacts" "$T/carol.pins"
cp "$T/dave/config/e2call/contacts" "$T/dave.pins"

start_hostile mitm || { not_ok "hostile server starts"; finish; }
as_user carol timeout 20 "$E2CALL" listen --batch --audio null --auto-answer \
	--once --server "$HOSTILE" </dev/null >"$T/m2.l" 2>"$T/m2.l.err" &
lpid=$!; PIDS="$PIDS $lpid"
wait_for "$T/m2.l" '"registered"' 10
as_user dave timeout 20 "$E2CALL" dial carol --batch --audio null \
	--server "$HOSTILE" </dev/null >"$T/m2.d" 2>"$T/m2.d.err"
DRC=$?
wait $lpid; LRC=$?
stop_hostile
check "1b. the dialer refuses the call: exit 9 (got $DRC)" [ "$DRC" -eq 9 ]
check "1b. the dialer warns of carol's changed key" \
	grep -q '"key_changed","peer":"carol",.*"verified":false' "$T/m2.d"
check "1b. the warning names the pinned and the new key" sh -c "
	grep '\"key_changed\"' '$T/m2.d' | grep -q '\"old_fingerprint\":\"[a-z2-7 ]\{39\}\",\"fingerprint\":\"[a-z2-7 ]\{39\}\"'"
check "1b. the dialer hung up with key_changed" \
	grep -q '"ended","reason":"key_changed","by":"local"' "$T/m2.d"
check "1b. the callee warns of dave's changed key" \
	grep -q '"key_changed","peer":"dave",.*"verified":false' "$T/m2.l"
check "1b. the callee rejects with key_changed (exit $LRC)" sh -c "
	grep -q '\"ended\",\"reason\":\"key_changed\",\"by\":\"local\"' '$T/m2.l' && [ $LRC -eq 9 ]"
# (the callee's own REJECT, or, when the caller's end reached the fixture
# first, the fixture ending that leg with the same reason: "server")
check "1b. the attacker saw both parties end with key_changed" sh -c "
	grep -q '^ended [0-9a-f]* key_changed caller' '$HOUT' &&
	grep -Eq '^ended [0-9a-f]* key_changed (callee|server)' '$HOUT'"
check "1b. no side answered or sent media" sh -c "
	! grep -q '\"answered\"' '$T/m2.l' && ! grep -q '\"answered\"' '$T/m2.d' &&
	grep -q '^media .* to_caller=0 to_callee=0 ' '$HOUT'"
check "1b. the pinned keys did not change" sh -c "
	cmp -s '$T/carol.pins' '$T/carol/config/e2call/contacts' &&
	cmp -s '$T/dave.pins' '$T/dave/config/e2call/contacts'"

# A batch listener that does not answer by itself refuses at once too (it
# does not ring until the dialer gives up, and an 'answer' typed on its
# standard input could not take the attacker's key).
start_hostile mitm || { not_ok "hostile server starts"; finish; }
as_user carol timeout 20 "$E2CALL" listen --batch --audio null --once \
	--server "$HOSTILE" </dev/null >"$T/m2b.l" 2>"$T/m2b.l.err" &
lpid=$!; PIDS="$PIDS $lpid"
wait_for "$T/m2b.l" '"registered"' 10
as_user dave timeout 20 "$E2CALL" dial carol --batch --audio null --ring-timeout 8 \
	--accept-changed-key --server "$HOSTILE" </dev/null >"$T/m2b.d" 2>"$T/m2b.d.err"
DRC=$?
wait $lpid; LRC=$?
stop_hostile
check "1b. a listener without --auto-answer rejects with key_changed (exit $LRC)" sh -c "
	grep -q '\"key_changed\",\"peer\":\"dave\"' '$T/m2b.l' &&
	grep -q '\"ended\",\"reason\":\"key_changed\",\"by\":\"local\"' '$T/m2b.l' && [ $LRC -eq 9 ]"
# (sealed by the fixture's leg when the dialer's message 3 reached it
# first, else unsealed: the server's word; both are the fixture speaking)
check "1b. its dialer hears the key_changed rejection: exit 9 (got $DRC)" sh -c "
	grep -Eq '\"ended\",\"reason\":\"key_changed\",\"by\":\"(peer|server)\"' '$T/m2b.d' && [ $DRC -eq 9 ]"
check "1b. the pinned keys still did not change" sh -c "
	cmp -s '$T/carol.pins' '$T/carol/config/e2call/contacts' &&
	cmp -s '$T/dave.pins' '$T/dave/config/e2call/contacts'"

# ---- Drill 1c: verified contacts ----
as_user carol "$E2CALL" verify dave >"$T/v1" 2>&1
as_user dave "$E2CALL" verify carol >"$T/v2" 2>&1
check "1c. carol and dave mark each other verified" sh -c "
	grep -q '^dave .* verified ' '$T/carol/config/e2call/contacts' &&
	grep -q '^carol .* verified ' '$T/dave/config/e2call/contacts'"
cp "$T/carol/config/e2call/contacts" "$T/carol.pins"
cp "$T/dave/config/e2call/contacts" "$T/dave.pins"
start_hostile mitm || { not_ok "hostile server starts"; finish; }
as_user carol timeout 20 "$E2CALL" listen --batch --audio null --auto-answer \
	--once --accept-changed-key --server "$HOSTILE" </dev/null \
	>"$T/m3.l" 2>"$T/m3.l.err" &
lpid=$!; PIDS="$PIDS $lpid"
wait_for "$T/m3.l" '"registered"' 10
as_user dave timeout 20 "$E2CALL" dial carol --batch --audio null \
	--accept-changed-key --server "$HOSTILE" </dev/null >"$T/m3.d" 2>"$T/m3.d.err"
DRC=$?
wait $lpid; LRC=$?
stop_hostile
check "1c. refused even with --accept-changed-key: exit 9 (got $DRC)" [ "$DRC" -eq 9 ]
check "1c. the dialer's warning says the old key was verified" \
	grep -q '"key_changed","peer":"carol",.*"verified":true' "$T/m3.d"
check "1c. the dialer hung up with key_changed" \
	grep -q '"ended","reason":"key_changed","by":"local"' "$T/m3.d"
check "1c. the callee's warning says the old key was verified" \
	grep -q '"key_changed","peer":"dave",.*"verified":true' "$T/m3.l"
check "1c. the callee rejects with key_changed (exit $LRC)" sh -c "
	grep -q '\"ended\",\"reason\":\"key_changed\",\"by\":\"local\"' '$T/m3.l' && [ $LRC -eq 9 ]"
check "1c. no side answered" sh -c "
	! grep -q '\"answered\"' '$T/m3.l' && ! grep -q '\"answered\"' '$T/m3.d'"
check "1c. the verified pins did not change" sh -c "
	cmp -s '$T/carol.pins' '$T/carol/config/e2call/contacts' &&
	cmp -s '$T/dave.pins' '$T/dave/config/e2call/contacts'"

# ---- Drill 1d: accepting a changed key lets the attacker in ----
as_user carol "$E2CALL" unverify dave >/dev/null 2>&1
as_user dave "$E2CALL" unverify carol >/dev/null 2>&1
start_hostile mitm || { not_ok "hostile server starts"; finish; }
as_user carol timeout 20 "$E2CALL" listen --batch --audio null --auto-answer \
	--once --accept-changed-key --server "$HOSTILE" </dev/null \
	>"$T/m4.l" 2>"$T/m4.l.err" &
lpid=$!; PIDS="$PIDS $lpid"
wait_for "$T/m4.l" '"registered"' 10
as_user dave timeout 20 "$E2CALL" dial carol --batch --audio null --timeout 2 \
	--accept-changed-key --server "$HOSTILE" </dev/null >"$T/m4.d" 2>"$T/m4.d.err"
DRC=$?
wait $lpid; LRC=$?
stop_hostile
cc=$(json_field "$T/m4.l" security_code code); dc=$(json_field "$T/m4.d" security_code code)
echo "# 1d. carol's code: '$cc'"
echo "# 1d. dave's code:  '$dc'"
check "1d. with --accept-changed-key after unverify: the call connects ($LRC, $DRC)" \
	sh -c "[ $LRC -eq 0 ] && [ $DRC -eq 0 ] && grep -q '\"answered\"' '$T/m4.d'"
check "1d. both were warned first" sh -c "
	grep -q '\"key_changed\",\"peer\":\"carol\",.*\"verified\":false' '$T/m4.d' &&
	grep -q '\"key_changed\",\"peer\":\"dave\",.*\"verified\":false' '$T/m4.l'"
check "1d. the codes differ" test -n "$cc" -a -n "$dc" -a "$cc" != "$dc"
check "1d. the attacker's key replaced dave's real key in carol's contacts" \
	sh -c '[ -n "$0" ] && [ "$0" != "$1" ]' "$(pinned carol dave)" "$(pubkey dave)"

# ---- Drill 2a: a server that routes the media through itself ----
start_hostile forward --capture "$T/forward.pcap" ||
	{ not_ok "hostile server starts"; finish; }
call_pair "$HOSTILE" erin frank f1 --relay-only
sleep 2
stop_hostile
ce=$(json_field "$T/f1.l" security_code code); cf=$(json_field "$T/f1.d" security_code code)
echo "# 2a. codes: erin '$ce' frank '$cf'"
check "2a. through the forwarding server: both exit 0 ($LRC, $DRC)" test "$LRC" -eq 0 -a "$DRC" -eq 0
check "2a. the codes are equal: the handshake is end to end" test -n "$ce" -a "$ce" = "$cf"
check "2a. both took the relay path" sh -c "
	grep -q '\"event\":\"media\".*\"kind\":\"relay\"' '$T/f1.l' && grep -q '\"event\":\"media\".*\"kind\":\"relay\"' '$T/f1.d'"
check "2a. erin and frank pinned each other's real keys" sh -c "
	[ '$(pinned erin frank)' = '$(pubkey frank)' ] && [ '$(pinned frank erin)' = '$(pubkey erin)' ]"
t1=$(hostile_field to_caller); t2=$(hostile_field to_callee)
echo "# 2a. the server forwarded $t2 datagrams to erin and $t1 to frank"
check "2a. every datagram went through the server (over 100 each way)" \
	test "${t1:-0}" -gt 100 -a "${t2:-0}" -gt 100
check "2a. no datagram failed authentication" sh -c "
	[ '$(final_stat "$T/f1.l" bad)' = 0 ] && [ '$(final_stat "$T/f1.d" bad)' = 0 ]"
speech_checks 2a f1
if [ -s "$T/f1.l.opus" ] && [ -s "$T/f1.d.opus" ]; then
	out=$(python3 "$top_srcdir/tests/pcap_search.py" "$T/forward.pcap" \
		"$T/f1.l.opus" "$T/f1.d.opus"); prc=$?
	echo "# 2a. capture: $out"
	check "2a. the search finds a frame sent in the clear" sh -c \
		'python3 "$0" --selftest "$1" >/dev/null' \
		"$top_srcdir/tests/pcap_search.py" "$T/f1.d.opus"
	check "2a. the server's capture holds no plaintext Opus frame" [ "$prc" -eq 0 ]
	check "2a. the capture holds every datagram the server forwarded ($((t1 + t2)))" sh -c "
		echo '$out' | awk -v n=$((t1 + t2)) '{ split(\$2, a, \"=\"); exit !(n > 100 && a[2] >= n) }'"
else
	not_ok "2a. the clients wrote the frames they encoded (--dump-opus)"
fi

# ---- Drill 2b: a server that alters datagrams ----
start_hostile tamper --tamper-every 25 || { not_ok "hostile server starts"; finish; }
call_pair "$HOSTILE" erin frank f2 --relay-only
sleep 2
stop_hostile
te=$(hostile_field tampered_to_callee); tf=$(hostile_field tampered_to_caller)
be=$(final_stat "$T/f2.l" bad); bf=$(final_stat "$T/f2.d" bad)
echo "# 2b. altered on the way to erin: $te, erin counted bad: $be"
echo "# 2b. altered on the way to frank: $tf, frank counted bad: $bf"
check "2b. the call goes on to its normal end: both exit 0 ($LRC, $DRC)" \
	test "$LRC" -eq 0 -a "$DRC" -eq 0
check "2b. it ended with a hangup" grep -q '"ended","reason":"hangup","by":"peer"' "$T/f2.l"
check "2b. the server altered datagrams both ways" test "${te:-0}" -gt 0 -a "${tf:-0}" -gt 0
# The final stats may miss the last few: they are sampled every 250 ms, and
# datagrams still in flight at the hangup are never read.
within() { [ "${1:-x}" -le "$2" ] 2>/dev/null && [ "$1" -ge $(($2 - 3)) ]; }
check "2b. erin counted each altered datagram as bad ($be of $te)" within "$be" "$te"
check "2b. frank counted each altered datagram as bad ($bf of $tf)" within "$bf" "$tf"
check "2b. the codes are equal" sh -c "[ -n '$(json_field "$T/f2.l" security_code code)' ] &&
	[ '$(json_field "$T/f2.l" security_code code)' = '$(json_field "$T/f2.d" security_code code)' ]"
speech_checks 2b f2

# ---- Drill 3: forged control ----
# The forged candidate's port: a UDP socket that counts what reaches it
# (printed on SIGTERM).
BAIT_PORT=$(free_port)
python3 -c '
import signal, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
n = 0
def done(*a):
    print("received %d" % n, flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, done)
print("ready", flush=True)
while True:
    s.recv(65536)
    n += 1
' "$BAIT_PORT" >"$T/bait" 2>&1 &
BAIT_PID=$!
PIDS="$PIDS $BAIT_PID"
wait_for "$T/bait" '^ready' 5 || not_ok "3. the bait socket is ready"

# forge_pair TAG LISTENER-OPTS -- DIALER-OPTS: hank listens (stdin a FIFO
# on fd 7), gina dials, both in the background; sets LPID and DPID.
forge_pair() {
	tag=$1 lo=$2 do=$3
	rm -f "$T/$tag.in"; mkfifo "$T/$tag.in"
	# shellcheck disable=SC2086
	as_user_bg hank timeout 40 "$E2CALL" listen --batch --audio null --once \
		--server "$HOSTILE" $lo <"$T/$tag.in" >"$T/$tag.l" 2>"$T/$tag.l.err" &
	LPID=$!; PIDS="$PIDS $LPID"
	exec 7>"$T/$tag.in"
	wait_for "$T/$tag.l" '"registered"' 10
	# shellcheck disable=SC2086
	as_user_bg gina timeout 40 "$E2CALL" dial hank --batch --audio null \
		--server "$HOSTILE" $do </dev/null >"$T/$tag.d" 2>"$T/$tag.d.err" &
	DPID=$!; PIDS="$PIDS $DPID"
}
# forge_wait: both exit (20 s at most); exit codes in LRC and DRC.
forge_wait() {
	n=200
	while { kill -0 "$LPID" || kill -0 "$DPID"; } 2>/dev/null && [ $n -gt 0 ]; do
		sleep 0.1; n=$((n - 1))
	done
	exec 7>&-
	wait "$DPID"; DRC=$?
	wait "$LPID"; LRC=$?
}

# 3a: a forged ACCEPT while the callee rings
start_hostile forge --bait-port "$BAIT_PORT" || { not_ok "hostile server starts"; finish; }
forge_pair g1 "" "--timeout 2"
wait_for "$T/g1.l" '"incoming","peer":"gina"' 15
wait_for "$HOUT" '^forged ' 5
sleep 1.5	# time for the forgeries to work, if they did
check "3a. the fixture forged ACCEPT (unsealed, then sealed junk) and a sealed-junk HANGUP" \
	grep -q '^forged [0-9a-f]* accept accept_sealed hangup_sealed' "$HOUT"
check "3a. the callee's phone rings: it has not answered" sh -c "
	grep -q '\"incoming\",\"peer\":\"gina\"' '$T/g1.l' && ! grep -q '\"answered\"' '$T/g1.l'"
check "3a. the caller does not report answered and starts no media" sh -c "
	grep -q '\"ringing\",\"peer\":\"hank\"' '$T/g1.d' &&
	! grep -q '\"answered\"' '$T/g1.d' && ! grep -q '\"event\":\"media\"' '$T/g1.d'"
check "3a. the caller's call goes on ringing (no end, process alive)" sh -c "
	! grep -q '\"ended\"' '$T/g1.d' && kill -0 $DPID"
echo answer >&7
forge_wait
stop_hostile
cg=$(json_field "$T/g1.l" security_code code); ch=$(json_field "$T/g1.d" security_code code)
echo "# 3a. codes: hank '$cg' gina '$ch'"
check "3a. the callee's real answer connects the call: both exit 0 ($LRC, $DRC)" \
	test "$LRC" -eq 0 -a "$DRC" -eq 0
check "3a. both report answered, with e2ee" sh -c "
	grep -q '\"answered\".*\"e2ee\":true' '$T/g1.l' && grep -q '\"answered\".*\"e2ee\":true' '$T/g1.d'"
check "3a. media flowed" sh -c "
	grep -q '\"event\":\"media\"' '$T/g1.l' && grep -q '\"event\":\"media\"' '$T/g1.d'"
check "3a. the codes are equal" test -n "$cg" -a "$cg" = "$ch"
check "3a. it ended with the caller's hangup" \
	grep -q '"ended","reason":"hangup","by":"peer"' "$T/g1.l"

# 3b: the server's word ends a ringing call, and says so
start_hostile forge --bait-port "$BAIT_PORT" --forge-end 1500 ||
	{ not_ok "hostile server starts"; finish; }
forge_pair g2 "" ""
wait_for "$HOUT" '^forged_end ' 15
forge_wait
stop_hostile
echo "# 3b. caller: $(grep '"ended"' "$T/g2.d")"
echo "# 3b. callee: $(grep '"ended"' "$T/g2.l")"
check "3b. the caller ends on the forged REJECT, by the server" \
	grep -q '"ended","reason":"rejected","by":"server"' "$T/g2.d"
check "3b. the callee ends on the forged HANGUP, by the server" \
	grep -q '"ended","reason":"cancelled","by":"server"' "$T/g2.l"
check "3b. neither says the peer ended it, nor answered" sh -c "
	! grep -q '\"by\":\"peer\"' '$T/g2.d' '$T/g2.l' &&
	! grep -q '\"answered\"' '$T/g2.d' '$T/g2.l'"

# 3c: the server's word while media flows
start_hostile forge --bait-port "$BAIT_PORT" --forge-end 2500 ||
	{ not_ok "hostile server starts"; finish; }
forge_pair g3 "--auto-answer" "--timeout 5"
wait_for "$HOUT" '^forged_end ' 15
forge_wait
stop_hostile
check "3c. both note the server's word and go on" sh -c "
	grep -q 'the server says the call is over (rejected)' '$T/g3.d' &&
	grep -q 'the server says the call is over (cancelled)' '$T/g3.l'"
check "3c. the call goes on to the caller's hangup: both exit 0 ($LRC, $DRC)" \
	sh -c "[ $LRC -eq 0 ] && [ $DRC -eq 0 ] &&
	grep -q '\"ended\",\"reason\":\"hangup\",\"by\":\"local\"' '$T/g3.d' &&
	grep -q '\"ended\",\"reason\":\"hangup\",\"by\":\"peer\"' '$T/g3.l'"

kill "$BAIT_PID" 2>/dev/null; wait "$BAIT_PID" 2>/dev/null
nb=$(sed -n 's/^received //p' "$T/bait")
check "3. no datagram reached the forged candidate 127.0.0.1:$BAIT_PORT (got ${nb:-?})" \
	test "${nb:-x}" = 0

check "the hostile server ran and exited cleanly every time (failed:${hostile_fail:- none})" \
	test -z "$hostile_fail"
check "the honest server is still alive" kill -0 "$SERVER_PID"
finish
