/*
 * config_file.h - the client's config file on disk (format in conf.h).
 */
#ifndef E2_CONFIG_FILE_H
#define E2_CONFIG_FILE_H

#include <stddef.h>

#include "conf.h"

#define CONFIG_FILE_MAX	(64u << 10)

/*
 * Fills c with the defaults, then the settings of the file at path.  A
 * missing file gives the defaults.  Errors: E2_ERR_MALFORMED with
 * "path:N: reason" in err, E2_ERR_TOOBIG, E2_ERR_IO.
 */
int	config_load(const char *path, struct config *c, char *err,
	    size_t errlen);
/*
 * Sets one key in the file at path: rewrites the line that sets it, or
 * appends "key = value" when no line does, keeping every other line and
 * comment as it was.  The new file replaces the old one atomically (a
 * new file is made with mode 0600).  The value is checked as the parser
 * would; a file that does not parse is left untouched.  Errors:
 * E2_ERR_INVAL (bad key or value: err says why), E2_ERR_MALFORMED
 * ("path:N: reason"), E2_ERR_TOOBIG, E2_ERR_IO, E2_ERR_NOMEM.
 */
int	config_save_value(const char *path, const char *key,
	    const char *value, char *err, size_t errlen);

#endif
