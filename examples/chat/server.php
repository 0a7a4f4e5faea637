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
 *  - presence: who is online, in which room, is the server's presence
 *    (join(), presence(), the "join" and "leave" events), shared by every
 *    worker and every server (the Chat class comment);
 *  - history: the room keeps its last messages (the "history" option),
 *    newcomers get them with history(), and a page that reconnects (a
 *    network drop, a reload of the workers, a restarted server over Redis)
 *    gets exactly what it missed with resume();
 *  - worker processes (--workers N) and several servers over Redis
 *    (--redis URL): the same code, nothing shared by hand but private
 *    messages and kicks (sendToWorkers());
 *  - defending the room: size limits, rate limits, strict input validation,
 *    and close codes that tell the client why it was disconnected.
 */
declare(strict_types=1);

use WebSocket\Connection;
use WebSocket\Request;
use WebSocket\Server;

const MAX_INPUT = 2048;            // bytes of one client message; larger ones get an error reply
const HISTORY = 50;                // messages of a room kept by the server and shown to newcomers
const HISTORY_TTL = 86400;         // seconds a room's message is kept
const NICKS = 'nicks';             // the presence that says who holds which nickname (Chat::join())
const SETTLE_MS = 250;             // with several processes: how long a nickname claim waits for rival claims
const REFRESH_MS = 250;            // how often each process compares the presence with what its clients were told
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
    public bool $replaced = false; // a newer connection took the nickname over with our session
    /** @var list<float> arrival times of the recent messages, for the rate limit */
    public array $recent = [];
    public bool $warned = false;
    /** @var array|null our entry in the "nicks" presence (see Chat::claimInfo()), once claimed */
    public ?array $claim = null;
    /** @var array|null the join request while its claim settles: [room, since, epoch] */
    public ?array $pending = null;
    /** @var list<array{string, bool}> messages that arrived while the claim settled */
    public array $queued = [];
}

/*
 * Who is online is the server's presence, not a PHP array: every process of
 * every server (--workers N, --redis URL) reads the same members with
 * $server->presence(), and the server fires "join" and "leave" once per
 * change, in the process that holds the connection. Two presences are used:
 *
 *  - "room:<name>": the members of a room, with the nickname as info. The
 *    user list of a room is presence("room:<name>"); the "X joined" and "X
 *    left" notices are published from the "join" and "leave" events.
 *  - "nicks": one member per joined connection, with a small JSON info
 *    (claimInfo()): the nickname, its room, when it was claimed, a hash of
 *    its session, and the process that holds it. It decides who owns a
 *    nickname (settle()), finds the target of a private message or a kick,
 *    and counts the rooms.
 *
 * The room itself is the topic "room:<name>" with a history (the "history"
 * option): every message is published with a unique id, newcomers get the
 * last HISTORY messages from $server->history(), and a client that comes
 * back after a reconnect or a reload resumes after the last id it saw
 * ($conn->resume()). See PROTOCOL.md.
 */
final class Chat
{
    /** @var array<int, Connection> this process's connections, by connection id */
    private array $local = [];
    /** @var array<int, array> why a connection of ours left: kept from its "close" to its "leave" event */
    private array $gone = [];
    private readonly bool $cluster;  // several workers, or several servers over Redis
    // This process among every process of every server: a private message or
    // a kick for a connection of another process is a record with its tag.
    private string $tag = '';
    private string $roomsSent = '';
    /** @var array<string, string> room => the user list last sent to our members in it (JSON) */
    private array $usersSent = [];

    public function __construct(
        private readonly Server $server,
        private readonly string $moderatorToken,
        bool $broker = false,
    ) {
        $this->cluster = $server->workerCount() > 1 || $broker;
    }

    public function onWorkerStart(int $worker): void
    {
        // Made here, not in the constructor: workers are forked from the process that built this object.
        $this->tag = bin2hex(random_bytes(6));
        // "join" and "leave" fire only where the member's connection lives, so
        // each process looks at the presence it shares a few times a second and
        // tells its own connections what changed (room list, user lists).
        $this->server->every(REFRESH_MS, $this->refresh(...));
    }

    public function onOpen(Connection $conn): void
    {
        $conn->data = new Member();
        $this->local[$conn->id] = $conn;
        // The join screen offers the rooms that exist, so send them right away.
        $this->send($conn, ['type' => 'rooms', 'rooms' => $this->rooms()]);
    }

    public function onMessage(Connection $conn, string $data, bool $binary): void
    {
        if (!$this->withinRateLimit($conn)) {
            return;
        }
        if ($conn->data->pending !== null) {
            // The nickname is being settled: what follows the join waits for it.
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
                'room' => $this->switchRoom($conn, self::roomName(self::field($msg, 'room'))),
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

    /** Handles the messages that waited for the claim to settle. */
    private function replay(Connection $conn): void
    {
        $me = $conn->data;
        while ($me->pending === null && $me->queued !== [] && $conn->isOpen()) {
            [$data, $binary] = array_shift($me->queued);
            $this->handle($conn, $data, $binary);
        }
    }

    public function onClose(Connection $conn, int $code, string $reason): void
    {
        unset($this->local[$conn->id]);
        $me = $conn->data;
        if (!$me instanceof Member || $me->room === '') {
            return; // never entered a room: no "leave" event will ask why it left
        }
        // The server leaves the presences by itself; the "leave" event that
        // follows (at the end of this loop iteration) publishes the notice.
        $this->gone[$conn->id] = match (true) {
            $me->kickedBy !== null => ['reason' => 'kicked', 'by' => $me->kickedBy, 'text' => $me->kickReason],
            $me->replaced, $code === 1006 => ['reason' => 'lost'], // 1006: no closing handshake, network trouble
            default => ['reason' => 'left'],
        };
        echo "{$me->nick} left #{$me->room} ($code)\n";
    }

    /** {"type":"join","nick":"alice","room":"lobby","session":"...","since":"<id>","epoch":"<epoch>"} */
    private function join(Connection $conn, array $msg): void
    {
        $me = $conn->data;
        if ($me->nick !== '') {
            throw new ChatError('already_joined', 'You have already joined.');
        }
        $nick = self::nickname(self::field($msg, 'nick'));
        $room = self::roomName(self::field($msg, 'room', 'lobby'));
        $this->checkRoomLimit($room);
        $session = is_string($msg['session'] ?? null) ? $msg['session'] : null;
        $since = is_string($msg['since'] ?? null) && $msg['since'] !== '' ? $msg['since'] : null;
        $epoch = is_string($msg['epoch'] ?? null) ? $msg['epoch'] : null;
        // Taken, unless the holder is this very browser tab coming back (its
        // session) after a network drop before the server noticed the old socket died.
        $takeover = [];
        foreach ($this->claimsOf(self::key($nick)) as $holder) {
            if ($session === null || !hash_equals($holder['s'], self::sessionHash($session))) {
                throw new ChatError('nick_taken', "The nickname \"$nick\" is taken.");
            }
            $takeover[] = $holder;
        }
        $newSession = bin2hex(random_bytes(16));
        $me->session = $newSession;
        $me->claim = [
            'n' => $nick,
            'k' => self::key($nick),
            'r' => $room,
            't' => microtime(true),
            'p' => $this->tag,
            's' => self::sessionHash($newSession),
            'f' => $takeover === [] ? null : $takeover[0]['s'],  // the session this claim took over
        ];
        $conn->join(NICKS, self::json($me->claim));
        foreach ($takeover as $holder) {
            $this->toHolder($holder, ['t' => 'replace']);
        }
        $me->pending = [$room, $since, $epoch];
        if (!$this->cluster) {
            $this->settle($conn);   // one process: presence() already shows every claim
            return;
        }
        // A claim made at the same moment elsewhere reaches our copy of the
        // presence within a bus trip (a Redis trip across servers): give it
        // that long before deciding (PROTOCOL.md, "Nicknames and presence").
        $this->server->after(SETTLE_MS, fn () => $this->settle($conn));
    }

    /** Decides a claim: it wins unless a claim of the same nickname beats it. */
    private function settle(Connection $conn): void
    {
        $me = $conn->data;
        if (!$conn->isOpen() || $me->pending === null) {
            return;
        }
        [$room, $since, $epoch] = $me->pending;
        $mine = $me->claim + ['id' => $conn->id];
        foreach ($this->claimsOf($mine['k']) as $other) {
            if (!$this->isMine($other, $conn) && self::beats($other, $mine)) {
                $conn->leave(NICKS);
                $me->claim = null;
                $me->pending = null;
                $this->error($conn, 'nick_taken', "The nickname \"{$mine['n']}\" is taken.", 'join');
                $this->replay($conn);
                return;
            }
        }
        $me->nick = $mine['n'];
        $me->pending = null;
        $welcome = ['type' => 'welcome', 'nick' => $me->nick, 'session' => $me->session];
        if ($this->cluster) {
            $welcome['worker'] = $this->server->workerId(); // which worker holds you (for tests)
        }
        $this->send($conn, $welcome);
        $this->enter($conn, $room, $since, $epoch);
        $this->replay($conn);
    }

    /**
     * The order of two claims of one nickname: a claim that took the other
     * over with its session wins; otherwise the older claim (claim time,
     * then process tag and connection id, so that every process agrees).
     */
    private static function beats(array $a, array $b): bool
    {
        if ($b['f'] !== null && $b['f'] === $a['s']) {
            return false;
        }
        if ($a['f'] !== null && $a['f'] === $b['s']) {
            return true;
        }
        return [$a['t'], $a['p'], $a['id']] < [$b['t'], $b['p'], $b['id']];
    }

    /** Leaves the current room (if any) and enters $room: {"type":"room","room":"games"} */
    private function switchRoom(Connection $conn, string $room): void
    {
        if ($room === $conn->data->room) {
            throw new ChatError('same_room', "You are already in #$room.");
        }
        $this->checkRoomLimit($room);
        $this->enter($conn, $room, null, null);
    }

    /**
     * Our connection enters $room. After a reconnect ($since: the id of the
     * last message the client has) it resumes the room's history after that
     * message; otherwise, or when that is not possible (the id is too old, or
     * the epoch says the history was lost), the client gets the last HISTORY
     * messages and replaces what it shows.
     */
    private function enter(Connection $conn, string $room, ?string $since, ?string $epoch): void
    {
        $me = $conn->data;
        if ($me->room !== '') {
            $conn->unsubscribe("room:{$me->room}");
            $conn->unsubscribe("notices:{$me->room}");
            $conn->leave("room:{$me->room}");    // its "leave" event tells the old room
        }
        $me->room = $room;
        $me->claim['r'] = $room;
        $conn->join(NICKS, self::json($me->claim));
        $conn->join("room:$room", $me->nick);   // its "join" event tells the new room
        $conn->subscribe("notices:$room");
        $topic = "room:$room";
        // resume() queues the missed messages at once and subscribes: they
        // reach the client before the "room" message below, which then
        // tells it to keep its list.
        $resumed = $since !== null ? $conn->resume($topic, $since, $epoch) : null;
        if ($since === null) {
            $conn->subscribe($topic);
        }
        $snapshot = [
            'type' => 'room',
            'room' => $room,
            'users' => $this->usersIn($room),
            'epoch' => $this->server->historyEpoch($topic),
        ];
        if ($resumed === null) {
            // Read in the same handler as the subscription: nothing can fall between the two.
            $snapshot['history'] = array_map(
                fn (array $h) => json_decode($h['data'], true),
                $this->server->history($topic, HISTORY),
            );
        } else {
            $snapshot['resumed'] = $resumed;
        }
        $this->send($conn, $snapshot);
        echo match (true) {
            $since === null => "{$me->nick} joined #$room\n",
            $resumed === null => "{$me->nick} rejoined #$room: history reloaded (gap)\n",
            default => "{$me->nick} rejoined #$room: resumed $resumed messages\n",
        };
    }

    /** {"type":"say","text":"hello"} */
    private function say(Connection $conn, array $msg): void
    {
        $me = $conn->data;
        $text = self::text(self::field($msg, 'text'));
        // The id goes both into the message (where the client reads it) and
        // into the history (where resume() looks it up).
        $id = bin2hex(random_bytes(8));
        $message = ['type' => 'message', 'id' => $id, 'room' => $me->room, 'from' => $me->nick, 'text' => $text, 'ts' => self::now()];
        // Sent to the sender as well: seeing it come back confirms delivery.
        $this->server->publish("room:{$me->room}", self::json($message), id: $id);
    }

    /** {"type":"msg","to":"bob","text":"psst"} */
    private function privateMessage(Connection $conn, array $msg): void
    {
        $to = $this->member(self::field($msg, 'to'));
        if ($this->isMine($to, $conn)) {
            throw new ChatError('bad_target', 'You cannot send a private message to yourself.');
        }
        $message = self::json([
            'type' => 'private',
            'from' => $conn->data->nick,
            'to' => $to['n'],
            'text' => self::text(self::field($msg, 'text')),
            'ts' => self::now(),
        ]);
        $this->toHolder($to, ['t' => 'pm', 'data' => $message]);
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
        if ($this->isMine($target, $conn)) {
            throw new ChatError('bad_target', 'You cannot kick yourself.');
        }
        $reason = self::text(self::field($msg, 'reason', 'No reason given'), 200);
        $this->toHolder($target, ['t' => 'kick', 'by' => $conn->data->nick, 'reason' => $reason]);
        if ($target['r'] !== $conn->data->room) { // otherwise the leave notice says it
            $this->send($conn, ['type' => 'notice', 'text' => "{$target['n']} was kicked.", 'ts' => self::now()]);
        }
    }

    // ------------------------------------------------------------ presence events

    /** "join": fired once per change, in the process that holds the connection. */
    public function onJoin(string $topic, int $connId, string $info, int $worker): void
    {
        if (!str_starts_with($topic, 'room:')) {
            return; // "nicks": a claim, or a claim that moved to another room
        }
        // A tab that reconnected while its old connection had not left yet
        // (a takeover): the room did not change for its users.
        if ($this->countNick($topic, $info) > 1) {
            return;
        }
        // Not to the newcomer itself: its "room" message says it all.
        $self = $worker === $this->server->workerId() ? ($this->local[$connId] ?? null) : null;
        $this->publishNotice(substr($topic, 5), ['type' => 'join', 'nick' => $info], $self);
    }

    /**
     * "leave": fired once per change, where the connection was (a room
     * switch, a close), or for the members of a crashed worker or server
     * in one live process: those have no reason of ours, they were lost.
     */
    public function onLeave(string $topic, int $connId, string $info, int $worker): void
    {
        if (!str_starts_with($topic, 'room:')) {
            return;
        }
        $fields = ['reason' => 'lost'];
        if ($worker === $this->server->workerId()) {
            if (isset($this->gone[$connId])) {
                $fields = $this->gone[$connId];
                unset($this->gone[$connId]);
            } elseif (isset($this->local[$connId])) {
                $fields = ['reason' => 'left'];  // still here: it switched rooms
            }
        }
        if ($this->countNick($topic, $info) > 0) {
            return; // the same user is still there through a newer connection
        }
        $this->publishNotice(substr($topic, 5), ['type' => 'leave', 'nick' => $info] + $fields);
    }

    /** How many members of a room's presence go by this nickname. */
    private function countNick(string $topic, string $nick): int
    {
        return count(array_filter($this->server->presence($topic), fn (array $m) => $m['info'] === $nick));
    }

    // ------------------------------------------------------------ records

    /**
     * Acts on the connection that holds a claim: here, or through a record
     * that every process receives (sendToWorkers(), carried to every server
     * by the broker) and only the holder's process applies.
     */
    private function toHolder(array $holder, array $record): void
    {
        $record += ['p' => $holder['p'], 'id' => $holder['id']];
        if ($holder['p'] === $this->tag) {
            $this->apply($record);
        } else {
            $this->server->sendToWorkers(self::json($record));
        }
    }

    public function onWorkerMessage(string $data, int $fromWorker): void
    {
        $r = json_decode($data, true, 8, JSON_THROW_ON_ERROR);
        if (($r['p'] ?? null) === $this->tag) {
            $this->apply($r);
        }
    }

    private function apply(array $r): void
    {
        $conn = $this->local[$r['id']] ?? null;
        if ($conn === null || !$conn->isOpen()) {
            return;
        }
        match ($r['t']) {
            'pm' => $conn->send($r['data']),
            'kick' => $this->kickLocal($conn, $r['by'], $r['reason']),
            'replace' => $this->replaceLocal($conn),
            default => null,
        };
    }

    private function kickLocal(Connection $target, string $by, string $reason): void
    {
        $target->data->kickedBy = $by;
        $target->data->kickReason = $reason;
        $this->send($target, ['type' => 'kicked', 'by' => $by, 'reason' => $reason]);
        // A close reason is at most 123 bytes: cut it, on a character boundary.
        $target->close(4000, self::cut($reason, 123));
    }

    private function replaceLocal(Connection $old): void
    {
        $old->data->replaced = true;
        $old->close(4001, 'Replaced by a newer connection');
    }

    // ------------------------------------------------------------ what the presence says

    /**
     * Every REFRESH_MS: the room list and the user lists of our members'
     * rooms, sent to our connections when they changed; and a nickname held
     * twice (two claims that did not see each other in time, see settle())
     * is given to the claim that beats the other.
     */
    private function refresh(): void
    {
        $rooms = self::json(['type' => 'rooms', 'rooms' => $this->rooms()]);
        if ($rooms !== $this->roomsSent) {
            $this->roomsSent = $rooms;
            foreach ($this->local as $conn) {
                $conn->send($rooms);
            }
        }
        $byRoom = [];
        foreach ($this->local as $conn) {
            if ($conn->data->nick !== '' && $conn->data->room !== '') {
                $byRoom[$conn->data->room][] = $conn;
            }
        }
        $sent = [];
        foreach ($byRoom as $room => $conns) {
            $room = (string) $room;
            $users = self::json(['type' => 'users', 'room' => $room, 'users' => $this->usersIn($room)]);
            $sent[$room] = $users;
            if ($users !== ($this->usersSent[$room] ?? null)) {
                foreach ($conns as $conn) {
                    $conn->send($users);
                }
            }
        }
        $this->usersSent = $sent;
        $this->resolveConflicts();
    }

    private function resolveConflicts(): void
    {
        $byKey = [];
        foreach ($this->claims() as $c) {
            $byKey[$c['k']][] = $c;
        }
        foreach ($this->local as $conn) {
            $me = $conn->data;
            if ($me->nick === '' || count($byKey[$me->claim['k']] ?? []) < 2) {
                continue;
            }
            $mine = $me->claim + ['id' => $conn->id];
            foreach ($byKey[$me->claim['k']] as $other) {
                if ($this->isMine($other, $conn) || !self::beats($other, $mine)) {
                    continue;
                }
                if ($other['f'] === $mine['s']) {
                    $this->replaceLocal($conn);     // our session was taken over
                } else {
                    $conn->close(4002, 'Nickname claimed first elsewhere');
                }
                break;
            }
        }
    }

    /** @return list<array{n: string, k: string, r: string, t: float, p: string, s: string, f: ?string, id: int}> every claim */
    private function claims(): array
    {
        $claims = [];
        foreach ($this->server->presence(NICKS) as $m) {
            $c = json_decode($m['info'], true);
            if (is_array($c)) {
                $claims[] = $c + ['id' => $m['id']];
            }
        }
        return $claims;
    }

    /** @return list<array> the claims of one nickname key, the winning one first */
    private function claimsOf(string $key): array
    {
        $found = array_values(array_filter($this->claims(), fn (array $c) => $c['k'] === $key));
        usort($found, fn (array $a, array $b) => self::beats($a, $b) ? -1 : (self::beats($b, $a) ? 1 : 0));
        return $found;
    }

    private function isMine(array $claim, Connection $conn): bool
    {
        return $claim['p'] === $this->tag && $claim['id'] === $conn->id;
    }

    /** The member who holds $nick (the winning claim), for a private message or a kick. */
    private function member(string $nick): array
    {
        return $this->claimsOf(self::key($nick))[0]
            ?? throw new ChatError('no_such_user', "Nobody called \"$nick\" is online.");
    }

    /** Counts every room's members from the "nicks" presence; the default rooms always show. */
    private function rooms(): array
    {
        $rooms = array_fill_keys(DEFAULT_ROOMS, 0);
        foreach ($this->claims() as $c) {
            $rooms[$c['r']] = ($rooms[$c['r']] ?? 0) + 1;
        }
        $list = [];
        foreach ($rooms as $name => $users) {
            $list[] = ['name' => (string) $name, 'users' => $users];
        }
        return $list;
    }

    /** @return list<string> the room's user list: its presence */
    private function usersIn(string $room): array
    {
        $nicks = array_values(array_unique(array_column($this->server->presence("room:$room"), 'info')));
        natcasesort($nicks);
        return array_values($nicks);
    }

    private function checkRoomLimit(string $room): void
    {
        $open = array_unique(array_column($this->claims(), 'r'));
        $exists = in_array($room, DEFAULT_ROOMS, true) || in_array($room, $open, true);
        if (!$exists && count($open) >= MAX_ROOMS) {
            throw new ChatError('too_many_rooms', 'Too many rooms are open: join an existing one.');
        }
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

    private function send(Connection $conn, array $message): void
    {
        $conn->send(self::json($message));
    }

    private function error(Connection $conn, string $code, string $text, ?string $request): void
    {
        $this->send($conn, ['type' => 'error', 'code' => $code, 'message' => $text, 'request' => $request]);
    }

    /** Join and leave notices go to "notices:<room>", a topic without history, beside the room's messages. */
    private function publishNotice(string $room, array $message, ?Connection $except = null): void
    {
        $message += ['room' => $room, 'ts' => self::now()];
        $this->server->publish("notices:$room", self::json($message), false, $except);
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

    /** What the "nicks" presence shows of a session: enough to check it, useless to steal it. */
    private static function sessionHash(string $session): string
    {
        return substr(hash('sha256', $session), 0, 32);
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
// Each room's last messages, kept by the server (by Redis with --redis) for
// newcomers and for pages that resume after a reconnect; no other topic keeps any.
$options['history'] = ['size' => 0, 'topics' => ['room:*' => ['size' => HISTORY, 'ttl' => HISTORY_TTL]]];
$redis = isset($opts['redis']) ? (string) $opts['redis'] : null;
if ($redis !== null) {
    $options['broker'] = $redis;             // rooms, presence and histories are shared by every server
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
$server->on('join', $chat->onJoin(...));
$server->on('leave', $chat->onLeave(...));
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
