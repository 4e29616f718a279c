#!/bin/sh
# The pure core must not touch sockets, clocks, stdio, the terminal or the
# event loop: it takes bytes and time in and gives bytes out.
. "$top_srcdir/tests/lib.sh"
core="$top_srcdir/src/core"
bad='#include *<(uv|alsa/|ncurses|curses|sys/socket|netinet/|arpa/|time|stdio|unistd|fcntl|sndfile|sqlite3)|\b(printf|fprintf|puts|fopen|time|clock_gettime|gettimeofday|socket|sendto|recvfrom|read|write|sleep|usleep|getenv|exit|abort)\s*\('
# Comment lines (starting with /*, * or //) may name such things.
if grep -nE "$bad" "$core"/*.c "$core"/*.h |
    grep -vE '^[^:]*:[0-9]+:[[:space:]]*(/\*|\*|//)' | grep -v 'snprintf'; then
	not_ok "src/core uses I/O, clocks or process control (lines above)"
else
	ok "src/core has no I/O, clocks or process control"
fi
finish
