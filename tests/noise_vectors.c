/*
 * noise_vectors.c - runs standard Noise test vectors (the cacophony / noise-c
 * JSON format) against src/core/noise.c.
 *
 *	noise_vectors FILE.json
 *
 * For every vector an initiator and a responder are set up from the
 * vector's keys, prologues and psks; messages alternate initiator,
 * responder, ... through the handshake and on as transport messages.
 * Every ciphertext, every decrypted payload and the handshake hash are
 * compared.  One line per vector (PASS, FAIL or SKIP), then a summary;
 * the exit status is 0 only when no vector failed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "json.h"
#include "noise.h"

#define MAX_FILE	JSON_MAX_INPUT
#define MAX_PSKS	4

/* Fields a vector may carry; anything else makes it SKIP. */
static const char *known_fields[] = {
	"protocol_name", "handshake_hash", "messages",
	"init_prologue", "init_psks", "init_static", "init_ephemeral",
	"init_remote_static",
	"resp_prologue", "resp_psks", "resp_static", "resp_ephemeral",
	"resp_remote_static",
	"name", "fail", "_source", "_comment",
	NULL,
};

struct side {
	struct noise_hs	*hs;
	struct noise_cs	*send;
	struct noise_cs	*recv;
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes a JSON hex string into a new buffer; -1 when it is not one. */
static int
hex_decode(const struct json *j, uint8_t **outp, size_t *lenp)
{
	uint8_t *out;
	size_t i, n;
	int hi, lo;

	*outp = NULL;
	*lenp = 0;
	if (j == NULL || j->type != JSON_STRING || j->len % 2 != 0)
		return -1;
	n = j->len / 2;
	if ((out = malloc(n > 0 ? n : 1)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		hi = hexval((unsigned char)j->str[2 * i]);
		lo = hexval((unsigned char)j->str[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(out);
			return -1;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*outp = out;
	*lenp = n;
	return 0;
}

/* A field that must be exactly NOISE_KEYLEN bytes of hex, when present. */
static int
get_key(const struct json *v, const char *field, uint8_t key[NOISE_KEYLEN],
    int *presentp, char *why, size_t whylen)
{
	const struct json *j = json_get(v, field);
	uint8_t *b;
	size_t n;

	*presentp = 0;
	if (j == NULL)
		return 0;
	if (hex_decode(j, &b, &n) != 0 || n != NOISE_KEYLEN) {
		free(b);
		snprintf(why, whylen, "%s is not a 32-byte hex key", field);
		return -1;
	}
	memcpy(key, b, NOISE_KEYLEN);
	free(b);
	*presentp = 1;
	return 0;
}

/* Sets up one side from the "init_" or "resp_" fields. */
static int
setup(struct side *sd, const struct json *v, const char *name,
    enum noise_role role, char *why, size_t whylen)
{
	const char *pre = role == NOISE_INITIATOR ? "init" : "resp";
	const struct json *j, *psks;
	char field[64];
	uint8_t key[NOISE_KEYLEN], *b = NULL;
	size_t n, i;
	int present, r;

	if ((r = noise_hs_new(&sd->hs, name, role)) != 0) {
		snprintf(why, whylen, "%s", r == E2_ERR_UNSUPPORTED ?
		    "unsupported" : e2_strerror(r));
		return r == E2_ERR_UNSUPPORTED ? 1 : -1;
	}

	snprintf(field, sizeof(field), "%s_prologue", pre);
	if ((j = json_get(v, field)) != NULL) {
		if (hex_decode(j, &b, &n) != 0) {
			snprintf(why, whylen, "%s is not hex", field);
			return -1;
		}
		r = noise_hs_set_prologue(sd->hs, b, n);
		free(b);
		if (r != 0)
			goto noise_err;
	}

	snprintf(field, sizeof(field), "%s_static", pre);
	if (get_key(v, field, key, &present, why, whylen) != 0)
		return -1;
	if (present && (r = noise_hs_set_local_static(sd->hs, key)) != 0)
		goto noise_err;

	snprintf(field, sizeof(field), "%s_ephemeral", pre);
	if (get_key(v, field, key, &present, why, whylen) != 0)
		return -1;
	if (!present) {
		snprintf(why, whylen, "no %s (vectors need fixed keys)", field);
		return -1;
	}
	if ((r = noise_hs_set_local_ephemeral(sd->hs, key)) != 0)
		goto noise_err;

	snprintf(field, sizeof(field), "%s_remote_static", pre);
	if (get_key(v, field, key, &present, why, whylen) != 0)
		return -1;
	if (present && (r = noise_hs_set_remote_static(sd->hs, key)) != 0)
		goto noise_err;

	snprintf(field, sizeof(field), "%s_psks", pre);
	if ((psks = json_get(v, field)) != NULL) {
		if (psks->type != JSON_ARRAY || psks->n > MAX_PSKS) {
			snprintf(why, whylen, "%s is not a short array", field);
			return -1;
		}
		for (i = 0; i < psks->n; i++) {
			if (hex_decode(json_at(psks, i), &b, &n) != 0 ||
			    n != NOISE_KEYLEN) {
				free(b);
				snprintf(why, whylen, "%s[%zu] is not a key",
				    field, i);
				return -1;
			}
			r = noise_hs_add_psk(sd->hs, b);
			sodium_memzero(b, n);
			free(b);
			if (r != 0)
				goto noise_err;
		}
	}

	if ((r = noise_hs_start(sd->hs)) != 0)
		goto noise_err;
	return 0;
noise_err:
	snprintf(why, whylen, "%s setup: %s", pre, e2_strerror(r));
	return -1;
}

static void
side_clear(struct side *sd)
{
	noise_hs_free(sd->hs);
	noise_cs_free(sd->send);
	noise_cs_free(sd->recv);
	memset(sd, 0, sizeof(*sd));
}

/*
 * One message from tx to rx: during the handshake through the
 * HandshakeStates, afterwards through the CipherStates.
 */
static int
one_message(struct side *tx, struct side *rx, const uint8_t *pay,
    size_t paylen, const uint8_t *ct, size_t ctlen, size_t idx,
    char *why, size_t whylen)
{
	static uint8_t wire[NOISE_MAX_MSGLEN], back[NOISE_MAX_MSGLEN];
	size_t wlen, blen;
	int r;

	if (tx->send == NULL) {
		if (noise_hs_action(tx->hs) != NOISE_ACTION_WRITE ||
		    noise_hs_action(rx->hs) != NOISE_ACTION_READ) {
			snprintf(why, whylen, "message %zu: sides out of step",
			    idx);
			return -1;
		}
		r = noise_hs_write(tx->hs, pay, paylen, wire, sizeof(wire),
		    &wlen);
	} else
		r = noise_cs_encrypt(tx->send, NULL, 0, pay, paylen, wire,
		    sizeof(wire), &wlen);
	if (r != 0) {
		snprintf(why, whylen, "message %zu write: %s", idx,
		    e2_strerror(r));
		return -1;
	}
	if (wlen != ctlen || memcmp(wire, ct, ctlen) != 0) {
		snprintf(why, whylen, "message %zu ciphertext differs", idx);
		return -1;
	}
	if (rx->recv == NULL)
		r = noise_hs_read(rx->hs, ct, ctlen, back, sizeof(back),
		    &blen);
	else
		r = noise_cs_decrypt(rx->recv, NULL, 0, ct, ctlen, back,
		    sizeof(back), &blen);
	if (r != 0) {
		snprintf(why, whylen, "message %zu read: %s", idx,
		    e2_strerror(r));
		return -1;
	}
	if (blen != paylen || memcmp(back, pay, paylen) != 0) {
		snprintf(why, whylen, "message %zu payload differs", idx);
		return -1;
	}
	return 0;
}

/* After the handshake: compare h on both sides, then Split(). */
static int
finish_handshake(struct side *in, struct side *re, const struct json *v,
    char *why, size_t whylen)
{
	uint8_t hi[NOISE_HASHLEN], hr[NOISE_HASHLEN], *want = NULL;
	size_t wantlen;
	const struct json *j;
	int r;

	if ((r = noise_hs_handshake_hash(in->hs, hi)) != 0 ||
	    (r = noise_hs_handshake_hash(re->hs, hr)) != 0) {
		snprintf(why, whylen, "handshake hash: %s", e2_strerror(r));
		return -1;
	}
	if (memcmp(hi, hr, sizeof(hi)) != 0) {
		snprintf(why, whylen, "the two handshake hashes differ");
		return -1;
	}
	if ((j = json_get(v, "handshake_hash")) != NULL) {
		if (hex_decode(j, &want, &wantlen) != 0) {
			snprintf(why, whylen, "handshake_hash is not hex");
			return -1;
		}
		r = wantlen != sizeof(hi) || memcmp(want, hi, sizeof(hi)) != 0;
		free(want);
		if (r) {
			snprintf(why, whylen, "handshake hash differs");
			return -1;
		}
	}
	if ((r = noise_hs_split(in->hs, &in->send, &in->recv)) != 0 ||
	    (r = noise_hs_split(re->hs, &re->send, &re->recv)) != 0) {
		snprintf(why, whylen, "split: %s", e2_strerror(r));
		return -1;
	}
	return 0;
}

/* Returns 0 PASS, 1 SKIP, -1 FAIL; why says the reason. */
static int
run_vector(const struct json *v, const char *name, size_t *nmsgp, char *why,
    size_t whylen)
{
	struct side in, re, *tx, *rx;
	const struct json *msgs, *m, *f;
	uint8_t *pay = NULL, *ct = NULL;
	size_t paylen, ctlen, i, k;
	int r = -1, done = 0;

	memset(&in, 0, sizeof(in));
	memset(&re, 0, sizeof(re));
	*nmsgp = 0;

	for (f = v->child; f != NULL; f = f->next) {
		for (k = 0; known_fields[k] != NULL; k++)
			if (strcmp(f->key, known_fields[k]) == 0)
				break;
		if (known_fields[k] == NULL) {
			snprintf(why, whylen, "unsupported field %s", f->key);
			return 1;
		}
	}
	if ((f = json_get(v, "fail")) != NULL && f->type != JSON_FALSE) {
		snprintf(why, whylen, "unsupported (expects a failure)");
		return 1;
	}
	msgs = json_get(v, "messages");
	if (msgs == NULL || msgs->type != JSON_ARRAY) {
		snprintf(why, whylen, "no messages array");
		return -1;
	}

	if ((r = setup(&in, v, name, NOISE_INITIATOR, why, whylen)) != 0 ||
	    (r = setup(&re, v, name, NOISE_RESPONDER, why, whylen)) != 0)
		goto out;
	r = -1;

	for (i = 0; i < msgs->n; i++) {
		m = json_at(msgs, i);
		if (m == NULL || m->type != JSON_OBJECT ||
		    hex_decode(json_get(m, "payload"), &pay, &paylen) != 0 ||
		    hex_decode(json_get(m, "ciphertext"), &ct, &ctlen) != 0) {
			snprintf(why, whylen, "message %zu is malformed", i);
			goto out;
		}
		/* Both patterns here are two-way: senders alternate. */
		tx = i % 2 == 0 ? &in : &re;
		rx = i % 2 == 0 ? &re : &in;
		if (one_message(tx, rx, pay, paylen, ct, ctlen, i, why,
		    whylen) != 0)
			goto out;
		free(pay);
		free(ct);
		pay = ct = NULL;
		if (!done && noise_hs_action(in.hs) == NOISE_ACTION_SPLIT &&
		    noise_hs_action(re.hs) == NOISE_ACTION_SPLIT) {
			if (finish_handshake(&in, &re, v, why, whylen) != 0)
				goto out;
			done = 1;
		}
	}
	if (!done) {
		snprintf(why, whylen, "handshake did not complete");
		goto out;
	}
	*nmsgp = msgs->n;
	r = 0;
out:
	free(pay);
	free(ct);
	side_clear(&in);
	side_clear(&re);
	return r;
}

static char *
read_file(const char *path, size_t *lenp)
{
	FILE *fp;
	char *buf;
	size_t n;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	if ((buf = malloc(MAX_FILE + 1)) == NULL) {
		fclose(fp);
		return NULL;
	}
	n = fread(buf, 1, MAX_FILE + 1, fp);
	if (ferror(fp) || n > MAX_FILE) {
		fclose(fp);
		free(buf);
		return NULL;
	}
	fclose(fp);
	*lenp = n;
	return buf;
}

int
main(int argc, char **argv)
{
	const struct json *vecs, *v, *pn;
	struct json *root = NULL;
	char err[256], why[256], *text;
	size_t len, i, nmsg;
	int npass = 0, nfail = 0, nskip = 0, r;

	if (argc != 2) {
		fprintf(stderr, "usage: noise_vectors FILE.json\n");
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "noise_vectors: libsodium init failed\n");
		return 2;
	}
	if ((text = read_file(argv[1], &len)) == NULL) {
		fprintf(stderr, "noise_vectors: cannot read %s\n", argv[1]);
		return 2;
	}
	if (json_parse(text, len, &root, err, sizeof(err)) != 0) {
		fprintf(stderr, "noise_vectors: %s: %s\n", argv[1], err);
		free(text);
		return 2;
	}
	free(text);
	vecs = json_get(root, "vectors");
	if (vecs == NULL || vecs->type != JSON_ARRAY) {
		fprintf(stderr, "noise_vectors: %s: no \"vectors\" array\n",
		    argv[1]);
		json_free(root);
		return 2;
	}

	for (i = 0; i < vecs->n; i++) {
		v = json_at(vecs, i);
		pn = json_get(v, "protocol_name");
		if (v->type != JSON_OBJECT || pn == NULL ||
		    pn->type != JSON_STRING || strlen(pn->str) != pn->len) {
			printf("FAIL vector %zu: no protocol_name\n", i);
			nfail++;
			continue;
		}
		why[0] = '\0';
		r = run_vector(v, pn->str, &nmsg, why, sizeof(why));
		if (r == 0) {
			printf("PASS %s (%zu messages)\n", pn->str, nmsg);
			npass++;
		} else if (r > 0) {
			printf("SKIP %s: %s\n", pn->str, why);
			nskip++;
		} else {
			printf("FAIL %s: %s\n", pn->str, why);
			nfail++;
		}
	}
	json_free(root);
	printf("%d passed, %d failed, %d skipped\n", npass, nfail, nskip);
	return nfail == 0 ? 0 : 1;
}
