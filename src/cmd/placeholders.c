/* Weak stand-ins so the program links while commands are being written. */
#include <stdio.h>
#include "e2call.h"
#define PLACEHOLDER(fn) \
	int __attribute__((weak)) fn(int argc, char **argv) \
	{ (void)argc; fprintf(stderr, "e2call: %s: not available in this build\n", argv[0]); return EXIT_ERROR; }
PLACEHOLDER(cmd_id)
PLACEHOLDER(cmd_contacts)
PLACEHOLDER(cmd_verify)
PLACEHOLDER(cmd_unverify)
PLACEHOLDER(cmd_serve)
PLACEHOLDER(cmd_register)
PLACEHOLDER(cmd_listen)
PLACEHOLDER(cmd_dial)
PLACEHOLDER(cmd_echo)
PLACEHOLDER(cmd_devices)
