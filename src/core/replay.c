/* replay.c: not written yet */
