/*
 * paths.h - where e2call keeps its files.
 *
 *	config dir: $E2CALL_HOME if set, else $XDG_CONFIG_HOME/e2call, else
 *	            ~/.config/e2call   (identity, config, contacts,
 *	            known_servers)
 *	data dir:   $XDG_DATA_HOME/e2call, else ~/.local/share/e2call
 *	            (server_key, the server's registration database)
 *
 * Both are created (mode 0700, parents as needed) on first use.  Empty
 * variables count as unset; a relative XDG_* path is ignored (XDG Base
 * Directory rules), a relative E2CALL_HOME is an error.  Without HOME the
 * password database gives the home directory.
 */
#ifndef E2_PATHS_H
#define E2_PATHS_H

#include <stddef.h>

/* Fill out with the directory, creating it; 0 or E2_ERR_IO (err says why). */
int	paths_config_dir(char *out, size_t cap, char *err, size_t errlen);
int	paths_data_dir(char *out, size_t cap, char *err, size_t errlen);
/* out = config dir + "/" + file. */
int	paths_config_file(const char *file, char *out, size_t cap, char *err,
	    size_t errlen);
/* out = data dir + "/" + file (e.g. "server_key", "server.db"). */
int	paths_data_file(const char *file, char *out, size_t cap, char *err,
	    size_t errlen);

#endif
