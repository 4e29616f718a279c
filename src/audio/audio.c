/* audio.c: not written yet */
