#!/bin/sh
# Real calls between real processes on loopback, in batch mode with the
# null audio backend: a server, users who register, dial, ring, answer,
# reject, cancel, are busy or offline; both sides must show the same
# security code.
. "$top_srcdir/tests/lib.sh"
start_server || { not_ok "server starts"; finish; }
for u in alice bob carol dave erin; do configure $u; done

# listen_bg USER OUTFILE [options]: a batch listener in the background,
# its stdin a FIFO (commands: echo answer >"$T/USER.in").
listen_bg() {
	u=$1 out=$2; shift 2
	rm -f "$T/$u.in"; mkfifo "$T/$u.in"
	as_user_bg "$u" "$E2CALL" listen --batch --audio null "$@" \
		<"$T/$u.in" >"$out" 2>"$out.err" &
	eval "${u}_PID=$!"
	PIDS="$PIDS $!"
	exec 7>"$T/$u.in"	# keep the FIFO open for writing
	wait_for "$out" '"registered"' 10
}
stop_bg() {	# stop_bg PID: wait for it (10 s at most); its status in RC
	n=100
	while kill -0 "$1" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null; RC=$?
}

# 1. An answered call: same code on both sides, both end cleanly.
listen_bg alice "$T/a1" --auto-answer --once
as_user bob timeout 20 "$E2CALL" dial alice --batch --audio null --timeout 2 >"$T/b1" 2>"$T/b1.err"
rc=$?
check "answered call: dialer exits 0 (got $rc)" [ "$rc" -eq 0 ]
ca=$(json_field "$T/a1" security_code code); cb=$(json_field "$T/b1" security_code code)
echo "# codes: alice '$ca' bob '$cb'"
check "both print a 20-digit code" sh -c "echo '$ca' | grep -Eq '^[0-9]{5} [0-9]{5} [0-9]{5} [0-9]{5}$'"
check "the codes are equal" test -n "$ca" -a "$ca" = "$cb"
check "callee saw the caller's name and a new key" grep -q '"event":"incoming","peer":"bob","key":"new"' "$T/a1"
check "both answered with e2ee" sh -c "grep -q '\"answered\".*\"e2ee\":true' '$T/a1' && grep -q '\"answered\".*\"e2ee\":true' '$T/b1'"
check "media path found" grep -q '"event":"media"' "$T/b1"
stop_bg "$alice_PID"; rc=$RC
check "listener --once exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "callee saw the hangup by the peer" grep -q '"ended","reason":"hangup","by":"peer"' "$T/a1"
check "bob's contacts now hold alice" grep -q '^alice ' "$T/bob/config/e2call/contacts"
check "... in the place of the server's key" grep -q \
	"^alice server:$(sed -n 's/^public //p' "$T/server/server_key") " \
	"$T/bob/config/e2call/contacts"

# 2. Second call: the key is now known on both sides.
listen_bg alice "$T/a2" --auto-answer --once
as_user bob timeout 20 "$E2CALL" dial alice --batch --audio null --timeout 1 >"$T/b2" 2>&1
check "second call: callee sees a known key" grep -q '"incoming","peer":"bob","key":"known"' "$T/a2"
check "second call: caller sees a known key" grep -q '"ringing","peer":"alice","key":"known"' "$T/b2"
stop_bg "$alice_PID"

# 2b. A contacts file of an older e2call: bob's bare pin of alice takes the
# place of his server (whose key known_servers holds) when he next starts,
# the old file kept in contacts.v1; a pin of any server (server:*) takes
# the server's place when a call through it is answered.
srvpub=$(sed -n 's/^public //p' "$T/server/server_key")
bc=$T/bob/config/e2call/contacts
alicepub=$(awk '$1 == "alice" { print $3 }' "$bc")
printf 'alice %s verified 1700000000\n' "$alicepub" >"$bc"
cp "$bc" "$T/bob.old"
listen_bg alice "$T/a2b" --auto-answer --once
as_user bob timeout 20 "$E2CALL" dial alice --batch --audio null --timeout 1 >"$T/b2b" 2>&1
stop_bg "$alice_PID"
check "older contacts file: migrated when the client starts, alice in the server's place" \
	grep -qx "alice server:$srvpub $alicepub verified 1700000000" "$bc"
check "... the old file kept in contacts.v1" cmp -s "$T/bob.old" "$bc.v1"
check "... and the call saw alice verified" \
	grep -q '"ringing","peer":"alice","key":"verified"' "$T/b2b"
printf 'alice server:* %s new 1700000000\n' "$alicepub" >"$bc"
listen_bg alice "$T/a2c" --auto-answer --once
as_user bob timeout 20 "$E2CALL" dial alice --batch --audio null --timeout 1 >"$T/b2c" 2>&1
stop_bg "$alice_PID"
check "a server:* pin matches this server: alice is known" \
	grep -q '"ringing","peer":"alice","key":"known"' "$T/b2c"
check "... and takes the server's place, keeping its first-seen time" \
	grep -qx "alice server:$srvpub $alicepub new 1700000000" "$bc"

# 3. Reject.
listen_bg alice "$T/a3" --once
as_user_bg bob timeout 20 "$E2CALL" dial alice --batch --audio null >"$T/b3" 2>&1 &
bpid=$!
wait_for "$T/a3" '"incoming"' 10 && echo reject >&7
stop_bg $bpid; rc=$RC
check "rejected call: dialer exits 3 (got $rc)" [ "$rc" -eq 3 ]
check "dialer reports rejected" grep -q '"ended","reason":"rejected","by":"peer"' "$T/b3"
stop_bg "$alice_PID"

# 4. Cancel: the caller hangs up while it rings.
listen_bg alice "$T/a4" --once
rm -f "$T/bob.in"; mkfifo "$T/bob.in"
as_user_bg bob timeout 20 "$E2CALL" dial alice --batch --audio null <"$T/bob.in" >"$T/b4" 2>&1 &
bpid=$!
exec 8>"$T/bob.in"
wait_for "$T/b4" '"ringing"' 10 && echo hangup >&8
stop_bg $bpid; rc=$RC
exec 8>&-
check "cancelled call: dialer exits 0 (got $rc)" [ "$rc" -eq 0 ]
wait_for "$T/a4" '"ended","reason":"cancelled","by":"peer"' 5
check "callee reports cancelled" grep -q '"ended","reason":"cancelled","by":"peer"' "$T/a4"
stop_bg "$alice_PID"

# 5. No answer.
listen_bg alice "$T/a5" --once
as_user bob timeout 20 "$E2CALL" dial alice --batch --audio null --ring-timeout 2 >"$T/b5" 2>&1
rc=$?
check "unanswered call: dialer exits 7 (got $rc)" [ "$rc" -eq 7 ]
wait_for "$T/a5" '"ended","reason":"no_answer"' 5
check "callee reports no_answer" grep -q '"ended","reason":"no_answer"' "$T/a5"
stop_bg "$alice_PID"

# 6. Busy: alice is in a call with carol when bob calls.
listen_bg alice "$T/a6" --auto-answer --once
as_user_bg carol timeout 20 "$E2CALL" dial alice --batch --audio null --timeout 6 >"$T/c6" 2>&1 &
cpid=$!
wait_for "$T/c6" '"answered"' 10
as_user bob timeout 20 "$E2CALL" dial alice --batch --audio null >"$T/b6" 2>&1
rc=$?
check "busy callee: dialer exits 4 (got $rc)" [ "$rc" -eq 4 ]
check "dialer reports busy" grep -q '"reason":"busy"' "$T/b6"
stop_bg $cpid; rc=$RC
check "the first call went on undisturbed (got $rc)" [ "$rc" -eq 0 ]
stop_bg "$alice_PID"

# 7. Offline and unknown names.
as_user dave timeout 20 "$E2CALL" register dave --server "$SERVER" >"$T/d7" 2>&1
check "register exits 0" grep -q "registered 'dave'" "$T/d7"
as_user bob timeout 20 "$E2CALL" dial dave --batch --audio null >"$T/b7" 2>&1
rc=$?
check "offline callee: dialer exits 5 (got $rc)" [ "$rc" -eq 5 ]
as_user bob timeout 20 "$E2CALL" dial nobody --batch --audio null >"$T/b8" 2>&1
rc=$?
# (the server answers an unknown name as an offline one: PROTOCOL 5a.4)
check "unknown name: dialer exits 5, as for an offline one (got $rc)" [ "$rc" -eq 5 ]

# 8. Glare: alice and bob call each other at the same moment.
as_user_bg alice timeout 20 "$E2CALL" dial bob --batch --audio null --timeout 2 --dial-delay 1500 >"$T/a9" 2>&1 &
apid=$!
as_user_bg bob timeout 20 "$E2CALL" dial alice --batch --audio null --timeout 2 --dial-delay 1500 >"$T/b9" 2>&1 &
bpid=$!
stop_bg $apid; ra=$RC; stop_bg $bpid; rb=$RC
ca=$(json_field "$T/a9" security_code code); cb=$(json_field "$T/b9" security_code code)
echo "# glare: alice rc=$ra bob rc=$rb; $(grep -h 'same time' "$T/a9" "$T/b9" | head -2 | tr '\n' ' ')"
check "glare: one call, both exit 0" test "$ra" -eq 0 -a "$rb" -eq 0
check "glare: both hold the same code" test -n "$ca" -a "$ca" = "$cb"

check "the server is still alive" kill -0 "$SERVER_PID"

# 9. The server comes back with another key (same address, same names):
# clients that pinned the old one refuse it and say what to check.
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
cp "$T/bob/config/e2call/known_servers" "$T/known_before"
rm -f "$T/server/server_key"
"$E2CALL" serve --listen "$SERVER" --db "$T/server/server.db" \
	>"$T/server/out2" 2>"$T/server/log2" &
SERVER_PID=$!; PIDS="$PIDS $SERVER_PID"
wait_for "$T/server/log2" "listening" 10
as_user bob timeout 20 "$E2CALL" dial alice --batch --audio null >"$T/b10" 2>&1
rc=$?
check "changed server key: the client stops (exit 9, got $rc)" [ "$rc" -eq 9 ]
check "changed server key: the message says what to check" \
	grep -q 'HAS CHANGED.*known_servers' "$T/b10"
check "changed server key: known_servers still holds the old key" \
	cmp -s "$T/known_before" "$T/bob/config/e2call/known_servers"
finish
