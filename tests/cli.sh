#!/bin/sh
# The command line: help, version, usage errors.
. "$top_srcdir/tests/lib.sh"
check "--help exits 0 and lists commands" sh -c '"$E2CALL" --help | grep -q "dial"'
check "--version names libsodium" sh -c '"$E2CALL" --version | grep -q "libsodium"'
check "help dial" sh -c '"$E2CALL" help dial | grep -q "usage: e2call dial"'
"$E2CALL" frobnicate 2>"$T/err"; rc=$?
check "unknown command exits 2" [ "$rc" -eq 2 ]
check "unknown command gives a one-line hint" grep -q "usage: e2call" "$T/err"
"$E2CALL" 2>/dev/null; rc=$?
check "no command exits 2" [ "$rc" -eq 2 ]
"$E2CALL" help nosuch 2>/dev/null; rc=$?
check "help for an unknown command exits 2" [ "$rc" -eq 2 ]
finish
