/*
 * test.h - the smallest test harness that does the job: each test is a
 * function; CHECK records a failure with file and line and goes on;
 * test_main runs a table and prints "N passed, N failed".
 */
#ifndef WS_TEST_H
#define WS_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test__failures;
static int test__checks;

#define CHECK(cond) do { \
	test__checks++; \
	if (!(cond)) { \
		test__failures++; \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

#define CHECK_EQ_INT(a, b) do { \
	long long test__a = (long long)(a), test__b = (long long)(b); \
	test__checks++; \
	if (test__a != test__b) { \
		test__failures++; \
		fprintf(stderr, "%s:%d: CHECK_EQ_INT failed: %s == %lld, %s == %lld\n", \
			__FILE__, __LINE__, #a, test__a, #b, test__b); \
	} \
} while (0)

#define CHECK_MEM(a, b, n) do { \
	test__checks++; \
	if (memcmp((a), (b), (n)) != 0) { \
		test__failures++; \
		fprintf(stderr, "%s:%d: CHECK_MEM failed: %s vs %s (%zu bytes)\n", \
			__FILE__, __LINE__, #a, #b, (size_t)(n)); \
	} \
} while (0)

typedef struct test_case {
	const char *name;
	void (*fn)(void);
} test_case_t;

#define TEST(fn) { #fn, fn }

/* Runs every test; prints one line per failing test and the totals; returns the exit status. */
static inline int test_main(const char *suite, const test_case_t *tests, size_t n)
{
	int passed = 0, failed = 0;
	for (size_t i = 0; i < n; i++) {
		int before = test__failures;
		tests[i].fn();
		if (test__failures == before) {
			passed++;
		} else {
			failed++;
			fprintf(stderr, "FAIL %s: %s\n", suite, tests[i].name);
		}
	}
	printf("%s: %d passed, %d failed (%d checks)\n", suite, passed, failed, test__checks);
	return failed ? 1 : 0;
}

#define TEST_MAIN(suite, table) \
	int main(void) { return test_main(suite, table, sizeof(table) / sizeof(table[0])); }

#endif
