/* contacts.c: not written yet */
