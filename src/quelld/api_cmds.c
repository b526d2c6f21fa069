// SPDX-License-Identifier: GPL-2.0-only
/*
 * api_cmds.c - the socket's commands, one row each (api_cmds.h): name,
 * handler, the authorization kind and target key that authz.c decides
 * with (docs/protocol.md, "Who may do what"), and whether the web view
 * forwards it (web.c). A const table rather than
 * registration at start-up, so that the API layer names its commands and the
 * modules below it (the enforcer, placement, the web view) do not call up
 * into it (issue 13, plan R2); tests/unit/test_authz.c checks every row
 * against its hand-written table of verdicts.
 */
#include <stdbool.h>
#include <string.h>

#include "api_cmds.h"

const struct api_cmd api_cmds[] = {
	/* name		handler			kind		target		web */
	{ "ping",	api_cmd_ping,		AK_PUBLIC,	NULL,		true },
	{ "status",	api_cmd_status,		AK_OVERVIEW,	NULL,		true },
	{ "snapshot",	api_cmd_snapshot,	AK_OVERVIEW,	"tenant",	true },
	{ "tenants",	api_cmd_tenants,	AK_OVERVIEW,	"tenant",	true },
	{ "table",	api_cmd_table,		AK_OVERVIEW,	"tenant",	true },	/* api_web.c */
	{ "tenant",	api_cmd_tenant,		AK_READ_ONE,	"name",		true },
	{ "limits",	api_cmd_limits,		AK_READ_ONE,	"name",		true },
	{ "events",	api_cmd_events,		AK_READ_LOG,	"tenant",	true },
	{ "history",	api_cmd_history,	AK_READ_LOG,	"tenant",	true },
	{ "web_link",	api_cmd_web_link,	AK_READ_LOG,	"tenant",	false },	/* api_web.c */
	{ "where",	api_cmd_where,		AK_READ_ANY,	NULL,		false },
	{ "place",	api_cmd_place,		AK_ACT,		NULL,		false },
	{ "set",	api_cmd_set,		AK_ACT,		"name",		false },
	{ "throttle",	api_cmd_throttle,	AK_ACT,		"name",		false },
	{ "release",	api_cmd_release,	AK_ACT,		"name",		false },
	{ "freeze",	api_cmd_freeze,		AK_ACT,		"name",		false },
	{ "kill",	api_cmd_kill,		AK_ACT,		"name",		false },
};

const size_t api_cmds_nr = sizeof(api_cmds) / sizeof(api_cmds[0]);

const struct api_cmd *api_cmds_find(const char *name)
{
	/* 17 rows: a linear scan is 17 strcmp, nothing next to a handler's work */
	for (size_t i = 0; name && i < api_cmds_nr; i++)
		if (!strcmp(api_cmds[i].name, name))
			return &api_cmds[i];
	return NULL;
}
