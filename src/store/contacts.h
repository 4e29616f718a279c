/*
 * contacts.h - pinned keys: people (file "contacts") and servers (file
 * "known_servers"), one format for both.
 *
 * File format, one entry per line ('#' starts a comment line):
 *
 *	<name> <base64 public key> <new|verified> <first-seen unix time>
 *
 * where name is a person's name (or name@host:port for direct calls) in
 * contacts and "host:port" in known_servers.  A line that does not parse is
 * refused with the file name and line number; nothing is rewritten then.
 * Saving is atomic (atomic_write), mode 0600.
 */
#ifndef E2_CONTACTS_H
#define E2_CONTACTS_H

#include <stddef.h>
#include <stdint.h>

#define PIN_NAME_MAX	300

struct pin {
	char		name[PIN_NAME_MAX + 1];
	uint8_t		pub[32];
	int		verified;
	long long	first_seen;
};

struct pins;

/* A missing file loads as empty.  E2_ERR_CORRUPT names file:line in err. */
int	pins_load(const char *path, struct pins **pp, char *err, size_t errlen);
void	pins_free(struct pins *p);
int	pins_save(const struct pins *p, char *err, size_t errlen);

size_t	pins_count(const struct pins *p);
const struct pin *pins_at(const struct pins *p, size_t i);
const struct pin *pins_find(const struct pins *p, const char *name);
/*
 * Adds or replaces (replacing resets verified to 0 and first_seen to now);
 * not saved until pins_save.  Setting the key already pinned changes
 * nothing.  E2_ERR_INVAL for a name pin_name_ok() refuses.
 */
int	pins_set(struct pins *p, const char *name, const uint8_t pub[32],
	    long long now);
/* E2_ERR_NOTFOUND when name is not pinned. */
int	pins_set_verified(struct pins *p, const char *name, int verified);
int	pins_remove(struct pins *p, const char *name);
/* 1..PIN_NAME_MAX printable ASCII characters, no space, no leading '#'. */
int	pin_name_ok(const char *name);

enum key_status {
	KEY_NEW,	/* never seen this name */
	KEY_KNOWN,	/* same key as pinned */
	KEY_VERIFIED,	/* same key, verified by code comparison */
	KEY_CHANGED,	/* pinned with another key, not verified */
	KEY_CHANGED_VERIFIED, /* pinned verified with another key: refuse */
};
enum key_status pins_check(const struct pins *p, const char *name,
	    const uint8_t pub[32]);
const char *key_status_name(enum key_status s);	/* "new", "known", ... */

#endif
