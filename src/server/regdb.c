/* regdb.c - the registration database; see regdb.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "err.h"
#include "regdb.h"

#define REGDB_BUSY_MS	5000

struct regdb {
	sqlite3		*rd;		/* lookups (loop thread) */
	sqlite3		*wr;		/* writes (worker thread) */
	sqlite3_stmt	*q_lookup;	/* on rd */
	sqlite3_stmt	*q_count;	/* on rd */
	sqlite3_stmt	*q_count_key;	/* on rd */
	sqlite3_stmt	*q_insert;	/* on wr */
	sqlite3_stmt	*q_owner;	/* on wr */
	sqlite3_stmt	*q_touch;	/* on wr */
	sqlite3_stmt	*q_expire;	/* on wr */
	sqlite3_stmt	*q_move;	/* on wr */
	char		 errmsg[256];
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS registrations ("
    " name TEXT PRIMARY KEY,"
    " pubkey BLOB NOT NULL,"
    " created INTEGER,"
    " used INTEGER)";
static const char schema_index[] =
    "CREATE INDEX IF NOT EXISTS registrations_by_key"
    " ON registrations (pubkey)";

/* A database from before `used` gets the column (NULL: as created). */
static int
migrate(sqlite3 *db)
{
	sqlite3_stmt *st;
	int has = 0, rc;

	if (sqlite3_prepare_v2(db, "PRAGMA table_info(registrations)", -1,
	    &st, NULL) != SQLITE_OK)
		return E2_ERR_IO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (sqlite3_column_text(st, 1) != NULL &&
		    strcmp((const char *)sqlite3_column_text(st, 1),
		    "used") == 0)
			has = 1;
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return E2_ERR_IO;
	if (!has && sqlite3_exec(db, "ALTER TABLE registrations ADD COLUMN "
	    "used INTEGER", NULL, NULL, NULL) != SQLITE_OK)
		return E2_ERR_IO;
	if (sqlite3_exec(db, schema_index, NULL, NULL, NULL) != SQLITE_OK)
		return E2_ERR_IO;
	return 0;
}

static int
db_conn(const char *path, sqlite3 **dbp, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return E2_ERR_IO;
	}
	sqlite3_busy_timeout(db, REGDB_BUSY_MS);
	/* synchronous is per connection: both say FULL. */
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=FULL;", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return E2_ERR_IO;
	}
	*dbp = db;
	return 0;
}

static int
prepare(sqlite3 *db, const char *sql, sqlite3_stmt **stp, const char *path,
    char *err, size_t errlen)
{
	if (sqlite3_prepare_v2(db, sql, -1, stp, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		return E2_ERR_CORRUPT;
	}
	return 0;
}

int
regdb_open(const char *path, struct regdb **dbp, char *err, size_t errlen)
{
	struct regdb *db;
	char *jm = NULL;
	int fd, rc;

	if ((db = calloc(1, sizeof(*db))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return E2_ERR_NOMEM;
	}
	/* Create the file ourselves so it is 0600 (SQLite copies the mode
	 * of the database to its -wal and -shm files). */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(db);
		return E2_ERR_IO;
	}
	close(fd);
	if ((rc = db_conn(path, &db->wr, err, errlen)) != 0)
		goto fail;
	if (sqlite3_exec(db->wr, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    migrate(db->wr) != 0) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db->wr));
		rc = E2_ERR_CORRUPT;
		goto fail;
	}
	if ((rc = db_conn(path, &db->rd, err, errlen)) != 0)
		goto fail;
	/* journal_mode=WAL can quietly fail (e.g. on some filesystems). */
	{
		sqlite3_stmt *st;

		if (sqlite3_prepare_v2(db->rd, "PRAGMA journal_mode", -1, &st,
		    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_text(st, 0) != NULL)
			jm = strdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		if (jm == NULL || strcmp(jm, "wal") != 0) {
			snprintf(err, errlen, "%s: cannot use WAL mode "
			    "(journal_mode is %s)", path,
			    jm != NULL ? jm : "unknown");
			free(jm);
			rc = E2_ERR_IO;
			goto fail;
		}
		free(jm);
	}
	if ((rc = prepare(db->rd, "SELECT pubkey, coalesce(used, created, 0) "
	    "FROM registrations WHERE name = ?1", &db->q_lookup, path, err,
	    errlen)) != 0 ||
	    (rc = prepare(db->rd, "SELECT count(*) FROM registrations",
	    &db->q_count, path, err, errlen)) != 0 ||
	    (rc = prepare(db->rd, "SELECT count(*) FROM registrations "
	    "WHERE pubkey = ?1", &db->q_count_key, path, err, errlen)) != 0 ||
	    (rc = prepare(db->wr, "INSERT OR IGNORE INTO registrations "
	    "(name, pubkey, created, used) VALUES (?1, ?2, ?3, ?3)",
	    &db->q_insert, path, err, errlen)) != 0 ||
	    (rc = prepare(db->wr, "SELECT pubkey, 0 FROM registrations "
	    "WHERE name = ?1", &db->q_owner, path, err, errlen)) != 0 ||
	    (rc = prepare(db->wr, "UPDATE registrations SET used = ?3 "
	    "WHERE name = ?1 AND pubkey = ?2", &db->q_touch, path, err,
	    errlen)) != 0 ||
	    (rc = prepare(db->wr, "DELETE FROM registrations WHERE rowid IN "
	    "(SELECT rowid FROM registrations WHERE "
	    "coalesce(used, created, 0) < ?1 LIMIT ?2)", &db->q_expire, path,
	    err, errlen)) != 0 ||
	    (rc = prepare(db->wr, "UPDATE registrations SET pubkey = ?2, "
	    "created = ?4, used = ?4 WHERE name = ?1 AND pubkey = ?3",
	    &db->q_move, path, err, errlen)) != 0)
		goto fail;
	*dbp = db;
	return 0;
fail:
	regdb_close(db);
	return rc;
}

void
regdb_close(struct regdb *db)
{
	if (db == NULL)
		return;
	sqlite3_finalize(db->q_lookup);
	sqlite3_finalize(db->q_count);
	sqlite3_finalize(db->q_count_key);
	sqlite3_finalize(db->q_insert);
	sqlite3_finalize(db->q_owner);
	sqlite3_finalize(db->q_touch);
	sqlite3_finalize(db->q_expire);
	sqlite3_finalize(db->q_move);
	sqlite3_close(db->rd);
	sqlite3_close(db->wr);
	free(db);
}

/* Runs a prepared "SELECT pubkey, used ... WHERE name = ?1" on st. */
static int
owner(sqlite3_stmt *st, const char *name, uint8_t pub[32], int64_t *usedp)
{
	int rc;

	sqlite3_reset(st);
	if (sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) != SQLITE_OK)
		return E2_ERR_IO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = 0;
	} else if (rc == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 0) == 32 &&
	    sqlite3_column_blob(st, 0) != NULL) {
		memcpy(pub, sqlite3_column_blob(st, 0), 32);
		if (usedp != NULL)
			*usedp = sqlite3_column_int64(st, 1);
		rc = 1;
	} else if (rc == SQLITE_ROW) {
		rc = E2_ERR_CORRUPT;
	} else {
		rc = E2_ERR_IO;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int
regdb_lookup(struct regdb *db, const char *name, uint8_t pub[32],
    int64_t *usedp)
{
	int rc;

	*usedp = 0;
	rc = owner(db->q_lookup, name, pub, usedp);
	/* A row whose key is not 32 bytes is nobody's: keep the name. */
	if (rc == E2_ERR_CORRUPT) {
		memset(pub, 0, 32);
		*usedp = INT64_MAX;
		return 1;
	}
	return rc;
}

long long
regdb_count_key(struct regdb *db, const uint8_t pub[32])
{
	long long n = E2_ERR_IO;

	sqlite3_reset(db->q_count_key);
	if (sqlite3_bind_blob(db->q_count_key, 1, pub, 32, SQLITE_STATIC) ==
	    SQLITE_OK && sqlite3_step(db->q_count_key) == SQLITE_ROW)
		n = sqlite3_column_int64(db->q_count_key, 0);
	sqlite3_reset(db->q_count_key);
	sqlite3_clear_bindings(db->q_count_key);
	return n;
}

long long
regdb_count(struct regdb *db)
{
	long long n = E2_ERR_IO;

	sqlite3_reset(db->q_count);
	if (sqlite3_step(db->q_count) == SQLITE_ROW)
		n = sqlite3_column_int64(db->q_count, 0);
	sqlite3_reset(db->q_count);
	return n;
}

static void
set_err(struct regdb *db)
{
	snprintf(db->errmsg, sizeof(db->errmsg), "%s",
	    sqlite3_errmsg(db->wr));
}

/* The owner used the name at now. */
static int
touch(struct regdb *db, const struct regdb_item *it, int64_t now)
{
	sqlite3_stmt *st = db->q_touch;
	int rc = 0;

	sqlite3_reset(st);
	if (sqlite3_bind_text(st, 1, it->name, -1, SQLITE_STATIC) !=
	    SQLITE_OK || sqlite3_bind_blob(st, 2, it->pub, 32,
	    SQLITE_STATIC) != SQLITE_OK || sqlite3_bind_int64(st, 3,
	    (sqlite3_int64)now) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		set_err(db);
		rc = E2_ERR_IO;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* A move: from's name becomes the item's key's; -1 on a database error. */
static int
move(struct regdb *db, struct regdb_item *it, int64_t now)
{
	sqlite3_stmt *st = db->q_move;
	uint8_t pub[32];
	int rc;

	sqlite3_reset(st);
	if (sqlite3_bind_text(st, 1, it->name, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_blob(st, 2, it->pub, 32, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 3, it->from, 32, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, (sqlite3_int64)now) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		set_err(db);
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (sqlite3_changes(db->wr) == 1) {
		it->result = 0;
		return 0;
	}
	/* Not from's: another key's, already the new key's, or free. */
	if ((rc = owner(db->q_owner, it->name, pub, NULL)) < 0) {
		set_err(db);
		return -1;
	}
	it->result = rc == 0 ? E2_ERR_NOTFOUND :
	    memcmp(pub, it->pub, 32) == 0 ? 0 : E2_ERR_EXISTS;
	return 0;
}

int
regdb_store(struct regdb *db, struct regdb_item *items, size_t n,
    int64_t now)
{
	uint8_t pub[32];
	size_t i;
	int rc;

	if (sqlite3_exec(db->wr, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		set_err(db);
		goto fail;
	}
	for (i = 0; i < n; i++) {
		sqlite3_stmt *st = db->q_insert;

		if (items[i].move) {
			if ((rc = move(db, &items[i], now)) < 0)
				goto rollback;
			continue;
		}
		sqlite3_reset(st);
		if (sqlite3_bind_text(st, 1, items[i].name, -1,
		    SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_blob(st, 2, items[i].pub, 32,
		    SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_int64(st, 3, (sqlite3_int64)now) !=
		    SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
			set_err(db);
			sqlite3_reset(st);
			goto rollback;
		}
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		/* INSERT OR IGNORE kept an existing row: whose is it? */
		rc = owner(db->q_owner, items[i].name, pub, NULL);
		if (rc != 1) {
			set_err(db);
			goto rollback;
		}
		items[i].result = memcmp(pub, items[i].pub, 32) == 0 ? 0 :
		    E2_ERR_EXISTS;
		if (items[i].result == 0 && touch(db, &items[i], now) != 0)
			goto rollback;
	}
	if (sqlite3_exec(db->wr, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		set_err(db);
		goto rollback;
	}
	return 0;
rollback:
	sqlite3_exec(db->wr, "ROLLBACK", NULL, NULL, NULL);
fail:
	for (i = 0; i < n; i++)
		items[i].result = E2_ERR_IO;
	return E2_ERR_IO;
}

long long
regdb_expire(struct regdb *db, int64_t cutoff, long long max)
{
	sqlite3_stmt *st = db->q_expire;
	long long n;

	if (sqlite3_exec(db->wr, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		set_err(db);
		return E2_ERR_IO;
	}
	sqlite3_reset(st);
	if (sqlite3_bind_int64(st, 1, (sqlite3_int64)cutoff) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, (sqlite3_int64)max) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		set_err(db);
		sqlite3_reset(st);
		sqlite3_exec(db->wr, "ROLLBACK", NULL, NULL, NULL);
		return E2_ERR_IO;
	}
	n = sqlite3_changes(db->wr);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (sqlite3_exec(db->wr, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		set_err(db);
		sqlite3_exec(db->wr, "ROLLBACK", NULL, NULL, NULL);
		return E2_ERR_IO;
	}
	return n;
}

const char *
regdb_errmsg(struct regdb *db)
{
	return db->errmsg;
}
