/*
 * ws_error.c - error texts and mappings, plus the allocator seam.
 */
#include <stdlib.h>
#include "ws_alloc.h"
#include "ws_error.h"

ws_allocator_t ws__allocator = { malloc, realloc, free };

void ws_set_allocator(const ws_allocator_t *a)
{
	if (a == NULL) {
		ws__allocator.malloc_fn = malloc;
		ws__allocator.realloc_fn = realloc;
		ws__allocator.free_fn = free;
	} else {
		ws__allocator = *a;
	}
}

const char *ws_strerror(int err)
{
	switch (err) {
	case WS_OK: return "no error";
	case WS_ERR_RESERVED_OPCODE: return "reserved opcode";
	case WS_ERR_RESERVED_BITS: return "reserved bits set without a negotiated extension";
	case WS_ERR_UNMASKED_FRAME: return "client frame is not masked";
	case WS_ERR_MASKED_FRAME: return "server frame is masked";
	case WS_ERR_CONTROL_TOO_LONG: return "control frame payload longer than 125 bytes";
	case WS_ERR_CONTROL_FRAGMENTED: return "fragmented control frame";
	case WS_ERR_UNEXPECTED_CONTINUATION: return "continuation frame without a message in progress";
	case WS_ERR_EXPECTED_CONTINUATION: return "new data frame inside a fragmented message";
	case WS_ERR_LENGTH_MSB: return "64-bit payload length with the most significant bit set";
	case WS_ERR_CLOSE_PAYLOAD: return "close frame with a 1-byte payload";
	case WS_ERR_CLOSE_CODE: return "invalid close code";
	case WS_ERR_INVALID_UTF8: return "invalid UTF-8 in text";
	case WS_ERR_FRAME_TOO_BIG: return "frame exceeds the maximum frame size";
	case WS_ERR_MESSAGE_TOO_BIG: return "message exceeds the maximum message size";
	case WS_ERR_COMPRESSION: return "invalid compressed data";
	case WS_ERR_NOMEM: return "out of memory";
	case WS_ERR_CALLBACK: return "aborted by callback";
	case WS_ERR_HTTP_MALFORMED: return "malformed HTTP request";
	case WS_ERR_HTTP_HEADERS_TOO_LARGE: return "request header too large";
	case WS_ERR_HTTP_VERSION: return "HTTP version not supported for WebSocket (HTTP/1.1 required)";
	case WS_ERR_HTTP_METHOD: return "WebSocket upgrade requires GET";
	case WS_ERR_HTTP_NO_HOST: return "missing Host header";
	case WS_ERR_HTTP_NOT_UPGRADE: return "not a WebSocket upgrade request";
	case WS_ERR_WS_VERSION: return "unsupported Sec-WebSocket-Version (13 required)";
	case WS_ERR_WS_KEY: return "invalid Sec-WebSocket-Key";
	case WS_ERR_HTTP_TOO_MANY_HEADERS: return "too many header fields";
	case WS_ERR_HTTP_BODY: return "request body not supported";
	case WS_ERR_SYSTEM: return "system error";
	case WS_ERR_TLS: return "TLS error";
	case WS_ERR_AGAIN: return "operation would block";
	}
	return "unknown error";
}

int ws_error_close_code(int err)
{
	switch (err) {
	case WS_ERR_INVALID_UTF8:
		return WS_CLOSE_INVALID_PAYLOAD;
	case WS_ERR_FRAME_TOO_BIG:
	case WS_ERR_MESSAGE_TOO_BIG:
		return WS_CLOSE_MESSAGE_TOO_BIG;
	case WS_ERR_NOMEM:
	case WS_ERR_CALLBACK:
	case WS_ERR_SYSTEM:
	case WS_ERR_TLS:
		return WS_CLOSE_INTERNAL_ERROR;
	default:
		return WS_CLOSE_PROTOCOL_ERROR;
	}
}

int ws_error_http_status(int err)
{
	switch (err) {
	case WS_ERR_HTTP_HEADERS_TOO_LARGE:
	case WS_ERR_HTTP_TOO_MANY_HEADERS:
		return 431;
	case WS_ERR_HTTP_METHOD:
		return 405;
	case WS_ERR_WS_VERSION:
		return 426;
	case WS_ERR_NOMEM:
	case WS_ERR_SYSTEM:
		return 500;
	default:
		return 400;
	}
}

const char *ws_http_reason_phrase(int status)
{
	switch (status) {
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 426: return "Upgrade Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	}
	return "Unknown";
}

int ws_close_code_is_valid(unsigned code)
{
	if (code >= 1000 && code <= 1003) {
		return 1;
	}
	if (code >= 1007 && code <= 1014) {
		return 1;
	}
	return code >= 3000 && code <= 4999;
}

int ws_close_code_is_sendable(unsigned code)
{
	return ws_close_code_is_valid(code);
}
