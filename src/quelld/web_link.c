// SPDX-License-Identifier: GPL-2.0-only
/*
 * web_link.c - SHA-256, HMAC-SHA256 and the web view's link credentials
 * (web_link.h). Pure, and apart from web.c: the socket command that signs a
 * link (api_web.c) and the HTTP side that verifies one (web.c) both call
 * down into it, and neither calls the other (issue 13).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tenant_name.h"
#include "web_link.h"

/* ---------------------------------------------------------------- SHA-256 */

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
	size_t n;
};

#define ROR(x, n)	(((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++)
		w[i] = (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10)) + w[i - 7] +
		       (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) + w[i - 16];
	a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3];
	e = s->h[4]; f = s->h[5]; g = s->h[6]; h = s->h[7];
	for (int i = 0; i < 64; i++) {
		t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d;
	s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

static void sha_init(struct sha256 *s)
{
	static const uint32_t h0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(s->h, h0, sizeof(h0));
	s->len = 0;
	s->n = 0;
}

static void sha_update(struct sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->len += len;
	while (len) {
		size_t k = 64 - s->n < len ? 64 - s->n : len;

		memcpy(s->buf + s->n, p, k);
		s->n += k;
		p += k;
		len -= k;
		if (s->n == 64) {
			sha_block(s, s->buf);
			s->n = 0;
		}
	}
}

static void sha_final(struct sha256 *s, uint8_t out[WEB_SHA256_LEN])
{
	uint64_t bits = s->len * 8;
	uint8_t pad = 0x80, zero = 0, lenb[8];

	sha_update(s, &pad, 1);
	while (s->n != 56)
		sha_update(s, &zero, 1);
	for (int i = 0; i < 8; i++)
		lenb[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha_update(s, lenb, 8);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
}

void web_sha256(const void *data, size_t len, uint8_t out[WEB_SHA256_LEN])
{
	struct sha256 s;

	sha_init(&s);
	sha_update(&s, data, len);
	sha_final(&s, out);
}

void web_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
		     uint8_t out[WEB_SHA256_LEN])
{
	uint8_t k[64] = { 0 }, ipad[64], opad[64], inner[WEB_SHA256_LEN];
	struct sha256 s;

	if (klen > 64)
		web_sha256(key, klen, k);
	else
		memcpy(k, key, klen);
	for (int i = 0; i < 64; i++) {
		ipad[i] = k[i] ^ 0x36;
		opad[i] = k[i] ^ 0x5c;
	}
	sha_init(&s);
	sha_update(&s, ipad, 64);
	sha_update(&s, msg, mlen);
	sha_final(&s, inner);
	sha_init(&s);
	sha_update(&s, opad, 64);
	sha_update(&s, inner, sizeof(inner));
	sha_final(&s, out);
	explicit_bzero(k, sizeof(k));
	explicit_bzero(ipad, sizeof(ipad));
	explicit_bzero(opad, sizeof(opad));
}

/* ------------------------------------------------------- link credentials */

static void link_mac(const void *key, size_t klen, const char *tenant, int64_t expiry,
		     char hex[2 * WEB_SHA256_LEN + 1])
{
	uint8_t mac[WEB_SHA256_LEN];
	char msg[QUELL_NAME_MAX + 32];
	int n;

	n = snprintf(msg, sizeof(msg), "v1\n%s\n%" PRId64, tenant, expiry);
	web_hmac_sha256(key, klen, msg, (size_t)n, mac);
	for (int i = 0; i < WEB_SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
}

int web_link_sign(const void *key, size_t klen, const char *tenant, int64_t expiry,
		  char *out, size_t outlen)
{
	char hex[2 * WEB_SHA256_LEN + 1];
	int n;

	if (!tenant || !tenant_name_ok(tenant) || expiry <= 0)
		return -EINVAL;
	link_mac(key, klen, tenant, expiry, hex);
	n = snprintf(out, outlen, "v1.%s.%" PRId64 ".%s", tenant, expiry, hex);
	return n < 0 || (size_t)n >= outlen ? -ENOSPC : 0;
}

int web_link_verify(const void *key, size_t klen, const char *cred, int64_t now,
		    char *tenant, size_t tlen)
{
	char name[QUELL_NAME_MAX], hex[2 * WEB_SHA256_LEN + 1];
	const char *mac, *exp;
	unsigned char diff = 0;
	int64_t expiry = 0;
	size_t nl;

	if (!cred || strncmp(cred, "v1.", 3))
		return -EINVAL;
	/* the name may hold dots: expiry and MAC are the last two fields */
	mac = strrchr(cred, '.');
	if (!mac || mac - cred < 5 || strlen(mac + 1) != 2 * WEB_SHA256_LEN)
		return -EINVAL;
	for (exp = mac - 1; exp > cred + 3 && *exp != '.'; exp--)
		;
	if (exp <= cred + 3 || exp + 1 == mac)
		return -EINVAL;
	for (const char *p = exp + 1; p < mac; p++) {
		if (*p < '0' || *p > '9' || expiry > INT64_MAX / 10 - 9)
			return -EINVAL;
		expiry = expiry * 10 + (*p - '0');
	}
	nl = (size_t)(exp - (cred + 3));
	if (nl >= sizeof(name) || nl >= tlen)
		return -EINVAL;
	memcpy(name, cred + 3, nl);
	name[nl] = '\0';
	if (!tenant_name_ok(name))
		return -EINVAL;
	link_mac(key, klen, name, expiry, hex);
	/* every byte compared whatever the first difference: no timing oracle on the MAC */
	for (int i = 0; i < 2 * WEB_SHA256_LEN; i++)
		diff |= (unsigned char)(hex[i] ^ mac[1 + i]);
	if (diff)
		return -EACCES;
	if (expiry <= now)
		return -EKEYEXPIRED;
	memcpy(tenant, name, nl + 1);
	return 0;
}
