/*
 * test_broker.c - the broker's URL parser and wire format (ws_broker.c):
 * table-driven URLs, header round trips, every malformed header, our own
 * node's messages recognised, and decoding split at every data length.
 */
#include <stdlib.h>
#include <string.h>

#include "../ws_broker.h"
#include "test.h"

static void test_url_valid(void)
{
	static const struct {
		const char *url;
		const char *host, *path, *user, *password;
		int port, db;
	} v[] = {
		{ "redis://127.0.0.1", "127.0.0.1", "", "", "", 6379, 0 },
		{ "redis://localhost:6390/2", "localhost", "", "", "", 6390, 2 },
		{ "redis://u:p%40ss@h:1", "h", "", "u", "p@ss", 1, 0 },
		{ "redis://:secret@[::1]:7000/", "::1", "", "", "secret", 7000, 0 },
		{ "redis://onlypass@h", "h", "", "", "onlypass", 6379, 0 },
		{ "unix:///run/redis.sock", "", "/run/redis.sock", "", "", 6379, 0 },
		{ "redis+unix:///tmp/r.sock?db=3", "", "/tmp/r.sock", "", "", 6379, 3 },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ws_broker_url_t u;
		char err[256] = "";
		CHECK_EQ_INT(ws_broker_url_parse(v[i].url, &u, err, sizeof(err)), 0);
		CHECK(strcmp(u.host, v[i].host) == 0);
		CHECK(strcmp(u.path, v[i].path) == 0);
		CHECK(strcmp(u.user, v[i].user) == 0);
		CHECK(strcmp(u.password, v[i].password) == 0);
		CHECK_EQ_INT(u.port, v[i].port);
		CHECK_EQ_INT(u.db, v[i].db);
	}
}

static void test_url_invalid(void)
{
	static const char *bad[] = {
		"", "http://h", "redis://", "redis://:1", "redis://h:0", "redis://h:65536", "redis://h:x",
		"redis://h/x", "redis://h?x", "redis://[::1", "redis://[::1]x", "unix://rel", "unix:///", "unix:///s?x=1",
		"redis://u:%zz@h", "redis://u:%4@h", "rediss://h",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ws_broker_url_t u;
		char err[256] = "";
		CHECK_EQ_INT(ws_broker_url_parse(bad[i], &u, err, sizeof(err)), -1);
		CHECK(err[0] != '\0');
	}
	/* The password never appears in a message. */
	ws_broker_url_t u;
	char err[256] = "";
	CHECK_EQ_INT(ws_broker_url_parse("redis://u:hunter2@h:99999", &u, err, sizeof(err)), -1);
	CHECK(strstr(err, "hunter2") == NULL);
	CHECK_EQ_INT(ws_broker_prefix_check("ws", err, sizeof(err)), 0);
	CHECK_EQ_INT(ws_broker_prefix_check("a-b_c.d:e", err, sizeof(err)), 0);
	CHECK_EQ_INT(ws_broker_prefix_check("", err, sizeof(err)), -1);
	CHECK_EQ_INT(ws_broker_prefix_check("a b", err, sizeof(err)), -1);
}

static void test_roundtrip(void)
{
	char node[WS_BROKER_NODE_LEN + 1], other[WS_BROKER_NODE_LEN + 1];
	ws_broker_node_id(node);
	ws_broker_node_id(other);
	CHECK_EQ_INT((int)strlen(node), WS_BROKER_NODE_LEN);
	CHECK(strcmp(node, other) != 0);
	static const uint8_t kinds[] = { WS_ROUTE_PUBLISH, WS_ROUTE_BROADCAST, WS_ROUTE_WORKER_MESSAGE };
	for (size_t k = 0; k < 3; k++) {
		for (int bin = 0; bin < 2; bin++) {
			ws_bus_route_t r;
			memset(&r, 0, sizeof(r));
			r.kind = kinds[k];
			r.flags = bin ? WS_ROUTE_BINARY : 0;
			r.except = UINT64_C(18446744073709551615);
			r.topic = "news";
			r.topic_len = 4;
			const char data[] = "line one\nline \0two";
			char head[WS_BROKER_HEADER_MAX], msg[256], chan[128];
			size_t h = ws_broker_header(head, &r, other);
			CHECK(h > 0 && head[h - 1] == '\n');
			memcpy(msg, head, h);
			memcpy(msg + h, data, sizeof(data));
			size_t clen = r.kind == WS_ROUTE_PUBLISH ? ws_broker_channel(chan, sizeof(chan), "app", "news", 4)
				: (size_t)snprintf(chan, sizeof(chan), "app:broadcast");
			/* Split the data at every length: the header always decodes, the span is exact. */
			for (size_t len = 0; len <= sizeof(data); len++) {
				ws_bus_route_t d;
				CHECK_EQ_INT(ws_broker_decode("app", node, chan, clen, msg, h + len, &d), 0);
				CHECK_EQ_INT(d.kind, r.kind);
				CHECK_EQ_INT(d.flags, r.flags);
				CHECK_EQ_INT(d.origin, -1);
				CHECK(d.except == r.except);
				CHECK(d.len == len && memcmp(d.data, data, len) == 0);
				if (r.kind == WS_ROUTE_PUBLISH) {
					CHECK(d.topic_len == 4 && memcmp(d.topic, "news", 4) == 0);
				}
			}
			/* Our own message comes back: recognised and skipped. */
			ws_bus_route_t d;
			CHECK_EQ_INT(ws_broker_decode("app", other, chan, clen, msg, h + sizeof(data), &d), 1);
		}
	}
}

static void test_decode_forms(void)
{
	static const struct {
		const char *chan, *msg;
		int rc;
		uint8_t kind, flags;
		const char *data;
	} v[] = {
		{ "ws:t:news", "WS1 P T\nhi", 0, WS_ROUTE_PUBLISH, 0, "hi" },
		{ "ws:t:news", "WS1 P B - 0\n\x01", 0, WS_ROUTE_PUBLISH, WS_ROUTE_BINARY, "\x01" },
		{ "ws:t:news", "WS1 P T - -\r\nhi", 0, WS_ROUTE_PUBLISH, 0, "hi" },
		{ "ws:t:news", "WS1 P\n", 0, WS_ROUTE_PUBLISH, 0, "" },
		{ "ws:broadcast", "WS1 B T\nall", 0, WS_ROUTE_BROADCAST, 0, "all" },
		{ "ws:broadcast", "WS1 W T\nwm", 0, WS_ROUTE_WORKER_MESSAGE, 0, "wm" },
		{ "ws:t:news", "no header", -1, 0, 0, NULL },
		{ "ws:t:news", "WS2 P T\nx", -1, 0, 0, NULL },
		{ "ws:t:news", "WS1 Q T\nx", -1, 0, 0, NULL },
		{ "ws:t:news", "WS1 P X\nx", -1, 0, 0, NULL },
		{ "ws:t:news", "WS1 P T - 12a\nx", -1, 0, 0, NULL },
		{ "ws:t:news", "WS1 B T\nx", -1, 0, 0, NULL },       /* broadcast on a topic channel */
		{ "ws:broadcast", "WS1 P T\nx", -1, 0, 0, NULL },    /* publish without a topic */
		{ "other:t:news", "WS1 P T\nx", -1, 0, 0, NULL },    /* another prefix */
		{ "ws:t:", "WS1 P T\nx", -1, 0, 0, NULL },           /* empty topic */
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ws_bus_route_t d;
		size_t mlen = strlen(v[i].msg);
		int rc = ws_broker_decode("ws", "0123456789abcdef", v[i].chan, strlen(v[i].chan), v[i].msg, mlen, &d);
		CHECK_EQ_INT(rc, v[i].rc);
		if (rc == 0) {
			CHECK_EQ_INT(d.kind, v[i].kind);
			CHECK_EQ_INT(d.flags, v[i].flags);
			CHECK(d.len == strlen(v[i].data) && memcmp(d.data, v[i].data, d.len) == 0);
		}
	}
	/* A header longer than WS_BROKER_HEADER_MAX is refused (no unbounded scan). */
	char big[300];
	memset(big, ' ', sizeof(big));
	memcpy(big, "WS1 P T", 7);
	big[sizeof(big) - 1] = '\n';
	ws_bus_route_t d;
	CHECK_EQ_INT(ws_broker_decode("ws", NULL, "ws:t:x", 6, big, sizeof(big), &d), -1);
}

static void test_without_server(void)
{
	/* The publisher refuses a bad URL before any I/O. */
	char err[256] = "";
	CHECK(ws_publisher_new("http://x", NULL, 100, err, sizeof(err)) == NULL);
	CHECK(err[0] != '\0');
	CHECK(ws_publisher_new("redis://h", "bad prefix", 100, err, sizeof(err)) == NULL);
}

/* Presence messages: every kind round-trips; packed states walk; malformed input is refused. */
static void test_presence_codec(void)
{
	const char *node = "00112233445566ff";
	char head[WS_BROKER_HEADER_MAX], msg[512];
	ws_broker_member_t m = { 1234567, 3, "room\n1", 6, "alice", 5 };
	size_t hl = ws_broker_presence_header(head, 'J', node, &m);
	CHECK(hl > 0);
	memcpy(msg, head, hl);
	memcpy(msg + hl, "room\n1alice", 11);
	ws_broker_pmsg_t pm;
	CHECK_EQ_INT(ws_broker_presence_decode(msg, hl + 11, &pm), 0);
	CHECK(pm.kind == 'J' && strcmp(pm.node, node) == 0 && pm.m.conn == 1234567 && pm.m.worker == 3);
	CHECK(pm.m.topic_len == 6 && memcmp(pm.m.topic, "room\n1", 6) == 0);
	CHECK(pm.m.info_len == 5 && memcmp(pm.m.info, "alice", 5) == 0);
	hl = ws_broker_presence_header(head, 'L', node, &m);
	memcpy(msg, head, hl);
	memcpy(msg + hl, "room\n1", 6);
	CHECK_EQ_INT(ws_broker_presence_decode(msg, hl + 6, &pm), 0);
	CHECK(pm.kind == 'L' && pm.m.topic_len == 6);
	CHECK_EQ_INT(ws_broker_presence_decode(msg, hl + 7, &pm), -1); /* a leave carries no info */
	for (const char *k = "HQ"; *k; k++) {
		hl = ws_broker_presence_header(head, *k, node, NULL);
		CHECK_EQ_INT(ws_broker_presence_decode(head, hl, &pm), 0);
		CHECK(pm.kind == *k);
	}
	/* A full state: two members packed, walked back. */
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ws_broker_member_t a = { 1, 0, "t", 1, "", 0 }, b = { UINT64_C(0xffffffffffffffff), 65535 % 32768, "topic", 5, "info", 4 };
	CHECK_EQ_INT(ws_broker_pack_member(&buf, &len, &cap, &a), 0);
	CHECK_EQ_INT(ws_broker_pack_member(&buf, &len, &cap, &b), 0);
	const char *p = buf, *end = buf + len;
	ws_broker_member_t got;
	CHECK_EQ_INT(ws_broker_unpack_member(&p, end, &got), 1);
	CHECK(got.conn == 1 && got.topic_len == 1 && got.info_len == 0);
	CHECK_EQ_INT(ws_broker_unpack_member(&p, end, &got), 1);
	CHECK(got.conn == UINT64_C(0xffffffffffffffff) && got.info_len == 4 && memcmp(got.info, "info", 4) == 0);
	CHECK_EQ_INT(ws_broker_unpack_member(&p, end, &got), 0);
	p = buf;
	CHECK_EQ_INT(ws_broker_unpack_member(&p, buf + len - 1 - 4 - 5 - 16 + 16 - 1, &got), 1); /* the first still whole */
	CHECK_EQ_INT(ws_broker_unpack_member(&p, buf + len - 1, &got), -1);                    /* the second cut short */
	free(buf);
	/* Malformed headers. */
	const char *bad[] = { "WS1 J 00112233445566ff 0 1\nt", "WS1 X 00112233445566ff\n", "WS1 H short\n",
		"WS2 H 00112233445566ff\n", "WS1 J 00112233445566ff 0 1 0\n", "WS1 J 00112233445566ff 0 1 300\nt",
		"WS1 H 00112233445566ff" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ_INT(ws_broker_presence_decode(bad[i], strlen(bad[i]), &pm), -1);
	}
}

/* A publication of a topic with history, as the Lua script writes it. */
static void test_history_header(void)
{
	const char *node = "aaaaaaaaaaaaaaaa";
	const char *msg = "WS1 P T aaaaaaaaaaaaaaaa 42 H 3 17 0123456789abcdef 1765000000123 2\nidhello";
	ws_bus_route_t r;
	CHECK_EQ_INT(ws_broker_decode("ws", node, "ws:h:news", 9, msg, strlen(msg), &r), 0);
	CHECK(r.kind == WS_ROUTE_PUBLISH && r.seq == 17 && r.time_ms == UINT64_C(1765000000123));
	CHECK(r.epoch && memcmp(r.epoch, "0123456789abcdef", 16) == 0);
	CHECK(r.id_len == 2 && memcmp(r.id, "id", 2) == 0 && r.len == 5 && memcmp(r.data, "hello", 5) == 0);
	CHECK(r.origin == 3 && r.except == 42); /* ours: the publishing worker and its except apply */
	CHECK(r.topic_len == 4 && memcmp(r.topic, "news", 4) == 0);
	/* From another node: delivered too, no origin. */
	CHECK_EQ_INT(ws_broker_decode("ws", "bbbbbbbbbbbbbbbb", "ws:h:news", 9, msg, strlen(msg), &r), 0);
	CHECK(r.origin == -1);
	/* A history publication on a plain channel, a bad epoch, an id longer than the payload: refused. */
	CHECK_EQ_INT(ws_broker_decode("ws", node, "ws:t:news", 9, msg, strlen(msg), &r), -1);
	const char *bad = "WS1 P T aaaaaaaaaaaaaaaa 0 H 0 17 0123 1 0\nx";
	CHECK_EQ_INT(ws_broker_decode("ws", node, "ws:h:news", 9, bad, strlen(bad), &r), -1);
	const char *longid = "WS1 P T aaaaaaaaaaaaaaaa 0 H 0 17 0123456789abcdef 1 9\nxy";
	CHECK_EQ_INT(ws_broker_decode("ws", node, "ws:h:news", 9, longid, strlen(longid), &r), -1);
}

static const test_case_t tests[] = {
	TEST(test_url_valid),
	TEST(test_url_invalid),
	TEST(test_roundtrip),
	TEST(test_decode_forms),
	TEST(test_without_server),
	TEST(test_presence_codec),
	TEST(test_history_header),
};

TEST_MAIN("broker", tests)
