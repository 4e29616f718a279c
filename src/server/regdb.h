/*
 * regdb.h - the server's registration database (SQLite).
 *
 *	CREATE TABLE registrations (
 *		name	TEXT PRIMARY KEY,	-- a valid name (sigmsg.h)
 *		pubkey	BLOB NOT NULL,		-- 32-byte X25519 public key
 *		created	INTEGER,		-- Unix time of registration
 *		used	INTEGER			-- Unix time the owner last
 *						-- registered it (NULL: created)
 *	);
 *	CREATE INDEX registrations_by_key ON registrations (pubkey);
 *
 * (A database made before `used` existed gets the column and the index
 * when it is opened.)  The database runs in WAL mode with
 * synchronous=FULL: when regdb_store() returns, the rows are on disk and
 * survive a crash or a kill -9.  A name, once stored, belongs to its key
 * until regdb_expire() releases it for having been unused too long.
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
	int	move;		/* a move: name passes from `from` to pub */
	uint8_t	from[32];
	int	result;		/* 0, E2_ERR_EXISTS (another key),
				   E2_ERR_NOTFOUND (a move of a free name),
				   E2_ERR_IO */
};

/*
 * Opens (creating, mode 0600) the database at path.  0, or E2_ERR_IO /
 * E2_ERR_CORRUPT with a message in err.
 */
int	regdb_open(const char *path, struct regdb **dbp, char *err,
	    size_t errlen);
void	regdb_close(struct regdb *db);
/*
 * 1 with the owner's key in pub and the time it was last used (Unix
 * seconds) in *usedp, 0 when name is free, E2_ERR_IO.  Loop thread.
 */
int	regdb_lookup(struct regdb *db, const char *name, uint8_t pub[32],
	    int64_t *usedp);
/* Number of registrations, or E2_ERR_IO.  Loop thread. */
long long regdb_count(struct regdb *db);
/* Number of names pub owns, or E2_ERR_IO.  Loop thread. */
long long regdb_count_key(struct regdb *db, const uint8_t pub[32]);
/*
 * Stores n registrations in one transaction, at Unix time now: a free
 * name becomes the item's key's, and a name the item's key owns already
 * is kept and marked used at now.  A move item gives the name to its key
 * only while `from` owns it (E2_ERR_EXISTS when another key does,
 * E2_ERR_NOTFOUND when it is free).  Sets each item's result; returns 0
 * when the transaction committed, E2_ERR_IO (every result E2_ERR_IO) when
 * not.  Worker thread.
 */
int	regdb_store(struct regdb *db, struct regdb_item *items, size_t n,
	    int64_t now);
/*
 * Releases (deletes) at most max names last used before cutoff (Unix
 * seconds), in one transaction.  The number released, or E2_ERR_IO.
 * Worker thread.
 */
long long regdb_expire(struct regdb *db, int64_t cutoff, long long max);
/* The last SQLite error of the write connection, for logs. */
const char *regdb_errmsg(struct regdb *db);

#endif
