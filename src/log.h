/*
 * log.h - messages for people, always on stderr (stdout belongs to batch
 * events).  Secrets never go through here: callers pass only public data.
 */
#ifndef E2_LOG_H
#define E2_LOG_H

#include <stdint.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void	log_set_level(enum log_level level);
void	log_set_prefix(const char *prefix);
/* While set, messages go to the sink instead of stderr (the TUI). */
void	log_set_sink(void (*sink)(enum log_level, const char *, void *),
	    void *arg);
void	log_msg(enum log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_error(...)	log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * A rate limit for log lines about hostile input: at most `burst` lines,
 * then one per `interval_ms`; ratelimit_ok() says whether to log now.
 */
struct ratelimit {
	uint64_t	interval_ms;
	uint32_t	burst;
	uint32_t	used;
	uint64_t	window_start;
	uint64_t	suppressed;
};
int	ratelimit_ok(struct ratelimit *rl, uint64_t now_ms);

#endif
