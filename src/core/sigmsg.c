/* sigmsg.c: not written yet */
