/*
 * ws_alloc.h - the one allocator seam of the Zend-free core.
 *
 * Every allocation in core/ and frame.c goes through these macros.  By
 * default they call malloc/realloc/free.  An embedder (the PHP binding maps
 * them to emalloc/erealloc/efree) may replace them once, before any other
 * core call, with ws_set_allocator().  The replacement functions must never
 * return NULL for a non-zero size or must be prepared for the core to report
 * WS_ERR_NOMEM; the core handles NULL everywhere.
 */
#ifndef WS_ALLOC_H
#define WS_ALLOC_H

#include <stddef.h>

typedef struct ws_allocator {
	void *(*malloc_fn)(size_t size);
	void *(*realloc_fn)(void *ptr, size_t size);
	void (*free_fn)(void *ptr);
} ws_allocator_t;

/* The allocator in use.  Defined in ws_error.c, initialised to libc. */
extern ws_allocator_t ws__allocator;

/* Replaces the allocator.  Passing NULL restores libc's. */
void ws_set_allocator(const ws_allocator_t *a);

#define ws_malloc(n)      (ws__allocator.malloc_fn(n))
#define ws_realloc(p, n)  (ws__allocator.realloc_fn((p), (n)))
#define ws_free(p)        (ws__allocator.free_fn(p))

#endif
