#!/bin/sh
# Every external command that the shell tests (tests/*.sh) and the scripts
# (scripts/*) run comes from a package that scripts/setup installs, so that
# nothing is missing on a fresh Debian 12 (a debootstrap minbase root, or
# the debian:12 image): setup installs the packages in its PKGS and what
# they depend on, and the base system has every package of priority
# required.
#
# TOOLS below is the list of those commands, kept by hand.  The test
#  1. checks tests/sh_commands.py, which finds the command words of shell
#     scripts, on a sample;
#  2. runs it over tests/*.sh and scripts/*: every command it finds must
#     be in TOOLS (or OPTIONAL), else the script, the line and the command
#     are named;
#  3. checks that each command in TOOLS is still mentioned somewhere;
#  4. finds each command's file (command -v) and its package (dpkg-query
#     -S), and checks that the package is in PKGS, a dependency of one, or
#     of priority required.
# Builtins, the scripts' own functions and the project's own programs do
# not count.
. "$top_srcdir/tests/lib.sh"
command -v dpkg-query >/dev/null 2>&1 ||
	skip_all "dpkg-query is not installed: scripts/setup and this check are for Debian"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"

# The commands, and (in a comment) where the extraction cannot see them:
# clang runs as "$cc" in tests/fuzz_smoke.sh, valgrind as $VG in
# tests/valgrind.sh, stty in the script tests/tui.sh writes for each pane.
TOOLS="
apt-get arecord autoreconf awk base64 cat chmod chown clang cmp cp cut date
diff dirname dpkg-query env espeak-ng find getconf grep head id ip locale ls
make mandoc mkdir mkfifo mktemp mv nft nm nproc od pactl parec pkg-config
pulseaudio python3 readlink rm rmdir sed seq setpriv sh sleep sort sox soxi
stat stty sysctl tail tcpdump timeout tmux touch tr turnutils_stunclient
uname valgrind wc
"
# Run only where they are installed: setup stops coturn's service with
# systemctl where systemd runs (a container has none).
OPTIONAL="systemctl"

# shellcheck disable=SC2086,SC2116
ALL=" $(echo $TOOLS $OPTIONAL) "
listed() { case $ALL in *" $1 "*) return 0 ;; esac; return 1; }
extract() { python3 "$top_srcdir/tests/sh_commands.py" "$@"; }

# ---- 1. the extraction, on a sample ----
mkdir -p "$T/sample"
cat >"$T/sample/lib.sh" <<'EOF'
check() { d=$1; shift; if "$@"; then echo "ok $d"; fi; }
inx() { n=$1; shift; ip netns exec "ns-$n" "$@"; }
EOF
cat >"$T/sample/t.sh" <<'EOF'
#!/bin/sh
# a comment: notcmd1
. "$top/lib.sh"
wrap() { x=$1; shift; A=1 env -u B "$@"; }
grep -q a b | cut -d: -f1 && sort || uniq; expr 1
v=$(basename "$(dirname x)") w="$(id -u)"
n=$(( $(nproc) + 1 ))
check "notcmd2 $(hostname)" test -f x
wrap notcmd3 wc -l
timeout -s KILL 5 sh -c 'od -An; tr a b' sh
inx ns sysctl -qw a=b 2>/dev/null
case $x in
a|notcmd4) seq 3 ;;
*) [ -n "$x" ] ;;
esac
for f in notcmd5 notcmd6; do touch "$f"; done
cat <<'PY' >"$T/x"
notcmd7 here
PY
$SUDO apt-get update
command -v stty >/dev/null; "$E2CALL" id
echo "notcmd8" 'notcmd9' 2>&1 >/dev/null
EOF
cat >"$T/sample/want" <<'EOF'
t.sh:4: env
t.sh:5: cut
t.sh:5: expr
t.sh:5: grep
t.sh:5: sort
t.sh:5: uniq
t.sh:6: basename
t.sh:6: dirname
t.sh:6: id
t.sh:7: nproc
t.sh:8: hostname
t.sh:9: wc
t.sh:10: od
t.sh:10: sh
t.sh:10: timeout
t.sh:10: tr
t.sh:11: sysctl
t.sh:13: seq
t.sh:16: touch
t.sh:17: cat
t.sh:20: apt-get
t.sh:21: stty
EOF
(cd "$T/sample" && extract t.sh lib.sh) >"$T/sample/got" 2>&1
grep -v '^lib.sh:' "$T/sample/got" >"$T/sample/got.t"
if cmp -s "$T/sample/want" "$T/sample/got.t"; then
	ok "the extraction finds commands behind wrappers, in \$(...), after | && || ;, and none in comments, arguments, patterns or here-documents"
else
	diff "$T/sample/want" "$T/sample/got.t" | sed 's/^/#   /'
	not_ok "the extraction finds the commands of a sample script (diff: - expected, + found)"
fi

# ---- 2. what the tests and the scripts run ----
cd "$top_srcdir" || { not_ok "cd $top_srcdir"; finish; }
# shellcheck disable=SC2046
files=$(ls tests/*.sh scripts/*)
# shellcheck disable=SC2086
extract $files >"$T/calls" 2>"$T/calls.err"
rc=$?
check "the extraction reads $(echo "$files" | wc -l) files (exit $rc)" \
    sh -c '[ "$0" -eq 0 ] && [ -s "$1" ] && [ ! -s "$2" ]' "$rc" \
    "$T/calls" "$T/calls.err"
sed 's/^/#   /' "$T/calls.err"
# own NAME: a program or script of this project
own() {
	[ "$1" = e2call ] || [ -e "$top_srcdir/scripts/$1" ] ||
	    [ -e "$top_srcdir/tests/$1.c" ] || [ -e "$top_srcdir/tests/$1" ]
}
: >"$T/unlisted"
while read -r where name; do
	case $name in /*) ;; */*) continue ;; esac
	listed "$name" || own "$name" || echo "${where%:} $name" >>"$T/unlisted"
done <"$T/calls"
nwords=$(wc -l <"$T/calls")
ncmds=$(awk '{ print $2 }' "$T/calls" | sort -u | wc -l)
if [ -s "$T/unlisted" ]; then
	for name in $(awk '{ print $2 }' "$T/unlisted" | sort -u); do
		at=$(awk -v n="$name" '$2 == n && k++ < 5 { printf "%s%s", s, $1; s = ", " }' \
		    "$T/unlisted")
		not_ok "$at runs '$name', which tests/tools.sh does not list: add it to TOOLS there, and its Debian package to PKGS in scripts/setup"
	done
else
	ok "each of the $nwords command words ($ncmds commands) in tests/*.sh and scripts/* is in the list"
fi

# ---- 3. the list holds nothing that is no longer used ----
stale=""
for c in $TOOLS $OPTIONAL; do
	awk -v n="$c" '$2 == n { f = 1 } END { exit !f }' "$T/calls" && continue
	# shellcheck disable=SC2086
	grep -qw -- "$c" $files || stale="$stale $c"
done
check "every command in the list is still used (unused:${stale:- none})" \
    [ -z "$stale" ]

# ---- 4. the packages ----
pkgs=$(sed -n '/^PKGS="/,/"$/{s/^PKGS="//;s/"$//;p;}' scripts/setup | tr -s ' \n' '  ')
npkgs=$(echo "$pkgs" | wc -w)
check "scripts/setup's PKGS lists packages ($npkgs)" [ "$npkgs" -ge 10 ]

# Installed packages that setup brings: PKGS, what they depend on (the
# first installed alternative of each dependency, as apt picks), and the
# base system.  One line each: PACKAGE<TAB>why.
cat >"$T/closure.py" <<'PY'
import re, sys
pkgs = sys.argv[1:]
inst, prio, deps, provides = set(), {}, {}, {}
for line in sys.stdin:
    f = line.rstrip("\n").split("\t")
    if len(f) < 7 or not f[1].startswith("ii"):
        continue
    name = f[0]
    inst.add(name)
    prio[name] = (f[2], f[3])
    deps[name] = [g for g in (f[5] + "," + f[6]).split(",") if g.strip()]
    for p in f[4].split(","):
        p = re.sub(r"\(.*?\)", "", p).strip()
        if p:
            provides.setdefault(p, []).append(name)
def pick(group):
    for alt in group.split("|"):
        n = re.sub(r"\(.*?\)|\[.*?\]|:\S+", "", alt).strip()
        if n in inst:
            return n
        if n in provides:
            return provides[n][0]
    return None
why = {}
queue = []
for p in pkgs:
    if p in inst and p not in why:
        why[p] = "in setup's PKGS"
        queue.append((p, [p]))
for p in sorted(inst):
    if p not in why and (prio[p][0] == "required" or prio[p][1] == "yes"):
        why[p] = "base system: priority %s" % prio[p][0]
        queue.append((p, None))
while queue:
    p, chain = queue.pop(0)
    for g in deps[p]:
        d = pick(g)
        if d and d not in why:
            c = chain + [d] if chain else None
            why[d] = ("a dependency: " + " > ".join(c)) if c else \
                "base system: needed by %s" % p
            queue.append((d, c))
for p in sorted(why):
    print("%s\t%s" % (p, why[p]))
PY
# shellcheck disable=SC2016,SC2086
dpkg-query -W -f='${Package}\t${db:Status-Abbrev}\t${Priority}\t${Essential}\t${Provides}\t${Pre-Depends}\t${Depends}\n' |
    python3 "$T/closure.py" $pkgs >"$T/closure"
check "the packages setup brings are known ($(wc -l <"$T/closure") installed)" \
    grep -q '^build-essential	' "$T/closure"

# Each command's file in the directories packages install to (not
# /usr/local, nor a python3 of pyenv or the like earlier in PATH), its
# other name under merged /usr, and where a symbolic link leads (an
# alternative such as awk).
for c in $TOOLS $OPTIONAL; do
	p=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$c" 2>/dev/null) ||
	    continue
	case $p in /*) ;; *) continue ;; esac
	r=$(readlink -f "$p")
	for q in "$p" "$r"; do
		case $q in
		/usr/*) echo "$c $q ${q#/usr}" ;;
		*) echo "$c $q /usr$q" ;;
		esac
	done
done >"$T/paths"
# shellcheck disable=SC2046
dpkg-query -S $(awk '{ print $2; print $3 }' "$T/paths" | sort -u) \
    2>/dev/null | grep -v '^diversion by' >"$T/owners"
# owner PATH...: the packages (dpkg-query -S) of the first PATH one holds
owner() {
	for q in "$@"; do
		o=$(awk -v q="$q" '{
			i = index($0, ": ")
			if (substr($0, i + 2) != q) next
			p = substr($0, 1, i - 1)
			gsub(/:[a-z0-9]+/, "", p); gsub(/,/, " ", p)
			print p; exit
		}' "$T/owners")
		[ -n "$o" ] && { echo "$o"; return 0; }
	done
	return 1
}
for c in $TOOLS $OPTIONAL; do
	at=$(awk -v n="$c" '$2 == n { sub(/:$/, "", $1); print $1; exit }' "$T/calls")
	# shellcheck disable=SC2086
	[ -n "$at" ] || at=$(grep -lw -- "$c" $files | head -n 1)
	# shellcheck disable=SC2046
	set -- $(awk -v c="$c" '$1 == c { print $2, $3 }' "$T/paths")
	if [ $# -eq 0 ]; then
		case " $OPTIONAL " in
		*" $c "*) ok "$c: not installed here, and optional" ;;
		*) not_ok "$c ($at) is not installed here, so scripts/setup does not install it: add its package to PKGS" ;;
		esac
		continue
	fi
	path=$1
	if ! o=$(owner "$@"); then
		not_ok "$c ($at): no package holds $path, so scripts/setup cannot install it"
		continue
	fi
	how="" from=""
	for pk in $o; do
		how=$(awk -F '\t' -v p="$pk" '$1 == p { print $2; exit }' "$T/closure")
		from=$pk
		[ -n "$how" ] && break
	done
	if [ -n "$how" ]; then
		ok "$c: $path from $from ($how)"
	elif case " $OPTIONAL " in *" $c "*) true ;; *) false ;; esac; then
		ok "$c: $path from $o (optional: not installed by setup)"
	else
		not_ok "$c ($at): $path is in $o, which scripts/setup does not install: add $from to PKGS"
	fi
done
finish
