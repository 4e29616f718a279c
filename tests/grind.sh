#!/bin/sh
# Grinding drills: a hostile server (tests/grind_server) terminates both
# legs of every call and tries every free choice the committed handshake
# (e2call-call/2, src/core/e2e.h) leaves it, hoping to show both real
# clients the same security code.  The comparison is shortened to the
# first group (5 digits), so a win needs about 10^5 tries.
#
# Leg A (it plays the callee to the real caller): its message 2 is its
# own, but the caller committed to everything its code depends on in
# message 1, and the code is known only once message 3 reveals the
# caller's nonce.  A message 2 with a payload of its own choosing is
# refused by the caller.  Leg B (it plays the caller to the real callee):
# after the callee's message 2 it grinds candidate nonces for message 3
# until leg B's first group equals leg A's, and sends that message 3; the
# callee's commit check refuses it.  Then it restarts leg B honestly, as
# often as the callee lets it: each restart is one chance in 10^5, and
# the callee's guard turns the 4th call away after 3 abandoned
# handshakes.
#
# Drill 1, self-test (the attack must win where the defence is off): the
#   callee is tests/e2call_nocommit, an e2call built without the commit
#   check.  a. First, a message 2 with a payload is refused by the
#   caller.  b. The fixture finds a 5-digit match within its bound, both
#   clients print security codes, and their first groups are equal.
# Drill 2, the real protocol: GRIND_CALLS (20) calls between real e2call
#   processes, a fresh callee process per call (its guard is per
#   process).  The fixture wins its grind every time, the callee refuses
#   every ground message 3, restarts go on until the callee turns the
#   fixture away after 3 abandoned handshakes, and the two clients' codes
#   never match in the first group (chance: about 1e-5 per restart).
#   The ground message 3 the callee refuses here is the one the callee
#   of drill 1 took: only the commit check tells them apart.
. "$top_srcdir/tests/lib.sh"
GRIND="$top_builddir/tests/grind_server"
NOCOMMIT="$top_builddir/tests/e2call_nocommit"
CALLS=${GRIND_CALLS:-20}
BOUND=3000000
[ -x "$GRIND" ] || skip_all "tests/grind_server not built"
[ -x "$NOCOMMIT" ] || skip_all "tests/e2call_nocommit not built"
t_start=$(date +%s)
for u in alice bob carol dave; do configure $u; done

# The clients talk to the fixture only: no STUN, ring timeouts long enough
# for a grind that runs to its bound.
COMMON="--batch --audio null --stun none --ring-timeout 300"

# start_grind [fixture options]: sets GSRV, GPID and GOUT.
ngrind=0
start_grind() {
	ngrind=$((ngrind + 1))
	GOUT=$T/grind.$ngrind
	GSRV=127.0.0.1:$(free_port)
	"$GRIND" --listen "$GSRV" --key "$T/grind_key" --bound $BOUND "$@" \
		>"$GOUT" 2>"$GOUT.err" &
	GPID=$!
	PIDS="$PIDS $GPID"
	wait_for "$GOUT" "^listening" 10
}
grind_fail=""
stop_grind() {		# SIGTERM: it prints its totals and exits 0
	kill "$GPID" 2>/dev/null
	wait "$GPID" 2>/dev/null ||
		{ grind_fail="$grind_fail $ngrind"; sed 's/^/#   /' "$GOUT.err"; }
	grep -q '^totals ' "$GOUT" || grind_fail="$grind_fail $ngrind"
}
# callee_start USER OUT [e2call]: a listener that answers by itself.
callee_start() {
	# shellcheck disable=SC2086
	as_user_bg "$1" timeout 600 "${3:-$E2CALL}" listen $COMMON --auto-answer \
		--server "$GSRV" </dev/null >"$2" 2>"$2.err" &
	LPID=$!
	PIDS="$PIDS $LPID"
	wait_for "$2" '"registered"' 10
}
callee_stop() {
	kill "$LPID" 2>/dev/null
	wait "$LPID" 2>/dev/null
}
# dial USER PEER OUT: the caller, until the fixture hangs up; DRC.
dial() {
	# shellcheck disable=SC2086
	as_user "$1" timeout 400 "$E2CALL" dial "$2" $COMMON --server "$GSRV" \
		</dev/null >"$3" 2>"$3.err"
	DRC=$?
}
# code_of FILE [N]: the Nth (1st) security code in a batch output.
code_of() {
	sed -n 's/.*"event":"security_code","code":"\([0-9 ]*\)".*/\1/p' "$1" |
		sed -n "${2:-1}p"
}
g1() { echo "$1" | cut -c1-5; }
field() {	# field LINE NAME: NAME=VALUE of a fixture line
	echo "$1" | sed -n "s/.* $2=\([^ ]*\).*/\1/p"
}

# ---- Drill 1: the self-test, against a callee without the commit check ----
start_grind --bad-msg2 1 || { not_ok "grind_server starts"; finish; }
callee_start dave "$T/s.l" "$NOCOMMIT"
# 1a: leg A's message 2 carries a payload of the fixture's choosing
dial carol dave "$T/s0.d"
check "1a. the caller refuses a message 2 with a payload: handshake_failed, exit 10 ($DRC)" sh -c "
	[ $DRC -eq 10 ] && grep -q '\"ended\",\"reason\":\"handshake_failed\",\"by\":\"local\"' '$T/s0.d' &&
	! grep -q '\"security_code\"' '$T/s0.d'"
check "1a. the fixture saw the refusal" grep -q '^refused [0-9a-f]* bad_msg2 handshake_failed' "$GOUT"
# 1b: the grind
dial carol dave "$T/s1.d"
s1rc=$DRC
sleep 0.5
callee_stop
stop_grind
line=$(grep '^grind ' "$GOUT" | head -n 1)
echo "# 1b. $line"
grep '^attempt ' "$GOUT" | sed 's/^/# 1b. /'
cc=$(code_of "$T/s1.d"); cd=$(code_of "$T/s.l")
echo "# 1b. caller (carol): '$cc'"
echo "# 1b. callee (dave, no commit check): '$cd'"
tries=$(field "$line" tries)
check "1b. the fixture found a 5-digit match within $BOUND tries ($tries)" sh -c "
	[ '$(field "$line" matched)' = 1 ] && [ '${tries:-0}' -gt 0 ] && [ '${tries:-0}' -le $BOUND ]"
check "1b. the callee without the commit check took the ground message 3" \
	grep -q '^attempt [0-9a-f]* 0 .* sent=1 verdict=accepted' "$GOUT"
check "1b. both real clients print a 20-digit code" sh -c "printf '%s\n%s\n' '$cc' '$cd' |
	grep -Ecx '[0-9]{5} [0-9]{5} [0-9]{5} [0-9]{5}' | grep -qx 2"
check "1b. the caller was hung up by the server: exit 0 ($s1rc)" sh -c "[ $s1rc -eq 0 ] &&
	grep -q '\"ended\",\"reason\":\"hangup\",\"by\":\"server\"' '$T/s1.d'"
check "1b. THE ATTACK WINS: the first groups are equal ($(g1 "$cc") $(g1 "$cd"))" \
	test -n "$cc" -a "$(g1 "$cc")" = "$(g1 "$cd")"
grep '^totals ' "$GOUT" | sed 's/^/# 1. /'

# ---- Drill 2: the real protocol ----
start_grind || { not_ok "grind_server starts"; finish; }
i=1 matches=0 away=0 aband=0 badrc=""
while [ "$i" -le "$CALLS" ]; do
	callee_start bob "$T/r$i.l"
	dial alice bob "$T/r$i.d"
	[ "$DRC" -eq 0 ] || badrc="$badrc $i:$DRC"
	sleep 0.3	# the callee's last REJECT and log lines
	callee_stop
	ca=$(code_of "$T/r$i.d")
	n=1
	while cb=$(code_of "$T/r$i.l" $n) && [ -n "$cb" ]; do
		if [ "$(g1 "$ca")" = "$(g1 "$cb")" ]; then
			matches=$((matches + 1))
			echo "# 2. call $i: a match by chance: '$ca' '$cb'"
		fi
		n=$((n + 1))
	done
	grep -q 'turned away a call' "$T/r$i.l" && away=$((away + 1))
	[ "$(grep -c 'abandoned before it could ring' "$T/r$i.l")" -eq 3 ] &&
		aband=$((aband + 1))
	i=$((i + 1))
done
stop_grind
grep '^grind ' "$GOUT" | sed 's/^/# 2. /'
tot=$(grep '^totals ' "$GOUT")
echo "# 2. $tot"
ncalls=$(grep -c '^grind ' "$GOUT")
won=$(grep -c '^grind .* matched=1 ' "$GOUT")
ground=$(grep -c '^attempt [0-9a-f]* 0 .* sent=1 verdict=handshake_failed' "$GOUT")
T_TRIES=$(field "$tot" tries)
# restarts the callee took (message 2 came: one chance each), and those
# it turned away
R=$(grep '^attempt [0-9a-f]* [1-9]' "$GOUT" | grep -vc 'verdict=limit')
limits=$(grep -c 'verdict=limit' "$GOUT")
chance=$(awk -v n="$ncalls" -v r="$R" 'BEGIN { printf "%.5f", n * (1 + r / n) * 1e-5 }')
echo "# 2. $ncalls calls, $T_TRIES grinding tries, $R restarts, $matches matches (chance: about $chance); $limits more restarts turned away"
check "2. the fixture ran all $CALLS calls ($ncalls)" test "$ncalls" -eq "$CALLS"
check "2. it won every grind within $BOUND tries ($won of $ncalls)" test "$won" -eq "$ncalls"
check "2. the callee's commit check refused every ground message 3 ($ground of $ncalls)" \
	test "$ground" -eq "$ncalls"
check "2. no callee took a message 3" sh -c "! grep -q ' accepted=1 ' '$GOUT'"
check "2. no call ever matched in the first group: $matches of $ncalls" test "$matches" -eq 0
check "2. every callee noted 3 abandoned handshakes ($aband of $CALLS)" test "$aband" -eq "$CALLS"
check "2. and turned the 4th call away (REJECT limit, 'turned away a call'): $away of $CALLS" \
	sh -c "[ $away -eq $CALLS ] && [ $limits -eq $CALLS ]"
check "2. every caller exited 0 (not:${badrc:- none})" test -z "$badrc"
check "2. every caller printed a code and was hung up by the server" sh -c '
	i=1; while [ $i -le $0 ]; do
		grep -q "\"security_code\"" "$1/r$i.d" &&
		grep -q "\"ended\",\"reason\":\"hangup\",\"by\":\"server\"" "$1/r$i.d" || exit 1
		i=$((i + 1))
	done' "$CALLS" "$T"

check "the grinding server ran and exited cleanly every time (failed:${grind_fail:- none})" \
	test -z "$grind_fail"
echo "# grind.sh took $(($(date +%s) - t_start)) s"
finish
