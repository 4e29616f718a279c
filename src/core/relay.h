/*
 * relay.h - the relay's control datagrams (docs/PROTOCOL.md 5b), sans
 * I/O.
 *
 * A relay leg is granted over the signaling channel (RELAY_GRANT: a leg
 * id and a 32-byte leg key).  The client binds its UDP address to the leg
 * with a RELAY_BIND datagram sent from its media socket to the server's
 * UDP port; the server answers RELAY_BOUND, or, when the BIND comes from
 * an address the leg is not bound at and carries no cookie for it,
 * RELAY_COOKIE.  All three carry a MAC under the leg key, so only the
 * holder of the grant can bind and only the server can answer:
 *
 *	RELAY_BIND   u8 0xe1, u64 leg, u64 seq, u8 cookie[16], u8 mac[16]
 *	RELAY_COOKIE u8 0xe3, u64 leg, u64 seq, u8 cookie[16], u8 mac[16]
 *	RELAY_BOUND  u8 0xe2, u64 leg, u64 seq, u8 flags, u8 mac[16]
 *
 *	(49, 49 and 34 bytes)
 *	mac = BLAKE2b-128(key = leg key, message = every byte before mac)
 *
 * Return routability, as WireGuard's cookie reply: a leg moves to a new
 * source address only when the BIND from there echoes the cookie the
 * server sent to that very address, so a BIND whose source address was
 * forged binds nothing, and the relay never sends media to an address
 * that did not ask for it.  The cookie is a MAC of the leg id and the
 * address under a secret of the server's that it replaces every two
 * minutes (relay_cookie_make); a client echoes the last cookie it got
 * (zeros before the first).  No answer is larger than the BIND that
 * caused it.
 *
 * seq grows with every BIND of a leg (the server keeps the highest one it
 * accepted and refuses the others, so a BIND seen on the wire cannot be
 * replayed from another address); COOKIE and BOUND echo it.  flags bit 0:
 * the other leg of the call is bound too, so media can pass.
 *
 * Everything else that reaches the server's UDP port is STUN (the first
 * byte 0x00 or 0x01) or, from a bound address, a media datagram (first
 * byte 0x10..0x2f, section 7) to forward.
 */
#ifndef E2_RELAY_H
#define E2_RELAY_H

#include <stddef.h>
#include <stdint.h>

#define RELAY_KEYLEN		32
#define RELAY_MACLEN		16
#define RELAY_COOKIELEN		16
#define RELAY_SECRETLEN		32
#define RELAY_BIND		0xe1
#define RELAY_BOUND		0xe2
#define RELAY_COOKIE		0xe3
#define RELAY_BIND_LEN		49
#define RELAY_COOKIE_LEN	49
#define RELAY_BOUND_LEN		34
#define RELAY_F_PEER_BOUND	0x01

enum relay_kind {
	RELAY_DG_OTHER,		/* nothing the relay knows */
	RELAY_DG_STUN,		/* first byte 0x00/0x01: see stun.h */
	RELAY_DG_BIND,
	RELAY_DG_BOUND,
	RELAY_DG_COOKIE,
	RELAY_DG_MEDIA,		/* an encrypted media datagram (mpkt) */
};

/* What a datagram is, by its first byte and its length alone. */
enum relay_kind relay_classify(const uint8_t *p, size_t len);

/* Writes a RELAY_BIND (RELAY_BIND_LEN bytes) echoing cookie into out. */
void	relay_bind_seal(uint64_t leg, uint64_t seq,
	    const uint8_t cookie[RELAY_COOKIELEN],
	    const uint8_t key[RELAY_KEYLEN], uint8_t out[RELAY_BIND_LEN]);
/*
 * The leg id of a RELAY_BIND, so the server can find the key; 0 or
 * E2_ERR_MALFORMED.  Nothing is authenticated yet.
 */
int	relay_bind_leg(const uint8_t *p, size_t len, uint64_t *legp);
/*
 * Checks the MAC of a RELAY_BIND under key: 0 with *seqp and the cookie
 * it echoes, or E2_ERR_MALFORMED / E2_ERR_AUTH.
 */
int	relay_bind_open(const uint8_t *p, size_t len,
	    const uint8_t key[RELAY_KEYLEN], uint64_t *seqp,
	    uint8_t cookie[RELAY_COOKIELEN]);

/*
 * The server's cookie for leg at an address (addr: any fixed encoding of
 * it, the same every time): BLAKE2b-128 under secret of the leg id and
 * addr.
 */
void	relay_cookie_make(const uint8_t secret[RELAY_SECRETLEN], uint64_t leg,
	    const uint8_t *addr, size_t addrlen,
	    uint8_t cookie[RELAY_COOKIELEN]);
/* Writes a RELAY_COOKIE (RELAY_COOKIE_LEN bytes) into out. */
void	relay_cookie_seal(uint64_t leg, uint64_t seq,
	    const uint8_t cookie[RELAY_COOKIELEN],
	    const uint8_t key[RELAY_KEYLEN], uint8_t out[RELAY_COOKIE_LEN]);
/*
 * Checks a RELAY_COOKIE for leg under key: 0 with *seqp and the cookie;
 * E2_ERR_MALFORMED, E2_ERR_STATE (another leg) or E2_ERR_AUTH.
 */
int	relay_cookie_open(const uint8_t *p, size_t len, uint64_t leg,
	    const uint8_t key[RELAY_KEYLEN], uint64_t *seqp,
	    uint8_t cookie[RELAY_COOKIELEN]);

void	relay_bound_seal(uint64_t leg, uint64_t seq, uint8_t flags,
	    const uint8_t key[RELAY_KEYLEN], uint8_t out[RELAY_BOUND_LEN]);
/*
 * Checks a RELAY_BOUND for leg under key: 0 with *seqp and *flagsp;
 * E2_ERR_MALFORMED, E2_ERR_STATE (another leg) or E2_ERR_AUTH.
 */
int	relay_bound_open(const uint8_t *p, size_t len, uint64_t leg,
	    const uint8_t key[RELAY_KEYLEN], uint64_t *seqp, uint8_t *flagsp);

#endif
