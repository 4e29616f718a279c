/*
 * relay.h - the relay's control datagrams (docs/PROTOCOL.md 5b), sans
 * I/O.
 *
 * A relay leg is granted over the signaling channel (RELAY_GRANT: a leg
 * id and a 32-byte leg key).  The client binds its UDP address to the leg
 * with a RELAY_BIND datagram sent from its media socket to the server's
 * UDP port; the server answers RELAY_BOUND.  Both carry a MAC under the
 * leg key, so only the holder of the grant can bind and only the server
 * can confirm:
 *
 *	RELAY_BIND   u8 0xe1, u64 leg, u64 seq, u8 mac[16]           33 bytes
 *	RELAY_BOUND  u8 0xe2, u64 leg, u64 seq, u8 flags, u8 mac[16] 34 bytes
 *
 *	mac = BLAKE2b-128(key = leg key, message = every byte before mac)
 *
 * seq grows with every BIND of a leg (the server keeps the highest one it
 * accepted and refuses the others, so a BIND seen on the wire cannot be
 * replayed from another address); BOUND echoes it.  flags bit 0: the
 * other leg of the call is bound too, so media can pass.
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
#define RELAY_BIND		0xe1
#define RELAY_BOUND		0xe2
#define RELAY_BIND_LEN		33
#define RELAY_BOUND_LEN		34
#define RELAY_F_PEER_BOUND	0x01

enum relay_kind {
	RELAY_DG_OTHER,		/* nothing the relay knows */
	RELAY_DG_STUN,		/* first byte 0x00/0x01: see stun.h */
	RELAY_DG_BIND,
	RELAY_DG_BOUND,
	RELAY_DG_MEDIA,		/* an encrypted media datagram (mpkt) */
};

/* What a datagram is, by its first byte and its length alone. */
enum relay_kind relay_classify(const uint8_t *p, size_t len);

/* Writes a RELAY_BIND (RELAY_BIND_LEN bytes) into out. */
void	relay_bind_seal(uint64_t leg, uint64_t seq,
	    const uint8_t key[RELAY_KEYLEN], uint8_t out[RELAY_BIND_LEN]);
/*
 * The leg id of a RELAY_BIND, so the server can find the key; 0 or
 * E2_ERR_MALFORMED.  Nothing is authenticated yet.
 */
int	relay_bind_leg(const uint8_t *p, size_t len, uint64_t *legp);
/* Checks the MAC of a RELAY_BIND under key: 0 and *seqp, or E2_ERR_AUTH. */
int	relay_bind_open(const uint8_t *p, size_t len,
	    const uint8_t key[RELAY_KEYLEN], uint64_t *seqp);

void	relay_bound_seal(uint64_t leg, uint64_t seq, uint8_t flags,
	    const uint8_t key[RELAY_KEYLEN], uint8_t out[RELAY_BOUND_LEN]);
/*
 * Checks a RELAY_BOUND for leg under key: 0 with *seqp and *flagsp;
 * E2_ERR_MALFORMED, E2_ERR_STATE (another leg) or E2_ERR_AUTH.
 */
int	relay_bound_open(const uint8_t *p, size_t len, uint64_t leg,
	    const uint8_t key[RELAY_KEYLEN], uint64_t *seqp, uint8_t *flagsp);

#endif
