/* codec_opus.c: not written yet */
