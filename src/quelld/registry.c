// SPDX-License-Identifier: GPL-2.0-only
/*
 * registry.c - the tenant table: a dense array plus two open-addressing
 * indexes (by BPF key and by name), rebuilt on growth and removal. Lookups
 * are O(1); a tick over 5,000 tenants does 5,000 of them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tenant.h"
#include "tenant_name.h"

static uint64_t hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Enter t[i] in both indexes (there is a free slot: idx_cap >= 2 * nr). */
static void index_one(struct registry *r, int i)
{
	int cap = r->idx_cap;
	uint64_t h = hash_u64(r->t[i]->key) & (cap - 1);

	while (r->by_key[h] >= 0)
		h = (h + 1) & (cap - 1);
	r->by_key[h] = i;
	h = tenant_name_hash(r->t[i]->name) & (cap - 1);
	while (r->by_name[h] >= 0)
		h = (h + 1) & (cap - 1);
	r->by_name[h] = i;
}

/* Rebuild both indexes; allocates only when cap changes, so a same-size rebuild cannot fail. */
static int reindex(struct registry *r, int cap)
{
	int *bk = r->by_key, *bn = r->by_name;

	if (cap != r->idx_cap) {
		bk = malloc(sizeof(int) * cap);
		bn = malloc(sizeof(int) * cap);
		if (!bk || !bn) {
			free(bk);
			free(bn);
			return -ENOMEM;
		}
		free(r->by_key);
		free(r->by_name);
	}
	for (int i = 0; i < cap; i++)
		bk[i] = bn[i] = -1;
	r->by_key = bk;
	r->by_name = bn;
	r->idx_cap = cap;
	for (int i = 0; i < r->nr; i++)
		index_one(r, i);
	return 0;
}

int registry_init(struct registry *r)
{
	memset(r, 0, sizeof(*r));
	return reindex(r, 64);
}

void registry_free(struct registry *r)
{
	for (int i = 0; i < r->nr; i++) {
		policy_tstate_free(&r->t[i]->pol);
		free(r->t[i]);
	}
	free(r->t);
	free(r->by_key);
	free(r->by_name);
	memset(r, 0, sizeof(*r));
}

struct tenant *registry_by_key(const struct registry *r, uint64_t key)
{
	uint64_t h;

	if (!r->idx_cap)
		return NULL;
	for (h = hash_u64(key) & (r->idx_cap - 1); r->by_key[h] >= 0; h = (h + 1) & (r->idx_cap - 1))
		if (r->t[r->by_key[h]]->key == key)
			return r->t[r->by_key[h]];
	return NULL;
}

struct tenant *registry_by_name(const struct registry *r, const char *name)
{
	uint64_t h, m = r->idx_cap - 1;

	if (!r->idx_cap)
		return NULL;
	for (h = tenant_name_hash(name) & m; r->by_name[h] >= 0; h = (h + 1) & m)
		if (!strcmp(r->t[r->by_name[h]]->name, name))
			return r->t[r->by_name[h]];
	return NULL;
}

struct tenant *registry_add(struct registry *r, const char *name, uint32_t uid, uint64_t key)
{
	struct tenant *t;

	if (strlen(name) >= QUELL_NAME_MAX || !*name) {
		errno = EINVAL;
		return NULL;
	}
	if (registry_by_name(r, name) || registry_by_key(r, key)) {
		errno = EEXIST;
		return NULL;
	}
	if (r->nr == r->cap) {
		int cap = r->cap ? r->cap * 2 : 64;
		struct tenant **n = realloc(r->t, sizeof(*n) * cap);

		if (!n) {
			errno = ENOMEM;
			return NULL;
		}
		r->t = n;
		r->cap = cap;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	strcpy(t->name, name);
	t->uid = uid;
	t->key = key;
	r->t[r->nr++] = t;
	/*
	 * Only a growth rebuilds: a rebuild per add made discovering 10,000
	 * tenants quadratic (50 million slot visits, hashing every name again).
	 */
	if (r->idx_cap >= 2 * r->nr) {
		index_one(r, r->nr - 1);
	} else if (reindex(r, r->idx_cap * 2)) {
		r->nr--;
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

static uint64_t slot_of(const struct registry *r, bool by_key, int i)
{
	return (by_key ? hash_u64(r->t[i]->key) : tenant_name_hash(r->t[i]->name)) & (r->idx_cap - 1);
}

/*
 * Take t[i] out of one index (backward-shift deletion: the entries after it
 * in its probe run move up where their hash allows, so no lookup stops
 * early) and renumber the entries after i, which the dense array is about
 * to shift down. Runs before the shift: hashes read t[] as it is.
 */
static void unindex(struct registry *r, bool by_key, int i)
{
	int *tab = by_key ? r->by_key : r->by_name, cap = r->idx_cap;
	uint64_t hole;

	for (hole = slot_of(r, by_key, i); tab[hole] != i; hole = (hole + 1) & (cap - 1))
		;
	for (uint64_t j = (hole + 1) & (cap - 1); tab[j] >= 0; j = (j + 1) & (cap - 1)) {
		uint64_t home = slot_of(r, by_key, tab[j]);

		/* tab[j] may fill the hole unless its home lies cyclically in (hole, j] */
		if (hole <= j ? (home <= hole || home > j) : (home <= hole && home > j)) {
			tab[hole] = tab[j];
			hole = j;
		}
	}
	tab[hole] = -1;
	if (i < r->nr - 1)	/* removing the last one (discovery walks backwards) shifts nothing */
		for (int k = 0; k < cap; k++)
			tab[k] -= tab[k] > i;
}

/*
 * A rebuild per removal hashed every name again: 10,000 tenants leaving at
 * once (their parent removed) took 2-3 s of one tick (docs/performance.md);
 * this is a pass over the two int tables instead.
 */
void registry_remove(struct registry *r, struct tenant *t)
{
	for (int i = 0; i < r->nr; i++) {
		if (r->t[i] != t)
			continue;
		unindex(r, true, i);
		unindex(r, false, i);
		memmove(&r->t[i], &r->t[i + 1], sizeof(r->t[0]) * (r->nr - i - 1));
		r->nr--;
		policy_tstate_free(&t->pol);
		free(t);
		return;
	}
}

int registry_rekey(struct registry *r, struct tenant *t, uint64_t key)
{
	struct tenant *o = registry_by_key(r, key);

	if (o && o != t)
		return -EEXIST;
	t->key = key;
	return reindex(r, r->idx_cap);
}

/* The one table of state names; they are wire names too (docs/protocol.md "state"). */
static const char *const state_names[] = {
	[TS_OK] = "ok",
	[TS_THROTTLED] = "throttled",
	[TS_FROZEN] = "frozen",
	[TS_KILLED] = "killed",
};

const char *tenant_state_name(enum tenant_state s)
{
	if ((unsigned int)s >= sizeof(state_names) / sizeof(state_names[0]) || !state_names[s])
		return "unknown";
	return state_names[s];
}
