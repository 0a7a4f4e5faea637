/*
 * ws_map.c - chained hash map with FNV-1a hashing.
 */
#include <string.h>
#include "ws_alloc.h"
#include "ws_map.h"

#define WS_MAP_MIN_BUCKETS 16

static uint64_t map_hash(const void *key, size_t len)
{
	/* FNV-1a, 64-bit: short keys (topic names, addresses, ids) dominate. */
	const unsigned char *p = key;
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

void ws_map_init(ws_map_t *m)
{
	m->buckets = NULL;
	m->nbuckets = 0;
	m->count = 0;
}

void ws_map_free(ws_map_t *m)
{
	for (size_t i = 0; i < m->nbuckets; i++) {
		ws_map_entry_t *e = m->buckets[i];
		while (e) {
			ws_map_entry_t *next = e->next;
			ws_free(e);
			e = next;
		}
	}
	ws_free(m->buckets);
	ws_map_init(m);
}

ws_map_entry_t *ws_map_find(const ws_map_t *m, const void *key, size_t len)
{
	if (m->nbuckets == 0) {
		return NULL;
	}
	uint64_t h = map_hash(key, len);
	for (ws_map_entry_t *e = m->buckets[h & (m->nbuckets - 1)]; e; e = e->next) {
		if (e->hash == h && e->key_len == len && memcmp(e->key, key, len) == 0) {
			return e;
		}
	}
	return NULL;
}

static int map_grow(ws_map_t *m)
{
	size_t n = m->nbuckets ? m->nbuckets * 2 : WS_MAP_MIN_BUCKETS;
	ws_map_entry_t **b = ws_malloc(n * sizeof(*b));
	if (b == NULL) {
		return -1;
	}
	memset(b, 0, n * sizeof(*b));
	for (size_t i = 0; i < m->nbuckets; i++) {
		ws_map_entry_t *e = m->buckets[i];
		while (e) {
			ws_map_entry_t *next = e->next;
			size_t j = e->hash & (n - 1);
			e->next = b[j];
			b[j] = e;
			e = next;
		}
	}
	ws_free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
	return 0;
}

ws_map_entry_t *ws_map_upsert(ws_map_t *m, const void *key, size_t len, int *created)
{
	ws_map_entry_t *e = ws_map_find(m, key, len);
	if (created) {
		*created = 0;
	}
	if (e) {
		return e;
	}
	if (m->count >= m->nbuckets && map_grow(m) != 0 && m->nbuckets == 0) {
		return NULL;
	}
	e = ws_malloc(sizeof(*e) + len + 1);
	if (e == NULL) {
		return NULL;
	}
	e->hash = map_hash(key, len);
	e->value = NULL;
	e->key_len = len;
	memcpy(e->key, key, len);
	e->key[len] = '\0';
	size_t j = e->hash & (m->nbuckets - 1);
	e->next = m->buckets[j];
	m->buckets[j] = e;
	m->count++;
	if (created) {
		*created = 1;
	}
	return e;
}

void *ws_map_remove(ws_map_t *m, const void *key, size_t len)
{
	if (m->nbuckets == 0) {
		return NULL;
	}
	uint64_t h = map_hash(key, len);
	ws_map_entry_t **pp = &m->buckets[h & (m->nbuckets - 1)];
	for (ws_map_entry_t *e = *pp; e; pp = &e->next, e = e->next) {
		if (e->hash == h && e->key_len == len && memcmp(e->key, key, len) == 0) {
			void *v = e->value;
			*pp = e->next;
			ws_free(e);
			m->count--;
			return v;
		}
	}
	return NULL;
}

void ws_map_each(const ws_map_t *m, void (*fn)(void *arg, ws_map_entry_t *e), void *arg)
{
	for (size_t i = 0; i < m->nbuckets; i++) {
		for (ws_map_entry_t *e = m->buckets[i]; e; e = e->next) {
			fn(arg, e);
		}
	}
}
