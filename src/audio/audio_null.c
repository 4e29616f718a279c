/* audio_null.c: not written yet */
