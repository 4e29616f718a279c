/*
 * regdb.h - the server's registration database (SQLite).
 *
 *	CREATE TABLE registrations (
 *		name	TEXT PRIMARY KEY,	-- a valid name (sigmsg.h)
 *		pubkey	BLOB NOT NULL,		-- 32-byte X25519 public key
 *		created	INTEGER			-- Unix time of registration
 *	);
 *
 * The database runs in WAL mode with synchronous=FULL: when
 * regdb_store() returns, the rows are on disk and survive a crash or a
 * kill -9.  A name, once stored, is never given to another key.
 *
 * Two connections to the file: one for lookups, used from the loop
 * thread, and one for writes, used by regdb_store() from a worker thread
 * (uv_queue_work), so a commit's fsync never stalls the loop.  Each
 * connection is used by one thread at a time only.
 */
#ifndef E2_REGDB_H
#define E2_REGDB_H

#include <stddef.h>
#include <stdint.h>

#include "sigmsg.h"

struct regdb;

struct regdb_item {
	char	name[SIG_NAME_MAX + 1];
	uint8_t	pub[32];
	int	result;		/* 0, E2_ERR_EXISTS (another key), E2_ERR_IO */
};

/*
 * Opens (creating, mode 0600) the database at path.  0, or E2_ERR_IO /
 * E2_ERR_CORRUPT with a message in err.
 */
int	regdb_open(const char *path, struct regdb **dbp, char *err,
	    size_t errlen);
void	regdb_close(struct regdb *db);
/* 1 with the owner's key in pub, 0 when name is free, E2_ERR_IO. */
int	regdb_lookup(struct regdb *db, const char *name, uint8_t pub[32]);
/* Number of registrations, or E2_ERR_IO. */
long long regdb_count(struct regdb *db);
/*
 * Stores n registrations in one transaction (a name already owned by the
 * same key is kept as it is).  Sets each item's result; returns 0 when
 * the transaction committed, E2_ERR_IO (every result E2_ERR_IO) when not.
 */
int	regdb_store(struct regdb *db, struct regdb_item *items, size_t n);
/* The last SQLite error of the write connection, for logs. */
const char *regdb_errmsg(struct regdb *db);

#endif
