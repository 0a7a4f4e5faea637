/*
 * ws_tls.h - TLS for the server's transport, on OpenSSL.
 *
 * A ws_tls_ctx_t holds the certificate, key and settings of one listener;
 * it is built (and every file checked) when the listener is configured, so
 * a missing file, a key that does not match or a bad passphrase is reported
 * at once, never at the first connection.  ws_tls_ctx_reload() re-reads the
 * same files: new connections get the new certificate, open ones keep
 * theirs.
 *
 * A ws_tls_conn_t drives one connection's SSL object on a non-blocking
 * socket.  Reads and writes report EAGAIN like the socket calls they
 * replace; ws_tls_wants() then tells which readiness (read or write) the
 * blocked operation waits for, since a TLS read may need to write and the
 * reverse.  Writes are gathered into records of up to 16 KiB so that many
 * small messages do not each cost a record.
 *
 * Built with OpenSSL when WS_HAVE_OPENSSL is defined; otherwise
 * ws_tls_ctx_new() fails with "TLS support is not built in".
 */
#ifndef WS_TLS_H
#define WS_TLS_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef struct ws_tls_ctx ws_tls_ctx_t;
typedef struct ws_tls_conn ws_tls_conn_t;

typedef struct ws_tls_config {
	const char *cert_file;   /* PEM certificate (chain allowed); required */
	const char *key_file;    /* PEM private key; required */
	const char *passphrase;  /* for an encrypted key; may be NULL */
	const char *ca_file;     /* extra chain certificates / client CA; may be NULL */
	const char *ciphers;     /* OpenSSL cipher list for TLS <= 1.2; NULL = OpenSSL's default */
	int min_version;         /* 12 for TLS 1.2 (default), 13 for TLS 1.3 */
	int verify_peer;         /* require a client certificate signed by ca_file */
} ws_tls_config_t;

/* 1 if TLS is compiled in; the library version string (or NULL). */
int ws_tls_available(void);
const char *ws_tls_library_version(void);

/*
 * Builds a context, checking every file now.  The configuration strings are
 * copied (for reloads).  Returns NULL with a message in err such as
 * "cannot load certificate /x.pem: No such file or directory" or
 * "private key does not match the certificate".
 */
ws_tls_ctx_t *ws_tls_ctx_new(const ws_tls_config_t *cfg, char *err, size_t errcap);
/* Re-reads the files.  On failure returns -1 with err set and keeps the old certificate. */
int ws_tls_ctx_reload(ws_tls_ctx_t *ctx, char *err, size_t errcap);
void ws_tls_ctx_free(ws_tls_ctx_t *ctx);

/* A server-side TLS connection on fd (non-blocking).  NULL on allocation failure. */
ws_tls_conn_t *ws_tls_conn_new(ws_tls_ctx_t *ctx, int fd);
void ws_tls_conn_free(ws_tls_conn_t *t);

/* Advances the handshake: 1 done, 0 in progress (see ws_tls_wants), -1 failed. */
int ws_tls_handshake(ws_tls_conn_t *t);
/*
 * Reads decrypted bytes (as many records as fit, until the socket would
 * block).  Returns > 0, 0 at end of stream (close_notify or TCP EOF), or -1
 * with errno EAGAIN (see ws_tls_wants) or EIO/ECONNRESET.
 */
ssize_t ws_tls_read(ws_tls_conn_t *t, void *buf, size_t len);
/* 1 if decrypted bytes are buffered inside the TLS layer (read again without waiting). */
int ws_tls_read_pending(const ws_tls_conn_t *t);
/*
 * Takes bytes from iov for encryption.  Returns how many were taken (they
 * may still sit in the TLS layer's record buffer; see ws_tls_write_pending),
 * or -1 with errno EAGAIN or EIO.
 */
ssize_t ws_tls_writev(ws_tls_conn_t *t, const struct iovec *iov, int n);
/* 1 if taken bytes have not reached the socket yet. */
int ws_tls_write_pending(const ws_tls_conn_t *t);
/* Flushes pending record bytes: 0 when empty, 1 still pending (blocked), -1 error. */
int ws_tls_flush(ws_tls_conn_t *t);
/* WS_IO_READ / WS_IO_WRITE (ws_loop.h) the last blocked operation waits for; 0 if none. */
unsigned ws_tls_wants(const ws_tls_conn_t *t);
/* Sends close_notify (best effort, once). */
void ws_tls_shutdown(ws_tls_conn_t *t);
/* The verified client certificate's subject ("/CN=..."), or 0 if none. */
size_t ws_tls_peer_subject(const ws_tls_conn_t *t, char *out, size_t cap);

#endif
