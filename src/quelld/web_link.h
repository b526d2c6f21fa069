/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * web_link.h - the web view's link credentials (web_link.c): SHA-256,
 * HMAC-SHA256 and the "v1.TENANT.EXPIRY.HMAC" links a customer opens its
 * page with. Pure; tests/unit/test_web.c checks them against RFC 4231.
 */
#ifndef QUELL_WEB_LINK_H
#define QUELL_WEB_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"		/* QUELL_NAME_MAX */

#define WEB_SHA256_LEN		32
#define WEB_SECRET_LEN		32	/* bytes of [web] secret_file */
#define WEB_CRED_MAX		(3 + QUELL_NAME_MAX + 1 + 20 + 1 + 2 * WEB_SHA256_LEN + 1)

void web_sha256(const void *data, size_t len, uint8_t out[WEB_SHA256_LEN]);
/* HMAC-SHA256 (RFC 2104), checked against RFC 4231's vectors. */
void web_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
		     uint8_t out[WEB_SHA256_LEN]);

/*
 * web_link_sign - "v1.TENANT.EXPIRY.HEX" where HEX is the HMAC-SHA256 of
 * "v1\nTENANT\nEXPIRY" under key. Returns 0, -EINVAL (bad tenant name),
 * -ENOSPC (buffer too small).
 */
int web_link_sign(const void *key, size_t klen, const char *tenant, int64_t expiry,
		  char *out, size_t outlen);
/*
 * web_link_verify - the tenant a credential speaks for, at time now:
 * 0 with its name in tenant, -EINVAL (not a credential), -EACCES (the
 * signature is wrong: another tenant's name, an edited expiry, another
 * server's secret), -EKEYEXPIRED (past its expiry). Constant-time compare.
 */
int web_link_verify(const void *key, size_t klen, const char *cred, int64_t now,
		    char *tenant, size_t tlen);

#endif /* QUELL_WEB_LINK_H */
