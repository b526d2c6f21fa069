// SPDX-License-Identifier: GPL-2.0-only
/*
 * tenant_name.c - include/tenant_name.h. The rule is discover.c's original
 * one (POSIX portable user names plus '$'), the strictest of the three
 * checks quell had: everything it accepts is a safe path component, needs
 * no quoting in INI or JSON, and cannot be mistaken for an option ('-').
 */
#include <string.h>

#include "tenant_name.h"

static bool name_char_ok(char c, size_t i, size_t n)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
		return true;
	if (i > 0 && (c == '.' || c == '-'))
		return true;
	return c == '$' && i > 0 && i == n - 1;
}

bool tenant_name_ok(const char *name)
{
	size_t n;

	if (!name)
		return false;
	n = strlen(name);
	if (n == 0 || n >= TENANT_NAME_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!name_char_ok(name[i], i, n))
			return false;
	return true;
}

uint64_t tenant_name_hash(const char *name)
{
	uint64_t h = 1469598103934665603ULL;

	while (*name) {
		h ^= (unsigned char)*name++;
		h *= 1099511628211ULL;
	}
	return h;
}
