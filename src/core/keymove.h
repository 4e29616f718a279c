/*
 * keymove.h - moving a name to a new identity key on a server, sans I/O
 * (docs/PROTOCOL.md 5a.2).
 *
 * A client that still holds the old private key proves it to the server
 * with a MAC the server can check with its own static key:
 *
 *	mac = BLAKE2b-256(key = DH(a, B), message = "e2call-signal/1 move"
 *	    || u8 len || name || new)
 *
 * where (a, B) is (old private key, server's static public key) on the
 * client and (server's static private key, old public key) on the server:
 * the same DH.  new is the key the client proved in this connection's
 * signaling handshake, so the proof cannot be replayed for another key,
 * name or server.  The MOVE message carries old || mac (64 bytes).
 */
#ifndef E2_KEYMOVE_H
#define E2_KEYMOVE_H

#include <stdint.h>

#define KEYMOVE_LABEL	"e2call-signal/1 move"
#define KEYMOVE_LEN	64	/* old public key, mac */

/* E2_ERR_KEY for a DH that gives zero (a low-order point), E2_ERR_INVAL. */
int	keymove_mac(uint8_t mac[32], const uint8_t priv[32],
	    const uint8_t pub[32], const char *name, const uint8_t newkey[32]);
/* The 64-byte proof a client sends: old_pub || keymove_mac(...). */
int	keymove_proof(uint8_t out[KEYMOVE_LEN], const uint8_t old_priv[32],
	    const uint8_t old_pub[32], const uint8_t server_pub[32],
	    const char *name, const uint8_t newkey[32]);
/* The server's check of a proof; 0 when it holds, else E2_ERR_AUTH. */
int	keymove_check(const uint8_t proof[KEYMOVE_LEN],
	    const uint8_t server_priv[32], const char *name,
	    const uint8_t newkey[32]);

#endif
