/*
 * ws_metrics_http.h - the metrics endpoint of a server: where it is served
 * (a path on the server's own listeners, or a listener of its own), who may
 * read it (client addresses and/or a bearer token), and the parsers the
 * binding validates its option with.  The endpoint answers inside the event
 * loop, from the core: a scrape never reaches a PHP handler.
 *
 * What is rendered is described in ws_metrics.h.
 */
#ifndef WS_METRICS_HTTP_H
#define WS_METRICS_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include "ws_server.h"
#include "ws_metrics.h"

#define WS_METRICS_PATH_MAX 256
#define WS_METRICS_TOKEN_MAX 1024
#define WS_METRICS_ALLOW_MAX 256

/* An address block: family 4 or 6, the address in network order, and the prefix length. */
typedef struct ws_cidr {
	uint8_t family;
	uint8_t bits;
	uint8_t addr[16];
} ws_cidr_t;

/*
 * Parses "10.0.0.0/8", "192.168.1.7", "fd00::/8" or "::1" (an address
 * without a prefix is a single host).  Host bits beyond the prefix are
 * ignored.  Returns 0, or -1 if s[0..len) is not such a block.
 */
int ws_cidr_parse(const char *s, size_t len, ws_cidr_t *out);

/* 1 if a is a path to serve metrics at: "/" then visible ASCII, no '?' or '#', at most WS_METRICS_PATH_MAX bytes. */
int ws_metrics_path_valid(const char *a, size_t len);

/* 1 if a is a usable bearer token: 1 to WS_METRICS_TOKEN_MAX visible ASCII characters. */
int ws_metrics_token_valid(const char *a, size_t len);

/*
 * Splits "host:port" or "[v6 address]:port" (port 1 to 65535) into host
 * (NUL-terminated, at most hostcap - 1 bytes) and *port.  Returns 0 or -1.
 */
int ws_metrics_parse_hostport(const char *s, size_t len, char *host, size_t hostcap, int *port);

typedef struct ws_metrics_endpoint_config {
	const char *path;            /* where to serve; NULL: "/metrics" */
	size_t path_len;
	const char *listen_host;     /* NULL: on the server's own listeners; else a listener of its own */
	int listen_port;
	const char *token;           /* NULL: no token asked for; else "Authorization: Bearer <token>" */
	size_t token_len;
	const ws_cidr_t *allow;      /* client addresses allowed; n == 0 and no token: loopback only */
	size_t nallow;
} ws_metrics_endpoint_config_t;

/*
 * Turns the endpoint on (once per server; everything is copied).  A client
 * must be in allow (when given) and present the token (when given);
 * without either, only loopback clients (127.0.0.0/8, ::1) are served.
 * Others get 403.  With listen_host the endpoint gets its own listening
 * socket, which serves the path and 404 for anything else (it is not
 * counted by ws_server_listener_count() or ws_server_port()); otherwise
 * the path is answered on every listener before the plain HTTP handler.
 * Also starts timing handlers, fan-outs, handshakes and loop iterations.
 * Returns 0, or -1 with errno set and a message in err (EBUSY: already on;
 * a bind failure says which address).
 */
int ws_server_set_metrics_endpoint(ws_server_t *s, const ws_metrics_endpoint_config_t *cfg, char *err, size_t errcap);

/* The port of the endpoint's own listener, or -1 when it has none. */
int ws_server_metrics_port(const ws_server_t *s);

#endif
