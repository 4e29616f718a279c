/*
 * batch.c - the scripted view; see batch.h.
 *
 * Events (stdout, one JSON object per line, flushed):
 *   {"event":"registered","name":...}
 *   {"event":"dialing","peer":...}
 *   {"event":"ringing","peer":...,"key":...}
 *   {"event":"incoming","peer":...,"key":...,"fingerprint":...[,"known_as":...]}
 *   {"event":"key_changed","peer":...,"old_fingerprint":...,"fingerprint":...,"verified":bool,"signed_by_old_key":bool}
 *   {"event":"security_code","code":"01234 56789 01234 56789"}
 *   {"event":"answered","peer":...}
 *   {"event":"media","path":...}
 *   {"event":"stats",...}
 *   {"event":"hold","text":...}   {"event":"mute","muted":bool}
 *   {"event":"verified","peer":...}
 *   {"event":"ended","reason":...,"by":"peer"|"server"|"local",...}
 *	("peer": sealed by the peer; "server": an end the peer did not
 *	seal, so only the server's word; "note": why a key refused the
 *	call and what to do, when it did)
 *   {"event":"error","text":...}  {"event":"log","text":...}
 *   {"event":"audio_clock","capture_start_ns":...,"playback_start_ns":...}
 * Commands (stdin lines): answer, reject, hangup, mute, unmute, code,
 * stats, verify, quit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "log.h"

struct batch {
	uv_loop_t	*loop;
	struct client	*cl;
	uv_pipe_t	 in_pipe;
	uv_tty_t	 in_tty;
	uv_stream_t	*in;
	char		 line[512];
	size_t		 len;
	int		 closing;
	char		 rbuf[512];
};

/* Writes s as a JSON string (s is sanitized already; escape anyway). */
static void
jstr(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	for (; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void
kv(const char *k, const char *v)
{
	printf(",\"%s\":", k);
	jstr(v);
}

static void
stats_fields(const struct cl_stats *s)
{
	printf(",\"rtt_ms\":%u,\"loss_pm\":%u,\"peer_loss_pm\":%u,"
	    "\"jitter_ms\":%u,\"delay_ms\":%u,\"tx_kbps\":%u,\"rx_kbps\":%u,"
	    "\"tx_packets\":%llu,\"rx_packets\":%llu,\"concealed\":%llu,"
	    "\"fec\":%llu,\"late\":%llu,\"bad\":%llu,\"replayed\":%llu,"
	    "\"xruns\":%llu,\"played\":%llu,\"dropped\":%llu,"
	    "\"inserted\":%llu,\"empty\":%llu",
	    s->rtt_ms, s->loss_pm, s->peer_loss_pm, s->jitter_ms, s->delay_ms,
	    s->tx_kbps, s->rx_kbps, (unsigned long long)s->tx_packets,
	    (unsigned long long)s->rx_packets,
	    (unsigned long long)s->concealed, (unsigned long long)s->fec,
	    (unsigned long long)s->late, (unsigned long long)s->bad,
	    (unsigned long long)s->replayed, (unsigned long long)s->xruns,
	    (unsigned long long)s->played, (unsigned long long)s->dropped,
	    (unsigned long long)s->inserted, (unsigned long long)s->empty);
	printf(",\"cands\":%u,\"peer_cands\":%u,\"checks\":%u,"
	    "\"checks_ok\":%u,\"path_changes\":%u,\"recoveries\":%u,"
	    "\"relay\":%u", s->cands, s->peer_cands, s->checks_sent,
	    s->checks_ok, s->path_changes, s->recoveries, s->relay);
}

static void
batch_event(void *arg, const struct cl_event *ev)
{
	struct batch *b = arg;
	const struct cl_model *m;
	char addr[sizeof(m->path)], *sp;

	if (b->cl == NULL)
		return;
	m = client_model(b->cl);
	switch (ev->kind) {
	case CL_EV_REGISTERED:
		printf("{\"event\":\"registered\"");
		kv("name", m->my_name);
		break;
	case CL_EV_DIALING:
		printf("{\"event\":\"dialing\"");
		kv("peer", m->peer);
		break;
	case CL_EV_RINGING:
		printf("{\"event\":\"ringing\"");
		kv("peer", m->peer);
		kv("key", key_status_name(m->peer_key));
		kv("fingerprint", m->peer_fp);
		break;
	case CL_EV_INCOMING:
		printf("{\"event\":\"incoming\"");
		kv("peer", m->peer);
		kv("key", key_status_name(m->peer_key));
		kv("fingerprint", m->peer_fp);
		if (m->known_as[0] != '\0')
			kv("known_as", m->known_as);
		break;
	case CL_EV_KEY_CHANGED:
		printf("{\"event\":\"key_changed\"");
		kv("peer", m->peer);
		kv("old_fingerprint", m->old_fp);
		kv("fingerprint", m->peer_fp);
		printf(",\"verified\":%s",
		    m->peer_key == KEY_CHANGED_VERIFIED ? "true" : "false");
		printf(",\"signed_by_old_key\":%s",
		    m->peer_moved ? "true" : "false");
		break;
	case CL_EV_ANSWERED:
		printf("{\"event\":\"answered\"");
		kv("peer", m->peer);
		printf(",\"e2ee\":%s", m->e2ee ? "true" : "false");
		break;
	case CL_EV_SECURITY_CODE:
		printf("{\"event\":\"security_code\"");
		kv("code", m->code);
		break;
	case CL_EV_MEDIA:
		/* "path" is the address alone; people see "ADDR (kind)" */
		snprintf(addr, sizeof(addr), "%s", m->path);
		if ((sp = strstr(addr, " (")) != NULL)
			*sp = '\0';
		printf("{\"event\":\"media\"");
		kv("path", addr);
		kv("kind", m->path_kind);
		printf(",\"ms\":%u", m->stats.path_ms);
		break;
	case CL_EV_STATS:
		printf("{\"event\":\"stats\"");
		stats_fields(&m->stats);
		break;
	case CL_EV_HOLD:
		printf("{\"event\":\"hold\",\"on\":%s",
		    m->state == CL_ON_HOLD ? "true" : "false");
		kv("text", ev->text != NULL ? ev->text : "");
		break;
	case CL_EV_MUTE:
		printf("{\"event\":\"mute\",\"muted\":%s",
		    m->muted ? "true" : "false");
		break;
	case CL_EV_VERIFIED:
		printf("{\"event\":\"verified\"");
		kv("peer", m->peer);
		break;
	case CL_EV_ENDED:
		printf("{\"event\":\"stats\",\"final\":true");
		stats_fields(&m->stats);
		printf("}\n{\"event\":\"ended\"");
		kv("reason", sig_reason_name(m->end_reason));
		kv("by", m->end_by == CL_END_PEER ? "peer" :
		    m->end_by == CL_END_SERVER ? "server" : "local");
		kv("peer", m->peer);
		printf(",\"duration_s\":%.1f", m->call_start_ms == 0 ? 0.0 :
		    (double)(m->now_ms > m->call_start_ms ?
		    m->now_ms - m->call_start_ms : 0) / 1000.0);
		if (m->end_note[0] != '\0')
			kv("note", m->end_note);
		break;
	case CL_EV_ERROR:
		printf("{\"event\":\"error\"");
		kv("text", ev->text != NULL ? ev->text : "");
		break;
	case CL_EV_LOG:
		printf("{\"event\":\"log\"");
		kv("text", ev->text != NULL ? ev->text : "");
		break;
	case CL_EV_AUDIO_CLOCK:
		printf("{\"event\":\"audio_clock\",\"capture_start_ns\":%llu,"
		    "\"playback_start_ns\":%llu",
		    (unsigned long long)m->capture_start_ns,
		    (unsigned long long)m->playback_start_ns);
		break;
	}
	printf("}\n");
	fflush(stdout);
}

static void
batch_changed(void *arg)
{
	(void)arg;
}

const struct view_ops batch_view_ops = { batch_event, batch_changed };

static void
reply(const char *what, const char *text)
{
	printf("{\"event\":\"%s\"", what);
	kv("text", text);
	printf("}\n");
	fflush(stdout);
}

static void
command(struct batch *b, char *line)
{
	const struct cl_model *m = client_model(b->cl);
	size_t n = strlen(line);
	int r = 0;

	while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' '))
		line[--n] = '\0';
	if (n == 0)
		return;
	if (strcmp(line, "answer") == 0)
		r = client_answer(b->cl);
	else if (strcmp(line, "reject") == 0)
		r = client_reject(b->cl);
	else if (strcmp(line, "hangup") == 0)
		r = client_hangup(b->cl);
	else if (strcmp(line, "mute") == 0)
		r = client_set_mute(b->cl, 1);
	else if (strcmp(line, "unmute") == 0)
		r = client_set_mute(b->cl, 0);
	else if (strcmp(line, "verify") == 0)
		r = client_mark_verified(b->cl);
	else if (strcmp(line, "code") == 0) {
		printf("{\"event\":\"security_code\"");
		kv("code", m->code);
		printf("}\n");
		fflush(stdout);
	} else if (strcmp(line, "stats") == 0) {
		printf("{\"event\":\"stats\"");
		stats_fields(&m->stats);
		printf("}\n");
		fflush(stdout);
	} else if (strcmp(line, "quit") == 0)
		client_quit(b->cl);
	else {
		reply("error", "unknown command (answer, reject, hangup, "
		    "mute, unmute, code, stats, verify, quit)");
		return;
	}
	if (r != 0)
		reply("error", "command not possible in this state");
}

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct batch *b = h->data;

	(void)hint;
	*buf = uv_buf_init(b->rbuf, sizeof(b->rbuf));
}

static void
read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct batch *b = s->data;
	ssize_t i;

	if (nread < 0) {
		/* End of input: keep running; the call decides when to end. */
		uv_read_stop(s);
		return;
	}
	for (i = 0; i < nread && b->cl != NULL; i++) {
		char ch = buf->base[i];

		if (ch == '\n') {
			b->line[b->len] = '\0';
			command(b, b->line);
			b->len = 0;
		} else if (b->len < sizeof(b->line) - 1) {
			b->line[b->len++] = ch;
		}
	}
}

int
batch_new(struct batch **bp, uv_loop_t *loop)
{
	struct batch *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -1;
	b->loop = loop;
	switch (uv_guess_handle(STDIN_FILENO)) {
	case UV_NAMED_PIPE:
		uv_pipe_init(loop, &b->in_pipe, 0);
		if (uv_pipe_open(&b->in_pipe, STDIN_FILENO) == 0)
			b->in = (uv_stream_t *)&b->in_pipe;
		else
			uv_close((uv_handle_t *)&b->in_pipe, NULL);
		break;
	case UV_TTY:
		if (uv_tty_init(loop, &b->in_tty, STDIN_FILENO, 0) == 0)
			b->in = (uv_stream_t *)&b->in_tty;
		break;
	default:
		break;	/* a file or /dev/null: no commands */
	}
	if (b->in != NULL) {
		b->in->data = b;
		uv_read_start(b->in, alloc_cb, read_cb);
		/* Commands are welcome, but they do not keep the loop alive. */
		uv_unref((uv_handle_t *)b->in);
	}
	*bp = b;
	return 0;
}

void
batch_attach(struct batch *b, struct client *cl)
{
	b->cl = cl;
}

void
batch_close(struct batch *b)
{
	if (b->in != NULL && !b->closing) {
		b->closing = 1;
		uv_close((uv_handle_t *)b->in, NULL);
	}
}

void
batch_free(struct batch *b)
{
	free(b);
}
