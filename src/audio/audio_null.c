/*
 * audio_null.c - silence in, nothing out, in real time: every frame period
 * the capture callback gets a frame of silence and the playback callback
 * is asked for a frame that is thrown away.
 */
#include <stdlib.h>
#include <string.h>

#include "audio.h"
#include "audio_int.h"
#include "err.h"

struct null_audio {
	struct audio_pacer pacer;
	int16_t		 pcm[AUDIO_MAX_FRAME];
};

static void
null_frame(struct audio *a)
{
	struct null_audio *n = a->priv;

	if (a->cfg.capture_cb != NULL) {
		memset(n->pcm, 0, a->frame * sizeof(n->pcm[0]));
		a->st.captured++;
		a->cfg.capture_cb(a->cfg.cb_arg, n->pcm, a->frame);
		if (!audio_live(a))
			return;
	}
	if (a->cfg.playback_cb != NULL) {
		memset(n->pcm, 0, a->frame * sizeof(n->pcm[0]));
		a->st.played++;
		a->cfg.playback_cb(a->cfg.cb_arg, n->pcm, a->frame);
	}
}

static int
null_open(struct audio *a, char *err, size_t errlen)
{
	struct null_audio *n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return audio_error(err, errlen, E2_ERR_NOMEM, "out of memory");
	a->priv = n;
	audio_pacer_init(a, &n->pacer, null_frame);
	return 0;
}

static int
null_start(struct audio *a)
{
	struct null_audio *n = a->priv;

	audio_pacer_start(&n->pacer);
	return 0;
}

static int
null_stop(struct audio *a)
{
	struct null_audio *n = a->priv;

	audio_pacer_stop(&n->pacer);
	return 0;
}

static void
null_close(struct audio *a)
{
	struct null_audio *n = a->priv;

	if (n != NULL)
		audio_pacer_close(&n->pacer);
}

static void
null_free(struct audio *a)
{
	free(a->priv);
	a->priv = NULL;
}

const struct audio_backend audio_backend_null = {
	.name = "null",
	.open = null_open,
	.start = null_start,
	.stop = null_stop,
	.close = null_close,
	.free = null_free,
	.switch_dev = NULL,
};
