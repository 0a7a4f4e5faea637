/*
 * ws_tls.c - TLS transport on OpenSSL (see ws_tls.h).
 *
 * The SSL object talks to the socket directly (SSL_set_fd).  Every
 * operation that returns WANT_READ or WANT_WRITE records which readiness it
 * needs in t->want, and the server watches for that, which is how a read
 * that must write (or a write that must read) makes progress.
 *
 * Output is staged in a 16 KiB buffer: the queue's segments (possibly many
 * small frames) are copied in until it is full, then written as one record.
 * OpenSSL requires a blocked SSL_write to be retried with the same bytes;
 * the staging buffer guarantees that.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ws_alloc.h"
#include "ws_loop.h"
#include "ws_tls.h"

#define WS_TLS_RECORD 16384

static char *dup_str(const char *s)
{
	if (s == NULL) {
		return NULL;
	}
	size_t n = strlen(s);
	char *d = ws_malloc(n + 1);
	if (d) {
		memcpy(d, s, n + 1);
	}
	return d;
}

#ifdef WS_HAVE_OPENSSL
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

struct ws_tls_ctx {
	SSL_CTX *ssl_ctx;
	char *cert_file, *key_file, *passphrase, *ca_file, *ciphers;
	int min_version;
	int verify_peer;
};

struct ws_tls_conn {
	SSL *ssl;
	unsigned want;
	int shut;
	size_t wlen, woff;
	uint8_t *wbuf;   /* WS_TLS_RECORD bytes while output is staged; NULL when idle */
};

int ws_tls_available(void)
{
	return 1;
}

const char *ws_tls_library_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}

/*
 * The root cause on OpenSSL's error queue (the first error; later ones are
 * wrappers such as "PEM lib"), then the queue is cleared.  System errors
 * carry errno as their reason.
 */
static void tls_reason(char *out, size_t cap, const char *what, const char *file)
{
	const char *data = NULL;
	int flags = 0;
	unsigned long e = ERR_peek_error_data(&data, &flags);
	char reason[256];
	if (e) {
		const char *r = ERR_GET_LIB(e) == ERR_LIB_SYS ? strerror(ERR_GET_REASON(e)) : ERR_reason_error_string(e);
		if (data && *data && (flags & ERR_TXT_STRING)) {
			/* OpenSSL 3 explains some reasons ("unsupported") in the error data. */
			snprintf(reason, sizeof(reason), "%s (%s)", r ? r : "unknown OpenSSL error", data);
		} else {
			snprintf(reason, sizeof(reason), "%s", r ? r : "unknown OpenSSL error");
		}
	} else {
		snprintf(reason, sizeof(reason), "%s", errno ? strerror(errno) : "unknown error");
	}
	if (file) {
		snprintf(out, cap, "%s %s: %s", what, file, reason);
	} else {
		snprintf(out, cap, "%s: %s", what, reason);
	}
	ERR_clear_error();
}

static int passphrase_cb(char *buf, int size, int rwflag, void *userdata)
{
	const char *p = userdata;
	(void)rwflag;
	if (p == NULL) {
		return 0;
	}
	size_t n = strlen(p);
	if (n >= (size_t)size) {
		return 0;
	}
	memcpy(buf, p, n);
	return (int)n;
}

static int alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
	const unsigned char *in, unsigned int inlen, void *arg)
{
	/* Only http/1.1 is spoken; a client offering something else goes on without ALPN. */
	(void)ssl;
	(void)arg;
	for (unsigned int i = 0; i < inlen;) {
		unsigned int l = in[i];
		if (i + 1 + l > inlen) {
			break;
		}
		if (l == 8 && memcmp(in + i + 1, "http/1.1", 8) == 0) {
			*out = in + i + 1;
			*outlen = (unsigned char)l;
			return SSL_TLSEXT_ERR_OK;
		}
		i += 1 + l;
	}
	return SSL_TLSEXT_ERR_NOACK;
}

/* Builds an SSL_CTX from the stored configuration. */
static SSL_CTX *tls_build(const ws_tls_ctx_t *c, char *err, size_t errcap)
{
	ERR_clear_error();
	errno = 0;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		tls_reason(err, errcap, "cannot create TLS context", NULL);
		return NULL;
	}
	int minv = c->min_version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION;
	SSL_CTX_set_min_proto_version(ctx, minv);
	/* No renegotiation (TLS 1.2; 1.3 has none), no compression, fresh keys per session. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS);
	/* Read whole socket buffers, not a record header and then its body: half the read() calls. */
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, NULL);
	/*
	 * Always our callback: without a passphrase it answers "none", where
	 * OpenSSL's default would prompt on the terminal and block the server.
	 */
	SSL_CTX_set_default_passwd_cb(ctx, passphrase_cb);
	SSL_CTX_set_default_passwd_cb_userdata(ctx, c->passphrase);
	if (c->ciphers && SSL_CTX_set_cipher_list(ctx, c->ciphers) != 1) {
		tls_reason(err, errcap, "invalid tls_ciphers", c->ciphers);
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, c->cert_file) != 1) {
		tls_reason(err, errcap, "cannot load certificate", c->cert_file);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, c->key_file, SSL_FILETYPE_PEM) != 1) {
		tls_reason(err, errcap, "cannot load private key", c->key_file);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_reason(err, errcap, "private key does not match the certificate", c->key_file);
		goto fail;
	}
	if (c->ca_file) {
		if (SSL_CTX_load_verify_locations(ctx, c->ca_file, NULL) != 1) {
			tls_reason(err, errcap, "cannot load CA file", c->ca_file);
			goto fail;
		}
		if (c->verify_peer) {
			STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(c->ca_file);
			if (names) {
				SSL_CTX_set_client_CA_list(ctx, names);
			}
		}
	}
	if (c->verify_peer) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	/* Passphrase callbacks must not outlive this build: the key is loaded. */
	SSL_CTX_set_default_passwd_cb(ctx, NULL);
	SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

ws_tls_ctx_t *ws_tls_ctx_new(const ws_tls_config_t *cfg, char *err, size_t errcap)
{
	if (cfg->cert_file == NULL || cfg->key_file == NULL) {
		snprintf(err, errcap, "TLS needs both a certificate and a private key");
		return NULL;
	}
	ws_tls_ctx_t *c = ws_malloc(sizeof(*c));
	if (c == NULL) {
		snprintf(err, errcap, "out of memory");
		return NULL;
	}
	memset(c, 0, sizeof(*c));
	c->cert_file = dup_str(cfg->cert_file);
	c->key_file = dup_str(cfg->key_file);
	c->passphrase = dup_str(cfg->passphrase);
	c->ca_file = dup_str(cfg->ca_file);
	c->ciphers = dup_str(cfg->ciphers);
	c->min_version = cfg->min_version ? cfg->min_version : 12;
	c->verify_peer = cfg->verify_peer;
	if (c->cert_file == NULL || c->key_file == NULL) {
		snprintf(err, errcap, "out of memory");
		ws_tls_ctx_free(c);
		return NULL;
	}
	c->ssl_ctx = tls_build(c, err, errcap);
	if (c->ssl_ctx == NULL) {
		ws_tls_ctx_free(c);
		return NULL;
	}
	return c;
}

int ws_tls_ctx_reload(ws_tls_ctx_t *c, char *err, size_t errcap)
{
	SSL_CTX *n = tls_build(c, err, errcap);
	if (n == NULL) {
		return -1;
	}
	/* Open connections hold their own reference to the old context. */
	SSL_CTX_free(c->ssl_ctx);
	c->ssl_ctx = n;
	return 0;
}

void ws_tls_ctx_free(ws_tls_ctx_t *c)
{
	if (c == NULL) {
		return;
	}
	if (c->ssl_ctx) {
		SSL_CTX_free(c->ssl_ctx);
	}
	ws_free(c->cert_file);
	ws_free(c->key_file);
	if (c->passphrase) {
		OPENSSL_cleanse(c->passphrase, strlen(c->passphrase));
	}
	ws_free(c->passphrase);
	ws_free(c->ca_file);
	ws_free(c->ciphers);
	ws_free(c);
}

ws_tls_conn_t *ws_tls_conn_new(ws_tls_ctx_t *ctx, int fd)
{
	ws_tls_conn_t *t = ws_malloc(sizeof(*t));
	if (t == NULL) {
		return NULL;
	}
	memset(t, 0, sizeof(*t));
	t->ssl = SSL_new(ctx->ssl_ctx);
	if (t->ssl == NULL || SSL_set_fd(t->ssl, fd) != 1) {
		if (t->ssl) {
			SSL_free(t->ssl);
		}
		ws_free(t);
		ERR_clear_error();
		return NULL;
	}
	SSL_set_accept_state(t->ssl);
	return t;
}

void ws_tls_conn_free(ws_tls_conn_t *t)
{
	if (t) {
		SSL_free(t->ssl);
		ws_free(t->wbuf);
		ws_free(t);
	}
}

/* Maps an SSL result to want/errno.  Returns 0 for "blocked" (EAGAIN), -1 for a failure. */
static int tls_blocked(ws_tls_conn_t *t, int r)
{
	int e = SSL_get_error(t->ssl, r);
	switch (e) {
	case SSL_ERROR_WANT_READ:
		t->want = WS_IO_READ;
		errno = EAGAIN;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		t->want = WS_IO_WRITE;
		errno = EAGAIN;
		return 0;
	case SSL_ERROR_SYSCALL:
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			t->want = WS_IO_READ;
			errno = EAGAIN;
			return 0;
		}
		if (errno == 0) {
			errno = ECONNRESET;
		}
		ERR_clear_error();
		return -1;
	default:
		ERR_clear_error();
		errno = EIO;
		return -1;
	}
}

int ws_tls_handshake(ws_tls_conn_t *t)
{
	t->want = 0;
	ERR_clear_error();
	int r = SSL_do_handshake(t->ssl);
	if (r == 1) {
		return 1;
	}
	return tls_blocked(t, r) == 0 ? 0 : -1;
}

ssize_t ws_tls_read(ws_tls_conn_t *t, void *buf, size_t len)
{
	size_t got = 0;
	t->want = 0;
	while (got < len) {
		ERR_clear_error();
		int chunk = len - got > 1u << 30 ? 1 << 30 : (int)(len - got);
		int r = SSL_read(t->ssl, (char *)buf + got, chunk);
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		int e = SSL_get_error(t->ssl, r);
		if (e == SSL_ERROR_ZERO_RETURN) {
			/* close_notify: deliver what we have first. */
			return got ? (ssize_t)got : 0;
		}
		if (e == SSL_ERROR_SYSCALL && errno == 0 && ERR_peek_error() == 0) {
			/* TCP EOF without close_notify: treat as end of stream. */
			return got ? (ssize_t)got : 0;
		}
		int saved;
		if (tls_blocked(t, r) == 0) {
			if (got) {
				return (ssize_t)got;
			}
			errno = EAGAIN;
			return -1;
		}
		saved = errno;
		if (got) {
			return (ssize_t)got;
		}
		errno = saved;
		return -1;
	}
	return (ssize_t)got;
}

int ws_tls_read_pending(const ws_tls_conn_t *t)
{
	/* With read-ahead, undecrypted records can wait in OpenSSL's buffer too. */
	return SSL_has_pending(t->ssl);
}

int ws_tls_flush(ws_tls_conn_t *t)
{
	while (t->woff < t->wlen) {
		ERR_clear_error();
		int r = SSL_write(t->ssl, t->wbuf + t->woff, (int)(t->wlen - t->woff));
		if (r > 0) {
			t->woff += (size_t)r;
			continue;
		}
		return tls_blocked(t, r) == 0 ? 1 : -1;
	}
	t->woff = t->wlen = 0;
	/* An idle connection keeps no record buffer (16 KiB each would add up). */
	ws_free(t->wbuf);
	t->wbuf = NULL;
	return 0;
}

ssize_t ws_tls_writev(ws_tls_conn_t *t, const struct iovec *iov, int n)
{
	t->want = 0;
	int f = ws_tls_flush(t);
	if (f != 0) {
		if (f > 0) {
			errno = EAGAIN;
		}
		return -1;
	}
	/* Stage up to one record from the queue, then try to send it. */
	if (t->wbuf == NULL && (t->wbuf = ws_malloc(WS_TLS_RECORD)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	size_t taken = 0;
	for (int i = 0; i < n && t->wlen < WS_TLS_RECORD; i++) {
		size_t room = WS_TLS_RECORD - t->wlen;
		size_t k = iov[i].iov_len < room ? iov[i].iov_len : room;
		memcpy(t->wbuf + t->wlen, iov[i].iov_base, k);
		t->wlen += k;
		taken += k;
		if (k < iov[i].iov_len) {
			break;
		}
	}
	f = ws_tls_flush(t);
	if (f < 0) {
		return -1;
	}
	return (ssize_t)taken;
}

int ws_tls_write_pending(const ws_tls_conn_t *t)
{
	return t->wlen > t->woff;
}

unsigned ws_tls_wants(const ws_tls_conn_t *t)
{
	return t->want;
}

void ws_tls_shutdown(ws_tls_conn_t *t)
{
	if (!t->shut) {
		t->shut = 1;
		ERR_clear_error();
		if (SSL_is_init_finished(t->ssl)) {
			SSL_shutdown(t->ssl);
		}
		ERR_clear_error();
	}
}

size_t ws_tls_peer_subject(const ws_tls_conn_t *t, char *out, size_t cap)
{
	X509 *cert = SSL_get1_peer_certificate(t->ssl);
	if (cert == NULL || cap == 0) {
		if (cert) {
			X509_free(cert);
		}
		return 0;
	}
	size_t n = 0;
	if (SSL_get_verify_result(t->ssl) == X509_V_OK) {
		X509_NAME_oneline(X509_get_subject_name(cert), out, (int)cap);
		n = strlen(out);
	}
	X509_free(cert);
	return n;
}

#else /* no OpenSSL */

struct ws_tls_ctx {
	int unused;
};

int ws_tls_available(void)
{
	return 0;
}

const char *ws_tls_library_version(void)
{
	return NULL;
}

ws_tls_ctx_t *ws_tls_ctx_new(const ws_tls_config_t *cfg, char *err, size_t errcap)
{
	(void)cfg;
	(void)dup_str;
	snprintf(err, errcap, "TLS support is not built in (configure without --without-websocket-tls, with libssl-dev installed)");
	return NULL;
}

int ws_tls_ctx_reload(ws_tls_ctx_t *ctx, char *err, size_t errcap)
{
	snprintf(err, errcap, "TLS support is not built in");
	return -1;
}

void ws_tls_ctx_free(ws_tls_ctx_t *ctx)
{
	(void)ctx;
}

ws_tls_conn_t *ws_tls_conn_new(ws_tls_ctx_t *ctx, int fd)
{
	return NULL;
}

void ws_tls_conn_free(ws_tls_conn_t *t)
{
	(void)t;
}

int ws_tls_handshake(ws_tls_conn_t *t)
{
	return -1;
}

ssize_t ws_tls_read(ws_tls_conn_t *t, void *buf, size_t len)
{
	errno = EIO;
	return -1;
}

int ws_tls_read_pending(const ws_tls_conn_t *t)
{
	return 0;
}

ssize_t ws_tls_writev(ws_tls_conn_t *t, const struct iovec *iov, int n)
{
	errno = EIO;
	return -1;
}

int ws_tls_write_pending(const ws_tls_conn_t *t)
{
	return 0;
}

int ws_tls_flush(ws_tls_conn_t *t)
{
	return -1;
}

unsigned ws_tls_wants(const ws_tls_conn_t *t)
{
	return 0;
}

void ws_tls_shutdown(ws_tls_conn_t *t)
{
	(void)t;
}

size_t ws_tls_peer_subject(const ws_tls_conn_t *t, char *out, size_t cap)
{
	return 0;
}

#endif
