/*
 * atomic.h - crash-safe file replacement: write a temporary file in the
 * same directory, fsync it, rename it over the target, fsync the
 * directory.  A kill -9 at any moment leaves either the old or the new
 * file, whole.
 */
#ifndef E2_ATOMIC_H
#define E2_ATOMIC_H

#include <stddef.h>
#include <sys/types.h>

/* Returns 0 or E2_ERR_IO with a message naming the file in err. */
int	atomic_write(const char *path, const void *data, size_t len,
	    mode_t mode, char *err, size_t errlen);
/*
 * The same, but never replaces: the whole new file appears at path only
 * if nothing was there (hard link of the synced temporary file), else
 * E2_ERR_EXISTS and path is untouched.  For creating keys: two processes
 * racing to make one never both believe they made it.
 */
int	atomic_create(const char *path, const void *data, size_t len,
	    mode_t mode, char *err, size_t errlen);
/*
 * Reads a whole file of at most maxlen bytes into a malloc()ed buffer
 * (NUL-terminated; *lenp excludes the NUL).  E2_ERR_NOTFOUND if it does
 * not exist, E2_ERR_TOOBIG, E2_ERR_IO.  With secret set, the buffer is
 * sodium_malloc()ed and must be freed with sodium_free().
 */
int	read_file(const char *path, size_t maxlen, int secret, char **datap,
	    size_t *lenp, char *err, size_t errlen);
/*
 * read_file() on a file the caller opened (after checking it with fstat):
 * path is used only in messages.  A file that is not a regular file is
 * E2_ERR_IO.  The caller closes fd.
 */
int	read_fd(int fd, const char *path, size_t maxlen, int secret,
	    char **datap, size_t *lenp, char *err, size_t errlen);
/* Frees what read_file() gave (wiping it); data may be NULL. */
void	free_file(char *data, size_t len, int secret);

#endif
