/*
 * test_metrics.c - ws_metrics.h and ws_metrics_http.h without PHP: the flat
 * struct (observe, add, compatibility), both exposition formats, worker
 * labels, the option parsers, and the endpoint of a running server with the
 * workers' hook installed, scraped by a client thread over loopback.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test.h"
#include "ws_alloc.h"
#include "ws_metrics.h"
#include "ws_metrics_http.h"
#include "ws_server.h"

/* Counts lines of text that start with prefix. */
static int count_lines(const char *text, const char *prefix)
{
	int n = 0;
	size_t pl = strlen(prefix);
	for (const char *p = text; p && *p; ) {
		if (strncmp(p, prefix, pl) == 0) {
			n++;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return n;
}

static void test_observe_buckets(void)
{
	ws_metrics_hist_t h;
	memset(&h, 0, sizeof(h));
	ws_metrics_observe(&h, 0);
	ws_metrics_observe(&h, 1000);            /* le is inclusive: 1e-06 */
	ws_metrics_observe(&h, 1001);            /* next bucket: 2.5e-06 */
	ws_metrics_observe(&h, 999999999);       /* 1.0 */
	ws_metrics_observe(&h, UINT64_C(20000000000)); /* over 10 s: +Inf only */
	CHECK_EQ_INT(h.bucket[0], 2);
	CHECK_EQ_INT(h.bucket[1], 1);
	CHECK_EQ_INT(h.bucket[18], 1);
	CHECK_EQ_INT(ws_metrics_bucket_bound_ns(18), 1000000000);
	CHECK_EQ_INT(h.bucket[WS_METRICS_BUCKETS], 1);
	CHECK(h.sum_ns == UINT64_C(1000) + 1001 + 999999999 + UINT64_C(20000000000));
	for (size_t i = 1; i < WS_METRICS_BUCKETS; i++) {
		CHECK(ws_metrics_bucket_bound_ns(i) > ws_metrics_bucket_bound_ns(i - 1));
	}
}

static void test_add_and_compatible(void)
{
	ws_metrics_t a, b;
	ws_metrics_init(&a);
	ws_metrics_init(&b);
	CHECK(ws_metrics_compatible(&a));
	a.connections_accepted = 2;
	b.connections_accepted = 3;
	b.closes[WS_MSIDE_SERVER][16] = 7;
	b.handshake.bucket[WS_METRICS_BUCKETS] = 4;
	b.handshake.sum_ns = 9;
	b.broker_connected = 1;
	a.broker_reconnects = 4;
	b.broker_reconnects = 3;
	ws_metrics_add(&a, &b);
	CHECK_EQ_INT(a.connections_accepted, 5);
	CHECK_EQ_INT(a.closes[WS_MSIDE_SERVER][16], 7);
	CHECK_EQ_INT(a.handshake.bucket[WS_METRICS_BUCKETS], 4);
	CHECK_EQ_INT(a.handshake.sum_ns, 9);
	CHECK_EQ_INT(a.broker_connected, 1);
	/* Node-wide: two views of one link, not two links. */
	CHECK_EQ_INT(a.broker_reconnects, 4);
	CHECK_EQ_INT(a.version, WS_METRICS_VERSION);
	CHECK_EQ_INT(a.size, sizeof(ws_metrics_t));
	a.version++;
	CHECK(!ws_metrics_compatible(&a));
	CHECK_EQ_INT(ws_metrics_status_index(403), WS_MST_403);
	CHECK_EQ_INT(ws_metrics_status_index(302), WS_MST_OTHER);
	CHECK_EQ_INT(ws_metrics_close_index(1008), 8);
	CHECK_EQ_INT(ws_metrics_close_index(4000), 16);
}

static void test_render_text(void)
{
	ws_metrics_t m;
	ws_metrics_init(&m);
	m.connections_accepted = 3;
	m.closes[WS_MSIDE_PEER][0] = 2;
	m.messages_received[WS_MT_BINARY] = 5;
	ws_metrics_observe(&m.loop_iteration, 500);
	ws_metrics_observe(&m.loop_iteration, 30000);
	ws_metrics_observe(&m.loop_iteration, 1500000);
	const ws_metrics_t *snaps[1] = { &m };
	int ids[1] = { -1 };
	char *out = NULL;
	size_t len = 0;
	CHECK_EQ_INT(ws_metrics_render(snaps, ids, 1, 0, &out, &len), 0);
	CHECK(out != NULL && strlen(out) == len);
	CHECK(strstr(out, "# TYPE websocket_connections_accepted_total counter\n") != NULL);
	CHECK(strstr(out, "\nwebsocket_connections_accepted_total 3\n") != NULL);
	CHECK(strstr(out, "\nwebsocket_closes_total{side=\"peer\",code=\"1000\"} 2\n") != NULL);
	CHECK(strstr(out, "\nwebsocket_closes_total{side=\"server\",code=\"other\"} 0\n") != NULL);
	CHECK(strstr(out, "\nwebsocket_messages_received_total{type=\"binary\"} 5\n") != NULL);
	CHECK(strstr(out, "\nwebsocket_loop_iteration_seconds_bucket{le=\"1e-06\"} 1\n") != NULL);
	CHECK(strstr(out, "\nwebsocket_loop_iteration_seconds_bucket{le=\"5e-05\"} 2\n") != NULL);
	CHECK(strstr(out, "\nwebsocket_loop_iteration_seconds_bucket{le=\"1.0\"} 3\n") != NULL);
	CHECK(strstr(out, "\nwebsocket_loop_iteration_seconds_bucket{le=\"+Inf\"} 3\n") != NULL);
	CHECK(strstr(out, "\nwebsocket_loop_iteration_seconds_count 3\n") != NULL);
	CHECK(strstr(out, "\nwebsocket_loop_iteration_seconds_sum 0.001530500\n") != NULL);
	CHECK(strstr(out, "worker=") == NULL);
	CHECK(strstr(out, "# EOF") == NULL);
	CHECK(strstr(out, "# UNIT") == NULL);
	/* Every family has one HELP and one TYPE line, and nothing else starts with '#'. */
	int help = count_lines(out, "# HELP "), type = count_lines(out, "# TYPE ");
	CHECK(help > 30);
	CHECK_EQ_INT(help, type);
	CHECK_EQ_INT(count_lines(out, "#"), help + type);
	CHECK(out[len - 1] == '\n');
	ws_free(out);
}

static void test_render_openmetrics(void)
{
	ws_metrics_t m;
	ws_metrics_init(&m);
	m.sent_bytes[WS_MT_TEXT] = 42;
	const ws_metrics_t *snaps[1] = { &m };
	char *out = NULL;
	size_t len = 0;
	CHECK_EQ_INT(ws_metrics_render(snaps, NULL, 1, 1, &out, &len), 0);
	CHECK(strstr(out, "# TYPE websocket_connections_accepted counter\n# HELP websocket_connections_accepted ") != NULL);
	CHECK(strstr(out, "# TYPE websocket_sent_bytes counter\n# UNIT websocket_sent_bytes bytes\n# HELP ") != NULL);
	CHECK(strstr(out, "\nwebsocket_sent_bytes_total{type=\"text\"} 42\n") != NULL);
	CHECK(strstr(out, "# TYPE websocket_handshake_duration_seconds histogram\n# UNIT websocket_handshake_duration_seconds seconds\n") != NULL);
	CHECK(strstr(out, "# TYPE websocket_open_connections gauge\n# HELP") != NULL);
	CHECK(len > 6 && strcmp(out + len - 6, "# EOF\n") == 0);
	CHECK_EQ_INT(count_lines(out, "# EOF"), 1);
	CHECK_EQ_INT(count_lines(out, "# TYPE "), count_lines(out, "# HELP "));
	ws_free(out);
	CHECK(strstr(ws_metrics_content_type(1), "application/openmetrics-text; version=1.0.0") != NULL);
	CHECK(strstr(ws_metrics_content_type(0), "text/plain; version=0.0.4") != NULL);
}

static void test_render_workers(void)
{
	ws_metrics_t a, b;
	ws_metrics_init(&a);
	ws_metrics_init(&b);
	a.connections_opened = 1;
	b.connections_opened = 2;
	const ws_metrics_t *snaps[2] = { &a, &b };
	int ids[2] = { 3, 5 };
	char *out = NULL;
	size_t len = 0;
	CHECK_EQ_INT(ws_metrics_render(snaps, ids, 2, 0, &out, &len), 0);
	CHECK(strstr(out, "\nwebsocket_connections_opened_total{worker=\"3\"} 1\n"
		"websocket_connections_opened_total{worker=\"5\"} 2\n") != NULL);
	CHECK(strstr(out, "\nwebsocket_closes_total{worker=\"5\",side=\"peer\",code=\"1000\"} 0\n") != NULL);
	CHECK(strstr(out, "\nwebsocket_fanout_duration_seconds_bucket{worker=\"3\",le=\"+Inf\"} 0\n") != NULL);
	/* Every sample carries a worker label but the node's four broker series. */
	int samples = 0, labelled = 0, broker = 0;
	for (char *p = out; *p; ) {
		char *nl = strchr(p, '\n');
		if (*p != '#') {
			samples++;
			char *brace = strchr(p, '{');
			labelled += brace && brace < nl && strncmp(brace, "{worker=\"", 9) == 0;
			broker += strncmp(p, "websocket_broker_", 17) == 0;
		}
		p = nl + 1;
	}
	CHECK(samples > 600);
	CHECK_EQ_INT(broker, 4);
	CHECK_EQ_INT(samples - 4, labelled);
	ws_free(out);
	/* The broker families: once, unlabelled, from the chosen snapshot (snaps[0] by default). */
	a.broker_configured = b.broker_configured = 1;
	a.broker_connected = 1;
	a.broker_messages_lost = 7;
	b.broker_messages_lost = 6;
	CHECK_EQ_INT(ws_metrics_render(snaps, ids, 2, 0, &out, &len), 0);
	CHECK(strstr(out, "\nwebsocket_broker_connected 1\n") != NULL);
	CHECK(strstr(out, "\nwebsocket_broker_messages_lost_total 7\n") != NULL);
	CHECK_EQ_INT(count_lines(out, "websocket_broker_messages_lost_total"), 1);
	CHECK(strstr(out, "websocket_broker_connected{") == NULL);
	ws_free(out);
	CHECK_EQ_INT(ws_metrics_render_node(snaps, ids, 2, &b, 1, &out, &len), 0);
	CHECK(strstr(out, "\nwebsocket_broker_connected 0\n") != NULL);
	CHECK(strstr(out, "\nwebsocket_broker_messages_lost_total 6\n") != NULL);
	CHECK(strstr(out, "\nwebsocket_broker_configured 1\n") != NULL);
	ws_free(out);
	/* One snapshot with a real worker id is labelled too. */
	CHECK_EQ_INT(ws_metrics_render(snaps, ids, 1, 0, &out, &len), 0);
	CHECK(strstr(out, "\nwebsocket_connections_opened_total{worker=\"3\"} 1\n") != NULL);
	ws_free(out);
}

static void test_parsers(void)
{
	ws_cidr_t c;
	CHECK_EQ_INT(ws_cidr_parse("10.0.0.0/8", 10, &c), 0);
	CHECK_EQ_INT(c.family, 4);
	CHECK_EQ_INT(c.bits, 8);
	CHECK_EQ_INT(c.addr[0], 10);
	CHECK_EQ_INT(ws_cidr_parse("127.0.0.1", 9, &c), 0);
	CHECK_EQ_INT(c.bits, 32);
	CHECK_EQ_INT(ws_cidr_parse("::1", 3, &c), 0);
	CHECK_EQ_INT(c.family, 6);
	CHECK_EQ_INT(c.bits, 128);
	CHECK_EQ_INT(ws_cidr_parse("fd00::/8", 8, &c), 0);
	CHECK_EQ_INT(c.bits, 8);
	const char *bad[] = { "", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0/8", "host", "10.0.0.0/8x",
		"1.2.3.4/-1", "1.2.3.4 ", "10.0.0.0/0008" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ_INT(ws_cidr_parse(bad[i], strlen(bad[i]), &c), -1);
	}
	CHECK_EQ_INT(ws_cidr_parse("10.0.0.0/8\0", 11, &c), -1);

	CHECK(ws_metrics_path_valid("/metrics", 8));
	CHECK(ws_metrics_path_valid("/", 1));
	CHECK(!ws_metrics_path_valid("metrics", 7));
	CHECK(!ws_metrics_path_valid("/a b", 4));
	CHECK(!ws_metrics_path_valid("/a?b", 4));
	CHECK(!ws_metrics_path_valid("", 0));
	CHECK(ws_metrics_token_valid("s3cr3t-~+/=", 11));
	CHECK(!ws_metrics_token_valid("two words", 9));
	CHECK(!ws_metrics_token_valid("", 0));

	char host[64];
	int port = 0;
	CHECK_EQ_INT(ws_metrics_parse_hostport("127.0.0.1:9100", 14, host, sizeof(host), &port), 0);
	CHECK(strcmp(host, "127.0.0.1") == 0);
	CHECK_EQ_INT(port, 9100);
	CHECK_EQ_INT(ws_metrics_parse_hostport("[::1]:65535", 11, host, sizeof(host), &port), 0);
	CHECK(strcmp(host, "::1") == 0);
	CHECK_EQ_INT(port, 65535);
	CHECK_EQ_INT(ws_metrics_parse_hostport("localhost:1", 11, host, sizeof(host), &port), 0);
	const char *badhp[] = { "127.0.0.1", "127.0.0.1:", ":9100", "::1:9100", "[::1]9100", "host:0", "host:65536",
		"host:12a", "[::1]:", "a b:1" };
	for (size_t i = 0; i < sizeof(badhp) / sizeof(badhp[0]); i++) {
		CHECK_EQ_INT(ws_metrics_parse_hostport(badhp[i], strlen(badhp[i]), host, sizeof(host), &port), -1);
	}
	CHECK_EQ_INT(ws_metrics_parse_hostport("averyveryverylonghostname:1", 27, host, 8, &port), -1);
}

/* ---- the endpoint of a running server ---- */

static ws_metrics_t g_peer1, g_peer2;
static int g_http_calls;

static size_t peers(void *arg, const ws_metrics_t **snaps, int *ids, size_t cap)
{
	CHECK(arg == &g_peer1);
	CHECK(cap >= 2);
	/* Out of order on purpose: the endpoint sorts by worker id. */
	snaps[0] = &g_peer2;
	ids[0] = 2;
	snaps[1] = &g_peer1;
	ids[1] = 0;
	return 2;
}

static void on_timer(ws_server_t *s, uint64_t id, void *data, int last)
{
}

static void on_message(ws_server_t *s, ws_conn_t *c, const char *data, size_t len, int binary)
{
}

static void on_open(ws_server_t *s, ws_conn_t *c, const ws_http_request_t *req)
{
}

static int on_http(ws_server_t *s, ws_conn_t *c, const ws_http_request_t *req)
{
	g_http_calls++;
	ws_conn_respond(c, 200, NULL, 0, "app\n", 4);
	return 1;
}

static const ws_server_handler_t handler = {
	NULL, on_open, on_message, NULL, NULL, NULL, on_http, on_timer, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

/* Requests a client thread makes, one connection each, while the server runs in this one. */
typedef struct req {
	int port;
	const char *text;
	char reply[262144];
} req_t;

static req_t g_reqs[8];
static size_t g_nreqs;

static void http_get(req_t *r)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)r->port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	size_t got = 0;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && write(fd, r->text, strlen(r->text)) == (ssize_t)strlen(r->text)) {
		ssize_t n;
		while (got + 1 < sizeof(r->reply) && (n = read(fd, r->reply + got, sizeof(r->reply) - 1 - got)) > 0) {
			got += (size_t)n;
		}
	}
	r->reply[got] = '\0';
	close(fd);
}

static void *client_main(void *arg)
{
	for (size_t i = 0; i < g_nreqs; i++) {
		http_get(&g_reqs[i]);
	}
	/* A signal stops the loop from another thread, the way an operator would. */
	kill(getpid(), SIGTERM);
	return NULL;
}

static void add_req(int port, const char *text)
{
	g_reqs[g_nreqs].port = port;
	g_reqs[g_nreqs].text = text;
	g_nreqs++;
}

static void run_clients(ws_server_t *s)
{
	pthread_t th;
	pthread_create(&th, NULL, client_main, NULL);
	CHECK_EQ_INT(ws_server_run(s), 0);
	pthread_join(th, NULL);
}

static ws_server_t *new_server(void)
{
	ws_server_config_t cfg;
	ws_server_config_defaults(&cfg);
	cfg.shutdown_timeout_ms = 0;
	ws_server_t *s = ws_server_new(&cfg, &handler, NULL);
	char err[256];
	CHECK_EQ_INT(ws_server_listen(s, "127.0.0.1", 0, NULL, err, sizeof(err)), 0);
	g_nreqs = 0;
	g_http_calls = 0;
	return s;
}

/* The endpoint on the server's own port, with two other "workers" behind the hook. */
static void test_endpoint_seam(void)
{
	ws_server_t *s = new_server();
	char err[256];
	CHECK_EQ_INT(ws_server_metrics_port(s), -1);
	ws_metrics_endpoint_config_t mc;
	memset(&mc, 0, sizeof(mc));
	CHECK_EQ_INT(ws_server_set_metrics_endpoint(s, &mc, err, sizeof(err)), 0);
	CHECK_EQ_INT(ws_server_set_metrics_endpoint(s, &mc, err, sizeof(err)), -1); /* once per server */
	int port = ws_server_port(s, 0);
	CHECK_EQ_INT(ws_server_listener_count(s), 1);

	ws_metrics_init(&g_peer1);
	ws_metrics_init(&g_peer2);
	g_peer1.connections_accepted = 11;
	g_peer2.connections_accepted = 22;
	ws_server_set_metrics_peers(s, 1, peers, &g_peer1);

	add_req(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5\r\n\r\n");
	add_req(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;q=0, text/plain\r\n\r\n");
	add_req(port, "GET /elsewhere HTTP/1.1\r\nHost: x\r\n\r\n");
	add_req(port, "POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	run_clients(s);

	const char *om = g_reqs[0].reply;
	CHECK(strncmp(om, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CHECK(strstr(om, "Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\n") != NULL);
	/* Sorted by worker id: 0 (a peer), 1 (this server: one connection so far), 2 (a peer). */
	CHECK(strstr(om, "\nwebsocket_connections_accepted_total{worker=\"0\"} 11\n"
		"websocket_connections_accepted_total{worker=\"1\"} 1\n"
		"websocket_connections_accepted_total{worker=\"2\"} 22\n") != NULL);
	CHECK(strstr(om, "# EOF\n") != NULL);
	const char *text = g_reqs[1].reply;
	CHECK(strstr(text, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") != NULL);
	CHECK(strstr(text, "websocket_metrics_scrapes_total{worker=\"1\",result=\"openmetrics\"} 1\n") != NULL);
	CHECK(strstr(g_reqs[2].reply, "\r\n\r\napp\n") != NULL);
	CHECK(strncmp(g_reqs[3].reply, "HTTP/1.1 405 ", 13) == 0);
	CHECK(strstr(g_reqs[3].reply, "Allow: GET, HEAD\r\n") != NULL);
	CHECK_EQ_INT(g_http_calls, 1); /* only /elsewhere reached the application */

	/* The same counters as a snapshot. */
	const ws_metrics_t *m = ws_server_metrics(s);
	CHECK_EQ_INT(m->scrapes[WS_MSCRAPE_OPENMETRICS], 1);
	CHECK_EQ_INT(m->scrapes[WS_MSCRAPE_TEXT], 1);
	CHECK_EQ_INT(m->connections_accepted, 4);
	CHECK_EQ_INT(m->handshakes_refused[WS_MST_405], 0); /* not a handshake */
	CHECK(m->loop_iteration.sum_ns > 0);
	CHECK(ws_metrics_compatible(m));
	ws_server_free(s);
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &len);
	close(fd);
	return ntohs(a.sin_port);
}

/* A listener of its own, a token and an address block. */
static void test_endpoint_listener_access(void)
{
	ws_server_t *s = new_server();
	char err[256];
	ws_cidr_t allow[2];
	CHECK_EQ_INT(ws_cidr_parse("10.0.0.0/8", 10, &allow[0]), 0);
	CHECK_EQ_INT(ws_cidr_parse("127.0.0.0/30", 12, &allow[1]), 0);
	ws_metrics_endpoint_config_t mc;
	memset(&mc, 0, sizeof(mc));
	mc.path = "/m";
	mc.path_len = 2;
	mc.listen_host = "127.0.0.1";
	mc.listen_port = free_port();
	mc.token = "t0k";
	mc.token_len = 3;
	mc.allow = allow;
	mc.nallow = 2;
	CHECK_EQ_INT(ws_server_set_metrics_endpoint(s, &mc, err, sizeof(err)), 0);
	int mport = ws_server_metrics_port(s), port = ws_server_port(s, 0);
	CHECK_EQ_INT(mport, mc.listen_port);
	CHECK_EQ_INT(ws_server_listener_count(s), 1);
	CHECK(port != mport && port > 0);
	CHECK_EQ_INT(ws_server_port(s, 1), -1);

	add_req(mport, "GET /m HTTP/1.1\r\nHost: x\r\n\r\n");
	add_req(mport, "GET /m HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0kk\r\n\r\n");
	add_req(mport, "GET /m HTTP/1.1\r\nHost: x\r\nAuthorization: bearer  t0k\r\n\r\n");
	add_req(mport, "GET /other HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0k\r\n\r\n");
	add_req(mport, "GET /m HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer t0k\r\n\r\n");
	add_req(port, "GET /m HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0k\r\n\r\n");
	add_req(mport, "HEAD /m HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0k\r\n\r\n");
	run_clients(s);

	CHECK(strncmp(g_reqs[0].reply, "HTTP/1.1 403 ", 13) == 0);
	CHECK(strstr(g_reqs[0].reply, "websocket_") == NULL);
	CHECK(strncmp(g_reqs[1].reply, "HTTP/1.1 403 ", 13) == 0);
	CHECK(strncmp(g_reqs[2].reply, "HTTP/1.1 200 ", 13) == 0);
	CHECK(strstr(g_reqs[2].reply, "\nwebsocket_metrics_scrapes_total{result=\"refused\"} 2\n") != NULL);
	/* Connections to the endpoint's listener are not WebSocket connections. */
	CHECK(strstr(g_reqs[2].reply, "\nwebsocket_connections_accepted_total 0\n") != NULL);
	CHECK(strncmp(g_reqs[3].reply, "HTTP/1.1 404 ", 13) == 0);
	CHECK(strncmp(g_reqs[4].reply, "HTTP/1.1 200 ", 13) == 0); /* an upgrade there is just a scrape */
	CHECK(strstr(g_reqs[5].reply, "\r\n\r\napp\n") != NULL);   /* the path on the main port is the application's */
	CHECK(strncmp(g_reqs[6].reply, "HTTP/1.1 200 ", 13) == 0);
	CHECK(strstr(g_reqs[6].reply, "# HELP") == NULL);        /* HEAD: no body */
	CHECK_EQ_INT(g_http_calls, 1);
	const ws_metrics_t *m = ws_server_metrics(s);
	CHECK_EQ_INT(m->connections_accepted, 1);
	CHECK_EQ_INT(m->scrapes[WS_MSCRAPE_REFUSED], 2);
	CHECK_EQ_INT(m->scrapes[WS_MSCRAPE_TEXT], 3);
	int total_refused = 0;
	for (int i = 0; i < WS_MST_COUNT; i++) {
		total_refused += (int)m->handshakes_refused[i];
	}
	CHECK_EQ_INT(total_refused, 0);
	ws_server_free(s);
}

/* Without an allow list or a token, only loopback clients are served; an allow list can leave loopback out. */
static void test_endpoint_loopback_default(void)
{
	ws_server_t *s = new_server();
	char err[256];
	ws_cidr_t allow;
	CHECK_EQ_INT(ws_cidr_parse("192.0.2.0/24", 12, &allow), 0);
	ws_metrics_endpoint_config_t mc;
	memset(&mc, 0, sizeof(mc));
	mc.allow = &allow;
	mc.nallow = 1;
	CHECK_EQ_INT(ws_server_set_metrics_endpoint(s, &mc, err, sizeof(err)), 0);
	add_req(ws_server_port(s, 0), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	run_clients(s);
	CHECK(strncmp(g_reqs[0].reply, "HTTP/1.1 403 ", 13) == 0);
	CHECK_EQ_INT(g_http_calls, 0);
	ws_server_free(s);

	s = new_server();
	memset(&mc, 0, sizeof(mc));
	CHECK_EQ_INT(ws_server_set_metrics_endpoint(s, &mc, err, sizeof(err)), 0);
	add_req(ws_server_port(s, 0), "GET /metrics HTTP/1.0\r\n\r\n");
	run_clients(s);
	CHECK(strncmp(g_reqs[0].reply, "HTTP/1.1 200 ", 13) == 0);
	ws_server_free(s);
}

static const test_case_t tests[] = {
	TEST(test_observe_buckets),
	TEST(test_add_and_compatible),
	TEST(test_render_text),
	TEST(test_render_openmetrics),
	TEST(test_render_workers),
	TEST(test_parsers),
	TEST(test_endpoint_seam),
	TEST(test_endpoint_listener_access),
	TEST(test_endpoint_loopback_default),
};

TEST_MAIN("metrics", tests)
