/*
 * test_state.c - the replicated topic state (ws_state.c): history bounds by
 * size and age, positions, rules, lookups for resume, presence members, the
 * removal of a dead instance's members, and memory accounting back to zero.
 */
#include <string.h>

#include "test.h"
#include "../ws_state.h"

static char seen[64][32];
static size_t nseen;

static void collect(void *arg, const ws_history_entry_t *e)
{
	(void)arg;
	if (nseen < 64) {
		size_t n = e->len < 31 ? e->len : 31;
		memcpy(seen[nseen], WS_HISTORY_ENTRY_DATA(e), n);
		seen[nseen][n] = '\0';
		nseen++;
	}
}

static uint64_t add(ws_state_t *st, const char *topic, const char *id, const char *data, uint64_t now)
{
	return ws_state_append(st, topic, strlen(topic), 0, now, id, id ? strlen(id) : 0, data, strlen(data), 0, now);
}

static void test_size_bound_and_positions(void)
{
	size_t mem = 0;
	ws_state_t st;
	ws_state_init(&st, &mem);
	ws_state_set_default(&st, 3, 0);
	char id[16], data[16];
	for (int i = 1; i <= 5; i++) {
		snprintf(id, sizeof(id), "i%d", i);
		snprintf(data, sizeof(data), "d%d", i);
		CHECK_EQ_INT(add(&st, "t", id, data, 1000), i);
	}
	CHECK_EQ_INT(st.entries, 3);
	nseen = 0;
	CHECK_EQ_INT(ws_state_history(&st, "t", 1, 0, 1000, collect, NULL), 3);
	CHECK(strcmp(seen[0], "d3") == 0 && strcmp(seen[2], "d5") == 0);
	nseen = 0;
	CHECK_EQ_INT(ws_state_history(&st, "t", 1, 2, 1000, collect, NULL), 2);
	CHECK(strcmp(seen[0], "d4") == 0);
	/* Resume after i3: d4, d5.  After the newest: nothing, but found.  A trimmed or unknown id: -1. */
	nseen = 0;
	CHECK_EQ_INT(ws_state_since(&st, "t", 1, "i3", 2, NULL, 0, 1000, collect, NULL), 2);
	CHECK(nseen == 2 && strcmp(seen[0], "d4") == 0);
	CHECK_EQ_INT(ws_state_since(&st, "t", 1, "i5", 2, NULL, 0, 1000, collect, NULL), 0);
	CHECK_EQ_INT(ws_state_since(&st, "t", 1, "i1", 2, NULL, 0, 1000, collect, NULL), -1);
	CHECK_EQ_INT(ws_state_since(&st, "t", 1, "zz", 2, NULL, 0, 1000, collect, NULL), -1);
	CHECK_EQ_INT(ws_state_since(&st, "u", 1, "i5", 2, NULL, 0, 1000, collect, NULL), -1);
	/* A replica applies the hub's positions, and ignores one it has already. */
	CHECK_EQ_INT(ws_state_append(&st, "t", 1, 9, 1000, "i9", 2, "d9", 2, 1, 1000), 9);
	CHECK_EQ_INT(ws_state_append(&st, "t", 1, 7, 1000, "i7", 2, "d7", 2, 1, 1000), 9);
	CHECK_EQ_INT(ws_state_last_seq(&st, "t", 1), 9);
	/* The epoch: the store's unless loaded; a resume against another one is a gap. */
	CHECK(strcmp(ws_state_topic_epoch(&st, "t", 1), st.epoch) == 0);
	CHECK_EQ_INT(ws_state_since(&st, "t", 1, "i5", 2, st.epoch, 16, 1000, collect, NULL), 1);
	CHECK_EQ_INT(ws_state_since(&st, "t", 1, "i5", 2, "0123456789abcdef", 16, 1000, collect, NULL), -1);
	/* A load of the same epoch keeps our newer entries; another epoch replaces everything. */
	ws_state_load_t ld[2] = { { 4, 1000, "i4", 2, "L4", 2, 0 }, { 5, 1000, "i5", 2, "L5", 2, 0 } };
	CHECK_EQ_INT(ws_state_history_load(&st, "t", 1, NULL, ld, 2, 1000), 0);
	nseen = 0;
	CHECK_EQ_INT(ws_state_history(&st, "t", 1, 0, 1000, collect, NULL), 3);
	CHECK(strcmp(seen[0], "L4") == 0 && strcmp(seen[1], "L5") == 0 && strcmp(seen[2], "d9") == 0);
	CHECK_EQ_INT(ws_state_history_load(&st, "t", 1, "00000000000000aa", ld, 1, 1000), 0);
	nseen = 0;
	CHECK_EQ_INT(ws_state_history(&st, "t", 1, 0, 1000, collect, NULL), 1);
	CHECK(strcmp(ws_state_topic_epoch(&st, "t", 1), "00000000000000aa") == 0);
	CHECK_EQ_INT(ws_state_last_seq(&st, "t", 1), 4);
	CHECK_EQ_INT(st.entries, 1);
	CHECK(mem == st.bytes && mem > 0);
	ws_state_free(&st);
	CHECK_EQ_INT(mem, 0);
}

static void test_age_bound(void)
{
	size_t mem = 0;
	ws_state_t st;
	ws_state_init(&st, &mem);
	ws_state_set_default(&st, 100, 2);
	add(&st, "t", "a", "old", 1000);
	add(&st, "t", "b", "mid", 2500);
	add(&st, "t", "c", "new", 3500);
	nseen = 0;
	/* At 3100 ms "old" (1000) is 2.1 s old: gone; the other two stay. */
	CHECK_EQ_INT(ws_state_history(&st, "t", 1, 0, 3100, collect, NULL), 2);
	CHECK(strcmp(seen[0], "mid") == 0);
	CHECK_EQ_INT(ws_state_since(&st, "t", 1, "a", 1, NULL, 0, 3100, collect, NULL), -1);
	CHECK_EQ_INT(ws_state_history(&st, "t", 1, 0, 10000, collect, NULL), 0);
	CHECK_EQ_INT(st.entries, 0);
	ws_state_free(&st);
	CHECK_EQ_INT(mem, 0);
}

static void test_rules(void)
{
	ws_state_t st;
	ws_state_init(&st, NULL);
	ws_state_set_default(&st, 10, 60);
	CHECK_EQ_INT(ws_state_add_rule(&st, "none", 4, 0, 0), 0);
	CHECK_EQ_INT(ws_state_add_rule(&st, "room:*", 6, 50, 0), 0);
	CHECK_EQ_INT(ws_state_add_rule(&st, "", 0, 1, 1), -1);
	uint32_t ttl;
	CHECK_EQ_INT(ws_state_limits(&st, "none", 4, &ttl), 0);
	CHECK_EQ_INT(ws_state_limits(&st, "nonexistent", 11, &ttl), 10);
	CHECK_EQ_INT(ttl, 60);
	CHECK_EQ_INT(ws_state_limits(&st, "room:", 5, &ttl), 50);
	CHECK_EQ_INT(ws_state_limits(&st, "room:42", 7, &ttl), 50);
	CHECK_EQ_INT(ttl, 0);
	CHECK_EQ_INT(ws_state_limits(&st, "room", 4, &ttl), 10);
	CHECK_EQ_INT(add(&st, "none", "x", "y", 1), 0);
	CHECK(ws_state_has_history(&st));
	ws_state_t copy;
	ws_state_init(&copy, NULL);
	CHECK_EQ_INT(ws_state_copy_rules(&copy, &st), 0);
	CHECK_EQ_INT(ws_state_limits(&copy, "room:42", 7, &ttl), 50);
	CHECK(strcmp(copy.epoch, st.epoch) != 0 && strlen(copy.epoch) == WS_STATE_EPOCH_LEN);
	ws_state_free(&copy);
	ws_state_free(&st);
}

static size_t ndropped;

static void on_drop(void *arg, const char *topic, size_t tlen, const ws_member_t *m)
{
	(void)arg;
	(void)topic;
	(void)tlen;
	CHECK_EQ_INT(m->conn >> 40, 2);
	ndropped++;
}

static size_t nmembers;

static void count_member(void *arg, const ws_member_t *m)
{
	(void)arg;
	(void)m;
	nmembers++;
}

static void test_presence(void)
{
	size_t mem = 0;
	ws_state_t st;
	ws_state_init(&st, &mem);
	uint64_t a = (1ull << 40) | 1, b = (2ull << 40) | 1, c = (2ull << 40) | 2;
	CHECK_EQ_INT(ws_state_join(&st, "room", 4, 0, a, 0, "alice", 5), 1);
	CHECK_EQ_INT(ws_state_join(&st, "room", 4, 0, a, 0, "alice", 5), 0);
	CHECK_EQ_INT(ws_state_join(&st, "room", 4, 0, a, 0, "alicia", 6), 2);
	CHECK_EQ_INT(ws_state_join(&st, "room", 4, 0, b, 1, "bob", 3), 1);
	CHECK_EQ_INT(ws_state_join(&st, "lobby", 5, 0, b, 1, "bob", 3), 1);
	CHECK_EQ_INT(ws_state_join(&st, "lobby", 5, 0, c, 1, "carol", 5), 1);
	const ws_member_t *m = ws_state_member(&st, "room", 4, 0, a);
	CHECK(m && m->info_len == 6 && memcmp(m->info, "alicia", 6) == 0 && m->worker == 0);
	nmembers = 0;
	CHECK_EQ_INT(ws_state_members(&st, "room", 4, count_member, NULL), 2);
	CHECK_EQ_INT(st.members, 4);
	/* Instance 2 (worker 1) dies: b twice and c go. */
	ndropped = 0;
	CHECK_EQ_INT(ws_state_drop_instance(&st, 2, on_drop, NULL), 3);
	CHECK_EQ_INT(ndropped, 3);
	CHECK_EQ_INT(st.members, 1);
	CHECK_EQ_INT(ws_state_members(&st, "lobby", 5, count_member, NULL), 0);
	CHECK_EQ_INT(ws_state_leave(&st, "room", 4, 0, a), 1);
	CHECK_EQ_INT(ws_state_leave(&st, "room", 4, 0, a), 0);
	CHECK_EQ_INT(mem, 0); /* empty topics are freed too */
	/* Another node's members are keyed apart from ours, even with the same connection id. */
	uint64_t other = ws_state_node_id("00000000000000ff", 16);
	CHECK_EQ_INT(other, 255);
	CHECK_EQ_INT(ws_state_node_id("xyz", 3), 0);
	CHECK_EQ_INT(ws_state_join(&st, "room", 4, 0, a, 0, "here", 4), 1);
	CHECK_EQ_INT(ws_state_join(&st, "room", 4, other, a, 3, "there", 5), 1);
	CHECK_EQ_INT(ws_state_join(&st, "lobby", 5, other, b, 0, "there", 5), 1);
	CHECK_EQ_INT(ws_state_drop_instance(&st, 1, NULL, NULL), 1); /* ours only */
	CHECK_EQ_INT(st.members, 2);
	CHECK_EQ_INT(ws_state_drop_node(&st, other, NULL, NULL), 2);
	CHECK_EQ_INT(st.members, 0);
	CHECK_EQ_INT(mem, 0);
	char big[WS_PRESENCE_INFO_MAX + 1];
	memset(big, 'x', sizeof(big));
	CHECK_EQ_INT(ws_state_join(&st, "room", 4, 0, a, 0, big, sizeof(big)), -1);
	ws_state_free(&st);
	CHECK_EQ_INT(mem, 0);
}

static void test_many_topics_free(void)
{
	size_t mem = 0;
	ws_state_t st;
	ws_state_init(&st, &mem);
	ws_state_set_default(&st, 1000, 0);
	char topic[16];
	for (int i = 0; i < 2000; i++) {
		snprintf(topic, sizeof(topic), "t%d", i % 100);
		add(&st, topic, "id", "payload", 1);
		ws_state_join(&st, topic, strlen(topic), 0, (uint64_t)i, 0, "x", 1);
	}
	CHECK_EQ_INT(st.entries, 2000);
	CHECK_EQ_INT(st.members, 2000);
	ws_state_free(&st);
	CHECK_EQ_INT(mem, 0);
}

static const test_case_t tests[] = {
	TEST(test_size_bound_and_positions),
	TEST(test_age_bound),
	TEST(test_rules),
	TEST(test_presence),
	TEST(test_many_topics_free),
};

TEST_MAIN("state", tests)
