/* atomic.c: not written yet */
