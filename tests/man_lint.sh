#!/bin/sh
# The man page is clean under mandoc -Tlint.
. "$top_srcdir/tests/lib.sh"
command -v mandoc >/dev/null || skip_all "mandoc not installed"
out=$(mandoc -Tlint -W warning "$top_srcdir/man/e2call.1" 2>&1)
if [ -z "$out" ]; then ok "mandoc -Tlint clean"; else echo "$out"; not_ok "mandoc -Tlint"; fi
finish
