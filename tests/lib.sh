# tests/lib.sh - shared helpers for the shell tests (sourced).
# Each test gets a private temporary HOME/XDG tree; everything it starts is
# killed by PID at exit.
set -u
: "${E2CALL:?E2CALL not set (run through make check)}"
T=$(mktemp -d "${TMPDIR:-/tmp}/e2call-test.XXXXXX")
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT INT TERM
nfail=0 ntest=0
ok() { ntest=$((ntest + 1)); echo "ok $ntest - $*"; }
not_ok() { ntest=$((ntest + 1)); nfail=$((nfail + 1)); echo "not ok $ntest - $*"; }
check() {	# check "description" command...
	d=$1; shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
skip_all() { echo "SKIP: $*"; exit 77; }
finish() {
	echo "$((ntest - nfail)) passed, $nfail failed"
	[ "$nfail" -eq 0 ] || exit 1
	exit 0
}
# A private home for one user: user_env NAME -> sets HOME/XDG dirs in a subshell env string
user_home() {
	mkdir -p "$T/$1/config" "$T/$1/data"
	chmod 700 "$T/$1"
	echo "$T/$1"
}
as_user() {	# as_user NAME command...
	u=$1; shift
	h=$(user_home "$u")
	HOME=$h XDG_CONFIG_HOME=$h/config XDG_DATA_HOME=$h/data E2CALL_HOME= "$@"
}
# In the background: `as_user_bg NAME command... &` makes $! the command's
# own PID (the function's subshell is replaced), so cleanup can kill it.
as_user_bg() {
	u=$1; shift
	h=$(user_home "$u")
	HOME=$h XDG_CONFIG_HOME=$h/config XDG_DATA_HOME=$h/data E2CALL_HOME= \
	    exec "$@"
}
# A free TCP+UDP port on loopback
free_port() {
	python3 - <<'PY'
import socket
for _ in range(100):
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); u.close(); t.close(); print(p); break
    except OSError:
        t.close(); u.close()
PY
}
# wait_for FILE PATTERN [SECONDS]: wait until FILE has a line matching PATTERN
wait_for() {
	f=$1 pat=$2 n=$((${3:-10} * 10))
	while [ "$n" -gt 0 ]; do
		grep -q -- "$pat" "$f" 2>/dev/null && return 0
		sleep 0.1; n=$((n - 1))
	done
	echo "# timeout waiting for /$pat/ in $f:"; sed 's/^/#   /' "$f" 2>/dev/null | tail -n 20
	return 1
}

# start_server [serve options]: starts `e2call serve` on a free loopback
# port; sets SERVER (host:port) and SERVER_PID.
start_server() {
	port=$(free_port)
	SERVER=127.0.0.1:$port
	mkdir -p "$T/server"
	"$E2CALL" serve --listen "$SERVER" --db "$T/server/server.db" "$@" \
		>"$T/server/out" 2>"$T/server/log" &
	SERVER_PID=$!
	PIDS="$PIDS $SERVER_PID"
	wait_for "$T/server/log" "listening" 10
}
# configure USER: writes the user's config (server, name).
configure() {
	h=$(user_home "$1")
	mkdir -p "$h/config/e2call"
	chmod 700 "$h/config/e2call"
	printf 'server = %s\nname = %s\n' "${SERVER:-127.0.0.1:1}" "$1" \
		>"$h/config/e2call/config"
}
# json_field FILE EVENT FIELD: the field of the first such event line.
json_field() {
	sed -n "/\"event\":\"$2\"/{s/.*\"$3\":\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p;q}" "$1"
}
