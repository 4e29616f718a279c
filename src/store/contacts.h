/*
 * contacts.h - pinned keys: people (file "contacts") and servers (file
 * "known_servers").
 *
 * A person's key is pinned with the place where its name lives, so the
 * same name in two places is two independent pins (PROTOCOL.md 8.4):
 *
 *	server:<base64 key>	a name registered on the server whose static
 *				key this is (the server's pinned key, not its
 *				host:port)
 *	server:*		a bare name from an older file whose server is
 *				not known: it matches any server until it is
 *				next pinned, then it takes the concrete place
 *	direct			name@HOST:PORT that I dialed directly; the
 *				name holds all of name@HOST:PORT
 *	caller			someone who called my listen --direct: the
 *				name it claimed, or "~" and the 32 base32
 *				characters of its key's fingerprint when it
 *				claimed none (sent the name "anonymous")
 *
 * contacts, one entry per line ('#' starts a comment line):
 *
 *	<name> <place> <base64 public key> <new|verified> <first-seen>
 *
 * known_servers, where a server's entry has no place (empty):
 *
 *	<host:port> <base64 public key> <new|verified> <first-seen>
 *
 * first-seen is in seconds since 1970 (UTC).  (name, place) appears at
 * most once.  A name with '@' is only in place "direct" (and a "direct"
 * name has one); a name starting with '~' is only in place "caller" and
 * is '~' and 32 base32 characters.  A line that does not parse is refused
 * with the file name and line number; nothing is rewritten then.  Saving
 * is atomic (atomic_write), mode 0600.
 *
 * Migration: a contacts line of the older four fields (<name> <key>
 * <status> <first-seen>) is read as name@HOST:PORT -> place "direct";
 * "anonymous" -> name "~<fingerprint>" of its key, place "caller"; any
 * other name -> the legacy place given to pins_load.  Key, status and
 * first-seen are kept.  When any line was of the older kind, pins_load
 * keeps the file's bytes as they were in "<path>.v1" and then rewrites
 * the file whole in the new format (both atomically, mode 0600), before
 * it returns; a kill at any moment leaves the old file or the new one.
 */
#ifndef E2_CONTACTS_H
#define E2_CONTACTS_H

#include <stddef.h>
#include <stdint.h>

#define PIN_NAME_MAX	300
#define PIN_PLACE_MAX	60	/* "server:" + 44 characters of base64 */

struct pin {
	char		name[PIN_NAME_MAX + 1];
	char		place[PIN_PLACE_MAX + 1];	/* known_servers: "" */
	uint8_t		pub[32];
	int		verified;
	long long	first_seen;
};

struct pins;

enum pins_kind {
	PINS_CONTACTS,		/* people: five fields, with a place */
	PINS_SERVERS,		/* known_servers: four fields, no place */
};

/*
 * A missing file loads as empty.  legacy_place is the place of the bare
 * names of an older contacts file: "server:<b64>" of the configured server
 * when its key is known, or NULL for "server:*"; unused for PINS_SERVERS.
 * Errors: E2_ERR_CORRUPT (err names file:line), E2_ERR_INVAL (a bad
 * legacy_place), E2_ERR_IO (reading, or writing the migrated file or its
 * .v1 copy: then the file is as it was), E2_ERR_NOMEM.
 */
int	pins_load(const char *path, enum pins_kind kind,
	    const char *legacy_place, struct pins **pp, char *err,
	    size_t errlen);
void	pins_free(struct pins *p);
int	pins_save(const struct pins *p, char *err, size_t errlen);

size_t	pins_count(const struct pins *p);
const struct pin *pins_at(const struct pins *p, size_t i);
/*
 * The entry for name in place (NULL or "" for known_servers): the exact
 * place first, else a "server:*" entry of that name when place starts
 * with "server:".  NULL when there is none.
 */
const struct pin *pins_find(const struct pins *p, const char *name,
	    const char *place);
/* The first entry (in file order) holding the key pub, or NULL. */
const struct pin *pins_find_key(const struct pins *p,
	    const uint8_t pub[32]);
/*
 * Adds or replaces the entry pins_find(name, place) gives (replacing the
 * key resets verified to 0 and first_seen to now); not saved until
 * pins_save.  A "server:*" entry found for a concrete server place takes
 * that place (keeping status and first-seen when the key is the same).
 * Otherwise setting the key already pinned changes nothing.  E2_ERR_INVAL
 * for a name or place the file format refuses (see above; a place must be
 * NULL or "" in known_servers, pin_place_ok() in contacts), E2_ERR_NOMEM.
 */
int	pins_set(struct pins *p, const char *name, const char *place,
	    const uint8_t pub[32], long long now);
/* The entry pins_find() gives.  E2_ERR_NOTFOUND when there is none. */
int	pins_set_verified(struct pins *p, const char *name, const char *place,
	    int verified);
int	pins_remove(struct pins *p, const char *name, const char *place);
/* 1..PIN_NAME_MAX printable ASCII characters, no space, no leading '#'. */
int	pin_name_ok(const char *name);
/*
 * A place of contacts: "server:" and 44 characters of base64 of a 32-byte
 * key, "server:*", "direct" or "caller".  Returns 1 when valid.
 */
int	pin_place_ok(const char *place);
/* "server:" + base64 of server_pub (constant-time encoding). */
void	pins_server_place(const uint8_t server_pub[32],
	    char out[PIN_PLACE_MAX + 1]);
/* The pin name of a caller that claimed no name: "~" + fingerprint(pub)
 * without its spaces (33 characters). */
void	pins_caller_name(const uint8_t pub[32], char out[PIN_NAME_MAX + 1]);

enum key_status {
	KEY_NEW,	/* never seen this name */
	KEY_KNOWN,	/* same key as pinned */
	KEY_VERIFIED,	/* same key, verified by code comparison */
	KEY_CHANGED,	/* pinned with another key, not verified */
	KEY_CHANGED_VERIFIED, /* pinned verified with another key: refuse */
};
/* Compares pub with the entry pins_find(name, place) gives. */
enum key_status pins_check(const struct pins *p, const char *name,
	    const char *place, const uint8_t pub[32]);
const char *key_status_name(enum key_status s);	/* "new", "known", ... */

#endif
