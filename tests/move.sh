#!/bin/sh
# Moving a name to a new key (docs/PROTOCOL.md 5a.2, 5.3): alice registers,
# rotates her key with `e2call id --rotate`, and her next `listen` moves
# the name on the server with the proof of the old key; bob, who had her
# old key verified, sees "key changed, signed by the old key" and keeps
# the verified mark when he accepts.  A MOVE whose proof does not check,
# and one for a name the proof's key does not own, are refused; a user who
# lost the old key is told what to do.
. "$top_srcdir/tests/lib.sh"
SIGCLIENT=$top_builddir/tests/sigclient
start_server --log-level debug || { not_ok "server starts"; finish; }
for u in alice bob carol; do configure $u; done

listen() {	# listen USER OUT [options]: a batch listener; LPID
	u=$1 out=$2; shift 2
	as_user_bg "$u" "$E2CALL" listen --batch --audio null "$@" \
	    </dev/null >"$out" 2>"$out.err" &
	LPID=$!
	PIDS="$PIDS $LPID"
}
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
dial() {	# dial OUT [options]: bob calls alice; RC
	out=$1; shift
	as_user bob timeout 20 "$E2CALL" dial alice --batch --audio null \
	    --timeout 1 "$@" </dev/null >"$out" 2>&1
	RC=$?
}

as_user alice "$E2CALL" register alice --server "$SERVER" >/dev/null 2>&1
listen alice "$T/a1" --auto-answer
wait_for "$T/a1" '"registered"' 10 >/dev/null
dial "$T/b1"
check "a first call (exit $RC)" [ "$RC" -eq 0 ]
as_user bob "$E2CALL" verify alice >/dev/null 2>&1
stop "$LPID"

as_user alice "$E2CALL" id --rotate >"$T/rot" 2>&1
check "rotate prints the old and the new key" \
    sh -c 'grep -q "^old fingerprint: " "$1" && grep -q "^new fingerprint: " "$1"' sh "$T/rot"
listen alice "$T/a2" --auto-answer
check "listen with the new key moves the name" \
    wait_for "$T/a2" "belongs to my previous key: moving it" 10
check "...and is registered" wait_for "$T/a2" '"registered"' 10
check "the server logs the move" wait_for "$T/server/log" "moved alice to key" 5
dial "$T/b2"
check "bob sees the change signed by the old key" \
    grep -q '"key_changed","peer":"alice".*"verified":true,"signed_by_old_key":true' "$T/b2"
check "bob in batch mode still asks first (exit $RC)" [ "$RC" -eq 9 ]
dial "$T/b3" --accept-changed-key
check "accepted (exit $RC)" [ "$RC" -eq 0 ]
still_verified() { as_user bob "$E2CALL" contacts | grep '^alice ' | grep -q verified; }
check "bob keeps alice verified with the new key" still_verified
dial "$T/b4"
check "the next call: known and verified, no question (exit $RC)" \
    sh -c "[ $RC -eq 0 ] && grep -q '\"ringing\",\"peer\":\"alice\",\"key\":\"verified\"' '$T/b4'"
stop "$LPID"

# A lost key: the name stays with the old one; the error says what to do.
mv "$T/alice/config/e2call/identity.previous" "$T/prev.kept"
rm -f "$T/alice/config/e2call/identity"
listen alice "$T/a5"
n=50; while kill -0 "$LPID" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
check "a lost key: registration refused" grep -q 'name_taken' "$T/a5"
check "...and told what can be done" \
    grep -q 'restore that key as `identity.previous`' "$T/a5"
stop "$LPID"

# Forged MOVEs from a scripted client (its own key): a proof that does
# not check, and a valid proof from a key that does not own the name.
rm -f "$T/m.in"; mkfifo "$T/m.in"
"$SIGCLIENT" --cmd "$T/m.in" "$SERVER" >"$T/m.out" 2>&1 &
PIDS="$PIDS $!"
wait_for "$T/m.out" '^welcome 1' 10 >/dev/null
# MOVE: type 0b, NAME "alice", MOVEPROOF 64 bytes
proof=$(python3 -c 'import os; print(os.urandom(64).hex())')
timeout 5 sh -c 'echo "$1" >"$2"' sh "raw 0b020005616c6963650a0040$proof" "$T/m.in"
check "a MOVE with a bad proof is refused" \
    wait_for "$T/m.out" 'error protocol .*the move proof does not check' 5
as_user carol "$E2CALL" register carol --server "$SERVER" >/dev/null 2>&1
mv "$T/prev.kept" "$T/carol/config/e2call/identity.previous"
as_user carol "$E2CALL" register alice --server "$SERVER" >"$T/c1" 2>&1
check "a proof from a key that never owned the name moves nothing" \
    grep -q 'name_taken' "$T/c1"
check "alice's name was moved once only" \
    [ "$(grep -c 'moved alice to key' "$T/server/log")" -eq 1 ]
finish
