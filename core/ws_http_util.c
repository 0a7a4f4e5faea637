/*
 * ws_http_util.c - cookie pairs and token checks.
 */
#include "ws_http_util.h"

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

int ws_http_next_cookie(const char *s, size_t len, size_t *pos, ws_span_t *name, ws_span_t *value)
{
	size_t i = *pos;
	while (i < len) {
		while (i < len && (is_ows(s[i]) || s[i] == ';')) {
			i++;
		}
		size_t start = i;
		while (i < len && s[i] != ';') {
			i++;
		}
		size_t end = i;
		while (end > start && is_ows(s[end - 1])) {
			end--;
		}
		size_t eq = start;
		while (eq < end && s[eq] != '=') {
			eq++;
		}
		if (eq == end) {
			continue; /* no "=": not a pair */
		}
		size_t nend = eq;
		while (nend > start && is_ows(s[nend - 1])) {
			nend--;
		}
		if (nend == start) {
			continue;
		}
		size_t vstart = eq + 1;
		while (vstart < end && is_ows(s[vstart])) {
			vstart++;
		}
		size_t vend = end;
		if (vend - vstart >= 2 && s[vstart] == '"' && s[vend - 1] == '"') {
			vstart++;
			vend--;
		}
		name->ptr = s + start;
		name->len = nend - start;
		value->ptr = s + vstart;
		value->len = vend - vstart;
		*pos = i;
		return 1;
	}
	*pos = len;
	return 0;
}

int ws_http_is_token(const char *s, size_t len)
{
	if (len == 0) {
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 32 || c >= 127) {
			return 0;
		}
		switch (c) {
		case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':':
		case '\\': case '"': case '/': case '[': case ']': case '?': case '=': case '{': case '}':
			return 0;
		default:
			break;
		}
	}
	return 1;
}

int ws_http_is_field_value(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 32 && c != '\t') || c == 127) {
			return 0;
		}
	}
	return 1;
}
