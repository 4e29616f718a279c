/*
 * e2call.c - main: the subcommand table, --help, --version, help CMD.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <sodium.h>

#include "e2call.h"

static int	cmd_help(int, char **);

static const struct cmd cmds[] = {
	{ "id", cmd_id, "[--rotate]",
	  "create my identity key on first use; print its public key and fingerprint",
	  "  --rotate   move to a new key; the old one is kept as identity.previous,\n"
	  "             calls prove the move to peers and the next registration\n"
	  "             moves my name on the server\n" },
	{ "serve", cmd_serve, "[--listen HOST:PORT] [--db PATH] [limits]",
	  "run a signaling server (and STUN responder and media relay on UDP)",
	  "  --listen HOST:PORT      address to listen on (default 127.0.0.1:7350)\n"
	  "  --db PATH               registration database; the server key is kept\n"
	  "                          next to it (default $XDG_DATA_HOME/e2call/)\n"
	  "  --max-conns N           connections in total (default 20000)\n"
	  "  --max-per-addr N        per IPv4 address or IPv6 /64 (default 64)\n"
	  "  --hs-rate N             new connections per second per address\n"
	  "                          (default 20, burst 64; 0 = no limit)\n"
	  "  --handshake-timeout S   to finish the Noise handshake (default 10)\n"
	  "  --idle-timeout S        close a silent connection (default 90; 0 = never)\n"
	  "  --ring-timeout S        unanswered calls expire (default 120)\n"
	  "  --max-relays N          calls relayed at once (default 1000; 0 = none)\n"
	  "  --relay-pps N           relayed packets per second per leg (default 250)\n"
	  "  --relay-kbps N          relayed kbit/s per leg (default 512)\n"
	  "  --relay-idle S          end a relay silent this long (default 30)\n"
	  "  --relay-per-key N       relay legs one key may hold at once (default 8)\n"
	  "  --relay-per-addr N      and one IPv4 address or IPv6 /64 (default 32)\n"
	  "  --stun-rate N           STUN answers per second, all senders (default 2000)\n"
	  "  --stun-prefix-rate N    and per IPv4 /24 or IPv6 /56 (default 100;\n"
	  "                          0 = no per-prefix limit)\n"
	  "  --max-names N           names one key may own (default 8; 0 = any)\n"
	  "  --reg-per-key N         registrations of names a key does not own,\n"
	  "                          an hour per key (default 10; 0 = no limit)\n"
	  "  --reg-per-addr N        and per IPv4 address or IPv6 /64 (default 30)\n"
	  "  --name-expiry DURATION  release a name its owner left unused this long\n"
	  "                          (default 180d; also h, m, s; 0 = never)\n"
	  "  --dial-per-key N        calls a key may dial a minute (default 20;\n"
	  "                          0 = no limit)\n"
	  "  --dial-per-addr N       and an IPv4 address or IPv6 /64 (default 60)\n"
	  "  --log-level LEVEL       error, warn, info (default: no names, call ids\n"
	  "                          or byte counts) or debug (every connection,\n"
	  "                          name, call and relay; for debugging)\n"
	  "  -v                      the same as --log-level debug\n" },
	{ "register", cmd_register, "NAME [--server HOST:PORT]",
	  "register NAME for my key on the server and save it in the config",
	  NULL },
	{ "listen", cmd_listen, "[--batch] [--auto-answer] [--direct] [--listen HOST:PORT] [call options]",
	  "register and wait for calls",
	  call_options_help },
	{ "dial", cmd_dial, "NAME | NAME@HOST:PORT [--batch] [call options]",
	  "call NAME through the server, or a direct listener at HOST:PORT",
	  call_options_help },
	{ "echo", cmd_echo, "[--direct] [--listen HOST:PORT] [call options]",
	  "answer every call and play back what the caller says",
	  call_options_help },
	{ "contacts", cmd_contacts, "",
	  "list known peers: where each name lives, key fingerprint, status",
	  NULL },
	{ "verify", cmd_verify, "NAME [--server HOST:PORT | --caller]",
	  "mark NAME's current key as verified (after comparing the code)",
	  pick_options_help },
	{ "unverify", cmd_unverify, "NAME [--server HOST:PORT | --caller]",
	  "remove the verified mark from NAME", pick_options_help },
	{ "forget", cmd_forget, "NAME [--server HOST:PORT | --caller]",
	  "remove NAME's pinned key, so the next call pins the key it brings",
	  pick_options_help },
	{ "devices", cmd_devices, "",
	  "list ALSA capture and playback devices", NULL },
	{ "help", cmd_help, "[COMMAND]", "show help for a command", NULL },
};

const struct cmd *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

int
usage_error(const char *cmd, const char *fmt, ...)
{
	const struct cmd *c = cmd != NULL ? cmd_find(cmd) : NULL;
	va_list ap;

	fputs("e2call: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (c != NULL)
		fprintf(stderr, "usage: e2call %s %s (see: e2call help %s)\n",
		    c->name, c->usage, c->name);
	else
		fputs("usage: e2call COMMAND [ARGS] (see: e2call --help)\n",
		    stderr);
	return EXIT_USAGE;
}

static void
print_usage(FILE *f)
{
	size_t i;

	fputs("usage: e2call COMMAND [ARGS]\n\n"
	    "End-to-end encrypted voice calls from a terminal.\n\n"
	    "Commands:\n", f);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fputs("\nOptions:\n"
	    "  -h, --help     show this help\n"
	    "  -V, --version  show the version and the libraries built with\n"
	    "\nSee e2call(1) for files, exit status and the call screen.\n", f);
}

static void
print_cmd_help(const struct cmd *c)
{
	printf("usage: e2call %s %s\n\n%s\n", c->name, c->usage, c->summary);
	if (c->help != NULL)
		printf("\nOptions:\n%s", c->help);
}

static int
cmd_help(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 2) {
		print_usage(stdout);
		return 0;
	}
	if ((c = cmd_find(argv[1])) == NULL)
		return usage_error(NULL, "no such command: %s", argv[1]);
	print_cmd_help(c);
	return 0;
}

int
main(int argc, char **argv)
{
	const struct cmd *c;
	int i;

	/* Keys live in this process's memory: never write it to a core file. */
	{
		struct rlimit rl = { 0, 0 };
		(void)setrlimit(RLIMIT_CORE, &rl);
	}
	if (sodium_init() < 0) {
		fputs("e2call: libsodium failed to initialize\n", stderr);
		return EXIT_ERROR;
	}
	if (argc < 2) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		print_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("e2call %s\nbuilt with %s\n", PACKAGE_VERSION,
		    E2_BUILD_LIBS);
		return 0;
	}
	if ((c = cmd_find(argv[1])) == NULL)
		return usage_error(NULL, "unknown command: %s", argv[1]);
#ifdef __linux__
	/*
	 * A client holds my private key and the call's keys: like ssh-agent,
	 * no core dump even if the limit is raised again, and no ptrace or
	 * /proc/PID/mem by other processes of the same user.  (The server is
	 * left debuggable for its operator; its core limit is 0 as well.)
	 */
	if (c->fn != cmd_serve)
		(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			print_cmd_help(c);
			return 0;
		}
	}
	return c->fn(argc - 1, argv + 1);
}
