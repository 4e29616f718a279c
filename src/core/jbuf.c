/* jbuf.c: not written yet */
