/*
 * e2call.h - what the subcommands share: the command table, exit codes,
 * and the options every call-related command understands.
 */
#ifndef E2CALL_H
#define E2CALL_H

#include <stdio.h>

/* Exit status (documented in e2call(1), EXIT STATUS). */
enum e2_exit {
	EXIT_CALL_OK = 0,	/* success / call ended normally */
	EXIT_ERROR = 1,		/* other error (files, config, internal) */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_REJECTED = 3,	/* callee declined */
	EXIT_BUSY = 4,		/* callee was in another call */
	EXIT_OFFLINE = 5,	/* callee not connected */
	EXIT_UNKNOWN = 6,	/* no such name on the server */
	EXIT_NO_ANSWER = 7,	/* nobody answered in time */
	EXIT_NETWORK = 8,	/* server or peer unreachable, connection lost */
	EXIT_KEY_CHANGED = 9,	/* peer or server key changed: refused */
	EXIT_HANDSHAKE = 10,	/* end-to-end handshake failed */
};

struct cmd {
	const char	*name;
	int		(*fn)(int argc, char **argv);
	const char	*usage;		/* one line: "NAME [--opt]" */
	const char	*summary;	/* one line: what it does */
	const char	*help;		/* option list, or NULL */
};

/* Prints "usage: e2call <cmd> <usage>" and a hint to stderr; returns 2. */
int	usage_error(const char *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
const struct cmd *cmd_find(const char *name);

/* The options of dial, listen and echo (cmd_call.c). */
extern const char call_options_help[];
/* The options of verify, unverify and forget (cmd_contacts.c). */
extern const char pick_options_help[];

int	cmd_id(int, char **);
int	cmd_contacts(int, char **);
int	cmd_verify(int, char **);
int	cmd_unverify(int, char **);
int	cmd_forget(int, char **);
int	cmd_serve(int, char **);
int	cmd_register(int, char **);
int	cmd_listen(int, char **);
int	cmd_dial(int, char **);
int	cmd_echo(int, char **);
int	cmd_devices(int, char **);

#endif
