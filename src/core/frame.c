/* frame.c: not written yet */
