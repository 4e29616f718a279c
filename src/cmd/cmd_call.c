/*
 * cmd_call.c - the commands that make or take calls: dial, listen, echo,
 * register.  They share one option table and one run loop: load the
 * config, make the view (TUI or batch), make the client, run the loop.
 */
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "batch.h"
#include "client.h"
#include "config_file.h"
#include "e2call.h"
#include "err.h"
#include "log.h"
#include "paths.h"
#include "sigmsg.h"
#include "ui.h"

enum opt_id {
	O_BATCH = 256, O_AUTO_ANSWER, O_ACCEPT_CHANGED, O_DIRECT, O_LISTEN,
	O_SERVER, O_NAME, O_TIMEOUT, O_RING_TIMEOUT, O_AUDIO, O_CAPTURE,
	O_PLAYBACK, O_PLAY, O_RECORD, O_FRAME_MS, O_BITRATE, O_VBR, O_DTX,
	O_ASCII, O_ONCE, O_HANGUP_EOF, O_VERBOSE, O_DIAL_DELAY, O_DUMP_OPUS, O_CANDIDATE, O_COMPLEXITY,
	O_STUN, O_RELAY_ONLY,
};

static const struct option call_options[] = {
	{ "batch", no_argument, NULL, O_BATCH },
	{ "auto-answer", no_argument, NULL, O_AUTO_ANSWER },
	{ "accept-changed-key", no_argument, NULL, O_ACCEPT_CHANGED },
	{ "direct", no_argument, NULL, O_DIRECT },
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "server", required_argument, NULL, O_SERVER },
	{ "name", required_argument, NULL, O_NAME },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "ring-timeout", required_argument, NULL, O_RING_TIMEOUT },
	{ "audio", required_argument, NULL, O_AUDIO },
	{ "capture", required_argument, NULL, O_CAPTURE },
	{ "playback", required_argument, NULL, O_PLAYBACK },
	{ "play", required_argument, NULL, O_PLAY },
	{ "record", required_argument, NULL, O_RECORD },
	{ "frame-ms", required_argument, NULL, O_FRAME_MS },
	{ "bitrate", required_argument, NULL, O_BITRATE },
	{ "vbr", no_argument, NULL, O_VBR },
	{ "dtx", no_argument, NULL, O_DTX },
	{ "ascii", no_argument, NULL, O_ASCII },
	{ "once", no_argument, NULL, O_ONCE },
	{ "hangup-on-eof", no_argument, NULL, O_HANGUP_EOF },
	{ "verbose", no_argument, NULL, O_VERBOSE },
	{ "dial-delay", required_argument, NULL, O_DIAL_DELAY },
	{ "dump-opus", required_argument, NULL, O_DUMP_OPUS },
	{ "candidate", required_argument, NULL, O_CANDIDATE },
	{ "complexity", required_argument, NULL, O_COMPLEXITY },
	{ "stun", required_argument, NULL, O_STUN },
	{ "relay-only", no_argument, NULL, O_RELAY_ONLY },
	{ NULL, 0, NULL, 0 },
};

const char call_options_help[] =
    "  --batch               no screen: JSON events on stdout, commands on stdin\n"
    "  --auto-answer         answer incoming calls (listen)\n"
    "  --accept-changed-key  proceed when a peer's key changed (batch)\n"
    "  --once                listen: exit after the first call\n"
    "  --timeout SEC         hang up after SEC seconds in the call\n"
    "  --ring-timeout SEC    give up when nobody answers (default 45)\n"
    "  --hangup-on-eof       hang up when the --play file has been sent\n"
    "  --direct              listen: take calls directly, no server\n"
    "  --listen HOST:PORT    direct listener address (default 0.0.0.0:7351)\n"
    "  --server HOST:PORT    signaling server (default: config `server`)\n"
    "  --name NAME           my name (default: config `name`)\n"
    "  --audio alsa|file|null  audio backend (default: config, else alsa)\n"
    "  --capture DEV         ALSA capture device (default \"default\")\n"
    "  --playback DEV        ALSA playback device (default \"default\")\n"
    "  --play FILE           file backend: WAV file as the microphone\n"
    "  --record FILE         file backend: WAV file as the speaker\n"
    "  --frame-ms 10|20      Opus frame length (default 20)\n"
    "  --bitrate BPS         Opus bitrate (default 24000)\n"
    "  --complexity 1..10    Opus encoder effort (default 9; 5 halves its CPU)\n"
    "  --vbr                 variable bitrate: packet sizes then leak speech\n"
    "  --dtx                 send nothing during silence (leaks pauses)\n"
    "  --ascii               draw [E2EE] instead of the lock glyph\n"
    "  --verbose             debug messages on stderr\n"
    "  --candidate HOST:PORT advertise only this media address (a port\n"
    "                        forward to this host's media port)\n"
    "  --stun HOST:PORT      STUN server for my public address (default:\n"
    "                        config `stun`, else the server; none: no STUN)\n"
    "  --relay-only          media only through the server's relay: the peer\n"
    "                        never learns my addresses\n"
    "  --dial-delay MS       dial MS milliseconds after registering\n"
    "  --dump-opus FILE      append every Opus frame sent to FILE (diagnostics:\n"
    "                        lets a test search captured datagrams for them)\n";

enum call_cmd { CMD_DIAL, CMD_LISTEN, CMD_ECHO, CMD_REGISTER };

struct run {
	struct client_opts	 o;
	struct config		 cfg;
	int			 ascii;
	char			 server_buf[300];
	struct batch		*batch;
	struct ui		*ui;
	uv_signal_t		 sigint, sigterm;
	struct client		*cl;
	int			 register_only;
	int			 registered;	/* register: the server said yes */
};

static int
parse_uint(const char *cmd, const char *opt, const char *s, unsigned lo,
    unsigned hi, unsigned *vp)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi)
		return usage_error(cmd, "--%s: expected a number from %u to %u, "
		    "got '%s'", opt, lo, hi, s);
	*vp = (unsigned)v;
	return 0;
}

static int
parse_args(struct run *r, const char *cmd, int argc, char **argv)
{
	struct client_opts *o = &r->o;
	unsigned v;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", call_options, NULL)) != -1) {
		switch (c) {
		case O_BATCH: o->batch = 1; break;
		case O_AUTO_ANSWER: o->auto_answer = 1; break;
		case O_ACCEPT_CHANGED: o->accept_changed_key = 1; break;
		case O_DIRECT: o->direct_listen = 1; break;
		case O_LISTEN: o->listen_addr = optarg; break;
		case O_SERVER: o->server = optarg; break;
		case O_NAME: o->name = optarg; break;
		case O_TIMEOUT:
			if (parse_uint(cmd, "timeout", optarg, 1, 86400, &v))
				return EXIT_USAGE;
			o->timeout_s = v;
			break;
		case O_RING_TIMEOUT:
			if (parse_uint(cmd, "ring-timeout", optarg, 1, 600, &v))
				return EXIT_USAGE;
			o->ring_timeout_s = v;
			break;
		case O_AUDIO:
			if (strcmp(optarg, "alsa") != 0 &&
			    strcmp(optarg, "file") != 0 &&
			    strcmp(optarg, "null") != 0)
				return usage_error(cmd, "--audio: expected "
				    "alsa, file or null, got '%s'", optarg);
			o->audio = optarg;
			break;
		case O_CAPTURE: o->capture_dev = optarg; break;
		case O_PLAYBACK: o->playback_dev = optarg; break;
		case O_PLAY: o->play_file = optarg; break;
		case O_RECORD: o->record_file = optarg; break;
		case O_FRAME_MS:
			if (strcmp(optarg, "10") != 0 &&
			    strcmp(optarg, "20") != 0)
				return usage_error(cmd, "--frame-ms: expected "
				    "10 or 20, got '%s'", optarg);
			o->frame_ms = (unsigned)atoi(optarg);
			break;
		case O_BITRATE:
			if (parse_uint(cmd, "bitrate", optarg, 6000, 128000,
			    &v))
				return EXIT_USAGE;
			o->bitrate = v;
			break;
		case O_VBR: o->vbr = 1; break;
		case O_DTX: o->dtx = 1; break;
		case O_ASCII: r->ascii = 1; break;
		case O_ONCE: o->once = 1; break;
		case O_HANGUP_EOF: o->hangup_on_eof = 1; break;
		case O_VERBOSE: log_set_level(LOG_DEBUG); break;
		case O_DUMP_OPUS: o->dump_opus = optarg; break;
		case O_CANDIDATE: o->advertise = optarg; break;
		case O_COMPLEXITY:
			if (parse_uint(cmd, "complexity", optarg, 1, 10, &v))
				return EXIT_USAGE;
			o->complexity = v;
			break;
		case O_STUN: o->stun = optarg; break;
		case O_RELAY_ONLY: o->relay_only = 1; break;
		case O_DIAL_DELAY:
			if (parse_uint(cmd, "dial-delay", optarg, 0, 600000,
			    &v))
				return EXIT_USAGE;
			o->dial_delay_ms = v;
			break;
		default:
			return usage_error(cmd, "unknown or incomplete option "
			    "'%s'", argv[optind - 1]);
		}
	}
	return 0;
}

/* Fills what the command line left open from the config file. */
static int
apply_config(struct run *r, const char *cmd)
{
	struct client_opts *o = &r->o;
	char path[4096], err[600];

	if (paths_config_file("config", path, sizeof(path), err,
	    sizeof(err)) != 0 ||
	    config_load(path, &r->cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "e2call: %s\n", err);
		return EXIT_ERROR;
	}
	if (o->server == NULL && r->cfg.server[0] != '\0')
		o->server = r->cfg.server;
	if (o->name == NULL && r->cfg.name[0] != '\0')
		o->name = r->cfg.name;
	if (o->audio == NULL)
		o->audio = r->cfg.audio;
	if (o->capture_dev == NULL)
		o->capture_dev = r->cfg.capture;
	if (o->playback_dev == NULL)
		o->playback_dev = r->cfg.playback;
	if (o->frame_ms == 0)
		o->frame_ms = r->cfg.frame_ms;
	if (o->bitrate == 0)
		o->bitrate = r->cfg.bitrate;
	if (o->ring_timeout_s == 0)
		o->ring_timeout_s = r->cfg.ring_timeout;
	if (o->stun == NULL && r->cfg.stun[0] != '\0')
		o->stun = r->cfg.stun;
	if (r->cfg.relay_only)
		o->relay_only = 1;
	if ((o->play_file != NULL || o->record_file != NULL) &&
	    strcmp(o->audio, "file") != 0) {
		if (o->audio == r->cfg.audio)
			o->audio = "file";	/* --play/--record imply it */
		else
			return usage_error(cmd, "--play and --record need "
			    "--audio file");
	}
	if (o->name != NULL && !sigmsg_name_ok(o->name))
		return usage_error(cmd, "bad name '%s': 1 to 32 characters of "
		    "a-z 0-9 . _ -, starting with a letter or digit", o->name);
	return 0;
}

static void
on_signal(uv_signal_t *s, int signum)
{
	struct run *r = s->data;

	(void)signum;
	if (r->cl != NULL)
		client_quit(r->cl);
}

static const struct view_ops register_view_ops;

static void
register_event(void *arg, const struct cl_event *ev)
{
	struct run *r = arg;
	const struct cl_model *m = client_model(r->cl);

	if (ev->kind == CL_EV_REGISTERED) {
		r->registered = 1;
		printf("registered '%s' on %s\n", m->my_name, m->server);
		client_quit(r->cl);
	} else if (ev->kind == CL_EV_ERROR) {
		fprintf(stderr, "e2call: %s\n", ev->text);
	} else if (ev->kind == CL_EV_LOG) {
		fprintf(stderr, "e2call: %s\n", ev->text);
	}
}

static void
register_changed(void *arg)
{
	(void)arg;
}

static const struct view_ops register_view_ops = {
	register_event, register_changed,
};

static void
close_walk_cb(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static int
run_client(struct run *r, const char *cmd)
{
	const struct view_ops *ops;
	void *view_arg;
	uv_loop_t loop;
	char err[600];
	int status, rc;

	uv_loop_init(&loop);
	if (r->register_only) {
		ops = &register_view_ops;
		view_arg = r;
	} else if (r->o.batch) {
		if (batch_new(&r->batch, &loop) != 0) {
			fprintf(stderr, "e2call: out of memory\n");
			return EXIT_ERROR;
		}
		ops = &batch_view_ops;
		view_arg = r->batch;
	} else {
		setlocale(LC_ALL, "");
		if (ui_new(&r->ui, &loop, r->ascii, err, sizeof(err)) != 0) {
			fprintf(stderr, "e2call: %s\n", err);
			return EXIT_ERROR;
		}
		ops = &ui_view_ops;
		view_arg = r->ui;
	}
	rc = client_new(&r->cl, &loop, &r->o, ops, view_arg, err, sizeof(err));
	if (r->batch != NULL)
		batch_attach(r->batch, r->cl);
	if (r->ui != NULL && r->cl != NULL)
		ui_attach(r->ui, r->cl);
	if (rc != 0) {
		if (r->ui != NULL)
			ui_free(r->ui);
		r->ui = NULL;
		if (r->batch != NULL) {
			printf("{\"event\":\"error\",\"text\":\"");
			fputs(err, stdout);	/* local text, no quotes */
			printf("\"}\n");
		}
		fprintf(stderr, "e2call: %s\n", err);
		if (r->cl != NULL)
			client_quit(r->cl);
		status = rc == E2_ERR_MALFORMED ? EXIT_USAGE : EXIT_ERROR;
		if (r->cl == NULL) {
			uv_walk(&loop, close_walk_cb, NULL);
			uv_run(&loop, UV_RUN_DEFAULT);
			uv_loop_close(&loop);
			return status;
		}
	}
	uv_signal_init(&loop, &r->sigint);
	uv_signal_init(&loop, &r->sigterm);
	r->sigint.data = r->sigterm.data = r;
	if (r->ui == NULL)
		uv_signal_start(&r->sigint, on_signal, SIGINT);
	uv_signal_start(&r->sigterm, on_signal, SIGTERM);
	uv_unref((uv_handle_t *)&r->sigint);
	uv_unref((uv_handle_t *)&r->sigterm);

	uv_run(&loop, UV_RUN_DEFAULT);

	status = rc != 0 ? EXIT_ERROR : client_exit_status(r->cl);
	if (r->ui != NULL)
		ui_free(r->ui);
	if (r->batch != NULL)
		batch_close(r->batch);
	uv_close((uv_handle_t *)&r->sigint, NULL);
	uv_close((uv_handle_t *)&r->sigterm, NULL);
	uv_walk(&loop, close_walk_cb, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	client_free(r->cl);
	batch_free(r->batch);
	return status;
}

static int
call_main(enum call_cmd which, const char *cmd, int argc, char **argv)
{
	struct run r;
	const char *target = NULL, *at;
	int rc;

	memset(&r, 0, sizeof(r));
	config_defaults(&r.cfg);
	if ((rc = parse_args(&r, cmd, argc, argv)) != 0)
		return rc;
	if ((rc = apply_config(&r, cmd)) != 0)
		return rc;
	switch (which) {
	case CMD_DIAL:
		if (optind != argc - 1)
			return usage_error(cmd, "expected one NAME to call");
		target = argv[optind];
		if ((at = strchr(target, '@')) != NULL) {
			/* NAME@HOST:PORT: straight to a direct listener. */
			snprintf(r.server_buf, sizeof(r.server_buf), "%s",
			    at + 1);
			r.o.server = r.server_buf;
			r.o.direct = 1;
			snprintf(r.o.dial_name, sizeof(r.o.dial_name), "%.*s",
			    (int)(at - target), target);
		} else {
			snprintf(r.o.dial_name, sizeof(r.o.dial_name), "%s",
			    target);
		}
		if (!sigmsg_name_ok(r.o.dial_name))
			return usage_error(cmd, "bad name to call: '%s'",
			    r.o.dial_name);
		if (r.o.direct_listen)
			return usage_error(cmd, "--direct is for listen; "
			    "dial NAME@HOST:PORT instead");
		if (r.o.name == NULL)
			r.o.name = "anonymous";
		break;
	case CMD_REGISTER:
		if (optind != argc - 1)
			return usage_error(cmd, "expected one NAME");
		r.o.name = argv[optind];
		if (!sigmsg_name_ok(r.o.name))
			return usage_error(cmd, "bad name '%s': 1 to 32 "
			    "characters of a-z 0-9 . _ -, starting with a "
			    "letter or digit", r.o.name);
		r.register_only = 1;
		break;
	case CMD_ECHO:
		r.o.echo = 1;
		r.o.auto_answer = 1;
		r.o.accept_changed_key = 1;
		if (!r.o.batch && r.ui == NULL)
			r.o.batch = 1;	/* a bot: no screen */
		if (r.o.audio == r.cfg.audio)
			r.o.audio = "null";
		/* FALLTHROUGH */
	case CMD_LISTEN:
		if (optind != argc)
			return usage_error(cmd, "unexpected argument '%s'",
			    argv[optind]);
		r.o.listen_mode = 1;
		if (r.o.direct_listen && r.o.listen_addr == NULL)
			r.o.listen_addr = "0.0.0.0:7351";
		if (r.o.name == NULL)
			return usage_error(cmd, "no name: set `name` in the "
			    "config file or use --name NAME");
		break;
	}
	if (!r.o.direct_listen && r.o.server == NULL)
		return usage_error(cmd, "no server: set `server` in the config "
		    "file or use --server HOST:PORT");
	if (which == CMD_REGISTER) {
		char path[4096], err[600];

		rc = run_client(&r, cmd);
		if (r.registered)
			rc = 0;
		if (rc == 0 && (paths_config_file("config", path, sizeof(path),
		    err, sizeof(err)) != 0 ||
		    config_save_value(path, "name", r.o.name, err,
		    sizeof(err)) != 0 ||
		    config_save_value(path, "server", r.o.server, err,
		    sizeof(err)) != 0)) {
			fprintf(stderr, "e2call: %s\n", err);
			return EXIT_ERROR;
		}
		return rc;
	}
	return run_client(&r, cmd);
}

int
cmd_dial(int argc, char **argv)
{
	return call_main(CMD_DIAL, "dial", argc, argv);
}

int
cmd_listen(int argc, char **argv)
{
	return call_main(CMD_LISTEN, "listen", argc, argv);
}

int
cmd_echo(int argc, char **argv)
{
	return call_main(CMD_ECHO, "echo", argc, argv);
}

int
cmd_register(int argc, char **argv)
{
	return call_main(CMD_REGISTER, "register", argc, argv);
}
