/* audio_alsa.c: not written yet */
