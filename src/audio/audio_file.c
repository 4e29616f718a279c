/* audio_file.c: not written yet */
