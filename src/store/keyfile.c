/* keyfile.c: not written yet */
