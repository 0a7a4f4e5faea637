/*
 * ws_static.h - safe static file responses for the document_root option.
 */
#ifndef WS_STATIC_H
#define WS_STATIC_H

#include <stddef.h>
#include "ws_handshake.h"

/* Largest file served (bigger files get 413 rather than filling the send queue). */
#define WS_STATIC_MAX_FILE (64u * 1024u * 1024u)

/*
 * Builds the complete HTTP response for a plain request against the
 * directory root: GET and HEAD only (405 with Allow otherwise); the path is
 * percent-decoded and must not contain NUL, backslashes or ".." segments
 * (400/404); the resolved file (symlinks followed by realpath) must lie
 * inside root (404 otherwise); a directory serves its index.html; 200 with a
 * Content-Type chosen by extension, 404 when missing, 403 when unreadable.
 * Every response closes the connection.
 * On return *out is a ws_malloc'd buffer the caller frees (NULL on ENOMEM)
 * and *out_len its length.  Returns the HTTP status.
 */
int ws_static_serve(const char *root, const ws_http_request_t *req, char **out, size_t *out_len);

/* Content-Type for a file name by extension ("application/octet-stream" if unknown). */
const char *ws_static_content_type(const char *name, size_t len);

#endif
