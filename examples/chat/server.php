<?php
/*
 * Chat room: the showcase of ext-websocket.
 *
 *   php -d extension=websocket examples/chat/server.php [--host 127.0.0.1] [--port 8080]
 *       [--moderator-token TOKEN]            (or the CHAT_MODERATOR_TOKEN environment variable)
 *       [--tls-cert CERT.pem --tls-key KEY.pem]   (serve https:// and wss:// instead)
 *       [--workers N]                        (N worker processes; see PROTOCOL.md, "Several workers")
 *       [--redis redis://host:6379]          (several chat servers share one room; PROTOCOL.md, "Several servers")
 *
 * Then open the printed URL in a few browser tabs. One port serves both the
 * page (public/, through the document_root option) and the WebSocket
 * endpoint (/chat). The JSON protocol is documented in PROTOCOL.md.
 *
 * What it shows:
 *  - per-connection state in $connection->data;
 *  - rooms as pub/sub topics: a room is the topic "room:<name>", switching
 *    rooms is unsubscribe() + subscribe(), and $server->publish() fans a
 *    message out to the room in C, encoding the frame once;
 *  - timers (after) to coalesce updates, the "handshake" event to pick the
 *    endpoint, the "request" event for a small JSON endpoint;
 *  - worker processes: state shared through sendToWorkers() records that
 *    every worker applies in the same order (the Chat class comment);
 *  - several servers over Redis (the broker option): the same records and
 *    room messages reach every process of every server;
 *  - defending the room: size limits, rate limits, strict input validation,
 *    and close codes that tell the client why it was disconnected.
 */
declare(strict_types=1);

use WebSocket\Connection;
use WebSocket\Request;
use WebSocket\Server;

const MAX_INPUT = 2048;            // bytes of one client message; larger ones get an error reply
const HISTORY = 50;                // messages of a room replayed to newcomers
const DEFAULT_ROOMS = ['lobby', 'random'];
const MAX_ROOMS = 100;             // rooms with people in them (the default rooms always exist)
const RATE_WINDOW = 5.0;           // seconds
const RATE_WARN = 10;              // more messages than this in the window: dropped, with a warning
const RATE_CLOSE = 20;             // more than this: disconnected with 1008
// Nicknames that could pass for the system. Compared after lower-casing and
// dropping "_", "-" and ".", so "Sys.tem" and "ad_min" are refused too.
const RESERVED = ['system', 'server', 'admin', 'administrator', 'moderator', 'mod', 'root', 'chat', 'everyone', 'you'];

/** A handler rejects a client message by throwing this; the client gets {"type":"error"}. */
final class ChatError extends Exception
{
    public function __construct(public readonly string $reason, string $message)
    {
        parent::__construct($message);
    }
}

/** What we keep per connection, in $connection->data. */
final class Member
{
    public string $nick = '';      // '' until the "join" succeeded
    public string $room = '';
    public string $session = '';   // lets the same browser tab take its nickname back after a reconnect
    public bool $moderator = false;
    public ?string $kickedBy = null;
    public string $kickReason = '';
    /** @var list<float> arrival times of the recent messages, for the rate limit */
    public array $recent = [];
    public bool $warned = false;
    public bool $claimed = false;  // a "claim" record went out: a "leave" record follows on close
    public int $pending = 0;       // records of this connection that have not come back yet
    /** @var list<array{string, bool}> messages that arrived while a record was pending */
    public array $queued = [];
}

/*
 * The user list is shared state: with several worker processes (--workers N)
 * or several servers sharing a Redis broker (--redis URL) a user may sit on
 * any process. Every change to it is a *record* (claim,
 * move, leave, purge) that goes to every worker through sendToWorkers(), and
 * each worker applies the records to its own copy, $members. The supervisor
 * sequences all worker messages, so every worker applies the same records in
 * the same order and the copies stay equal: a nickname belongs to the first
 * claim in that order, decided identically everywhere, without a lock.
 * Without workers a record is applied at once, in the handler that made it.
 * Records from other servers come through Redis (the broker carries
 * sendToWorkers()), in each server's order but not in one order for all:
 * see PROTOCOL.md ("Several workers", "Several servers").
 */
final class Chat
{
    /** @var array<string, array{id: string, pid: int, host: string, w: int, nick: string, room: string, session: string}> nickname key (see key()) => who holds it, on any worker */
    private array $members = [];
    /** @var array<string, string> member id (see uid()) => nickname key */
    private array $keyOf = [];
    /** @var array<string, Connection> this worker's connections, by member id */
    private array $local = [];
    /** @var array<string, list<array>> room => its last HISTORY messages, least recently active room first */
    private array $history = [];
    private bool $roomsDirty = false;
    private readonly bool $cluster;  // several workers, or several servers over Redis
    private bool $synced;            // $members is complete (a new worker waits for a snapshot)
    private bool $helloSent = false;
    private bool $helloSeen = false; // our own "hello" came back: what follows is ours to apply
    private bool $brokerUp = false;  // our server's link to Redis, as last seen
    /** @var list<array> records received between our "hello" and the snapshot */
    private array $backlog = [];
    private int $pid = 0;
    private readonly string $host;
    // This process among every process of every server: connection ids are
    // only unique within one server, so a member's id is "<tag>.<connection id>".
    private string $tag = '';
    /** @var array<int, float> pids we already asked to purge => when */
    private array $purged = [];

    public function __construct(
        private readonly Server $server,
        private readonly string $moderatorToken,
        private readonly bool $broker = false,
    ) {
        $this->cluster = $server->workerCount() > 1 || $broker;
        $this->synced = !$this->cluster;
        $this->host = (string) gethostname();
    }

    public function onWorkerStart(int $worker): void
    {
        // Made here, not in the constructor: workers are forked from the process that built this object.
        $this->tag = bin2hex(random_bytes(6));
        if (!$this->cluster) {
            return;
        }
        $this->pid = getmypid();
        // A worker that died (crash, kill) leaves users behind: drop them.
        $this->server->every(2000, $this->purgeDeadWorkers(...));
        if (!$this->broker) {
            $this->hello();
            return;
        }
        // Over Redis, a hello sent before our server's link is up would be
        // lost: wait for the link (and notice when it drops and comes back).
        $this->server->every(250, $this->watchBroker(...));
        // Redis is down: start alone, and catch up when it comes back.
        $this->server->after(3000, function () {
            if (!$this->helloSent) {
                $this->helloSent = $this->helloSeen = true;
                $this->becomeSynced([]);
            }
        });
    }

    /** A worker starts with an empty list: it asks the others for theirs. */
    private function hello(): void
    {
        $this->helloSent = true;
        $this->record(['t' => 'hello', 'tag' => $this->tag]);
        // Nobody answered: this is the first generation, everyone started empty.
        $this->server->after(1000, function () {
            if (!$this->synced) {
                $this->helloSeen = true;
                $this->becomeSynced([]);
            }
        });
    }

    /**
     * Every 250 ms with --redis: our server's link to Redis. Records sent
     * while it was down never reached the other servers (nor theirs us), so
     * when it comes back every process re-announces its own users (resync).
     */
    private function watchBroker(): void
    {
        $up = (bool) ($this->server->clusterStats()['broker']['connected'] ?? false);
        if ($up && !$this->brokerUp) {
            if (!$this->helloSent) {
                $this->hello();
            } elseif ($this->synced) {
                $this->record(['t' => 'resync', 'tag' => $this->tag]);
                $this->sendState();
            }
        }
        $this->brokerUp = $up;
    }

    /** The users this process holds, as a "state" record: the others replace what they had from us. */
    private function sendState(): void
    {
        $mine = array_values(array_filter($this->members, fn (array $m) => isset($this->local[$m['id']])));
        $this->record(['t' => 'state', 'tag' => $this->tag, 'members' => $mine]);
    }

    public function onWorkerMessage(string $data, int $fromWorker): void
    {
        if (!$this->cluster) {
            return;
        }
        $r = json_decode($data, true, 8, JSON_THROW_ON_ERROR);
        $type = $r['t'];
        if (!$this->synced) {
            if ($type === 'hello' && $r['tag'] === $this->tag) {
                $this->helloSeen = true;   // everything before it is in the snapshot
            } elseif ($type === 'snapshot' && $r['to'] === $this->tag && $this->helloSeen) {
                $this->becomeSynced($r['members']);
            } elseif ($this->helloSeen && $type !== 'snapshot' && $type !== 'hello') {
                $this->backlog[] = $r;
            }
            return;
        }
        if ($type === 'hello') {
            if ($r['tag'] !== $this->tag) {
                // Our list as of the hello: the newcomer applies what follows the hello itself.
                $this->record(['t' => 'snapshot', 'to' => $r['tag'], 'members' => array_values($this->members)]);
            }
        } elseif ($type === 'resync') {
            if ($r['tag'] !== $this->tag) {
                $this->sendState();
            }
        } elseif ($type !== 'snapshot') {
            $this->apply($r);
        }
    }

    /** @param list<array> $members */
    private function becomeSynced(array $members): void
    {
        foreach ($members as $m) {
            $this->members[self::key($m['nick'])] = $m;
            $this->keyOf[$m['id']] = self::key($m['nick']);
        }
        $this->synced = true;
        $backlog = $this->backlog;
        $this->backlog = [];
        foreach ($backlog as $r) {
            $this->apply($r);
        }
        $this->roomsChanged();
        foreach ($this->local as $conn) {
            $this->replay($conn);
        }
    }

    public function onOpen(Connection $conn): void
    {
        $conn->data = new Member();
        $this->local[$this->uid($conn)] = $conn;
        // The join screen offers the rooms that exist, so send them right away.
        $this->send($conn, ['type' => 'rooms', 'rooms' => $this->rooms()]);
    }

    public function onMessage(Connection $conn, string $data, bool $binary): void
    {
        if (!$this->withinRateLimit($conn)) {
            return;
        }
        if (!$this->synced || $conn->data->pending > 0) {
            // Wait for our record to come back: a "say" right after "room" belongs to the new room.
            $conn->data->queued[] = [$data, $binary];
            return;
        }
        $this->handle($conn, $data, $binary);
    }

    private function handle(Connection $conn, string $data, bool $binary): void
    {
        $type = null;
        try {
            if ($binary) {
                throw new ChatError('bad_message', 'Binary messages are not supported: send JSON text.');
            }
            if (strlen($data) > MAX_INPUT) {
                throw new ChatError('too_long', 'Messages are limited to ' . MAX_INPUT . ' bytes.');
            }
            try {
                $msg = json_decode($data, true, 4, JSON_THROW_ON_ERROR);
            } catch (JsonException) {
                throw new ChatError('bad_json', 'That was not valid JSON.');
            }
            if (!is_array($msg) || array_is_list($msg) || !is_string($msg['type'] ?? null)) {
                throw new ChatError('bad_message', 'Expected a JSON object with a string "type".');
            }
            $type = $msg['type'];
            if ($conn->data->nick === '' && $type !== 'join') {
                throw new ChatError('not_joined', 'Join with a nickname first.');
            }
            match ($type) {
                'join' => $this->join($conn, $msg),
                'say' => $this->say($conn, $msg),
                'room' => $this->enter($conn, self::roomName(self::field($msg, 'room'))),
                'msg' => $this->privateMessage($conn, $msg),
                'mod' => $this->becomeModerator($conn, $msg),
                'kick' => $this->kick($conn, $msg),
                default => throw new ChatError('unknown_type', 'Unknown message type.'),
            };
        } catch (ChatError $e) {
            // A bad message costs its sender an error reply, nothing more.
            $this->error($conn, $e->reason, $e->getMessage(), $type);
        }
    }

    /** Handles the messages that waited for a record, once none is pending. */
    private function replay(Connection $conn): void
    {
        $me = $conn->data;
        while ($this->synced && $me->pending === 0 && $me->queued !== [] && $conn->isOpen()) {
            [$data, $binary] = array_shift($me->queued);
            $this->handle($conn, $data, $binary);
        }
    }

    /** One of this connection's records came back. */
    private function settled(Connection $conn): void
    {
        $conn->data->pending--;
        $this->replay($conn);
    }

    public function onClose(Connection $conn, int $code, string $reason): void
    {
        unset($this->local[$this->uid($conn)]);
        $me = $conn->data;
        if (!$me instanceof Member) {
            return;
        }
        if ($me->claimed) {
            $this->record(['t' => 'leave', 'id' => $this->uid($conn)]);
        }
        if ($me->nick === '') {
            return; // never joined, or its nickname went to a newer connection
        }
        $this->publishLeave($conn, match (true) {
            $me->kickedBy !== null => ['reason' => 'kicked', 'by' => $me->kickedBy, 'text' => $me->kickReason],
            $code === 1006 => ['reason' => 'lost'], // no closing handshake: network trouble
            default => ['reason' => 'left'],
        });
        echo "{$me->nick} left #{$me->room} ($code)\n";
    }

    /** {"type":"join","nick":"alice","room":"lobby","session":"..."} */
    private function join(Connection $conn, array $msg): void
    {
        $me = $conn->data;
        if ($me->nick !== '') {
            throw new ChatError('already_joined', 'You have already joined.');
        }
        $nick = self::nickname(self::field($msg, 'nick'));
        $room = self::roomName(self::field($msg, 'room', 'lobby'));
        $this->checkRoomLimit($room);
        $session = $msg['session'] ?? null;
        // Whether the nickname is free is decided when the claim comes back (applyClaim).
        $me->claimed = true;
        $me->pending++;
        $this->record([
            't' => 'claim',
            'id' => $this->uid($conn),
            'pid' => $this->pid,
            'host' => $this->host,
            'w' => $this->server->workerId(),
            'nick' => $nick,
            'room' => $room,
            'session' => is_string($session) ? $session : null,
            'new' => bin2hex(random_bytes(16)),
        ]);
    }

    /** Joins $room (creating it), leaving the current one: {"type":"room","room":"games"} */
    private function enter(Connection $conn, string $room): void
    {
        $me = $conn->data;
        if ($room === $me->room) {
            throw new ChatError('same_room', "You are already in #$room.");
        }
        $this->checkRoomLimit($room);
        $me->pending++;
        $this->record(['t' => 'move', 'id' => $this->uid($conn), 'room' => $room]);
    }

    /** {"type":"say","text":"hello"} */
    private function say(Connection $conn, array $msg): void
    {
        $me = $conn->data;
        $text = self::text(self::field($msg, 'text'));
        $message = ['type' => 'message', 'room' => $me->room, 'from' => $me->nick, 'text' => $text, 'ts' => self::now()];
        // Most recently active room last: forgetIdleRooms() drops the coldest first.
        // (With workers, each worker keeps the history of the messages its own users sent.)
        $lines = $this->history[$me->room] ?? [];
        unset($this->history[$me->room]);
        $lines[] = $message;
        $this->history[$me->room] = array_slice($lines, -HISTORY);
        $this->forgetIdleRooms();
        // Sent to the sender as well: seeing it come back confirms delivery.
        $this->publish($me->room, $message);
    }

    /** {"type":"msg","to":"bob","text":"psst"} */
    private function privateMessage(Connection $conn, array $msg): void
    {
        $to = $this->member(self::field($msg, 'to'));
        if ($to['id'] === $this->uid($conn)) {
            throw new ChatError('bad_target', 'You cannot send a private message to yourself.');
        }
        $message = self::json([
            'type' => 'private',
            'from' => $conn->data->nick,
            'to' => $to['nick'],
            'text' => self::text(self::field($msg, 'text')),
            'ts' => self::now(),
        ]);
        $target = $this->local[$to['id']] ?? null;
        if ($target !== null) {
            $target->send($message);
        } else {
            $this->record(['t' => 'pm', 'id' => $to['id'], 'data' => $message]); // the worker that holds it delivers
        }
        $conn->send($message);
    }

    /** {"type":"mod","token":"..."} */
    private function becomeModerator(Connection $conn, array $msg): void
    {
        // hash_equals() takes the same time wherever the strings differ.
        if (!hash_equals($this->moderatorToken, self::field($msg, 'token'))) {
            throw new ChatError('bad_token', 'Wrong moderator token.');
        }
        $conn->data->moderator = true;
        $this->send($conn, ['type' => 'moderator']);
        echo "{$conn->data->nick} is now a moderator\n";
    }

    /** {"type":"kick","nick":"bob","reason":"spamming"} */
    private function kick(Connection $conn, array $msg): void
    {
        if (!$conn->data->moderator) {
            throw new ChatError('forbidden', 'Only moderators can kick: use /mod TOKEN first.');
        }
        $target = $this->member(self::field($msg, 'nick'));
        if ($target['id'] === $this->uid($conn)) {
            throw new ChatError('bad_target', 'You cannot kick yourself.');
        }
        $reason = self::text(self::field($msg, 'reason', 'No reason given'), 200);
        $local = $this->local[$target['id']] ?? null;
        if ($local !== null) {
            $this->kickLocal($local, $conn->data->nick, $reason);
        } else {
            $this->record(['t' => 'kick', 'id' => $target['id'], 'by' => $conn->data->nick, 'reason' => $reason]);
        }
        if ($target['room'] !== $conn->data->room) { // otherwise the leave notice says it
            $this->send($conn, ['type' => 'notice', 'text' => "{$target['nick']} was kicked.", 'ts' => self::now()]);
        }
    }

    private function kickLocal(Connection $target, string $by, string $reason): void
    {
        $target->data->kickedBy = $by;
        $target->data->kickReason = $reason;
        $this->send($target, ['type' => 'kicked', 'by' => $by, 'reason' => $reason]);
        // A close reason is at most 123 bytes: cut it, on a character boundary.
        $target->close(4000, self::cut($reason, 123));
    }

    // ------------------------------------------------------------ records

    /** Every worker applies every record, in the same order (at once without workers). */
    private function record(array $r): void
    {
        if ($this->cluster) {
            $this->server->sendToWorkers(self::json($r));
        } else {
            $this->apply($r);
        }
    }

    private function apply(array $r): void
    {
        match ($r['t']) {
            'claim' => $this->applyClaim($r),
            'move' => $this->applyMove($r),
            'leave' => $this->applyLeave($r['id']),
            'purge' => $this->applyPurge($r['pid'], $r['host'] ?? $this->host),
            'state' => $this->applyState($r['tag'], $r['members']),
            'pm' => isset($this->local[$r['id']]) ? $this->local[$r['id']]->send($r['data']) : null,
            'kick' => isset($this->local[$r['id']]) ? $this->kickLocal($this->local[$r['id']], $r['by'], $r['reason']) : null,
            default => null,
        };
    }

    /** The first claim of a nickname wins; a later one only with the holder's session. */
    private function applyClaim(array $r): void
    {
        $key = self::key($r['nick']);
        $holder = $this->members[$key] ?? null;
        $conn = $this->local[$r['id']] ?? null; // the claimant, if it is ours and still open
        if ($holder !== null) {
            // Taken, unless the holder is this very browser tab coming back
            // after a network drop before the server noticed the old socket died.
            if ($r['session'] === null || !hash_equals($holder['session'], $r['session'])) {
                if ($conn !== null) {
                    $this->error($conn, 'nick_taken', "The nickname \"{$r['nick']}\" is taken.", 'join');
                    $this->settled($conn);
                }
                return;
            }
            unset($this->members[$key], $this->keyOf[$holder['id']]);
            $old = $this->local[$holder['id']] ?? null;
            if ($old !== null) {
                $old->unsubscribe("room:{$holder['room']}");
                $old->data->nick = ''; // its close event must not announce a leave
                $old->close(4001, 'Replaced by a newer connection');
            }
            if ($conn !== null) {
                $this->publish($holder['room'], ['type' => 'leave', 'nick' => $holder['nick'], 'reason' => 'lost']);
            }
        }
        $this->members[$key] = [
            'id' => $r['id'], 'pid' => $r['pid'], 'host' => $r['host'], 'w' => $r['w'],
            'nick' => $r['nick'], 'room' => $r['room'], 'session' => $r['new'],
        ];
        $this->keyOf[$r['id']] = $key;
        if ($this->cluster) {
            $this->roomsChanged();
        }
        if ($conn !== null) {
            $me = $conn->data;
            $me->nick = $r['nick'];
            $me->session = $r['new'];
            $welcome = ['type' => 'welcome', 'nick' => $r['nick'], 'session' => $r['new']];
            if ($this->cluster) {
                $welcome['worker'] = $this->server->workerId(); // which worker holds you (for tests)
            }
            $this->send($conn, $welcome);
            $this->enterLocal($conn, $r['room']);
            $this->settled($conn);
        }
    }

    private function applyMove(array $r): void
    {
        $key = $this->keyOf[$r['id']] ?? null;
        if ($key !== null) {
            $this->members[$key]['room'] = $r['room'];
        }
        $conn = $this->local[$r['id']] ?? null;
        if ($conn !== null) {
            $this->enterLocal($conn, $r['room']);
            $this->settled($conn);
        } elseif ($this->cluster) {
            $this->roomsChanged();
        }
    }

    private function applyLeave(string $id): void
    {
        $key = $this->keyOf[$id] ?? null;
        unset($this->keyOf[$id]);
        if ($key !== null && ($this->members[$key]['id'] ?? null) === $id) {
            unset($this->members[$key]);
            if ($this->cluster) {
                $this->roomsChanged();
            }
        }
    }

    /** The worker process $pid of $host is gone: its users are. Each worker tells its own users in those rooms. */
    private function applyPurge(int $pid, string $host): void
    {
        foreach ($this->members as $key => $m) {
            if ($m['pid'] !== $pid || $m['host'] !== $host) {
                continue;
            }
            unset($this->members[$key], $this->keyOf[$m['id']]);
            $notice = self::json(['type' => 'leave', 'nick' => $m['nick'], 'reason' => 'lost', 'room' => $m['room'], 'ts' => self::now()]);
            foreach ($this->local as $conn) {
                if ($conn->data->nick !== '' && $conn->data->room === $m['room']) {
                    $conn->send($notice);
                }
            }
            echo "{$m['nick']} dropped: worker {$m['w']} (pid $pid) is gone\n";
        }
        $this->roomsChanged();
    }

    /** Every 2 s: a worker process that holds users but no longer exists gets a "purge" record. */
    private function purgeDeadWorkers(): void
    {
        if (!$this->synced || !function_exists('posix_kill')) {
            return;
        }
        $now = hrtime(true) / 1e9;
        // Only processes of this machine can be checked (another server's machine checks its own).
        $here = array_filter($this->members, fn (array $m) => $m['host'] === $this->host);
        foreach (array_unique(array_column($here, 'pid')) as $pid) {
            if ($pid === $this->pid || ($this->purged[$pid] ?? 0) > $now - 10) {
                continue;
            }
            if (!posix_kill($pid, 0) && posix_get_last_error() === 3 /* ESRCH */) {
                $this->purged[$pid] = $now;
                $this->record(['t' => 'purge', 'pid' => $pid, 'host' => $this->host]);
            }
        }
    }

    /**
     * Process $tag's own users after our links to Redis came back: they
     * replace what we had from it (records lost in the outage included). A
     * nickname that someone else holds here stays theirs.
     */
    private function applyState(string $tag, array $members): void
    {
        if ($tag === $this->tag) {
            return;
        }
        $before = $after = [];   // "room nick" => [room, nick]: who was and is where
        foreach ($this->members as $key => $m) {
            if (str_starts_with($m['id'], "$tag.")) {
                unset($this->members[$key], $this->keyOf[$m['id']]);
                $before["{$m['room']} {$m['nick']}"] = [$m['room'], $m['nick']];
            }
        }
        foreach ($members as $m) {
            $key = self::key($m['nick']);
            if (!isset($this->members[$key])) {
                $this->members[$key] = $m;
                $this->keyOf[$m['id']] = $key;
                $after["{$m['room']} {$m['nick']}"] = [$m['room'], $m['nick']];
            }
        }
        // The join and leave notices that the outage swallowed, to our own users in those rooms.
        $notices = [];
        foreach (array_diff_key($after, $before) as [$room, $nick]) {
            $notices[] = ['type' => 'join', 'nick' => $nick, 'room' => $room];
        }
        foreach (array_diff_key($before, $after) as [$room, $nick]) {
            $notices[] = ['type' => 'leave', 'nick' => $nick, 'reason' => 'lost', 'room' => $room];
        }
        foreach ($notices as $n) {
            foreach ($this->local as $conn) {
                if ($conn->data->nick !== '' && $conn->data->room === $n['room']) {
                    $this->send($conn, $n + ['ts' => self::now()]);
                }
            }
        }
        $this->roomsChanged();
    }

    /** A connection's id among every process of every server (the member id in records). */
    private function uid(Connection $conn): string
    {
        return "{$this->tag}.{$conn->id}";
    }

    /** Our connection enters $room (its record came back), leaving the current one. */
    private function enterLocal(Connection $conn, string $room): void
    {
        $me = $conn->data;
        if ($me->room !== '') {
            $conn->unsubscribe("room:{$me->room}");
            $this->publishLeave($conn, ['reason' => 'left']);
        }
        $me->room = $room;
        $conn->subscribe("room:$room");
        $this->send($conn, [
            'type' => 'room',
            'room' => $room,
            'users' => $this->usersIn($room),
            'history' => $this->history[$room] ?? [],
        ]);
        $this->publish($room, ['type' => 'join', 'nick' => $me->nick], except: $conn);
        $this->roomsChanged();
        echo "{$me->nick} joined #$room\n";
    }

    /**
     * Counts every message, valid or not. Over RATE_WARN in the window the
     * message is dropped and the sender warned once; over RATE_CLOSE it is
     * disconnected with 1008 (policy violation).
     */
    private function withinRateLimit(Connection $conn): bool
    {
        $me = $conn->data;
        $now = hrtime(true) / 1e9; // monotonic: immune to clock changes
        $me->recent = array_values(array_filter($me->recent, fn (float $t) => $t > $now - RATE_WINDOW));
        $me->recent[] = $now;
        $n = count($me->recent);
        if ($n > RATE_CLOSE) {
            $conn->close(1008, 'Too many messages');
            return false;
        }
        if ($n > RATE_WARN) {
            if (!$me->warned) {
                $me->warned = true;
                $this->send($conn, [
                    'type' => 'warning',
                    'code' => 'rate_limit',
                    'message' => 'Slow down: messages are being dropped. Keep going and you will be disconnected.',
                ]);
            }
            return false;
        }
        $me->warned = false;
        return true;
    }

    private function publishLeave(Connection $conn, array $fields): void
    {
        $this->publish($conn->data->room, ['type' => 'leave', 'nick' => $conn->data->nick] + $fields, except: $conn);
        $this->roomsChanged();
    }

    /** Room list updates are coalesced: one broadcast per 100 ms at most, however many joins. */
    private function roomsChanged(): void
    {
        if ($this->roomsDirty) {
            return;
        }
        $this->roomsDirty = true;
        $this->server->after(100, function () {
            $this->roomsDirty = false;
            $rooms = self::json(['type' => 'rooms', 'rooms' => $this->rooms()]);
            if (!$this->cluster) {
                $this->server->broadcast($rooms);
                return;
            }
            // Every worker saw the same records: each one tells its own connections.
            foreach ($this->local as $conn) {
                $conn->send($rooms);
            }
        });
    }

    /** @return list<array{name: string, users: int}> */
    private function rooms(): array
    {
        $rooms = array_fill_keys(DEFAULT_ROOMS, 0);
        if ($this->cluster) {
            // Subscriber counts are per worker: count the shared user list instead.
            foreach ($this->members as $m) {
                $rooms[$m['room']] = ($rooms[$m['room']] ?? 0) + 1;
            }
        } else {
            foreach ($this->server->topics() as $topic => $subscribers) {
                if (str_starts_with($topic, 'room:')) {
                    $rooms[substr($topic, 5)] = $subscribers;
                }
            }
        }
        $list = [];
        foreach ($rooms as $name => $users) {
            $list[] = ['name' => (string) $name, 'users' => $users];
        }
        return $list;
    }

    /** @return list<string> */
    private function usersIn(string $room): array
    {
        $nicks = [];
        foreach ($this->members as $m) {
            if ($m['room'] === $room) {
                $nicks[] = $m['nick'];
            }
        }
        natcasesort($nicks);
        return array_values($nicks);
    }

    private function checkRoomLimit(string $room): void
    {
        if ($this->cluster) {
            $open = array_unique(array_column($this->members, 'room'));
            $exists = in_array($room, DEFAULT_ROOMS, true) || in_array($room, $open, true);
            $count = count($open);
        } else {
            $exists = in_array($room, DEFAULT_ROOMS, true) || $this->server->subscribers("room:$room") > 0;
            $count = count($this->server->topics());
        }
        if (!$exists && $count >= MAX_ROOMS) {
            throw new ChatError('too_many_rooms', 'Too many rooms are open: join an existing one.');
        }
    }

    /** Keeps the history of at most MAX_ROOMS rooms, dropping the least recently active empty ones. */
    private function forgetIdleRooms(): void
    {
        foreach ($this->history as $room => $_) {
            if (count($this->history) <= MAX_ROOMS) {
                return;
            }
            if (!in_array($room, DEFAULT_ROOMS, true) && $this->server->subscribers("room:$room") === 0) {
                unset($this->history[$room]);
            }
        }
    }

    /** @return array{id: string, pid: int, host: string, w: int, nick: string, room: string, session: string} */
    private function member(string $nick): array
    {
        return $this->members[self::key($nick)] ?? throw new ChatError('no_such_user', "Nobody called \"$nick\" is online.");
    }

    private function send(Connection $conn, array $message): void
    {
        $conn->send(self::json($message));
    }

    private function error(Connection $conn, string $code, string $text, ?string $request): void
    {
        $this->send($conn, ['type' => 'error', 'code' => $code, 'message' => $text, 'request' => $request]);
    }

    private function publish(string $room, array $message, ?Connection $except = null): void
    {
        $message += ['room' => $room, 'ts' => self::now()];
        $this->server->publish("room:$room", self::json($message), false, $except);
    }

    private static function field(array $msg, string $name, ?string $default = null): string
    {
        $value = $msg[$name] ?? $default;
        if (!is_string($value)) {
            throw new ChatError('bad_message', "The field \"$name\" must be a string.");
        }
        return $value;
    }

    /** 1 to 24 of A-Z a-z 0-9 _ - . (ASCII only: no look-alike letters), surrounding spaces trimmed. */
    private static function nickname(string $nick): string
    {
        $nick = trim($nick);
        if (!preg_match('/^[A-Za-z0-9_.-]{1,24}$/D', $nick) || !preg_match('/[A-Za-z0-9]/', $nick)) {
            throw new ChatError('nick_invalid', 'A nickname is 1 to 24 letters, digits, "_", "-" or ".".');
        }
        if (in_array(self::key($nick), RESERVED, true)) {
            throw new ChatError('nick_reserved', "The nickname \"$nick\" is reserved.");
        }
        return $nick;
    }

    /** Two nicknames that only differ in case or punctuation belong to the same person. */
    private static function key(string $nick): string
    {
        return strtolower(str_replace(['_', '-', '.'], '', trim($nick)));
    }

    /** 1 to 32 of a-z 0-9 _ -, starting with a letter or digit; "#Games " means "games". */
    private static function roomName(string $room): string
    {
        $room = strtolower(ltrim(trim($room), '#'));
        if (!preg_match('/^[a-z0-9][a-z0-9_-]{0,31}$/D', $room)) {
            throw new ChatError('room_invalid', 'A room name is 1 to 32 letters, digits, "_" or "-".');
        }
        return $room;
    }

    /** Message text: control characters other than newline and tab removed, then trimmed. */
    private static function text(string $text, int $maxBytes = MAX_INPUT): string
    {
        $text = trim(preg_replace('/[\x00-\x08\x0B-\x1F\x7F]/', '', $text));
        if ($text === '') {
            throw new ChatError('empty', 'The message is empty.');
        }
        return self::cut($text, $maxBytes);
    }

    private static function cut(string $s, int $bytes): string
    {
        $s = substr($s, 0, $bytes);
        while (!preg_match('//u', $s)) { // a multi-byte character was cut in half
            $s = substr($s, 0, -1);
        }
        return $s;
    }

    private static function now(): int
    {
        return (int) (microtime(true) * 1000);
    }

    private static function json(array $message): string
    {
        return json_encode($message, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR);
    }
}

// ---------------------------------------------------------------- setup

$opts = getopt('', ['host:', 'port:', 'moderator-token:', 'tls-cert:', 'tls-key:', 'workers:', 'redis:', 'help']);
if (isset($opts['help'])) {
    echo "usage: server.php [--host 127.0.0.1] [--port 8080] [--moderator-token TOKEN] [--tls-cert CERT --tls-key KEY] [--workers N]\n",
        "                  [--redis redis://127.0.0.1:6379]   (chat servers sharing one Redis share one room)\n",
        "The token can also come from CHAT_MODERATOR_TOKEN; without either, one is generated and printed.\n";
    exit(0);
}
$host = (string) ($opts['host'] ?? '127.0.0.1');
$port = (string) ($opts['port'] ?? '8080');
if (!preg_match('/^\d{1,5}$/D', $port) || (int) $port > 65535) {
    fprintf(STDERR, "server.php: --port must be a number from 0 to 65535\n");
    exit(2);
}
$port = (int) $port;
$workers = (string) ($opts['workers'] ?? '1');
if (!preg_match('/^\d{1,3}$/D', $workers) || (int) $workers < 1) {
    fprintf(STDERR, "server.php: --workers must be a number from 1 to 999\n");
    exit(2);
}
$workers = (int) $workers;
$token = (string) ($opts['moderator-token'] ?? getenv('CHAT_MODERATOR_TOKEN') ?: '');
$generated = $token === '';
if ($generated) {
    $token = bin2hex(random_bytes(12));
    // A reload (SIGUSR2) runs this script again in each new worker: they must
    // keep this token, not make their own.
    putenv("CHAT_MODERATOR_TOKEN=$token");
}

$options = [
    'document_root' => __DIR__ . '/public',  // plain HTTP requests get the page
    'max_message_size' => 64 * 1024,         // beyond this the extension closes with 1009
    'ping_interval' => 20,                   // seconds; finds dead peers (the network cable
    'pong_timeout' => 10,                    //   pulled out) so their nicknames free up
    'max_connections_per_ip' => 50,
];
if ($workers > 1) {
    $options['workers'] = $workers;          // N processes accept and run the handlers
}
$redis = isset($opts['redis']) ? (string) $opts['redis'] : null;
if ($redis !== null) {
    $options['broker'] = $redis;             // rooms, and the user list's records, reach every server
    $options['broker_prefix'] = 'chat';
}
$tls = isset($opts['tls-cert'], $opts['tls-key']);
if ($tls) {
    // The same port then serves https:// for the page and wss:// for the socket.
    $options['tls_cert'] = (string) $opts['tls-cert'];
    $options['tls_key'] = (string) $opts['tls-key'];
}
// Set in the workers that a reload starts (the constructor reads and clears it).
$reloaded = getenv('WEBSOCKET_WORKER') !== false;
$server = new Server($host, $port, $options);
$chat = new Chat($server, $token, $redis !== null);

// The page talks to /chat; any other WebSocket path is refused before the upgrade.
$server->on('handshake', function (Request $request) {
    if ($request->path !== '/chat') {
        $request->respond(404, "Not found\n");
    }
});
// Plain HTTP requests come here first; unanswered ones fall back to document_root.
$server->on('request', function (Request $request) use ($server) {
    if ($request->path === '/stats') {
        if ($server->workerCount() > 1) {
            // The whole server, about a second old, whichever worker answers.
            $cluster = $server->clusterStats();
            $summary = [
                'online' => $cluster['connections'],
                'rooms' => $cluster['topics'],
                'messages_in' => array_sum(array_column($cluster['workers'], 'messages_in')),
                'messages_out' => array_sum(array_column($cluster['workers'], 'messages_out')),
                'workers' => array_map(fn (array $w) => $w['pid'], $cluster['workers']), // worker id => pid
            ];
        } else {
            $stats = $server->stats();
            $summary = [
                'online' => $stats['connections'],
                'rooms' => $server->topics(),
                'messages_in' => $stats['messages_in'],
                'messages_out' => $stats['messages_out'],
            ];
        }
        $request->respond(200, json_encode($summary) . "\n", ['Content-Type' => 'application/json']);
    }
});
$server->on('open', $chat->onOpen(...));
$server->on('message', $chat->onMessage(...));
$server->on('close', $chat->onClose(...));
$server->on('workerStart', $chat->onWorkerStart(...));
$server->on('workerMessage', $chat->onWorkerMessage(...));
// A bug in a handler closes that one connection (1011) and the room goes on.
$server->on('error', function (Throwable $e, ?Connection $conn) {
    fprintf(STDERR, "error%s: %s\n", $conn ? " (connection {$conn->id})" : '', $e);
});

// The workers of a reload run this script too (they adopt the listening
// socket instead of binding): the banner was printed once, at the start.
if ($reloaded) {
    $server->run();
    exit(0);
}
// With --port 0 the system picks a free port: tell the caller which one.
if ($port === 0) {
    echo 'PORT=', $server->getPort(), "\n";
}
$shown = match ($host) { '0.0.0.0', '::' => 'localhost', default => str_contains($host, ':') ? "[$host]" : $host };
echo 'Chat room: ', $tls ? 'https' : 'http', "://$shown:{$server->getPort()}\n";
echo $generated
    ? "Moderator token: $token (type /mod $token in the chat)\n"
    : "Moderator token: as configured\n";
$server->run();
echo "Chat room stopped.\n";
