/* mpkt.c: not written yet */
