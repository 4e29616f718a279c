/*
 * sigmsg.h - signaling messages, encoded and decoded sans I/O.
 *
 * One message is the plaintext of one Noise transport message on the
 * signaling channel.  Encoding:
 *
 *	u8 type
 *	then fields, each: u8 tag, u16 length (big endian), value
 *
 * Fields may come in any order, each tag at most once except CAND.  A
 * decoder refuses unknown types, a field too long for its tag, a missing
 * required field (per-type table in sigmsg.c), a repeated field and
 * trailing bytes; it ignores unknown tags >= 0x80 (for extensions).
 * Strings are UTF-8 without NUL; names are validated by sigmsg_name_ok().
 * Full description in docs/PROTOCOL.md.
 */
#ifndef E2_SIGMSG_H
#define E2_SIGMSG_H

#include <stddef.h>
#include <stdint.h>

#define SIG_NAME_MAX	32	/* bytes in a name */
#define SIG_TEXT_MAX	200	/* bytes in a reason text */
#define SIG_E2E_MAX	1024	/* end-to-end handshake message */
#define SIG_CAND_MAX	8	/* candidates in one message */
#define SIG_MSG_MAX	4096	/* largest encoded message */
#define SIG_RELAY_KEYLEN 32	/* relay leg key (see relay.h) */
#define SIG_SEALED_MIN	17	/* sealed control: a tag and a byte */
#define SIG_SEALED_MAX	512

enum sig_type {
	/* client -> server */
	SIG_REGISTER = 0x01,	/* NAME: claim a name for my static key */
	SIG_DIAL = 0x02,	/* CALL, NAME (callee), E2E (msg 1) */
	/* both ways: forwarded by the server to the other party of CALL */
	SIG_RINGING = 0x03,	/* CALL, E2E (msg 2): callee is ringing */
	SIG_HANDSHAKE = 0x04,	/* CALL, E2E (msg 3), CAND*: caller done */
	SIG_ACCEPT = 0x05,	/* CALL, CAND*: callee answered */
	SIG_REJECT = 0x06,	/* CALL, REASON: callee declined/busy */
	SIG_HANGUP = 0x07,	/* CALL, REASON: either side ends/cancels */
	SIG_PING = 0x08,	/* keepalive; answered by PONG */
	SIG_PONG = 0x09,
	SIG_RELAY_REQUEST = 0x0a, /* CALL: a relay leg for my media */
	SIG_MOVE = 0x0b,	/* NAME, MOVEPROOF: move NAME from the key of
				   the proof to mine (keymove.h) */
	/* server -> client */
	SIG_REGISTERED = 0x10,	/* NAME: the name is mine (and stored) */
	SIG_INCOMING = 0x11,	/* CALL, NAME (caller), E2E (msg 1) */
	SIG_ERROR = 0x12,	/* REASON, TEXT, optional CALL */
	SIG_WELCOME = 0x13,	/* VERSION: first message after the handshake */
	SIG_RELAY_GRANT = 0x14,	/* CALL, RELAY, CAND (relay); or CALL, REASON
				   [TEXT] when refused */
};

enum sig_tag {
	SIG_T_CALL = 0x01,	/* u64 call id */
	SIG_T_NAME = 0x02,	/* string, 1..SIG_NAME_MAX */
	SIG_T_E2E = 0x03,	/* bytes, 1..SIG_E2E_MAX */
	SIG_T_CAND = 0x04,	/* candidate, repeated (see struct sig_cand) */
	SIG_T_REASON = 0x05,	/* u8 enum sig_reason */
	SIG_T_TEXT = 0x06,	/* string, 0..SIG_TEXT_MAX */
	SIG_T_VERSION = 0x07,	/* u8 protocol version */
	SIG_T_RELAY = 0x08,	/* u64 leg id, 32-byte leg key */
	SIG_T_SEALED = 0x09,	/* end-to-end sealed control (e2e.h) */
	SIG_T_MOVEPROOF = 0x0a,	/* old key, MAC (keymove.h): 64 bytes */
};

#define SIG_VERSION	1

enum sig_reason {
	SIG_R_NONE = 0,
	SIG_R_HANGUP = 1,	/* normal end */
	SIG_R_REJECTED = 2,	/* callee declined */
	SIG_R_BUSY = 3,		/* callee already in a call */
	SIG_R_CANCELLED = 4,	/* caller hung up while ringing */
	SIG_R_OFFLINE = 5,	/* name registered but not connected */
	SIG_R_UNKNOWN = 6,	/* name not registered */
	SIG_R_NO_ANSWER = 7,	/* ringing timed out */
	SIG_R_GLARE = 8,	/* both called each other; this call lost */
	SIG_R_PEER_GONE = 9,	/* the other side's connection dropped */
	SIG_R_KEY_CHANGED = 10,	/* refused: peer's key changed */
	SIG_R_HANDSHAKE = 11,	/* end-to-end handshake failed */
	SIG_R_BAD_NAME = 12,	/* name fails the rules */
	SIG_R_NAME_TAKEN = 13,	/* name belongs to another key */
	SIG_R_PROTOCOL = 14,	/* malformed or out-of-state message */
	SIG_R_LIMIT = 15,	/* server limit reached */
	SIG_R_SERVER = 16,	/* server-side failure */
	SIG_R_MEDIA = 17,	/* media path failed / timed out */
	SIG_R_VERSION = 18,	/* the other side runs an older e2call */
	SIG_R_MAX = 18,
};

enum sig_cand_kind {
	SIG_CAND_HOST = 1,
	SIG_CAND_SRFLX = 2,
	SIG_CAND_RELAY = 3,
};

/* CAND value: u8 kind, u8 family (4 or 6), 4 or 16 address bytes, u16 port */
struct sig_cand {
	uint8_t		kind;
	uint8_t		family;		/* 4 or 6 */
	uint8_t		addr[16];	/* network order; first 4 for IPv4 */
	uint16_t	port;
};

struct sigmsg {
	uint8_t		type;
	uint32_t	fields;		/* bit (1 << tag) for each present tag */
	uint64_t	call;
	char		name[SIG_NAME_MAX + 1];
	uint8_t		e2e[SIG_E2E_MAX];
	uint16_t	e2e_len;
	uint8_t		reason;
	char		text[SIG_TEXT_MAX + 1];
	uint8_t		version;
	uint8_t		ncand;
	struct sig_cand	cand[SIG_CAND_MAX];
	uint64_t	relay_leg;
	uint8_t		relay_key[SIG_RELAY_KEYLEN];
	uint8_t		sealed[SIG_SEALED_MAX];
	uint16_t	sealed_len;
	uint8_t		moveproof[64];
};

#define SIG_HAS(m, tag)	(((m)->fields >> (tag)) & 1u)

/* Zeroes m and sets its type. */
void	sigmsg_init(struct sigmsg *m, enum sig_type type);
/* Setters also mark the field present; E2_ERR_TOOBIG when too long. */
int	sigmsg_set_name(struct sigmsg *m, const char *name);
int	sigmsg_set_text(struct sigmsg *m, const char *text);
int	sigmsg_set_e2e(struct sigmsg *m, const uint8_t *p, size_t len);
int	sigmsg_add_cand(struct sigmsg *m, const struct sig_cand *c);
void	sigmsg_set_call(struct sigmsg *m, uint64_t call);
void	sigmsg_set_reason(struct sigmsg *m, enum sig_reason r);
void	sigmsg_set_relay(struct sigmsg *m, uint64_t leg,
	    const uint8_t key[SIG_RELAY_KEYLEN]);

/* Encodes m (only the fields marked present) into out. */
int	sigmsg_encode(const struct sigmsg *m, uint8_t *out, size_t outcap,
	    size_t *outlenp);
/* Decodes in into *m; on error *m is unspecified. */
int	sigmsg_decode(struct sigmsg *m, const uint8_t *in, size_t len);
int	sigmsg_set_sealed(struct sigmsg *m, const uint8_t *p, size_t len);
void	sigmsg_set_moveproof(struct sigmsg *m, const uint8_t p[64]);

/*
 * The plaintext of a SEALED field (docs/PROTOCOL.md 5.1.4): encoded like a
 * message of the outer type, with only the fields the sealed table allows:
 * HANDSHAKE and ACCEPT: CALL, CAND*; REJECT and HANGUP: CALL, REASON,
 * TEXT.  Other types are E2_ERR_INVAL / E2_ERR_UNSUPPORTED.
 */
int	sigmsg_encode_inner(const struct sigmsg *m, uint8_t *out,
	    size_t outcap, size_t *outlenp);
int	sigmsg_decode_inner(struct sigmsg *m, const uint8_t *in, size_t len);

const char *sigmsg_type_name(uint8_t type);
/* "hangup", "rejected", ... (the names used in batch events and docs) */
const char *sig_reason_name(uint8_t reason);

/*
 * Names: 1..32 bytes of [a-z0-9._-], starting with a letter or digit.
 * Returns 1 if ok.
 */
int	sigmsg_name_ok(const char *name);
/*
 * Copies a string that came from the network into out (outcap bytes,
 * always NUL-terminated), replacing every control character, DEL, ESC and
 * invalid UTF-8 byte with '?', so it can be shown on a terminal or logged.
 */
void	sanitize_str(const char *in, char *out, size_t outcap);

#endif
