#!/bin/sh
# e2call contacts / verify / unverify / forget over contacts files written
# by hand: pins with places, the choice between places of one name, the
# migration of an older four-field file (and a kill -9 in the middle of it).
. "$top_srcdir/tests/lib.sh"

not() { ! "$@"; }
# run USER ARGS...: stdout in $T/out, stderr in $T/err, status in $rc.
run() {
	u=$1; shift
	as_user "$u" "$E2CALL" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# Real keys to pin, with their fingerprints as e2call id prints them.
for u in alice bob carol dave srva srvb; do
	run "$u" id
	eval "${u}_pub=\$(sed -n 's/^public key: //p' \"\$T/out\")"
	eval "${u}_fp=\$(sed -n 's/^fingerprint: //p' \"\$T/out\")"
done
# shellcheck disable=SC2154
dave_tilde="~$(printf '%s' "$dave_fp" | tr -d ' ')"
# shellcheck disable=SC2154
srvb_short=$(printf '%s' "$srvb_fp" | cut -c1-9)
SA=127.0.0.1:7350
SB=192.0.2.9:7350

user_home me >/dev/null
dir=$T/me/config/e2call
f=$dir/contacts

run me contacts
check "no contacts file: 'no contacts yet'" \
    sh -c '[ "$0" -eq 0 ] && grep -qx "no contacts yet" "$1"' "$rc" "$T/out"
check "listing does not create the file" [ ! -e "$f" ]

mkdir -p "$dir"
# Server A is in known_servers; server B is not (only its key is known).
cat >"$dir/known_servers" <<EOF
$SA $srva_pub new 1600000000
EOF
# alice on server A, on server B, as a direct caller; bob dialed directly;
# a caller without a name; carol migrated from an older file.
cat >"$f" <<EOF
# people I talk to
alice server:$srva_pub $alice_pub new 1700000000

	bob@127.0.0.1:7351  direct   $bob_pub   verified   0   
alice server:$srvb_pub $bob_pub new 1700000100
alice caller $carol_pub new 1700000200
$dave_tilde caller $dave_pub new 1700000300
carol server:* $carol_pub verified 1700000400
EOF
chmod 600 "$dir/known_servers" "$f"
cp "$f" "$T/orig"

# ---- the list ----
run me contacts
check "contacts exits 0" [ "$rc" -eq 0 ]
check "contacts has a header line" \
    grep -Eq '^NAME +WHERE +FINGERPRINT +STATUS +FIRST SEEN' "$T/out"
check "alice on server A: the server by HOST:PORT, new, first seen in UTC" \
    grep -Eq "^alice +server $SA +$alice_fp +new +2023-11-14T22:13:20Z\$" \
    "$T/out"
check "alice on server B (not in known_servers): its key's fingerprint" \
    grep -Eq "^alice +server $srvb_short +$bob_fp +new " "$T/out"
check "alice as a direct caller: called me directly" \
    grep -Eq "^alice +called me directly +$carol_fp +new " "$T/out"
check "bob dialed directly: direct, verified, 1970" \
    grep -Eq "^bob@127.0.0.1:7351 +direct +$bob_fp +verified +1970-01-01T00:00:00Z\$" \
    "$T/out"
check "a caller without a name: ~ and its fingerprint" \
    grep -Eq "^$dave_tilde +called me directly +$dave_fp +new " "$T/out"
check "carol of an older file: any server" \
    grep -Eq "^carol +any server +$carol_fp +verified " "$T/out"
check "exactly six entries" [ "$(wc -l <"$T/out")" -eq 7 ]
check "listing leaves the file alone" cmp -s "$f" "$T/orig"
check "the keys themselves are not printed" \
    not grep -qF "$alice_pub" "$T/out"
check "no contacts.v1 for a file in the current format" [ ! -e "$f.v1" ]

# ---- verify / unverify: one place, or a choice between several ----
run me verify alice
check "verify of a name pinned in three places exits 2" [ "$rc" -eq 2 ]
check "... saying so" grep -qF "'alice' is pinned in 3 places" "$T/err"
check "... listing server A, server B and the direct caller" \
    sh -c 'grep -q "server $1 .*$2" "$0" && grep -q "server $3 .*$4" "$0" &&
    grep -q "called me directly .*$5" "$0"' "$T/err" \
    "$SA" "$alice_fp" "$srvb_short" "$bob_fp" "$carol_fp"
check "... and how to choose" grep -q -- "--server HOST:PORT.*--caller" "$T/err"
check "... and leaves the file alone" cmp -s "$f" "$T/orig"

run me verify alice --server $SA
check "verify alice --server A exits 0" [ "$rc" -eq 0 ]
check "verify says what changed, and where" \
    grep -qF "alice: marked verified (server $SA, key fingerprint $alice_fp)" \
    "$T/out"
check "the file now says alice on server A is verified" \
    grep -qx "alice server:$srva_pub $alice_pub verified 1700000000" "$f"
check "alice on server B and as a caller are untouched" \
    sh -c 'grep -qx "alice server:$1 $2 new 1700000100" "$0" &&
    grep -qx "alice caller $3 new 1700000200" "$0"' "$f" \
    "$srvb_pub" "$bob_pub" "$carol_pub"
check "bob's entry is kept" \
    grep -qx "bob@127.0.0.1:7351 direct $bob_pub verified 0" "$f"
check "the saved file has mode 600" [ "$(stat -c %a "$f")" = 600 ]
check "no temporary files are left" \
    sh -c '[ -z "$(ls -A "$0" | grep tmp)" ]' "$dir"
run me contacts
check "contacts shows alice on server A verified" \
    grep -Eq "^alice +server $SA +$alice_fp +verified " "$T/out"
check "order is kept" sh -c 'sed -n 2p "$0" | grep -q "^alice  *server $1"' \
    "$T/out" "$SA"

cp "$f" "$T/v1"
run me verify --server=$SA alice
check "verifying again (--server=HOST:PORT first) exits 0" [ "$rc" -eq 0 ]
check "... says it already was" grep -q "alice is already verified" "$T/out"
check "... and does not touch the file" cmp -s "$f" "$T/v1"

run me verify alice --caller
check "verify alice --caller exits 0" \
    sh -c '[ "$0" -eq 0 ] && grep -qF "alice: marked verified (called me directly, key fingerprint $2)" "$1"' \
    "$rc" "$T/out" "$carol_fp"
check "... and marks only the caller" \
    sh -c 'grep -qx "alice caller $1 verified 1700000200" "$0" &&
    grep -qx "alice server:$2 $3 new 1700000100" "$0"' "$f" \
    "$carol_pub" "$srvb_pub" "$bob_pub"

cp "$f" "$T/v2"
run me verify alice --server 192.0.2.99:7350
check "--server that known_servers does not hold: exit 1" \
    sh -c '[ "$0" -eq 1 ] && grep -qF "no server 192.0.2.99:7350 in known_servers" "$1"' \
    "$rc" "$T/err"
run me verify bob@127.0.0.1:7351 --server $SA
check "a name that is not on that server: exit 1" \
    sh -c '[ "$0" -eq 1 ] && grep -qF "no contact named '"'bob@127.0.0.1:7351'"' on server $2" "$1"' \
    "$rc" "$T/err" "$SA"
run me verify carol --caller
check "--caller for a name no caller gave: exit 1" \
    sh -c '[ "$0" -eq 1 ] && grep -qF "no direct caller named '"'carol'"'" "$1"' \
    "$rc" "$T/err"
run me verify alice --server $SA --caller
check "--server and --caller together: exit 2" [ "$rc" -eq 2 ]
run me verify alice --server
check "--server without HOST:PORT: exit 2" [ "$rc" -eq 2 ]
check "... and none of them touched the file" cmp -s "$f" "$T/v2"

run me unverify bob@127.0.0.1:7351
check "unverify of a direct name (one place) exits 0" [ "$rc" -eq 0 ]
check "unverify says what changed" \
    grep -qF "bob@127.0.0.1:7351: verified mark removed; now new (direct," \
    "$T/out"
check "the file now says bob is new" \
    grep -qx "bob@127.0.0.1:7351 direct $bob_pub new 0" "$f"
run me unverify bob@127.0.0.1:7351
check "unverifying again says it was not verified" \
    sh -c '[ "$0" -eq 0 ] && grep -q "is already not verified" "$1"' \
    "$rc" "$T/out"
run me verify "$dave_tilde"
check "a nameless caller is verified by ~FINGERPRINT" \
    sh -c '[ "$0" -eq 0 ] && grep -qx "$2 caller $3 verified 1700000300" "$1"' \
    "$rc" "$f" "$dave_tilde" "$dave_pub"

# A pin of an older file matches any server: --server finds it.
run me unverify carol --server $SA
check "unverify carol --server A reaches her server:* pin" \
    sh -c '[ "$0" -eq 0 ] && grep -qx "carol server:\* $2 new 1700000400" "$1"' \
    "$rc" "$f" "$carol_pub"
run me verify carol
check "verify carol (one place: any server) exits 0" \
    sh -c '[ "$0" -eq 0 ] && grep -qF "carol: marked verified (any server," "$1"' \
    "$rc" "$T/out"

cp "$f" "$T/v2"
run me verify carl
check "verify of an unknown name exits 1" [ "$rc" -eq 1 ]
check "... naming it and the file" \
    grep -qF "no contact named 'carl' in $f" "$T/err"
check "... and leaves the file alone" cmp -s "$f" "$T/v2"
run me unverify carl
check "unverify of an unknown name exits 1" [ "$rc" -eq 1 ]
run me verify CAROL
check "names are case-sensitive" [ "$rc" -eq 1 ]

run me unverify -- carol
check "unverify -- NAME works" \
    sh -c '[ "$0" -eq 0 ] && grep -q "carol: verified mark removed" "$1"' \
    "$rc" "$T/out"
run me verify carol
cp "$f" "$T/v2"
run me verify
check "verify without NAME exits 2" [ "$rc" -eq 2 ]
check "... with a usage line" grep -q "usage: e2call verify" "$T/err"
run me verify alice bob
check "verify with two names exits 2" [ "$rc" -eq 2 ]
run me unverify --all
check "unverify with an unknown option exits 2" [ "$rc" -eq 2 ]
run me forget
check "forget without NAME exits 2" [ "$rc" -eq 2 ]
run me contacts extra
check "contacts with an argument exits 2" [ "$rc" -eq 2 ]
check "... and none of them touched the file" cmp -s "$f" "$T/v2"

# ---- forget ----
run me forget alice
check "forget of a name pinned in three places exits 2, file untouched" \
    sh -c '[ "$0" -eq 2 ] && grep -qF "pinned in 3 places" "$1" &&
    cmp -s "$2" "$3"' "$rc" "$T/err" "$f" "$T/v2"
run me forget alice --caller
check "forget alice --caller exits 0 with a confirmation" \
    sh -c '[ "$0" -eq 0 ] && grep -qF "alice: pin removed (called me directly, key fingerprint $2, was verified)" "$1"' \
    "$rc" "$T/out" "$carol_fp"
check "... and only that pin is gone" \
    sh -c '! grep -q "^alice caller " "$0" &&
    [ "$(grep -c "^alice server:" "$0")" -eq 2 ]' "$f"
run me forget alice --server $SA
check "forget alice --server A exits 0" \
    sh -c '[ "$0" -eq 0 ] && grep -qF "alice: pin removed (server $2," "$1"' \
    "$rc" "$T/out" "$SA"
run me forget alice
check "forget alice, now in one place, exits 0" \
    sh -c '[ "$0" -eq 0 ] && grep -qF "alice: pin removed (server $2," "$1"' \
    "$rc" "$T/out" "$srvb_short"
check "... and no alice is left" not grep -q "^alice " "$f"
run me forget alice
check "forget of a name no longer pinned exits 1" \
    sh -c '[ "$0" -eq 1 ] && grep -qF "no contact named '"'alice'"'" "$1"' \
    "$rc" "$T/err"
run me contacts
check "the others are still listed" [ "$(wc -l <"$T/out")" -eq 4 ]
run me help forget
check "help forget shows the choice options" \
    sh -c 'grep -q "usage: e2call forget NAME \[--server HOST:PORT | --caller\]" "$0" &&
    grep -q -- "--caller" "$0"' "$T/out"

# ---- malformed files are refused, and never rewritten ----
# bad NAME LINE EXPECT: the contacts file is the good one with LINE appended
# as line 5; listing, verify, unverify and forget all refuse it naming file:5.
good() {
	printf '# people\nalice server:%s %s new 1700000000\n\nbob caller %s verified 0\n' \
	    "$srva_pub" "$alice_pub" "$bob_pub"
}
bad() {
	{ good; printf '%s\n' "$2"; } >"$f"
	cp "$f" "$T/before"
	fails=""
	for cmd in contacts "verify alice" "unverify bob" "forget bob"; do
		# shellcheck disable=SC2086
		run me $cmd
		if [ "$rc" -ne 1 ] || ! grep -qF "$f:5: $3" "$T/err" ||
		    ! cmp -s "$f" "$T/before" || [ -e "$f.v1" ]; then
			fails="$fails [$cmd: rc $rc, $(cat "$T/err")]"
		fi
	done
	if [ -z "$fails" ]; then
		ok "$1: refused with file:line ($(head -n 1 "$T/err"))"
	else
		not_ok "$1:$fails"
	fi
}
bad "bad base64" "carol caller notbase64 new 5" "bad key for 'carol'"
bad "43 characters of key" "carol caller ${alice_pub%=} new 5" "bad key"
bad "a key with a bad character" "carol caller *${alice_pub#?} new 5" "bad key"
bad "bad status word" "carol caller $alice_pub trusted 5" "bad status for 'carol'"
bad "status in capitals" "carol caller $alice_pub NEW 5" "bad status"
bad "negative time" "carol caller $alice_pub new -5" "bad first-seen time"
bad "time with letters" "carol caller $alice_pub new 12abc" "bad first-seen time"
bad "time in exponent form" "carol caller $alice_pub new 1e9" "bad first-seen"
bad "time too large" "carol caller $alice_pub new 99999999999999999999" \
    "bad first-seen"
bad "bad place" "carol home $alice_pub new 5" "bad place for 'carol'"
bad "a server place with a bad key" \
    "carol server:$(printf %s "$alice_fp" | tr -d ' ') $alice_pub new 5" \
    "bad place for 'carol'"
bad "place in capitals" "carol CALLER $alice_pub new 5" "bad place"
bad "a direct place without @" "carol direct $alice_pub new 5" \
    "'carol' in place direct: a direct name is NAME@HOST:PORT"
bad "an @ name on a server" "carol@h:1 server:* $alice_pub new 5" \
    "'carol@h:1' in place server:*: a name with '@' is only for place direct"
bad "a ~ name that is not a fingerprint" "~carol caller $alice_pub new 5" \
    "'~carol' in place caller: bad name"
bad "duplicate name and place" "alice server:$srva_pub $bob_pub new 5" \
    "'alice' is listed twice in place server:"
bad "too few fields (a place, no time)" "carol caller $alice_pub new" \
    "expected 5 fields"
bad "too few fields" "carol $alice_pub new" "expected 5 fields"
bad "too many fields" "carol caller $alice_pub new 5 extra" "expected 5 fields"
bad "a lone word" "carol" "expected 5 fields"
bad "a control character in the name" "$(printf 'ca\001rol') caller $alice_pub new 5" \
    "bad name"
bad "a name that is too long" \
    "$(head -c 301 /dev/zero | tr '\0' n) caller $alice_pub new 5" "bad name"

printf 'alice caller %s new 1\n\000\n' "$alice_pub" >"$f"
run me contacts
check "a NUL byte is refused with its line" \
    sh -c '[ "$0" -eq 1 ] && grep -qF "$2:2: NUL byte" "$1"' \
    "$rc" "$T/err" "$f"

# Comment-only and empty files are empty lists.
printf '# nothing here\n\n' >"$f"
run me contacts
check "a comment-only file: no contacts yet" grep -qx "no contacts yet" "$T/out"
: >"$f"
run me contacts
check "an empty file: no contacts yet" grep -qx "no contacts yet" "$T/out"

# A 300-character name (the longest) and CRLF line ends are fine.
long=$(head -c 300 /dev/zero | tr '\0' n)
printf '%s caller %s new 5\r\n' "$long" "$alice_pub" >"$f"
run me verify "$long"
check "the longest name and CRLF lines work" \
    sh -c '[ "$0" -eq 0 ] && grep -q "^n* caller .* verified 5$" "$1"' "$rc" "$f"

# ---- migration of an older four-field file ----
# What an older e2call wrote, edited by hand: a bare name, a name dialed
# directly, a nameless caller, comments, blanks, CRLF.
cat >"$T/old" <<EOF
# e2call pinned keys: NAME PUBLIC-KEY new|verified FIRST-SEEN
# (FIRST-SEEN in seconds since 1970-01-01 UTC)
alice $alice_pub verified 1700000000
# my notes
  bob@127.0.0.1:7351	$bob_pub   new 0
anonymous $dave_pub verified 1700000300

carol $carol_pub new 1700000400
EOF
printf 'erin %s new 5\r\n' "$carol_pub" >>"$T/old"
cp "$T/old" "$f"
chmod 644 "$f"
printf 'server = %s\n' "$SA" >"$dir/config"
run me contacts
check "an older file lists (exit 0)" [ "$rc" -eq 0 ]
check "... says it was converted and where the old file is" \
    grep -qF "$f: converted to the format with places; the file as it was is kept in $f.v1" \
    "$T/err"
check "contacts.v1 holds the old bytes exactly, mode 600" \
    sh -c 'cmp -s "$0" "$1" && [ "$(stat -c %a "$1")" = 600 ]' "$T/old" "$f.v1"
check "the new file has mode 600" [ "$(stat -c %a "$f")" = 600 ]
check "bare names got the configured server's place (its key)" \
    sh -c 'grep -qx "alice server:$1 $2 verified 1700000000" "$0" &&
    grep -qx "carol server:$1 $3 new 1700000400" "$0" &&
    grep -qx "erin server:$1 $3 new 5" "$0"' "$f" \
    "$srva_pub" "$alice_pub" "$carol_pub"
check "name@HOST:PORT became direct" \
    grep -qx "bob@127.0.0.1:7351 direct $bob_pub new 0" "$f"
check "anonymous became ~FINGERPRINT, caller, keeping its status" \
    grep -qx "$dave_tilde caller $dave_pub verified 1700000300" "$f"
check "nothing is lost: five entries, every key, status and time" \
    sh -c '[ "$(grep -vc "^#" "$0")" -eq 5 ] && [ "$(grep -c "^alice .* verified 1700000000$" "$0")" -eq 1 ]' "$f"
check "the header names the new format" \
    grep -q "^# e2call pinned keys of people: NAME PLACE PUBLIC-KEY" "$f"
check "the listing shows the migrated places" \
    sh -c 'grep -Eq "^alice +server $1 +" "$0" &&
    grep -Eq "^bob@127.0.0.1:7351 +direct +" "$0" &&
    grep -Eq "^~[a-z2-7]{32} +called me directly +" "$0"' "$T/out" "$SA"
cp "$f" "$T/new"
run me contacts
check "listed again: no second conversion, nothing rewritten" \
    sh -c '[ "$0" -eq 0 ] && ! grep -q converted "$1" && cmp -s "$2" "$3" &&
    cmp -s "$4" "$5"' "$rc" "$T/err" "$f" "$T/new" "$f.v1" "$T/old"
run me verify carol
check "verify works on the migrated file" \
    sh -c '[ "$0" -eq 0 ] && grep -qx "carol server:$2 $3 verified 1700000400" "$1"' \
    "$rc" "$f" "$srva_pub" "$carol_pub"

# The configured server's key unknown: bare names match any server.
rm -f "$f.v1" "$dir/config"
cp "$T/old" "$f"
run me contacts
check "no known server: bare names became server:*, listed as any server" \
    sh -c '[ "$0" -eq 0 ] && grep -qx "alice server:\* $2 verified 1700000000" "$1" &&
    grep -Eq "^alice +any server +" "$3"' "$rc" "$f" "$alice_pub" "$T/out"
check "... and the old file is kept" cmp -s "$T/old" "$f.v1"

# verify migrates too (the file is rewritten before it is changed).
rm -f "$f.v1"
cp "$T/old" "$f"
run me verify carol
check "verify on an older file: migrated, then carol verified" \
    sh -c '[ "$0" -eq 0 ] && grep -qx "carol server:\* $2 verified 1700000400" "$1" &&
    cmp -s "$3" "$1.v1"' "$rc" "$f" "$carol_pub" "$T/old"

# An older file with a bad line is neither migrated nor copied.
rm -f "$f.v1"
{ cat "$T/old"; printf 'frank %s maybe 5\n' "$alice_pub"; } >"$f"
cp "$f" "$T/before"
run me contacts
check "an older file with a bad line: refused with file:line, untouched" \
    sh -c '[ "$0" -eq 1 ] && grep -qF "$1:10: bad status for '"'frank'"'" "$2" &&
    cmp -s "$1" "$3" && [ ! -e "$1.v1" ]' "$rc" "$f" "$T/err" "$T/before"

# A file that cannot be read is an error, not an empty list.
rm -f "$f"; mkdir "$f"
run me contacts
check "a directory in place of the file: exit 1" \
    sh -c '[ "$0" -eq 1 ] && grep -qF "$2: not a regular file" "$1"' \
    "$rc" "$T/err" "$f"
rmdir "$f"

# ---- kill -9 during the migration ----
# A 2000-entry older file is migrated by `e2call contacts`, killed at a
# random moment; afterwards contacts must be the old file or the whole new
# one (never a mix, never missing), contacts.v1 absent or the old bytes,
# and the next run must finish the job.
V=$T/mig
mkdir -p "$V"; chmod 700 "$V"
awk -v k1="$alice_pub" -v k2="$bob_pub" 'BEGIN {
	print "# e2call pinned keys: NAME PUBLIC-KEY new|verified FIRST-SEEN"
	for (i = 0; i < 2000; i++) {
		if (i % 5 == 1)
			printf "peer%04d@10.0.0.1:7351 %s new %d\n", i, k2, i
		else
			printf "peer%04d %s %s %d\n", i, k1,
			    i % 3 ? "new" : "verified", 1700000000 + i
	}
}' >"$T/big.old"
cp "$T/big.old" "$V/contacts"; chmod 600 "$V/contacts"
t0=$(date +%s%N)
E2CALL_HOME=$V "$E2CALL" contacts >"$T/big.list" 2>/dev/null; rc=$?
span=$(( ($(date +%s%N) - t0) / 1000 ))
cp "$V/contacts" "$T/big.new"
check "a 2000-entry older file migrates (exit $rc, ${span}us)" \
    sh -c '[ "$0" -eq 0 ] && [ "$(grep -c "^peer" "$1")" -eq 2000 ] &&
    [ "$(grep -c "^peer.* direct " "$2")" -eq 400 ] && cmp -s "$3" "$4"' \
    "$rc" "$T/big.list" "$T/big.new" "$T/big.old" "$V/contacts.v1"
nk=${CONTACTS_KILLS:-40}
awk -v n="$nk" -v max="$span" -v seed=$$ 'BEGIN {
	srand(seed)
	for (i = 0; i < n; i++)
		printf "%.6f\n", rand() * max * 1.5 / 1e6
}' >"$T/delays"
bad=0 untouched=0 copied=0 migrated=0
while read -r d; do
	cp "$T/big.old" "$V/contacts"; chmod 600 "$V/contacts"
	rm -f "$V/contacts.v1"
	E2CALL_HOME=$V "$E2CALL" contacts >/dev/null 2>&1 &
	pid=$!
	sleep "$d"
	kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	if cmp -s "$V/contacts" "$T/big.old"; then
		if [ ! -e "$V/contacts.v1" ]; then
			untouched=$((untouched + 1))
		elif cmp -s "$V/contacts.v1" "$T/big.old"; then
			copied=$((copied + 1))
		else
			bad=$((bad + 1)); echo "# after ${d}s: a partial contacts.v1"
		fi
	elif cmp -s "$V/contacts" "$T/big.new" &&
	    cmp -s "$V/contacts.v1" "$T/big.old"; then
		migrated=$((migrated + 1))
	else
		bad=$((bad + 1))
		echo "# after ${d}s: contacts is neither the old nor the new file, or the copy is missing"
	fi
	rm -f "$V"/.contacts.tmp-* "$V"/.contacts.v1.tmp-*
	E2CALL_HOME=$V "$E2CALL" contacts >/dev/null 2>&1 &&
	    cmp -s "$V/contacts" "$T/big.new" &&
	    cmp -s "$V/contacts.v1" "$T/big.old" ||
	    { bad=$((bad + 1)); echo "# after ${d}s: the next run did not finish the migration"; }
done <"$T/delays"
echo "# $nk kills within $((span * 3 / 2))us: old file untouched $untouched, old file and its copy $copied, migrated $migrated"
check "kill -9 during migration leaves the old or the new file whole, and the next run migrates" \
    [ "$bad" -eq 0 ]

finish
