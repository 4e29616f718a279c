/*
 * audio.c - the backend table, dispatch, the pacing clock of the file and
 * null backends, the ALSA device list and `e2call devices`.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <alsa/asoundlib.h>

#include "audio.h"
#include "audio_int.h"
#include "e2call.h"
#include "err.h"

static const struct audio_backend *const backends[] = {
	&audio_backend_alsa,
	&audio_backend_file,
	&audio_backend_null,
};

#define NBACKENDS	(sizeof(backends) / sizeof(backends[0]))

static void	audio_free(struct audio *);

int
audio_error(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static const struct audio_backend *
backend_find(const char *name)
{
	size_t i;

	for (i = 0; i < NBACKENDS; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

/* *dst = a copy of src (NULL stays NULL); 0 or E2_ERR_NOMEM. */
static int
dup_str(const char **dst, const char *src)
{
	if (src != NULL && (*dst = strdup(src)) == NULL)
		return E2_ERR_NOMEM;
	return 0;
}

int
audio_open(struct audio **ap, uv_loop_t *loop, const struct audio_cfg *cfg,
    char *err, size_t errlen)
{
	const struct audio_backend *be;
	struct audio *a;
	int r;

	*ap = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (cfg->backend == NULL)
		return audio_error(err, errlen, E2_ERR_INVAL,
		    "no audio backend given (alsa, file or null)");
	if ((be = backend_find(cfg->backend)) == NULL)
		return audio_error(err, errlen, E2_ERR_INVAL,
		    "unknown audio backend \"%s\" (alsa, file or null)",
		    cfg->backend);
	if (cfg->frame_ms != 10 && cfg->frame_ms != 20)
		return audio_error(err, errlen, E2_ERR_INVAL,
		    "frame size %u ms: must be 10 or 20", cfg->frame_ms);
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return audio_error(err, errlen, E2_ERR_NOMEM, "out of memory");
	a->be = be;
	a->loop = loop;
	a->cfg = *cfg;
	a->cfg.backend = be->name;
	/* Our own copies of the strings, freed by audio_free(). */
	a->cfg.capture_dev = NULL;
	a->cfg.playback_dev = NULL;
	a->cfg.play_file = NULL;
	a->cfg.record_file = NULL;
	if ((r = dup_str(&a->cfg.capture_dev, cfg->capture_dev)) < 0 ||
	    (r = dup_str(&a->cfg.playback_dev, cfg->playback_dev)) < 0 ||
	    (r = dup_str(&a->cfg.play_file, cfg->play_file)) < 0 ||
	    (r = dup_str(&a->cfg.record_file, cfg->record_file)) < 0) {
		audio_free(a);
		return audio_error(err, errlen, r, "out of memory");
	}
	a->frame = (size_t)AUDIO_RATE / 1000 * cfg->frame_ms;
	if ((r = be->open(a, err, errlen)) < 0) {
		audio_close(a);
		return r;
	}
	*ap = a;
	return 0;
}

int
audio_live(const struct audio *a)
{
	return a->running && !a->closing;
}

int
audio_start(struct audio *a)
{
	int r;

	if (a == NULL || a->closing)
		return E2_ERR_STATE;
	if (a->running)
		return 0;
	a->running = 1;
	if ((r = a->be->start(a)) < 0)
		a->running = 0;
	return r;
}

int
audio_stop(struct audio *a)
{
	if (a == NULL || a->closing)
		return E2_ERR_STATE;
	if (!a->running)
		return 0;
	a->running = 0;
	return a->be->stop(a);
}

void
audio_close(struct audio *a)
{
	if (a == NULL || a->closing)
		return;
	if (a->running)
		(void)a->be->stop(a);
	a->running = 0;
	a->closing = 1;
	a->be->close(a);
	if (a->nhandles == 0)
		audio_free(a);
}

static void
audio_free(struct audio *a)
{
	if (a->be->free != NULL)
		a->be->free(a);
	free((char *)a->cfg.capture_dev);
	free((char *)a->cfg.playback_dev);
	free((char *)a->cfg.play_file);
	free((char *)a->cfg.record_file);
	free(a);
}

void
audio_get_stats(const struct audio *a, struct audio_stats *st)
{
	*st = a->st;
}

int
audio_switch(struct audio *a, const char *capture_dev,
    const char *playback_dev, char *err, size_t errlen)
{
	if (a == NULL || a->closing)
		return audio_error(err, errlen, E2_ERR_STATE,
		    "audio is closed");
	if (a->be->switch_dev == NULL)
		return audio_error(err, errlen, E2_ERR_UNSUPPORTED,
		    "the %s audio backend has no devices to switch",
		    a->be->name);
	return a->be->switch_dev(a, capture_dev, playback_dev, err, errlen);
}

/* ---- handle accounting ---- */

void
audio_handle_add(struct audio *a, uv_handle_t *h)
{
	h->data = a;
	a->nhandles++;
}

void
audio_handle_done(struct audio *a)
{
	a->nhandles--;
	if (a->closing && a->nhandles == 0)
		audio_free(a);
}

static void
handle_closed_cb(uv_handle_t *h)
{
	audio_handle_done(h->data);
}

void
audio_handle_close(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, handle_closed_cb);
}

/* ---- the pacing clock (file, null) ---- */

static void	pacer_cb(uv_timer_t *);

void
audio_pacer_init(struct audio *a, struct audio_pacer *p,
    void (*frame_cb)(struct audio *))
{
	uv_timer_init(a->loop, &p->timer);
	audio_handle_add(a, (uv_handle_t *)&p->timer);
	p->a = a;
	p->frame_cb = frame_cb;
	p->t0 = 0;
	p->frames = 0;
}

static void
pacer_schedule(struct audio_pacer *p)
{
	uint64_t now = uv_now(p->a->loop);
	uint64_t due = p->t0 + (p->frames + 1) * p->a->cfg.frame_ms;

	uv_timer_start(&p->timer, pacer_cb, due > now ? due - now : 0, 0);
}

void
audio_pacer_start(struct audio_pacer *p)
{
	/* The cached loop time may be old when started outside a callback. */
	uv_update_time(p->a->loop);
	p->t0 = uv_now(p->a->loop);
	p->frames = 0;
	pacer_schedule(p);
}

void
audio_pacer_stop(struct audio_pacer *p)
{
	uv_timer_stop(&p->timer);
}

void
audio_pacer_close(struct audio_pacer *p)
{
	audio_handle_close((uv_handle_t *)&p->timer);
}

static void
pacer_cb(uv_timer_t *t)
{
	struct audio_pacer *p = (struct audio_pacer *)t;
	struct audio *a = p->a;
	uint64_t ms = a->cfg.frame_ms;
	uint64_t now = uv_now(a->loop);
	uint64_t due = (now - p->t0) / ms;

	if (due > p->frames + AUDIO_MAX_LAG_MS / ms) {
		/* The loop stalled: keep the last second, drop the rest. */
		p->frames = due - AUDIO_MAX_LAG_MS / ms;
		a->st.xruns++;
	}
	while (p->frames < due) {
		p->frames++;
		p->frame_cb(a);
		if (!audio_live(a))
			return;
	}
	pacer_schedule(p);
}

/* ---- device list ---- */

static void
print_hint_desc(FILE *out, const char *desc)
{
	const char *s;

	for (s = desc; *s != '\0'; s++)
		if (*s == '\n')
			fputs(" - ", out);
		else
			fputc(*s, out);
}

static unsigned
print_direction(FILE *out, void **hints, const char *ioid, const char *title)
{
	unsigned n = 0;
	void **h;
	char *name, *desc, *io;

	fprintf(out, "%s:\n", title);
	for (h = hints; *h != NULL; h++) {
		name = snd_device_name_get_hint(*h, "NAME");
		desc = snd_device_name_get_hint(*h, "DESC");
		io = snd_device_name_get_hint(*h, "IOID");
		/* No IOID means the device works both ways. */
		if (name != NULL && (io == NULL || strcmp(io, ioid) == 0)) {
			fprintf(out, "  %s\n", name);
			if (desc != NULL) {
				fputs("      ", out);
				print_hint_desc(out, desc);
				fputc('\n', out);
			}
			n++;
		}
		free(name);
		free(desc);
		free(io);
	}
	if (n == 0)
		fputs("  (none)\n", out);
	return n;
}

int
audio_list_devices(FILE *out)
{
	void **hints;
	int card = -1, ncards = 0;
	unsigned ncap, nplay;

	while (snd_card_next(&card) == 0 && card >= 0)
		ncards++;
	if (snd_device_name_hint(-1, "pcm", &hints) < 0)
		return E2_ERR_IO;
	ncap = print_direction(out, hints, "Input", "Capture devices");
	fputc('\n', out);
	nplay = print_direction(out, hints, "Output", "Playback devices");
	snd_device_name_free_hint(hints);
	if (ncards == 0)
		fputs("\nNo sound card found: ALSA sees no cards on this "
		    "machine.\nThe devices above (if any) are ALSA plugins; "
		    "they need a sound server or\ncard behind them.  Without "
		    "a sound card use --audio file (--play FILE.wav,\n"
		    "--record FILE.wav) or --audio null.\n", out);
	else if (ncap == 0 || nplay == 0)
		fputs("\nSome directions have no device; --audio file or "
		    "--audio null work without one.\n", out);
	fputs("\nUse a NAME above with --capture NAME / --playback NAME "
	    "(default: \"default\").\n", out);
	return 0;
}

int
cmd_devices(int argc, char **argv)
{
	int r;

	if (argc > 1) {
		fprintf(stderr, "e2call: devices: unexpected argument: %s\n"
		    "usage: e2call devices (see: e2call help devices)\n",
		    argv[1]);
		return EXIT_USAGE;
	}
	if ((r = audio_list_devices(stdout)) < 0) {
		fprintf(stderr, "e2call: devices: cannot read ALSA's device "
		    "list: %s\n", e2_strerror(r));
		return EXIT_ERROR;
	}
	return EXIT_CALL_OK;
}
