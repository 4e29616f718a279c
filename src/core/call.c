/* call.c: not written yet */
