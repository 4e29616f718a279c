/* cmd_id.c: not written yet */
