/*
 * ws_static.c - static files for plain HTTP requests (document_root).
 *
 * Safety comes from two independent checks: the decoded request path is
 * rejected outright if it has a ".." segment, a NUL or a backslash; and the
 * file finally opened is resolved with realpath() and must lie under the
 * resolved root, so a symlink cannot lead outside it either.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ws_alloc.h"
#include "ws_static.h"

static const struct {
	const char *ext;
	const char *type;
} content_types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "json", "application/json" },
	{ "map", "application/json" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "md", "text/markdown; charset=utf-8" },
	{ "xml", "application/xml" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "ico", "image/x-icon" },
	{ "avif", "image/avif" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "ttf", "font/ttf" },
	{ "otf", "font/otf" },
	{ "wasm", "application/wasm" },
	{ "pdf", "application/pdf" },
	{ "mp3", "audio/mpeg" },
	{ "ogg", "audio/ogg" },
	{ "wav", "audio/wav" },
	{ "mp4", "video/mp4" },
	{ "webm", "video/webm" },
};

static int ext_ieq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	if (alen != blen) {
		return 0;
	}
	for (size_t i = 0; i < alen; i++) {
		char x = a[i];
		if (x >= 'A' && x <= 'Z') {
			x = (char)(x + 32);
		}
		if (x != b[i]) {
			return 0;
		}
	}
	return 1;
}

const char *ws_static_content_type(const char *name, size_t len)
{
	size_t dot = len;
	while (dot > 0 && name[dot - 1] != '.' && name[dot - 1] != '/') {
		dot--;
	}
	if (dot == 0 || name[dot - 1] != '.') {
		return "application/octet-stream";
	}
	for (size_t i = 0; i < sizeof(content_types) / sizeof(content_types[0]); i++) {
		if (ext_ieq(name + dot, len - dot, content_types[i].ext)) {
			return content_types[i].type;
		}
	}
	return "application/octet-stream";
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

/* Percent-decodes src into dst (NUL-terminated).  -1 on bad escapes, NUL or backslash. */
static int decode_path(const char *src, size_t len, char *dst, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		char ch = src[i];
		if (ch == '%') {
			if (len - i < 3) {
				return -1;
			}
			int hi = hexval(src[i + 1]), lo = hexval(src[i + 2]);
			if (hi < 0 || lo < 0) {
				return -1;
			}
			ch = (char)(hi * 16 + lo);
			i += 2;
		}
		if (ch == '\0' || ch == '\\') {
			return -1;
		}
		if (o + 1 >= cap) {
			return -1;
		}
		dst[o++] = ch;
	}
	dst[o] = '\0';
	return 0;
}

/* 1 if the path has a "." or ".." segment. */
static int has_dot_segment(const char *p)
{
	const char *seg = p;
	for (;;) {
		const char *end = strchr(seg, '/');
		size_t n = end ? (size_t)(end - seg) : strlen(seg);
		if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.')) {
			return 1;
		}
		if (end == NULL) {
			return 0;
		}
		seg = end + 1;
	}
}

static void respond(int status, const char *extra, const char *body, int head_only, char **out, size_t *out_len)
{
	size_t blen = strlen(body);
	size_t elen = extra ? strlen(extra) : 0;
	size_t need = ws_http_response(NULL, 0, status, extra, elen, body, blen, 1, head_only);
	*out = ws_malloc(need);
	*out_len = 0;
	if (*out) {
		*out_len = ws_http_response(*out, need, status, extra, elen, body, blen, 1, head_only);
	}
}

int ws_static_serve(const char *root, const ws_http_request_t *req, char **out, size_t *out_len)
{
	int head_only = req->method.len == 4 && memcmp(req->method.ptr, "HEAD", 4) == 0;
	int is_get = req->method.len == 3 && memcmp(req->method.ptr, "GET", 3) == 0;
	*out = NULL;
	*out_len = 0;
	if (!is_get && !head_only) {
		respond(405, "Allow: GET, HEAD\r\n", "method not allowed\n", 0, out, out_len);
		return 405;
	}
	char path[PATH_MAX];
	if (req->path.len == 0 || req->path.ptr[0] != '/'
		|| decode_path(req->path.ptr, req->path.len, path, sizeof(path)) != 0) {
		respond(400, NULL, "bad path\n", head_only, out, out_len);
		return 400;
	}
	if (has_dot_segment(path + 1)) {
		respond(404, NULL, "not found\n", head_only, out, out_len);
		return 404;
	}
	char rroot[PATH_MAX];
	if (realpath(root, rroot) == NULL) {
		respond(404, NULL, "not found\n", head_only, out, out_len);
		return 404;
	}
	char full[PATH_MAX * 2];
	size_t plen = strlen(path);
	int n = snprintf(full, sizeof(full), "%s%s%s", rroot, path,
		(plen > 0 && path[plen - 1] == '/') ? "index.html" : "");
	if (n < 0 || (size_t)n >= sizeof(full)) {
		respond(404, NULL, "not found\n", head_only, out, out_len);
		return 404;
	}
	struct stat st;
	if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
		if ((size_t)n + 11 >= sizeof(full)) {
			respond(404, NULL, "not found\n", head_only, out, out_len);
			return 404;
		}
		memcpy(full + n, "/index.html", 12);
	}
	char resolved[PATH_MAX];
	size_t rl = strlen(rroot);
	if (realpath(full, resolved) == NULL
		|| strncmp(resolved, rroot, rl) != 0 || (resolved[rl] != '/' && resolved[rl] != '\0')) {
		respond(404, NULL, "not found\n", head_only, out, out_len);
		return 404;
	}
	int fd = open(resolved, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int st_code = errno == EACCES ? 403 : 404;
		respond(st_code, NULL, st_code == 403 ? "forbidden\n" : "not found\n", head_only, out, out_len);
		return st_code;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		respond(404, NULL, "not found\n", head_only, out, out_len);
		return 404;
	}
	if ((unsigned long long)st.st_size > WS_STATIC_MAX_FILE) {
		close(fd);
		respond(413, NULL, "file too large\n", head_only, out, out_len);
		return 413;
	}
	size_t size = (size_t)st.st_size;
	char hdr[256];
	const char *ctype = ws_static_content_type(resolved, strlen(resolved));
	int hl = snprintf(hdr, sizeof(hdr), "Content-Type: %s\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-cache\r\n", ctype);
	/*
	 * Headers only (head_only), but with the file's Content-Length: the body
	 * pointer is a non-NULL placeholder that is never read in head-only mode.
	 */
	size_t need = ws_http_response(NULL, 0, 200, hdr, (size_t)hl, "", size, 1, 1);
	char *buf = ws_malloc(need + (head_only ? 0 : size));
	if (buf == NULL) {
		close(fd);
		return 500;
	}
	size_t w = ws_http_response(buf, need, 200, hdr, (size_t)hl, "", size, 1, 1);
	if (!head_only) {
		size_t got = 0;
		while (got < size) {
			ssize_t r = read(fd, buf + w + got, size - got);
			if (r < 0 && errno == EINTR) {
				continue;
			}
			if (r <= 0) {
				break;
			}
			got += (size_t)r;
		}
		if (got != size) {
			close(fd);
			ws_free(buf);
			respond(500, NULL, "read error\n", 0, out, out_len);
			return 500;
		}
		w += size;
	}
	close(fd);
	*out = buf;
	*out_len = w;
	return 200;
}
