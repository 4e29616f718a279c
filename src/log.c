/* log.c - see log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static enum log_level	 max_level = LOG_INFO;
static const char	*log_prefix = "e2call";
static void		(*log_sink)(enum log_level, const char *, void *);
static void		*log_sink_arg;

void
log_set_level(enum log_level level)
{
	max_level = level;
}

void
log_set_prefix(const char *prefix)
{
	log_prefix = prefix;
}

void
log_set_sink(void (*sink)(enum log_level, const char *, void *), void *arg)
{
	log_sink = sink;
	log_sink_arg = arg;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	char line[1024];
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_sink != NULL) {
		log_sink(level, line, log_sink_arg);
		return;
	}
	if (level == LOG_INFO)
		fprintf(stderr, "%s: %s\n", log_prefix, line);
	else
		fprintf(stderr, "%s: %s: %s\n", log_prefix, names[level], line);
}

/*
 * A token bucket: `used` lines of the burst are spent, and one comes back
 * every interval_ms after window_start (the last refill).
 */
int
ratelimit_ok(struct ratelimit *rl, uint64_t now_ms)
{
	uint64_t back;

	if (rl->interval_ms == 0)
		return 1;
	if (now_ms > rl->window_start) {
		back = (now_ms - rl->window_start) / rl->interval_ms;
		if (back >= rl->used) {
			rl->used = 0;
			rl->window_start = now_ms;
		} else {
			rl->used -= (uint32_t)back;
			rl->window_start += back * rl->interval_ms;
		}
	}
	if (rl->used < rl->burst) {
		rl->used++;
		return 1;
	}
	rl->suppressed++;
	return 0;
}
