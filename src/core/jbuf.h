/*
 * jbuf.h - adaptive jitter buffer for one audio stream, sans I/O.
 *
 * Packets go in with jbuf_put() as they arrive, tagged with their audio
 * frame index (the media packet counter: one index per frame period) and
 * the arrival time in milliseconds from any monotonic clock the caller
 * owns.  The playout side calls jbuf_get() once per frame period, when the
 * speaker needs the next frame, and is told what to do with it:
 *
 *	JBUF_FRAME  decode out[] normally
 *	JBUF_FEC    the frame was lost but the next one is here: decode out[]
 *	            (that next packet) with decode_fec = 1
 *	JBUF_LOST   conceal (decode NULL)
 *	JBUF_EMPTY  nothing to play yet (before the first packet, or after a
 *	            long pause): play silence
 *
 * The playout delay adapts: it tracks the arrival jitter (an RFC 3550-style
 * estimate plus a decaying peak) and is kept near what that needs, between
 * jb->min_ms and jb->max_ms.  It grows at once when packets arrive late,
 * by one concealed frame per call (JBUF_LOST, counted in stats.inserted),
 * and comes back down slowly when the network calms, by one frame per
 * 200 ms at most (a queued frame is skipped, counted in stats.dropped).
 * Packets that arrive after their play time, duplicates and packets too far
 * ahead are counted and refused; a few in a row far off the stream's
 * timeline start it again from there (the sender jumped).  A second without
 * packets goes back to JBUF_EMPTY.  Memory is one fixed array of
 * JBUF_SLOTS packets; nothing allocates.
 */
#ifndef E2_JBUF_H
#define E2_JBUF_H

#include <stddef.h>
#include <stdint.h>

#define JBUF_SLOTS	64	/* frames held at most (1.28 s at 20 ms) */
#define JBUF_MAX_PKT	1275	/* largest Opus packet */

enum jbuf_result {
	JBUF_EMPTY,
	JBUF_FRAME,
	JBUF_FEC,
	JBUF_LOST,
};

struct jbuf_stats {
	uint64_t	received;	/* packets accepted */
	uint64_t	late;		/* arrived after their play time */
	uint64_t	duplicate;
	uint64_t	too_far;	/* beyond the buffer */
	uint64_t	played;		/* JBUF_FRAME results */
	uint64_t	fec;		/* JBUF_FEC results */
	uint64_t	concealed;	/* JBUF_LOST results */
	uint64_t	dropped;	/* frames skipped to shrink the delay */
	uint64_t	inserted;	/* frames concealed to grow the delay */
	uint32_t	delay_ms;	/* current target playout delay */
	uint32_t	jitter_ms;	/* current jitter estimate */
};

struct jbuf_slot {
	uint32_t	seq;
	uint16_t	len;
	uint8_t		used;
	uint8_t		data[JBUF_MAX_PKT];
};

struct jbuf {
	uint32_t	frame_ms;	/* 10 or 20 */
	uint32_t	min_ms;		/* lowest playout delay (default frame_ms) */
	uint32_t	max_ms;		/* highest (default 400) */
	/* private */
	int		state;		/* idle, buffering, playing */
	uint32_t	next_seq;	/* index of the next frame to play */
	uint32_t	anchor_seq;	/* frame whose earliest arrival is base_ms */
	int64_t		base_ms;
	double		jitter;		/* RFC 3550 estimate, ms */
	double		peak;		/* decaying peak of lateness, ms */
	uint32_t	peak_hold;	/* gets before the peak starts to decay */
	uint32_t	target_ms;
	int		have_last;
	uint32_t	last_seq;	/* last arrival, for the jitter estimate */
	uint64_t	last_arrival_ms;
	int64_t		win_late;	/* lowest lateness in this window */
	uint32_t	win_pkts;
	int64_t		win_delay;	/* lowest playout delay in this window */
	uint32_t	win_gets;
	uint32_t	gets_since_packet;
	uint32_t	queued;		/* slots holding a frame not yet played */
	uint32_t	high_seq;	/* highest frame queued while buffering */
	uint32_t	stray;		/* packets in a row far from the play point */
	int		have_old;
	uint32_t	old_seq;	/* play point before the last pause */
	struct jbuf_stats stats;
	struct jbuf_slot slots[JBUF_SLOTS];
};

void	jbuf_init(struct jbuf *jb, uint32_t frame_ms);
/*
 * Returns 0, or E2_ERR_REPLAY (late/duplicate), E2_ERR_TOOBIG, E2_ERR_FUTURE,
 * E2_ERR_INVAL (data NULL or len 0).
 */
int	jbuf_put(struct jbuf *jb, uint32_t seq, const uint8_t *data, size_t len,
	    uint64_t now_ms);
/* out must hold JBUF_MAX_PKT bytes. */
enum jbuf_result jbuf_get(struct jbuf *jb, uint64_t now_ms, uint8_t *out,
	    size_t *lenp);
/* Frames queued ahead of the play point, in ms. */
uint32_t jbuf_buffered_ms(const struct jbuf *jb);
const struct jbuf_stats *jbuf_stats(const struct jbuf *jb);
/* Back to the empty state (keeps the stats). */
void	jbuf_reset(struct jbuf *jb);

#endif
