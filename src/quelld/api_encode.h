/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * api_encode.h - the daemon's half of the socket protocol: struct tenant
 * (tenant.h) as the JSON of docs/protocol.md. The clients' half, and the
 * field lists both halves share, are include/proto.h; the library below the
 * daemon never sees struct tenant.
 */
#ifndef QUELL_API_ENCODE_H
#define QUELL_API_ENCODE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "proto.h"
#include "tenant.h"
#include "tenant_limits.h"

/* A tenant as a jansson object (the `tenant` command; tests compare it with proto_tenant_enc). */
json_t *proto_tenant_json(const struct tenant *t);
/* Additive (h3): a tenant_limits object, null = unlimited (docs/protocol.md). */
json_t *proto_limits_json(const struct tenant_limits *l);

/* A growable byte buffer; oom latches, so callers check once at the end. */
struct proto_buf {
	char *p;
	size_t len, cap;
	bool oom;
};
void proto_buf_put(struct proto_buf *b, const void *s, size_t n);
void proto_buf_free(struct proto_buf *b);
/*
 * proto_tenant_enc - append t as the JSON object proto_tenant_json() builds
 * (same keys, order and values; docs/protocol.md), written by hand into b:
 * at 10,000 tenants jansson's tree costs quelld 330-480 ms per snapshot,
 * this ~1 us per value (docs/performance.md).
 */
void proto_tenant_enc(struct proto_buf *b, const struct tenant *t);
/* What a client decodes from proto_tenant_json(t): the daemon sorts with it. */
void proto_tview_of_tenant(const struct tenant *t, struct tview *out);


#endif /* QUELL_API_ENCODE_H */
