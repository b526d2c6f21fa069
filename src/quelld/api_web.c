// SPDX-License-Identifier: GPL-2.0-only
/*
 * api_web.c - the socket commands of the web view (rows of api_cmds.c):
 * "web_link", a customer's link, and "table", the admin table's rows. Apart
 * from web.c, which forwards HTTP requests to the socket's dispatch (api.c):
 * were they there, api.c -> api_cmds.c -> web.c -> api.c would be a circle.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api_cmds.h"
#include "clock.h"
#include "daemon.h"
#include "proto.h"
#include "web.h"

/*
 * {"cmd":"web_link","tenant":N}: a URL that opens N's customer page, valid
 * [web] link_ttl. A tenant gets its own only (authz.c: like "events").
 */
int api_cmd_web_link(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len)
{
	const char *tenant = json_string_value(json_object_get(req, "tenant"));
	char cred[WEB_CRED_MAX], base[160], host[64];
	int64_t expiry;
	int ret;

	if (!d->web) {
		snprintf(err, len, "the web view is off ([web] enabled = yes and [metrics] listen)");
		return -ENOTSUP;
	}
	if (!tenant) {
		snprintf(err, len, "missing \"tenant\"");
		return -EINVAL;
	}
	if (!registry_by_name(&d->reg, tenant)) {
		snprintf(err, len, "no tenant \"%.64s\"", tenant);
		return -ENOENT;
	}
	expiry = (int64_t)time(NULL) + (int64_t)(d->cfg.web_link_ttl_ms / 1000);
	ret = web_link_sign(d->web->secret, sizeof(d->web->secret), tenant, expiry, cred,
			    sizeof(cred));
	if (ret) {
		snprintf(err, len, "cannot sign a link for \"%.64s\"", tenant);
		return ret;
	}
	if (d->cfg.web_url[0]) {
		size_t l = strlen(d->cfg.web_url);

		snprintf(base, sizeof(base), "%s%s", d->cfg.web_url,
			 l && d->cfg.web_url[l - 1] == '/' ? "" : "/");
	} else {
		const char *l = d->cfg.metrics_listen, *colon = strrchr(l, ':');

		/* "*:9477" or "0.0.0.0:9477": the machine's name, the address a customer can use */
		if (colon && (!strncmp(l, "*:", 2) || !strncmp(l, "0.0.0.0:", 8))) {
			if (gethostname(host, sizeof(host)))
				snprintf(host, sizeof(host), "localhost");
			host[sizeof(host) - 1] = '\0';
			snprintf(base, sizeof(base), "http://%s%s/", host, colon);
		} else if (colon == l) {
			snprintf(base, sizeof(base), "http://127.0.0.1%s/", l);	/* ":9477" */
		} else {
			snprintf(base, sizeof(base), "http://%s/", l);
		}
	}
	{
		char url[sizeof(base) + 16 + sizeof(cred)];

		snprintf(url, sizeof(url), "%sweb/#c=%s", base, cred);
		json_object_set_new(resp, "url", json_string(url));
	}
	json_object_set_new(resp, "tenant", json_string(tenant));
	json_object_set_new(resp, "expires", json_integer(expiry));
	explicit_bzero(cred, sizeof(cred));
	return 0;
}

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/*
 * {"cmd":"table","tenant":N}: what the admin table shows and no more, for
 * every tenant (or N): name, state and seven numbers, with the host object.
 * At 1,000 tenants "snapshot" is 1.4 MB and took 30-60 ms to build plus
 * 80-145 ms to serialise on the loop (load average 23, t_web_big); these
 * rows are a tenth of that. Authorized as "snapshot" (authz.c).
 */
int api_cmd_table(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len)
{
	json_t *jt = json_object_get(req, "tenant"), *arr;
	const char *only = json_string_value(jt);

	if (jt && !only) {
		snprintf(err, len, "bad \"tenant\": a name");
		return -EINVAL;
	}
	arr = json_array();
	if (!arr)
		return -ENOMEM;
	for (int i = 0; i < d->reg.nr; i++) {
		const struct tenant *t = d->reg.t[i];
		const struct qm_view *v = &t->view;

		if (only && strcmp(t->name, only))
			continue;
		json_array_append_new(arr, json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o}",
			"name", t->name, "state", tenant_state_name(t->state),
			"cpu_pct", jnum(v->cpu_pct), "inflicted_ms_s", jnum(v->inflicted_ms_s),
			"suffered_ms_s", jnum(v->suffered_ms_s), "mem_bytes", jnum(v->mem_bytes),
			"io_bps", jnum(v->io_rbps + v->io_wbps), "nproc", jnum(v->nproc)));
	}
	json_object_set_new(resp, "host", proto_hview_json(&d->host));
	json_object_set_new(resp, "tenants", arr);
	json_object_set_new(resp, "time", json_integer((json_int_t)clock_real_s()));
	json_object_set_new(resp, "tick", json_integer((json_int_t)d->tick_no));
	return 0;
}
