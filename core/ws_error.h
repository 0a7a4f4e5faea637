/*
 * ws_error.h - error codes shared by every module of the core.
 *
 * All core functions report failure with a negative WS_ERR_* value; 0 (WS_OK)
 * is success.  Parsers keep the first error they hit ("sticky") until they are
 * re-initialised.  Each error maps to the close code a WebSocket endpoint must
 * send for it and, for handshake errors, to the HTTP status to answer with.
 */
#ifndef WS_ERROR_H
#define WS_ERROR_H

/* Close codes (RFC 6455 section 7.4.1). */
#define WS_CLOSE_NORMAL            1000
#define WS_CLOSE_GOING_AWAY        1001
#define WS_CLOSE_PROTOCOL_ERROR    1002
#define WS_CLOSE_UNSUPPORTED_DATA  1003
#define WS_CLOSE_NO_STATUS         1005 /* never on the wire */
#define WS_CLOSE_ABNORMAL          1006 /* never on the wire */
#define WS_CLOSE_INVALID_PAYLOAD   1007
#define WS_CLOSE_POLICY_VIOLATION  1008
#define WS_CLOSE_MESSAGE_TOO_BIG   1009
#define WS_CLOSE_MANDATORY_EXT     1010
#define WS_CLOSE_INTERNAL_ERROR    1011
#define WS_CLOSE_SERVICE_RESTART   1012
#define WS_CLOSE_TRY_AGAIN_LATER   1013
#define WS_CLOSE_BAD_GATEWAY       1014
#define WS_CLOSE_TLS_HANDSHAKE     1015 /* never on the wire */

typedef enum ws_err {
	WS_OK = 0,

	/* Frame layer: each closes the connection with the code in ws_error_close_code(). */
	WS_ERR_RESERVED_OPCODE = -1,       /* opcode 3-7 or 11-15: 1002 */
	WS_ERR_RESERVED_BITS = -2,         /* RSV bit set without a negotiated extension: 1002 */
	WS_ERR_UNMASKED_FRAME = -3,        /* a client frame without the MASK bit: 1002 */
	WS_ERR_MASKED_FRAME = -4,          /* a server frame with the MASK bit (client role): 1002 */
	WS_ERR_CONTROL_TOO_LONG = -5,      /* control frame payload over 125 bytes: 1002 */
	WS_ERR_CONTROL_FRAGMENTED = -6,    /* control frame without FIN: 1002 */
	WS_ERR_UNEXPECTED_CONTINUATION = -7, /* continuation with no message open: 1002 */
	WS_ERR_EXPECTED_CONTINUATION = -8, /* new data frame inside a fragmented message: 1002 */
	WS_ERR_LENGTH_MSB = -9,            /* 64-bit length with the top bit set: 1002 */
	WS_ERR_CLOSE_PAYLOAD = -10,        /* close frame with a 1-byte payload: 1002 */
	WS_ERR_CLOSE_CODE = -11,           /* close frame with an invalid code: 1002 */
	WS_ERR_INVALID_UTF8 = -12,         /* text message or close reason not UTF-8: 1007 */
	WS_ERR_FRAME_TOO_BIG = -13,        /* frame over max_frame_size: 1009 */
	WS_ERR_MESSAGE_TOO_BIG = -14,      /* message over max_message_size: 1009 */
	WS_ERR_COMPRESSION = -15,          /* corrupt permessage-deflate data: 1002 (RSV1 misuse is WS_ERR_RESERVED_BITS) */
	WS_ERR_NOMEM = -16,                /* allocation failed: 1011 */
	WS_ERR_CALLBACK = -17,             /* a callback asked to abort: 1011 */

	/* HTTP / handshake layer: each answers with the status in ws_error_http_status(). */
	WS_ERR_HTTP_MALFORMED = -30,       /* unparsable request line or header: 400 */
	WS_ERR_HTTP_HEADERS_TOO_LARGE = -31, /* head exceeds the limit: 431 */
	WS_ERR_HTTP_VERSION = -32,         /* not HTTP/1.1 (HTTP/1.0 or other): 400 */
	WS_ERR_HTTP_METHOD = -33,          /* upgrade request with a method other than GET: 405 */
	WS_ERR_HTTP_NO_HOST = -34,         /* missing Host: 400 */
	WS_ERR_HTTP_NOT_UPGRADE = -35,     /* Upgrade/Connection headers missing or wrong: 400 */
	WS_ERR_WS_VERSION = -36,           /* Sec-WebSocket-Version missing or not 13: 426 */
	WS_ERR_WS_KEY = -37,               /* Sec-WebSocket-Key missing or not base64 of 16 bytes: 400 */
	WS_ERR_HTTP_TOO_MANY_HEADERS = -38, /* more header lines than the parser holds: 431 */
	WS_ERR_HTTP_BODY = -39,            /* request with a body (Content-Length > 0 or chunked): 400 for upgrades, 413 otherwise */

	/* System layer. */
	WS_ERR_SYSTEM = -50,               /* see errno */
	WS_ERR_TLS = -51,                  /* TLS failure */
	WS_ERR_AGAIN = -52                 /* would block / need more input (not an error of the peer) */
} ws_err_t;

/* Human-readable text for a WS_ERR_* code ("unknown error" for others).  Static storage. */
const char *ws_strerror(int err);

/* Close code to send for a frame-layer error (1002, 1007, 1009, 1011), or 1002 for unknown codes. */
int ws_error_close_code(int err);

/* HTTP status to answer for a handshake-layer error (400, 405, 426, 431, 505), 400 for unknown codes. */
int ws_error_http_status(int err);

/* Standard reason phrase for an HTTP status ("Unknown" if not known).  Static storage. */
const char *ws_http_reason_phrase(int status);

/*
 * Returns 1 if a close code received from a peer is acceptable (RFC 6455
 * 7.4 plus the IANA registry): 1000-1003, 1007-1014, 3000-4999.  0 otherwise
 * (0-999, 1004-1006, 1015, 1016-2999 and 5000 and up are invalid).
 */
int ws_close_code_is_valid(unsigned code);

/*
 * Returns 1 if an application may send this code in a close frame:
 * the valid codes above (1005, 1006 and 1015 are never sent).
 */
int ws_close_code_is_sendable(unsigned code);

#endif
