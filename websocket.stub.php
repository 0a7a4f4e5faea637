<?php

/**
 * @generate-class-entries
 */

namespace WebSocket;

/**
 * Thrown for runtime failures of the server: a port that cannot be bound, a
 * descriptor limit, an event loop failure. Misuse of the API throws \Error,
 * and invalid arguments throw \ValueError or \TypeError.
 */
class Exception extends \RuntimeException
{
}

/**
 * A WebSocket server. Register handlers with on(), then call run(): the
 * extension runs the event loop, the handshake, framing, ping/pong, closing
 * and backpressure in C, and calls your handlers with whole messages.
 *
 * Events and handler arguments:
 *  - "handshake": (Request $request) before the 101 is sent; may call
 *    $request->respond() to refuse, $request->setSubprotocol(),
 *    $request->setHeader(), or set $request->data.
 *  - "open": (Connection $connection, Request $request)
 *  - "message": (Connection $connection, string $data, bool $binary)
 *  - "close": (Connection $connection, int $code, string $reason), exactly
 *    once for every connection that opened.
 *  - "error": (\Throwable $error, ?Connection $connection) when a handler
 *    throws; the connection in question is closed with 1011 and the server
 *    goes on. Without an "error" handler, run() stops and rethrows.
 *  - "request": (Request $request) for plain HTTP requests (no Upgrade);
 *    answer with $request->respond(). Unanswered requests fall back to
 *    document_root, then 404.
 *  - "drain": (Connection $connection) when a send queue that was over the
 *    low-water mark falls back under it.
 *  - "join" and "leave": (string $topic, int $connectionId, string $info,
 *    int $worker) once per presence change on the node, after the change,
 *    in the worker that owns the connection (docs/PRESENCE_HISTORY.md).
 *
 * @strict-properties
 * @not-serializable
 */
final class Server implements \Countable
{
    /**
     * Binds and listens at once, so a port in use is reported here.
     *
     * @param string $host Address to bind: "0.0.0.0", "127.0.0.1", "::" (IPv6 and IPv4), "::1" or a host name.
     * @param int $port TCP port, 0 for an ephemeral port (see getPort()).
     * @param array $options Options (see docs/API.md): max_message_size,
     *   max_frame_size, max_header_size, handshake_timeout, idle_timeout,
     *   ping_interval, pong_timeout, close_timeout, shutdown_timeout,
     *   max_connections, max_connections_per_ip, max_buffered_amount,
     *   low_water_mark, backpressure ("close" or "drop"), max_memory,
     *   subprotocols, allowed_origins, document_root, backlog;
     *   compression, compression_level, compression_memory_level,
     *   compression_window_bits, compression_threshold,
     *   compression_context_takeover (permessage-deflate);
     *   tls_cert, tls_key, tls_key_passphrase, tls_ca, tls_min_version
     *   ("1.2" or "1.3"), tls_ciphers, tls_verify_peer (wss:// on this
     *   first listener); history (messages kept per topic: an int, or
     *   ["size" => int, "ttl" => seconds, "topics" => [topic or "prefix*"
     *   => int or ["size" => ..., "ttl" => ...]]]).
     *   Unknown keys and bad values throw \ValueError naming the option.
     * @throws Exception when the address cannot be bound, or a TLS file
     *   cannot be loaded (with OpenSSL's reason).
     */
    public function __construct(string $host = "0.0.0.0", int $port = 8080, array $options = []) {}

    /**
     * Adds a listener: one server can serve ws:// and wss:// together, with
     * the same handlers and topics.
     *
     * @param string $host Address to bind, as for the constructor.
     * @param int $port TCP port, 0 for an ephemeral one (see getPort($listener)).
     * @param array $options Only the tls_* options (see the constructor):
     *   with tls_cert and tls_key the listener serves wss://.
     * @throws Exception when the address cannot be bound or a TLS file cannot be loaded.
     */
    public function listen(string $host, int $port, array $options = []): static {}

    /**
     * Re-reads the certificate and key of every TLS listener (SIGHUP does the
     * same while running). New connections get the new certificate; open
     * ones keep theirs.
     *
     * @throws Exception when a file cannot be loaded; the old certificate stays in use.
     */
    public function reloadTls(): void {}

    /**
     * Sets the handler of an event, replacing any previous one.
     *
     * @param string $event One of "handshake", "open", "message", "close", "error", "request", "drain",
     *        "workerStart" (int $workerId), "workerStop" (int $workerId), "workerMessage" (string $data, int $fromWorker),
     *        "join" and "leave" (string $topic, int $connectionId, string $info, int $worker).
     * @param callable $handler Called with the event's arguments (see the class description).
     * @return static $this, for chaining.
     * @throws \ValueError for an unknown event name.
     */
    public function on(string $event, callable $handler): static {}

    /**
     * Runs the event loop until stop() completes, or SIGINT/SIGTERM (which
     * stop gracefully; a second signal exits at once).
     *
     * With the "workers" option above 1, this process becomes the supervisor
     * (docs/PROCESS_MODEL.md): it forks the workers, each runs the loop with
     * the handlers registered so far, and run() returns here once every
     * worker has stopped (SIGTERM/SIGINT to this process).  In a worker,
     * run() never returns: the worker exits after its workerStop event.
     * Open databases and other connections in "workerStart", never before
     * run(): nothing may be shared across the fork.
     *
     * @throws \Error when called from inside a handler (re-entrant run).
     * @throws Exception when the event loop fails, or when every worker
     *         failed to start (the crash-loop limit).
     * @throws \Throwable whatever a handler threw, when no "error" handler is set.
     */
    public function run(): void {}

    /** @return int This worker's id, 0 to workerCount() - 1 (0 without workers). */
    public function workerId(): int {}

    /** @return int The number of workers (the "workers" option; 1 without workers). */
    public function workerCount(): int {}

    /**
     * Fires the "workerMessage" event with $data in every worker, this one
     * included, after the current handler returns (also without workers).
     * Messages from one worker arrive in the order they were sent.
     *
     * @param string $data Any bytes.
     * @return bool false if the message was dropped (the bus to the
     *         supervisor holds more than the "bus_buffer" option).
     * @throws \Error when the server is not running.
     */
    public function sendToWorkers(string $data): bool {}

    /**
     * Zero-downtime reload of the PHP code, as SIGUSR2 to the supervisor:
     * new workers start the script anew, then the old ones stop accepting and
     * close their clients with 1012 over the "reload_window".
     *
     * @throws \Error without workers.
     */
    public function reload(): void {}

    /**
     * The whole server across workers, at most about a second old:
     * "connections" (the total), "bus_dropped" (records this worker dropped
     * because its bus link held more than "bus_buffer"), "workers" (worker id
     * => its stats() plus "pid") and "topics" (topic => subscribers across
     * workers).  Without
     * workers, this process's own figures.
     *
     * @return array{connections: int, bus_dropped: int, workers: array<int, array<string, mixed>>, topics: array<string, int>}
     */
    public function clusterStats(): array {}

    /**
     * Graceful shutdown: stop accepting, send 1001 Going Away to every client,
     * flush, wait up to shutdown_timeout for the replies, fire every "close"
     * event, then return from run(). Does nothing when not running.
     */
    public function stop(): void {}

    /**
     * Sends a message to every open connection except $except, encoding the
     * frame once. Per-connection backpressure limits apply.
     *
     * @param string $data The message; valid UTF-8 unless $binary.
     * @param bool $binary Send a binary message instead of text.
     * @param Connection|null $except A connection to leave out (usually the sender).
     * @return int The number of connections the message was queued for.
     */
    public function broadcast(string $data, bool $binary = false, ?Connection $except = null): int {}

    /**
     * Sends a message to every subscriber of $topic except $except, encoding
     * the frame once and sharing it between all recipients.
     *
     * @param string $topic 1 to 256 bytes.
     * @param string $data The message; valid UTF-8 unless $binary.
     * @param bool $binary Send a binary message instead of text.
     * @param Connection|null $except A subscriber to leave out.
     * @param string|null $id The application's id for this message (1 to 255
     *   bytes), kept with it in the topic's history: a client that saw it can
     *   later resume after it (Connection::resume()).
     * @return int The number of recipients (in this worker).
     */
    public function publish(string $topic, string $data, bool $binary = false, ?Connection $except = null, ?string $id = null): int {}

    /**
     * The latest messages of a topic's history (the "history" option), oldest
     * first, on every worker the same. Read locally: it never waits.
     *
     * @param string $topic 1 to 256 bytes.
     * @param int $limit At most this many (0: all that are kept).
     * @return list<array{id: ?string, data: string, binary: bool, seq: int, time: float}>
     *   seq is the message's position in the topic's order; time its Unix time.
     */
    public function history(string $topic, int $limit = 0): array {}

    /**
     * The epoch of a topic's history: it changes when the history is lost (a
     * restart of the server, not a reload of its workers; with the Redis
     * broker, where each topic has its own, a loss of Redis's data). Send it
     * to clients with the ids they may resume from (Connection::resume()).
     *
     * @param string|null $topic The topic; null: this node's own epoch (that of every
     *   topic without the broker).
     */
    public function historyEpoch(?string $topic = null): string {}

    /**
     * This node's id on the Redis broker: 16 hex digits, the "node" of its
     * members in presence(); "" without the broker. The same in every worker
     * of the node.
     */
    public function nodeId(): string {}

    /**
     * Every member of a topic's presence, on every worker and, with the Redis
     * broker, every node (Connection::join()). Read locally: it never waits.
     *
     * @param string $topic 1 to 256 bytes.
     * @return list<array{id: int, info: string, worker: int, node: string}> id is the
     *   connection's id on its node; node that node's id ("" without a broker).
     */
    public function presence(string $topic): array {}

    /** @return int The number of connections subscribed to $topic. */
    public function subscribers(string $topic): int {}

    /** @return array<string, int> Every topic with at least one subscriber => its subscriber count. */
    public function topics(): array {}

    /** @return list<Connection> The open connections, in the order they opened. */
    public function connections(): array {}

    /** @return int The number of open connections. */
    public function count(): int {}

    /**
     * @param int $listener Index of the listener: 0 for the constructor's, then one per listen() call.
     * @return int The port actually bound (useful with port 0).
     */
    public function getPort(int $listener = 0): int {}

    /**
     * Calls $callback every $ms milliseconds while the server runs.
     *
     * @return int A timer id for clearTimer().
     */
    public function every(int $ms, callable $callback): int {}

    /**
     * Calls $callback once, $ms milliseconds from now (while the server runs).
     *
     * @return int A timer id for clearTimer().
     */
    public function after(int $ms, callable $callback): int {}

    /**
     * Cancels a timer. Unknown or finished ids are ignored.
     *
     * @param int $id What every() or after() returned.
     */
    public function clearTimer(int $id): void {}

    /**
     * Counters: connections, pending (sockets still in the handshake),
     * buffered_bytes, memory_bytes, messages_in, messages_out, bytes_in,
     * bytes_out, accepted, handshakes_rejected, closes (close code => count).
     * Per worker; see clusterStats() for the whole server.
     *
     * @param bool $detailed Also every other counter of the metrics
     *   endpoint, from the same fields (docs/METRICS.md).
     * @return array<string, int|array<int|string, mixed>>
     */
    public function stats(bool $detailed = false): array {}
}

/**
 * One WebSocket connection. Created by the server only: not constructible,
 * clonable or serializable.
 *
 * @strict-properties
 * @not-serializable
 */
final class Connection
{
    /**
     * send() result: the message is queued and will be written at the end of
     * this loop iteration.
     * @var int
     * @cvalue WS_SEND_SENT
     */
    public const SENT = UNKNOWN;
    /**
     * send() result: the message is queued, and the connection's backlog is
     * over low_water_mark (the peer reads slower than you send). A "drain"
     * event follows when the backlog falls back under it: wait for it
     * before sending more.
     * @var int
     * @cvalue WS_SEND_QUEUED
     */
    public const QUEUED = UNKNOWN;
    /**
     * send() result: the message was not queued: the connection is closing or
     * closed, or the send queue is over max_buffered_amount (with the "close"
     * policy the connection is then closed with 1008).
     * @var int
     * @cvalue WS_SEND_DROPPED
     */
    public const DROPPED = UNKNOWN;

    /** A number unique within the server. */
    public readonly int $id;
    /** "ip:port" of the peer ("[ipv6]:port" for IPv6). */
    public readonly string $remoteAddress;
    /** The request path of the handshake, e.g. "/chat". */
    public readonly string $path;
    /** The negotiated subprotocol, or null. */
    public readonly ?string $subprotocol;
    /** Your own per-connection state (starts as the handshake Request's $data). */
    public mixed $data = null;

    private function __construct() {}

    /**
     * Queues a message. Text must be valid UTF-8 (\ValueError otherwise: send
     * arbitrary bytes with $binary = true). Messages of 16 KiB and more are
     * queued without copying the string.
     *
     * @param string $data The message.
     * @param bool $binary Send a binary message instead of text.
     * @return int Connection::SENT, Connection::QUEUED or Connection::DROPPED.
     */
    public function send(string $data, bool $binary = false): int {}

    /**
     * Sends a ping. Pongs are handled by the server.
     *
     * @param string $payload At most 125 bytes.
     * @return bool false if the connection is not open.
     */
    public function ping(string $payload = ""): bool {}

    /**
     * Starts the closing handshake. Calling it again, or on a closed
     * connection, does nothing.
     *
     * @param int $code 1000, 1001-1003, 1007-1014 or 3000-4999.
     * @param string $reason At most 123 bytes of UTF-8.
     */
    public function close(int $code = 1000, string $reason = ""): void {}

    /** @return bool true until a close frame was sent or received. */
    public function isOpen(): bool {}

    /** @return int Bytes queued but not yet written to the socket. */
    public function bufferedAmount(): int {}

    /**
     * Subscribes to a topic for Server::publish().
     *
     * @param string $topic 1 to 256 bytes.
     * @return bool true if newly subscribed, false if it already was (or the connection is closed).
     */
    public function subscribe(string $topic): bool {}

    /**
     * @param string $topic 1 to 256 bytes.
     * @return bool true if it was subscribed.
     */
    public function unsubscribe(string $topic): bool {}

    /**
     * Subscribes to a topic after a reconnect: queues every message of the
     * topic's history published after the one with id $since, then the live
     * stream, with none left out and none twice.
     *
     * @param string $topic 1 to 256 bytes; it needs a history (the "history" option).
     * @param string $since The id (Server::publish()) of the last message the client saw.
     * @param string|null $epoch The Server::historyEpoch() the client had, if it knows it:
     *   another epoch means the history was lost in between.
     * @return int|null How many messages were queued, or null when the gap cannot be
     *   filled ($since unknown or too old, another epoch): then nothing was replayed,
     *   the connection is subscribed to the live stream, and the application should
     *   reload the client's state in full.
     * @throws Exception when the connection is closed.
     */
    public function resume(string $topic, string $since, ?string $epoch = null): ?int {}

    /**
     * Joins a topic's presence (Server::presence(), events "join" and
     * "leave"). The connection leaves by itself when it closes. Joining again
     * replaces its info.
     *
     * @param string $topic 1 to 256 bytes.
     * @param string $info The application's data for this member (up to 4096 bytes): a nickname, a user id.
     * @return bool true if it joined, false if it was a member already.
     */
    public function join(string $topic, string $info = ""): bool {}

    /**
     * @param string $topic 1 to 256 bytes.
     * @return bool true if it was a member.
     */
    public function leave(string $topic): bool {}

    /** @return list<string> The topics, in subscription order. */
    public function topics(): array {}
}

/**
 * An HTTP request: the handshake of a WebSocket connection ("handshake" and
 * "open" events) or a plain HTTP request ("request" event).
 *
 * @strict-properties
 * @not-serializable
 */
final class Request
{
    /** "GET", ... */
    public readonly string $method;
    /** The request target as sent: "/chat?room=1". */
    public readonly string $uri;
    /** The path part of the target: "/chat". */
    public readonly string $path;
    /** The query string without "?": "room=1" (parse it with parse_str()). */
    public readonly string $query;
    /** @var array<string, string> Header names in lower case => value (repeated headers joined with ", "). */
    public readonly array $headers;
    /** @var array<string, string> Cookies from the Cookie header, values URL-decoded. */
    public readonly array $cookies;
    /** "ip:port" of the peer. */
    public readonly string $remoteAddress;
    /** @var list<string> Subprotocols offered by the client, in its order. */
    public readonly array $subprotocols;
    /** true when the request came over TLS (https:// or wss://). */
    public readonly bool $secure;
    /** The subject of the client certificate verified with tls_verify_peer ("/CN=alice"), else null. */
    public readonly ?string $clientSubject;
    /** Anything you want the Connection's $data to start with. */
    public mixed $data = null;

    private function __construct() {}

    /**
     * Case-insensitive header lookup.
     *
     * @param string $name A header name, in any case.
     * @return string|null Its value (repeated headers joined with ", "), or null if absent.
     */
    public function header(string $name): ?string {}

    /**
     * Answers the request with a complete HTTP response (during "handshake":
     * refuses the upgrade). The connection is closed after it is sent.
     *
     * @param int $status 200-599.
     * @param string $body The response body (Content-Length is set for you).
     * @param array $headers Extra headers, name => value (string => string).
     * @throws \Error once the request was answered or its handler has returned.
     */
    public function respond(int $status, string $body = "", array $headers = []): void {}

    /**
     * During "handshake": chooses the subprotocol (one the client offered).
     *
     * @param string $protocol One of $subprotocols.
     * @throws \ValueError if the client did not offer it.
     */
    public function setSubprotocol(string $protocol): void {}

    /**
     * During "handshake": adds a header to the 101 response (e.g. Set-Cookie).
     *
     * @param string $name A header name; not one the server sets itself
     *   (Upgrade, Connection, Sec-WebSocket-*, Content-Length).
     * @param string $value Its value, without CR, LF or NUL.
     */
    public function setHeader(string $name, string $value): void {}
}

/**
 * Publishes to the WebSocket servers of a cluster through their Redis broker,
 * from any PHP process (PHP-FPM, CLI, a queue worker): no server runs here.
 * Synchronous, with a timeout; the connection is opened on first use and
 * reused by later calls of this object (a broken one is reopened once).
 * The messages are in the broker's wire format (docs/BROKER.md).
 *
 * @strict-properties
 * @not-serializable
 */
final class Publisher
{
    /**
     * $url is the servers' "broker" option: redis://[user:password@]host[:port][/db],
     * unix:///path/to/redis.sock or redis+unix:///path.  $options: "timeout" (seconds,
     * int or float, default 2: connect and each command) and "prefix" (the servers'
     * "broker_prefix", default "ws").
     *
     * @throws \ValueError for a malformed URL or option.
     * @throws Exception when the extension was built without Redis support.
     */
    public function __construct(string $url, array $options = []) {}

    /**
     * Publishes to every subscriber of $topic on every node.
     *
     * @return int How many nodes (Redis subscribers) received it: 0 if no node has a subscriber.
     * @throws Exception when Redis is unreachable, refuses the command or times out.
     */
    public function publish(string $topic, string $data, bool $binary = false): int {}

    /**
     * Sends $data to every open connection of every node.
     *
     * @return int How many nodes received it.
     * @throws Exception when Redis is unreachable, refuses the command or times out.
     */
    public function broadcast(string $data, bool $binary = false): int {}
}
