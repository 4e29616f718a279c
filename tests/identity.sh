#!/bin/sh
# e2call id: the identity key file - creation, permissions, damaged files,
# and crash safety of the first write.
. "$top_srcdir/tests/lib.sh"

not() { ! "$@"; }
idfile() { echo "$T/$1/config/e2call/identity"; }
# run_id USER: runs e2call id as USER; stdout in $T/out, stderr in $T/err,
# exit status in $rc.
run_id() {
	as_user "$1" "$E2CALL" id >"$T/out" 2>"$T/err"
	rc=$?
}

# ---- first and second use ----
run_id alice
cp "$T/out" "$T/alice.out"
f=$(idfile alice)
check "first id exits 0" [ "$rc" -eq 0 ]
check "first id says it created the key, and where" \
    grep -qF "e2call: created new identity key at $f" "$T/err"
check "id prints the public key" \
    grep -Eq '^public key: [A-Za-z0-9+/]{43}=$' "$T/out"
check "id prints the fingerprint" \
    grep -Eq '^fingerprint: [a-z2-7]{4}( [a-z2-7]{4}){7}$' "$T/out"
check "stdout has exactly those two lines" [ "$(wc -l <"$T/out")" -eq 2 ]
check "the key file has mode 600" [ "$(stat -c %a "$f")" = 600 ]
check "the config dir has mode 700" \
    [ "$(stat -c %a "$T/alice/config/e2call")" = 700 ]
pub=$(sed -n 's/^public key: //p' "$T/out")
check "the printed public key is the one in the file" \
    grep -qxF "public $pub" "$f"
priv=$(sed -n 's/^private //p' "$f")
check "the file holds a 32-byte private key" \
    [ "$(printf %s "$priv" | base64 -d 2>/dev/null | wc -c)" -eq 32 ]
check "the private key is never printed" \
    not grep -qF "$priv" "$T/out" "$T/err"
cp "$f" "$T/alice.key"

run_id alice
check "second id exits 0" [ "$rc" -eq 0 ]
check "second id prints the same key and fingerprint" \
    cmp -s "$T/out" "$T/alice.out"
check "second id prints nothing on stderr" [ ! -s "$T/err" ]
check "second id leaves the file alone" cmp -s "$f" "$T/alice.key"

run_id bob
check "another user gets another key" not cmp -s "$T/out" "$T/alice.out"
cp "$T/out" "$T/bob.out"
bob_priv=$(sed -n 's/^private //p' "$(idfile bob)")

# ---- where the file goes ----
E2CALL_HOME=$T/custom HOME=$T/nohome "$E2CALL" id >/dev/null 2>&1
check "E2CALL_HOME overrides the config dir" [ -f "$T/custom/identity" ]
check "E2CALL_HOME is used as is" [ ! -e "$T/nohome" ]
mkdir -p "$T/h1"
env -u XDG_CONFIG_HOME -u E2CALL_HOME HOME="$T/h1" "$E2CALL" id \
    >/dev/null 2>&1
check "without XDG_CONFIG_HOME the key is in ~/.config/e2call" \
    [ -f "$T/h1/.config/e2call/identity" ]
check "the directories it makes have mode 700" \
    [ "$(stat -c %a "$T/h1/.config")" = 700 ]
mkdir -p "$T/h2"
env -u E2CALL_HOME HOME="$T/h2" XDG_CONFIG_HOME=relative "$E2CALL" id \
    >/dev/null 2>&1
check "a relative XDG_CONFIG_HOME is ignored" \
    [ -f "$T/h2/.config/e2call/identity" ]
env -u XDG_CONFIG_HOME -u HOME E2CALL_HOME=rel/dir "$E2CALL" id \
    >/dev/null 2>"$T/err"; rc=$?
check "a relative E2CALL_HOME is refused" [ "$rc" -eq 1 ]
check "... saying so" grep -q "E2CALL_HOME must be an absolute path" \
    "$T/err"
: >"$T/afile"
E2CALL_HOME=$T/afile/sub "$E2CALL" id >/dev/null 2>"$T/err"; rc=$?
check "a config dir that cannot be made: exit 1" [ "$rc" -eq 1 ]
check "... naming the directory" grep -qF "$T/afile" "$T/err"

# ---- command line ----
as_user alice "$E2CALL" id extra 2>"$T/err"; rc=$?
check "id with an argument exits 2" [ "$rc" -eq 2 ]
check "... with a usage line" grep -q "usage: e2call id" "$T/err"
as_user alice "$E2CALL" id --frobnicate 2>"$T/err"; rc=$?
check "id with an unknown option exits 2" [ "$rc" -eq 2 ]
check "... naming it" grep -q "unknown option: --frobnicate" "$T/err"
as_user alice "$E2CALL" id -- >"$T/out"; rc=$?
check "id -- is id" cmp -s "$T/out" "$T/alice.out"
as_user alice "$E2CALL" id -- x 2>"$T/err"; rc=$?
check "id -- x exits 2" [ "$rc" -eq 2 ]
as_user alice "$E2CALL" id --help >"$T/out"; rc=$?
check "id --help exits 0 with usage" \
    sh -c '[ "$0" -eq 0 ] && grep -q "usage: e2call id" "$1"' "$rc" "$T/out"

# ---- permissions ----
for m in 644 640 604 620 602 660 606 610 601; do
	cp "$T/alice.key" "$f"
	chmod "$m" "$f"
	run_id alice
	if [ "$rc" -eq 1 ] &&
	    grep -qF "$f: permissions 0$m are too open" "$T/err" &&
	    grep -qF "chmod 600 $f" "$T/err" &&
	    [ ! -s "$T/out" ] && cmp -s "$f" "$T/alice.key"; then
		ok "mode $m is refused with the file and chmod 600 named"
	else
		not_ok "mode $m: rc $rc, stderr: $(cat "$T/err")"
	fi
done
for m in 600 400 700; do
	chmod "$m" "$f"
	run_id alice
	check "mode $m is accepted" cmp -s "$T/out" "$T/alice.out"
done
chmod 600 "$f"

# ---- damaged files ----
# damaged NAME EXPECT: the file $f (already written) is refused with exit 1,
# a message that names the file and contains EXPECT, and is left unchanged.
damaged() {
	chmod 600 "$f"
	cp "$f" "$T/before"
	run_id alice
	if [ "$rc" -eq 1 ] && grep -qF "$f" "$T/err" &&
	    grep -qF -- "$2" "$T/err" && [ ! -s "$T/out" ] &&
	    cmp -s "$f" "$T/before"; then
		ok "$1: refused ($(head -n 1 "$T/err"))"
	else
		not_ok "$1: rc $rc (want 1; >128 is a crash), stderr: $(cat "$T/err")"
	fi
}
good_priv=$(sed -n 's/^private //p' "$T/alice.key")
good_pub=$(sed -n 's/^public //p' "$T/alice.key")
bob_pub=$(sed -n 's/^public key: //p' "$T/bob.out")
hdr='# e2call private key (keep secret)'

: >"$f"; damaged "empty file" "empty file"
printf '%s\n' "$hdr" >"$f"; damaged "header only" "no 'private' line"
head -c 60 "$T/alice.key" >"$f"; damaged "cut inside the private key" "$f:2:"
head -n 2 "$T/alice.key" >"$f"; damaged "cut before the public key" \
    "no 'public' line"
head -c 120 "$T/alice.key" >"$f"; damaged "cut inside the public key" "$f:3:"
printf 'hello world\n' >"$f"; damaged "text garbage" "$f:1: expected"
printf '\211PNG\r\n\032\n\000\000\000\rIHDR\000\000' >"$f"
damaged "binary garbage" "$f:"
head -c 3000 /dev/urandom >"$f"; damaged "random bytes" "$f"
printf '%s\n' "$good_priv" >"$f"; damaged "a bare key" "$f:1: expected"
printf '%s\nprivate %s\npublic %s\n' "$hdr" \
    "$(head -c 31 /dev/zero | base64)" "$good_pub" >"$f"
damaged "31-byte private key" "$f:2: the private key is not 44"
printf '%s\nprivate %s\npublic %s\n' "$hdr" \
    "$(head -c 33 /dev/zero | base64)" "$good_pub" >"$f"
damaged "33-byte private key" "$f:2:"
printf '%s\nprivate %s\npublic %s\n' "$hdr" "$good_priv" \
    "$(head -c 31 /dev/zero | base64)" >"$f"
damaged "31-byte public key" "$f:3: the public key is not 44"
printf '%s\nprivate %s\npublic %s\n' "$hdr" "$bob_priv" "$good_pub" >"$f"
damaged "someone else's private key" "$f:3: the public key does not belong"
printf '%s\nprivate %s\npublic %s\n' "$hdr" "$good_priv" "$bob_pub" >"$f"
damaged "someone else's public key" \
    "$f:3: the public key does not belong to the private key on line 2"
printf '%s\nprivate %s\npublic %s\n' "$hdr" \
    "$(printf %s "$good_priv" | sed 's/^./*/')" "$good_pub" >"$f"
damaged "a character outside base64" "$f:2:"
printf '%s\nprivate %s\npublic %s\n' "$hdr" \
    "$(printf %s "$good_priv" | tr -d =)" "$good_pub" >"$f"
damaged "base64 without padding" "$f:2:"
printf '%s\nprivate %s\nprivate %s\npublic %s\n' "$hdr" "$good_priv" \
    "$good_priv" "$good_pub" >"$f"
damaged "two private lines" "$f:3: second 'private' line"
printf '%s\nprivate %s extra\npublic %s\n' "$hdr" "$good_priv" \
    "$good_pub" >"$f"
damaged "a word after the key" "$f:2:"
printf '%s\nsecret %s\npublic %s\n' "$hdr" "$good_priv" "$good_pub" >"$f"
damaged "unknown keyword" "$f:2: expected 'private KEY'"
{ cat "$T/alice.key"; head -c 5000 /dev/zero | tr '\0' '#'; } >"$f"
damaged "a file too large for a key" "too large"
printf '%s\nprivate %s\n\000public %s\n' "$hdr" "$good_priv" \
    "$good_pub" >"$f"
damaged "a NUL byte" "$f:3: NUL byte"

# Whitespace, comments and CRLF are fine; so is the other line order.
printf '\n  # a comment\n\tpublic   %s  \r\nprivate %s\r\n\n' "$good_pub" \
    "$good_priv" >"$f"
run_id alice
check "comments, blank lines, CRLF and any order are accepted" \
    cmp -s "$T/out" "$T/alice.out"

rm -f "$f"; mkdir "$f"
run_id alice
check "a directory in place of the key: exit 1" [ "$rc" -eq 1 ]
check "... saying it is not a regular file" \
    grep -qF "$f: not a regular file" "$T/err"
rmdir "$f"
cp "$T/alice.key" "$f"

# A stale temporary file from an earlier, killed run is harmless.
run_id carol
rm -f "$(idfile carol)"
printf 'junk' >"$T/carol/config/e2call/.identity.tmp-00000000"
run_id carol
check "a leftover temporary file does not get in the way" \
    sh -c '[ "$0" -eq 0 ] && [ -f "$1" ]' "$rc" "$(idfile carol)"
run_id dave
rm -f "$(idfile dave)"
old=$T/dave/config/e2call/.identity.tmp-0123abcd
new=$T/dave/config/e2call/.identity.tmp-89abcdef
other=$T/dave/config/e2call/.contacts.tmp-0123abcd
printf 'junk' >"$old"; printf 'junk' >"$new"; printf 'junk' >"$other"
touch -d '1 hour ago' "$old" "$other"
run_id dave
check "an hour-old temporary file of the key is removed" [ ! -e "$old" ]
check "a fresh one (maybe another writer's) is kept" [ -e "$new" ]
check "temporary files of other files are kept" [ -e "$other" ]

# ---- crash safety: kill -9 at random moments of the first run ----
# How long does a first run take here (sanitizers make it slower)?
t0=$(date +%s%N)
for i in 1 2 3 4 5; do
	E2CALL_HOME=$T/timing/$i "$E2CALL" id >/dev/null 2>&1
done
t1=$(date +%s%N)
span=$(( (t1 - t0) / 5 / 1000 ))	# microseconds per run
[ "$span" -gt 100 ] || span=100
n=${CRASH_RUNS:-200}
awk -v n="$n" -v span="$span" -v seed="$$" 'BEGIN {
	srand(seed)
	for (i = 0; i < n; i++)
		printf "%.6f\n", rand() * span * 1.5 / 1e6
}' >"$T/delays"
killed=0 absent=0 present=0 bad=0 leftovers=0 i=0
while read -r d; do
	i=$((i + 1))
	h=$T/crash/$i
	mkdir -p "$h"
	E2CALL_HOME=$h/e2 "$E2CALL" id >/dev/null 2>&1 &
	pid=$!
	sleep "$d"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ $? -eq 137 ] && killed=$((killed + 1))
	k=$h/e2/identity
	if [ -e "$k" ]; then
		present=$((present + 1))
		cp "$k" "$h/saved"
	else
		absent=$((absent + 1))
	fi
	E2CALL_HOME=$h/e2 "$E2CALL" id >"$h/out1" 2>"$h/err1"; r1=$?
	E2CALL_HOME=$h/e2 "$E2CALL" id >"$h/out2" 2>"$h/err2"; r2=$?
	why=""
	[ "$r1" -eq 0 ] || why="id after the kill exited $r1: $(cat "$h/err1")"
	[ -z "$why" ] && [ "$r2" -ne 0 ] && why="second id exited $r2"
	[ -z "$why" ] && ! cmp -s "$h/out1" "$h/out2" && why="key changed"
	[ -z "$why" ] && [ -e "$h/saved" ] && ! cmp -s "$h/saved" "$k" &&
	    why="the key found after the kill was replaced"
	[ -z "$why" ] && [ "$(stat -c %a "$k")" != 600 ] && why="mode not 600"
	if [ -n "$why" ]; then
		bad=$((bad + 1))
		[ "$bad" -le 3 ] && echo "# run $i (delay ${d}s): $why"
	fi
	for x in "$h"/e2/.identity.tmp-*; do
		[ -e "$x" ] && leftovers=$((leftovers + 1))
	done
	rm -rf "$h"
done <"$T/delays"
echo "# $n runs, ~${span}us each: killed $killed; key absent after the kill $absent, present $present; temporary files left $leftovers"
check "after kill -9 at any moment the key is absent or whole and valid" \
    [ "$bad" -eq 0 ]
check "the kills landed both before and after the key was written" \
    sh -c '[ "$0" -gt 0 ] && [ "$1" -gt 0 ]' "$absent" "$present"

finish
