/* cmd_contacts.c: not written yet */
