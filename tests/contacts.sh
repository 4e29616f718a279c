#!/bin/sh
# e2call contacts / verify / unverify over a contacts file written by hand.
. "$top_srcdir/tests/lib.sh"

not() { ! "$@"; }
# run USER ARGS...: stdout in $T/out, stderr in $T/err, status in $rc.
run() {
	u=$1; shift
	as_user "$u" "$E2CALL" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# Two real keys to pin, with their fingerprints as e2call id prints them.
run alice id
alice_pub=$(sed -n 's/^public key: //p' "$T/out")
alice_fp=$(sed -n 's/^fingerprint: //p' "$T/out")
run bob id
bob_pub=$(sed -n 's/^public key: //p' "$T/out")
bob_fp=$(sed -n 's/^fingerprint: //p' "$T/out")

user_home me >/dev/null
dir=$T/me/config/e2call
f=$dir/contacts

run me contacts
check "no contacts file: 'no contacts yet'" \
    sh -c '[ "$0" -eq 0 ] && grep -qx "no contacts yet" "$1"' "$rc" "$T/out"
check "listing does not create the file" [ ! -e "$f" ]

mkdir -p "$dir"
cat >"$f" <<EOF
# people I talk to
alice $alice_pub new 1700000000

	bob@127.0.0.1:7350   $bob_pub   verified   0   
EOF
chmod 600 "$f"
cp "$f" "$T/orig"

run me contacts
check "contacts exits 0" [ "$rc" -eq 0 ]
check "contacts has a header line" \
    grep -Eq '^NAME +FINGERPRINT +STATUS +FIRST SEEN' "$T/out"
check "alice is listed: fingerprint, new, first seen in UTC" \
    grep -Eq "^alice +$alice_fp +new +2023-11-14T22:13:20Z\$" "$T/out"
check "bob is listed: fingerprint, verified, 1970" \
    grep -Eq "^bob@127.0.0.1:7350 +$bob_fp +verified +1970-01-01T00:00:00Z\$" \
    "$T/out"
check "exactly two entries" [ "$(wc -l <"$T/out")" -eq 3 ]
check "listing leaves the file alone" cmp -s "$f" "$T/orig"
check "the keys themselves are not printed" \
    not grep -qF "$alice_pub" "$T/out"

# ---- verify / unverify ----
run me verify alice
check "verify alice exits 0" [ "$rc" -eq 0 ]
check "verify says what changed" \
    grep -qF "alice: marked verified (key fingerprint $alice_fp)" "$T/out"
check "the file now says alice is verified" \
    grep -qx "alice $alice_pub verified 1700000000" "$f"
check "bob's entry is kept" \
    grep -qx "bob@127.0.0.1:7350 $bob_pub verified 0" "$f"
check "the saved file has mode 600" [ "$(stat -c %a "$f")" = 600 ]
check "no temporary files are left" \
    sh -c '[ -z "$(ls -A "$0" | grep tmp)" ]' "$dir"
run me contacts
check "contacts shows alice verified" \
    grep -Eq "^alice +$alice_fp +verified " "$T/out"
check "order is kept" sh -c 'sed -n 2p "$0" | grep -q ^alice' "$T/out"

cp "$f" "$T/v1"
run me verify alice
check "verifying again exits 0" [ "$rc" -eq 0 ]
check "... says it already was" grep -q "alice is already verified" "$T/out"
check "... and does not touch the file" cmp -s "$f" "$T/v1"

run me unverify bob@127.0.0.1:7350
check "unverify exits 0" [ "$rc" -eq 0 ]
check "unverify says what changed" \
    grep -qF "bob@127.0.0.1:7350: verified mark removed" "$T/out"
check "the file now says bob is new" \
    grep -qx "bob@127.0.0.1:7350 $bob_pub new 0" "$f"
run me unverify bob@127.0.0.1:7350
check "unverifying again says it was not verified" \
    sh -c '[ "$0" -eq 0 ] && grep -q "is already not verified" "$1"' \
    "$rc" "$T/out"

cp "$f" "$T/v2"
run me verify carol
check "verify of an unknown name exits 1" [ "$rc" -eq 1 ]
check "... naming it and the file" \
    grep -qF "no contact named 'carol' in $f" "$T/err"
check "... and leaves the file alone" cmp -s "$f" "$T/v2"
run me unverify carol
check "unverify of an unknown name exits 1" [ "$rc" -eq 1 ]
run me verify ALICE
check "names are case-sensitive" [ "$rc" -eq 1 ]

run me unverify -- alice
check "unverify -- NAME works" \
    sh -c '[ "$0" -eq 0 ] && grep -q "alice: verified mark removed" "$1"' \
    "$rc" "$T/out"
run me verify alice
cp "$f" "$T/v2"
run me verify
check "verify without NAME exits 2" [ "$rc" -eq 2 ]
check "... with a usage line" grep -q "usage: e2call verify" "$T/err"
run me verify alice bob
check "verify with two names exits 2" [ "$rc" -eq 2 ]
run me unverify --all
check "unverify with an option exits 2" [ "$rc" -eq 2 ]
run me contacts extra
check "contacts with an argument exits 2" [ "$rc" -eq 2 ]
check "... and none of them touched the file" cmp -s "$f" "$T/v2"

# ---- malformed files are refused, and never rewritten ----
# bad NAME LINE EXPECT: the contacts file is the good one with LINE appended
# as line 5; listing, verify and unverify all refuse it naming file:5.
good() {
	printf '# people\nalice %s new 1700000000\n\nbob %s verified 0\n' \
	    "$alice_pub" "$bob_pub"
}
bad() {
	{ good; printf '%s\n' "$2"; } >"$f"
	cp "$f" "$T/before"
	fails=""
	for cmd in contacts "verify alice" "unverify bob"; do
		# shellcheck disable=SC2086
		run me $cmd
		if [ "$rc" -ne 1 ] || ! grep -qF "$f:5: $3" "$T/err" ||
		    ! cmp -s "$f" "$T/before"; then
			fails="$fails [$cmd: rc $rc, $(cat "$T/err")]"
		fi
	done
	if [ -z "$fails" ]; then
		ok "$1: refused with file:line ($(head -n 1 "$T/err"))"
	else
		not_ok "$1:$fails"
	fi
}
bad "bad base64" "carol notbase64 new 5" "bad key for 'carol'"
bad "43 characters of key" "carol ${alice_pub%=} new 5" "bad key"
bad "a key with a bad character" "carol *${alice_pub#?} new 5" "bad key"
bad "bad status word" "carol $alice_pub trusted 5" "bad status for 'carol'"
bad "status in capitals" "carol $alice_pub NEW 5" "bad status"
bad "negative time" "carol $alice_pub new -5" "bad first-seen time"
bad "time with letters" "carol $alice_pub new 12abc" "bad first-seen time"
bad "time in exponent form" "carol $alice_pub new 1e9" "bad first-seen"
bad "time too large" "carol $alice_pub new 99999999999999999999" \
    "bad first-seen"
bad "duplicate name" "alice $bob_pub new 5" "'alice' is listed twice"
bad "too few fields" "carol $alice_pub new" "expected 4 fields"
bad "too many fields" "carol $alice_pub new 5 extra" "expected 4 fields"
bad "a lone word" "carol" "expected 4 fields"
bad "a control character in the name" "$(printf 'ca\001rol') $alice_pub new 5" \
    "bad name"
bad "a name that is too long" \
    "$(head -c 301 /dev/zero | tr '\0' n) $alice_pub new 5" "bad name"

printf 'alice %s new 1\n\000\n' "$alice_pub" >"$f"
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
printf '%s %s new 5\r\n' "$long" "$alice_pub" >"$f"
run me verify "$long"
check "the longest name and CRLF lines work" \
    sh -c '[ "$0" -eq 0 ] && grep -q "^n* .* verified 5$" "$1"' "$rc" "$f"

# A file that cannot be read is an error, not an empty list.
rm -f "$f"; mkdir "$f"
run me contacts
check "a directory in place of the file: exit 1" \
    sh -c '[ "$0" -eq 1 ] && grep -qF "$2: not a regular file" "$1"' \
    "$rc" "$T/err" "$f"
rmdir "$f"

finish
