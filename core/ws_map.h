/*
 * ws_map.h - a small chained hash map from byte strings to pointers.
 *
 * Used for topics (name -> topic), per-address connection counts and user
 * timers (id -> timer).  Keys are copied into the entry; values are the
 * caller's.  The table doubles when the load passes 1 and never shrinks
 * below its initial size.
 */
#ifndef WS_MAP_H
#define WS_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct ws_map_entry {
	struct ws_map_entry *next;
	uint64_t hash;
	void *value;
	size_t key_len;
	char key[]; /* key_len bytes, then a NUL for convenience */
} ws_map_entry_t;

typedef struct ws_map {
	ws_map_entry_t **buckets;
	size_t nbuckets; /* power of two, 0 before the first insert */
	size_t count;
} ws_map_t;

void ws_map_init(ws_map_t *m);
/* Frees the table and entries (not the values: free those first, e.g. with ws_map_each). */
void ws_map_free(ws_map_t *m);
/* The entry for key, or NULL. */
ws_map_entry_t *ws_map_find(const ws_map_t *m, const void *key, size_t len);
/* Finds or creates the entry for key (value NULL when created).  NULL on ENOMEM. created may be NULL. */
ws_map_entry_t *ws_map_upsert(ws_map_t *m, const void *key, size_t len, int *created);
/* Removes the entry for key; returns its value, or NULL if absent. */
void *ws_map_remove(ws_map_t *m, const void *key, size_t len);
/* Calls fn for every entry (fn must not modify the map). */
void ws_map_each(const ws_map_t *m, void (*fn)(void *arg, ws_map_entry_t *e), void *arg);

#endif
