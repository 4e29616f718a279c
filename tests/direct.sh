#!/bin/sh
# Direct mode (no server at all) and key pinning: a changed peer key is
# caught, refused in batch mode unless accepted, and refused outright for
# a verified contact; a caller's claimed name is pinned as a direct caller
# only, never over the pin of that name on a server, and callers without
# a name are pinned by their fingerprints; the echo bot answers and plays
# back.
. "$top_srcdir/tests/lib.sh"
for u in alice bob; do configure $u; done
PORT=$(free_port)
ADDR=127.0.0.1:$PORT

direct_listen() {	# direct_listen OUT [options]
	out=$1; shift
	as_user_bg alice "$E2CALL" listen --direct --listen "$ADDR" --batch \
		--audio null --once "$@" >"$out" 2>"$out.err" &
	LPID=$!; PIDS="$PIDS $LPID"
	n=50; while [ $n -gt 0 ] && ! grep -q '"registered"' "$out" 2>/dev/null; do sleep 0.1; n=$((n - 1)); done
}
dial() {	# dial OUT [options]; status in RC
	out=$1; shift
	as_user bob timeout 20 "$E2CALL" dial "alice@$ADDR" --batch --audio null \
		--timeout 1 "$@" >"$out" 2>"$out.err"
	RC=$?
}
stop_listener() {
	n=50; while kill -0 "$LPID" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	kill "$LPID" 2>/dev/null; wait "$LPID" 2>/dev/null; LRC=$?
}
rotate_key() {	# a new identity for USER (as after a reinstall)
	rm -f "$T/$1/config/e2call/identity"
}

# 1. A direct call: no server, same code on both sides.
direct_listen "$T/a1" --auto-answer
dial "$T/b1"
stop_listener
ca=$(json_field "$T/a1" security_code code); cb=$(json_field "$T/b1" security_code code)
echo "# codes: '$ca' '$cb'"
check "direct call: dialer exits 0 (got $RC)" [ "$RC" -eq 0 ]
check "direct call: listener exits 0 (got $LRC)" [ "$LRC" -eq 0 ]
check "direct call: same 20-digit code" test -n "$ca" -a "$ca" = "$cb"
check "direct call: no server key was pinned" test ! -s "$T/bob/config/e2call/known_servers"
check "direct call: the dialer pinned alice@HOST:PORT, place direct" \
	grep -q "^alice@$ADDR direct " "$T/bob/config/e2call/contacts"
check "direct call: the listener pinned bob as a direct caller" \
	grep -q "^bob caller " "$T/alice/config/e2call/contacts"

# 2. The callee's key changes: caught, and refused in batch mode.
rotate_key alice
direct_listen "$T/a2" --auto-answer
dial "$T/b2"
stop_listener
check "changed key: dialer reports key_changed" grep -q '"event":"key_changed","peer":"alice"' "$T/b2"
check "changed key: dialer exits 9 (got $RC)" [ "$RC" -eq 9 ]
check "changed key: call never answered" sh -c "! grep -q '\"answered\"' '$T/b2'"
check "changed key: callee was not rung" sh -c "! grep -q '\"incoming\"' '$T/a2'"
check "changed key: the dialer is told whose key and how to go on" \
    grep -q "\"note\":\"refused: the key of alice at $ADDR (direct) has changed (old [a-z2-7 ]*, new [a-z2-7 ]*). To take the new key, call with --accept-changed-key" "$T/b2"

# 3. Accepted on purpose: the call goes on and the new key is pinned.
direct_listen "$T/a3" --auto-answer
dial "$T/b3" --accept-changed-key
stop_listener
check "accepted changed key: dialer exits 0 (got $RC)" [ "$RC" -eq 0 ]
check "accepted changed key: still reported" grep -q '"key_changed"' "$T/b3"
direct_listen "$T/a4" --auto-answer
dial "$T/b4"
stop_listener
check "the accepted key is now known" grep -q '"ringing","peer":"alice","key":"known"' "$T/b4"

# 4. Verified contact: a changed key is refused even when accepted.
as_user bob "$E2CALL" verify "alice@$ADDR" >/dev/null
check "contacts show alice verified" sh -c "grep -q '^alice@$ADDR direct .* verified ' '$T/bob/config/e2call/contacts'"
direct_listen "$T/a5" --auto-answer
dial "$T/b5"
stop_listener
check "verified key: shown as verified" grep -q '"ringing","peer":"alice","key":"verified"' "$T/b5"
rotate_key alice
direct_listen "$T/a6" --auto-answer
dial "$T/b6" --accept-changed-key
stop_listener
check "verified + changed: refused (exit 9, got $RC)" [ "$RC" -eq 9 ]
check "verified + changed: reported as verified" grep -q '"key_changed".*"verified":true' "$T/b6"
check "verified + changed: both fingerprints and the command" \
    grep -q '"note":"refused: the key of alice at .* has changed, and you had verified the old one (old [a-z2-7 ]\{39\}, new [a-z2-7 ]\{39\}). If alice really has a new key, run `e2call unverify alice@'"$ADDR"'`' "$T/b6"

# 5. The caller's key changes: the callee refuses in batch mode.
as_user bob "$E2CALL" unverify "alice@$ADDR" >/dev/null
direct_listen "$T/a7" --auto-answer
dial "$T/b7" --accept-changed-key
stop_listener
rotate_key bob
direct_listen "$T/a8" --auto-answer
dial "$T/b8"
stop_listener
check "caller's key changed: callee reports it" grep -q '"key_changed","peer":"bob"' "$T/a8"
check "caller's key changed: dialer sees key_changed rejection (exit 9, got $RC)" [ "$RC" -eq 9 ]
check "caller's key changed: the callee says whose key" \
    grep -q '"note":"refused: the key of bob (who called this direct listener) has changed' "$T/a8"
check "caller's key changed: the dialer is told its key was refused, by whom" \
    grep -q '"note":"alice refused the call: the key alice has pinned for you is not the one you use now (yours: [a-z2-7 ]\{39\})' "$T/b8"

# 7. A key moved with `e2call id --rotate`: the old key signs the move.
rm -f "$T/bob/config/e2call/contacts" "$T/alice/config/e2call/contacts"
direct_listen "$T/a10" --auto-answer
dial "$T/b10"
stop_listener
as_user bob "$E2CALL" verify "alice@$ADDR" >/dev/null
newfp=$(as_user alice "$E2CALL" id --rotate 2>/dev/null | sed -n 's/^new fingerprint: //p')
check "rotate: a new key, the old one kept" \
    test -n "$newfp" -a -s "$T/alice/config/e2call/identity.previous"
direct_listen "$T/a11" --auto-answer
dial "$T/b11"
stop_listener
check "moved key: reported as signed by the old key" \
    grep -q '"key_changed","peer":"alice".*"verified":true,"signed_by_old_key":true' "$T/b11"
check "moved key: batch still asks first (exit 9, got $RC)" [ "$RC" -eq 9 ]
check "moved key: the note says it was signed" \
    grep -q '"note":"refused: the key of alice .* has changed, signed by the old key' "$T/b11"
direct_listen "$T/a12" --auto-answer
dial "$T/b12" --accept-changed-key
stop_listener
check "moved key from a verified one: accepted (exit 0, got $RC)" [ "$RC" -eq 0 ]
moved_verified() {	# the new key pinned for alice, still verified
	grep -q "^alice@$ADDR direct .* verified " "$T/bob/config/e2call/contacts" &&
	    as_user bob "$E2CALL" contacts | grep "^alice" | grep -q "$newfp"
}
check "moved key: the new key pinned and still verified" moved_verified
# A key dropped without a proof (a lost key) is refused as before.
rotate_key alice
direct_listen "$T/a13" --auto-answer
dial "$T/b13" --accept-changed-key
stop_listener
check "a verified key replaced without a proof: refused (exit 9, got $RC)" [ "$RC" -eq 9 ]
check "...and not reported as signed" \
    grep -q '"key_changed","peer":"alice".*"signed_by_old_key":false' "$T/b13"
# The caller moves: the listener sees the proof (bob takes alice's lost
# key as new first, so only bob's move is in question).
rm -f "$T/bob/config/e2call/contacts"
as_user bob "$E2CALL" id --rotate >/dev/null 2>&1
direct_listen "$T/a14" --auto-answer --accept-changed-key
dial "$T/b14"
stop_listener
check "the caller's move: the listener sees it signed" \
    grep -q '"key_changed","peer":"bob".*"signed_by_old_key":true' "$T/a14"
check "the caller's move: accepted by the listener (exit 0, got $RC)" [ "$RC" -eq 0 ]

# 6. Pins live where the name does.  Alice has verified carol's key on a
# server; mallory calls alice directly claiming to be carol.
idpub() { as_user "$1" "$E2CALL" id | sed -n 's/^public key: //p'; }
idfp() { as_user "$1" "$E2CALL" id | sed -n 's/^fingerprint: //p' | tr -d ' '; }
configure carol; configure mallory
carol_pub=$(idpub carol); mallory_pub=$(idpub mallory); srv_pub=$(idpub srv)
ac=$T/alice/config/e2call/contacts
printf 'carol server:%s %s verified 1700000000\n' "$srv_pub" "$carol_pub" >>"$ac"
direct_listen "$T/a10" --auto-answer
as_user mallory timeout 20 "$E2CALL" dial "alice@$ADDR" --name carol --batch \
	--audio null --timeout 1 >"$T/m10" 2>"$T/m10.err"
RC=$?
stop_listener
check "a caller claiming carol's name is a new key, not carol's changed one" \
	grep -q '"incoming","peer":"carol","key":"new"' "$T/a10"
check "... and its call goes on (exit $RC, listener $LRC)" \
	sh -c '[ "$0" -eq 0 ] && [ "$1" -eq 0 ]' "$RC" "$LRC"
check "carol's verified pin on the server is untouched" \
	grep -qx "carol server:$srv_pub $carol_pub verified 1700000000" "$ac"
check "the claim is pinned as a direct caller named carol" \
	grep -q "^carol caller $mallory_pub new " "$ac"

# Callers without a name (they send "anonymous"): each is pinned by its
# own fingerprint, so the second is new, not a changed key.
for u in anon1 anon2; do user_home $u >/dev/null; done
anon_dial() {	# anon_dial USER OUT; status in RC
	as_user "$1" timeout 20 "$E2CALL" dial "alice@$ADDR" --batch --audio null \
		--timeout 1 >"$2" 2>"$2.err"
	RC=$?
}
direct_listen "$T/a11" --auto-answer
anon_dial anon1 "$T/n11"; rc1=$RC
stop_listener
direct_listen "$T/a12" --auto-answer
anon_dial anon2 "$T/n12"; rc2=$RC
stop_listener
direct_listen "$T/a13" --auto-answer
anon_dial anon1 "$T/n13"; rc3=$RC
stop_listener
check "nameless callers: all three calls answered ($rc1 $rc2 $rc3)" \
	sh -c '[ "$0" -eq 0 ] && [ "$1" -eq 0 ] && [ "$2" -eq 0 ]' "$rc1" "$rc2" "$rc3"
check "the first nameless caller is new" \
	grep -q '"incoming","peer":"anonymous","key":"new"' "$T/a11"
check "the second, with another key, is new too: no key_changed" \
	sh -c 'grep -q "\"incoming\",\"peer\":\"anonymous\",\"key\":\"new\"" "$0" &&
	! grep -q key_changed "$0"' "$T/a12"
check "the first, calling again, is known" \
	grep -q '"incoming","peer":"anonymous","key":"known"' "$T/a13"
check "each is pinned as ~FINGERPRINT, place caller" \
	sh -c 'grep -q "^~$1 caller " "$0" && grep -q "^~$2 caller " "$0" &&
	! grep -q "^anonymous " "$0"' "$ac" "$(idfp anon1)" "$(idfp anon2)"
as_user alice "$E2CALL" contacts >"$T/list" 2>&1
check "contacts lists them as called me directly" \
	[ "$(grep -Ec '^~[a-z2-7]{32} +called me directly ' "$T/list")" -eq 2 ]

# 7. The echo bot plays back what it hears.
if command -v espeak-ng >/dev/null && command -v sox >/dev/null; then
	espeak-ng -w "$T/s.wav" "Testing the echo, one two three." 2>/dev/null
	sox "$T/s.wav" -r 48000 -c 1 -b 16 "$T/say.wav"
	configure echo
	as_user_bg echo "$E2CALL" echo --direct --listen "$ADDR" >"$T/e" 2>&1 &
	EPID=$!; PIDS="$PIDS $EPID"
	n=50; while [ $n -gt 0 ] && ! grep -q '"registered"' "$T/e" 2>/dev/null; do sleep 0.1; n=$((n - 1)); done
	as_user bob timeout 30 "$E2CALL" dial "echo@$ADDR" --batch --accept-changed-key \
		--play "$T/say.wav" --record "$T/heard.wav" --timeout 8 >"$T/b9" 2>&1
	RC=$?
	r=$("$top_builddir/tests/wavcmp" "$T/say.wav" "$T/heard.wav" 3000); echo "# echo: $r"
	c=$(echo "$r" | sed 's/.*seg_corr=\([-0-9.]*\).*/\1/')
	l=$(echo "$r" | sed 's/.*lag_ms=\([0-9]*\).*/\1/')
	check "echo call exits 0 (got $RC)" [ "$RC" -eq 0 ]
	check "the echo came back (corr $c > 0.7)" awk -v c="$c" 'BEGIN { exit !(c > 0.7) }'
	check "a moment later (lag $l ms, 600..2000)" test "$l" -ge 600 -a "$l" -le 2000
	check "the echo bot keeps running for the next call" kill -0 "$EPID"
else
	echo "# SKIP: echo check needs espeak-ng and sox"
fi
finish
