// The chat room client: plain JavaScript, no build step.
//
// Everything a user typed (nicknames, room names, messages, kick reasons) is
// put on the page with textContent or as a text node, never as HTML, so a
// message like <img src=x onerror=alert(1)> is shown exactly as typed.
// The protocol is described in ../PROTOCOL.md.
'use strict';

(() => {
  const MAX_BYTES = 2048;                  // the server's limit on one message
  const RETRY_MAX_MS = 30000;
  const NICK_RE = /^[A-Za-z0-9_.-]{1,24}$/;
  const ROOM_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
  const GROUP_MS = 5 * 60 * 1000;          // consecutive messages of one author within this are grouped

  const $ = (id) => document.getElementById(id);
  const ui = {
    rooms: $('rooms'), users: $('users'), userCount: $('user-count'), roomName: $('room-name'), roomMeta: $('room-meta'),
    messages: $('messages'), composer: $('composer'), input: $('input'), send: $('send'),
    status: $('status'), statusText: $('status-text'), retryNow: $('retry-now'),
    me: $('me'), meNick: $('me-nick'), meAvatar: $('me-avatar'), meRole: $('me-role'),
    join: $('join'), joinForm: $('join-form'), nick: $('nick'), joinRoom: $('join-room'),
    joinError: $('join-error'), joinButton: $('join-button'), roomOptions: $('room-options'),
    newRoomForm: $('new-room-form'), newRoom: $('new-room'),
    gone: $('gone'), goneTitle: $('gone-title'), goneText: $('gone-text'), goneButton: $('gone-button'),
  };

  const state = {
    ws: null,
    nick: sessionStorage.getItem('chat.nick'),       // set once joined: reconnects rejoin with it
    session: sessionStorage.getItem('chat.session'), // proves to the server this tab owned the nick
    room: sessionStorage.getItem('chat.room') || 'lobby',
    joined: false,
    wasJoined: false,     // joined before the last disconnection: the next "room" is a rejoin
    modToken: null,       // kept in memory only, to become moderator again after a reconnect
    moderator: false,
    users: [],
    rooms: [],
    // The room's history as this page shows it: the id of the last message
    // and the history's epoch. After a reconnect the server resumes from
    // there (only what was missed comes), or reloads the list when it can't.
    lastId: null,
    epoch: null,
    kicked: null,
    attempt: 0,
    retryTimer: 0,
    countdownTimer: 0,
  };

  const endpoint = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/chat`;

  // ------------------------------------------------------------ connection

  function connect() {
    stopRetry();
    setStatus('connecting', 'Connecting…');
    const ws = new WebSocket(endpoint);
    state.ws = ws;
    ws.addEventListener('open', () => {
      if (state.nick) {
        // Back after a drop (or a page reload): rejoin as before.
        send({
          type: 'join', nick: state.nick, room: state.room, session: state.session || undefined,
          since: state.lastId || undefined, epoch: state.epoch || undefined,
        });
      } else {
        setStatus('connecting', 'Pick a nickname');
        setJoinBusy(false);
      }
    });
    ws.addEventListener('message', (event) => {
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch {
        return;
      }
      if (msg && typeof msg.type === 'string' && handlers[msg.type]) handlers[msg.type](msg);
    });
    ws.addEventListener('close', (event) => onClose(ws, event));
  }

  function send(msg) {
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN) {
      notice('Not connected: the message was not sent.', 'error');
      return false;
    }
    state.ws.send(JSON.stringify(msg));
    return true;
  }

  function onClose(ws, event) {
    if (ws !== state.ws) return;
    state.ws = null;
    if (state.joined) state.wasJoined = true;
    state.joined = false;
    setComposer(false);
    setJoinBusy(true, 'Connecting…');

    if (event.code === 4000) {           // kicked by a moderator
      const by = state.kicked ? state.kicked.by : 'a moderator';
      const reason = state.kicked ? state.kicked.reason : event.reason;
      showGone('You were kicked', `${by} removed you from the chat. Reason: ${reason || 'none given'}`, 'Rejoin');
      setStatus('offline', 'Kicked');
      return;
    }
    if (event.code === 1008) {           // policy violation, e.g. flooding
      showGone('Disconnected', `The server closed the connection: ${event.reason || 'policy violation'}.`, 'Reconnect');
      setStatus('offline', 'Disconnected');
      return;
    }
    if (event.code === 4001) {           // this nickname was taken over by a newer connection of ours
      showGone('Signed in elsewhere', 'A newer connection took over your nickname.', 'Reconnect');
      setStatus('offline', 'Disconnected');
      return;
    }
    if (event.code === 4002) {           // two servers gave out our nickname at once: the other claim won
      state.nick = null;
      sessionStorage.removeItem('chat.nick');
      showJoin('Someone else took that nickname first: choose another.');
      connect();
      return;
    }
    if (state.wasJoined && state.attempt === 0) notice('Connection lost.', 'error');
    scheduleRetry();
  }

  // Exponential backoff: 1 s, 2 s, 4 s … up to 30 s, each plus up to 20 %
  // random jitter so that a restarted server is not hit by everybody at once.
  function scheduleRetry() {
    const base = Math.min(RETRY_MAX_MS, 1000 * 2 ** state.attempt);
    const delay = Math.min(RETRY_MAX_MS, base * (1 + 0.2 * Math.random()));
    state.attempt++;
    const due = Date.now() + delay;
    const tick = () => {
      const s = Math.max(1, Math.ceil((due - Date.now()) / 1000));
      setStatus('offline', `Reconnecting in ${s}s…`);
    };
    tick();
    state.countdownTimer = setInterval(tick, 250);
    state.retryTimer = setTimeout(connect, delay);
    ui.retryNow.hidden = false;
  }

  function stopRetry() {
    clearTimeout(state.retryTimer);
    clearInterval(state.countdownTimer);
    ui.retryNow.hidden = true;
  }

  // "Retry now", or the network came back: skip the rest of the wait.
  function retryNow() {
    if (state.ws || ui.retryNow.hidden) return; // connected, or not waiting to retry (e.g. kicked)
    connect();
  }

  // ------------------------------------------------------------ server messages

  const handlers = {
    rooms(m) {
      state.rooms = m.rooms;
      renderRooms();
    },

    welcome(m) {
      state.nick = m.nick;
      state.session = m.session;
      state.joined = true;
      state.attempt = 0;
      sessionStorage.setItem('chat.nick', m.nick);
      sessionStorage.setItem('chat.session', m.session);
      ui.join.hidden = true;
      ui.gone.hidden = true;
      ui.me.hidden = false;
      ui.meNick.textContent = m.nick;
      setAvatar(ui.meAvatar, m.nick);
      setStatus('online', 'Connected');
      setComposer(true);
      if (state.modToken) send({ type: 'mod', token: state.modToken });
    },

    room(m) {
      state.room = m.room;
      sessionStorage.setItem('chat.room', m.room);
      state.users = m.users.slice();
      state.epoch = m.epoch;
      if (m.history) {
        // A new room, a first visit, or a gap the server could not fill: start over.
        ui.messages.replaceChildren();
        state.lastId = null;
        for (const line of m.history) addMessage(line);
      }
      // Otherwise the server resumed: the messages we missed came before this, and our list stands.
      if (!state.wasJoined) {
        notice(`You joined #${m.room}.`, 'self');
      } else if (m.history) {
        notice(`Reconnected. You are back in #${m.room}.`, 'self');
      } else {
        const missed = m.resumed === 1 ? '1 missed message' : `${m.resumed} missed messages`;
        notice(`Reconnected. You are back in #${m.room} (${missed}).`, 'self');
      }
      state.wasJoined = false;
      ui.roomName.textContent = m.room;
      ui.input.placeholder = `Message #${m.room}`;
      document.title = `#${m.room} · Chat`;
      renderUsers();
      renderRooms();
      ui.input.focus();
    },

    join(m) {
      if (m.room !== state.room) return;
      if (!state.users.includes(m.nick)) state.users.push(m.nick);
      renderUsers();
      notice(`${m.nick} joined`, 'join', m.ts);
    },

    leave(m) {
      if (m.room !== state.room) return;
      state.users = state.users.filter((n) => n !== m.nick);
      renderUsers();
      if (m.reason === 'kicked') {
        notice(`${m.nick} was kicked by ${m.by}: ${m.text}`, 'kick', m.ts);
      } else {
        notice(m.reason === 'lost' ? `${m.nick} lost the connection` : `${m.nick} left`, 'leave', m.ts);
      }
    },

    message(m) {
      if (m.room === state.room) addMessage(m);
    },

    // The room's user list, as the server's presence shows it (sent when it changes).
    users(m) {
      if (m.room !== state.room) return;
      state.users = m.users.slice();
      renderUsers();
    },

    private(m) {
      addMessage(m, true);
    },

    moderator() {
      const again = state.moderator;
      state.moderator = true;
      ui.meRole.textContent = 'Moderator';
      ui.me.classList.add('moderator');
      if (!again) notice('You are now a moderator: /kick nick reason removes someone from the chat.', 'self');
    },

    notice(m) {
      notice(m.text, 'self', m.ts);
    },

    warning(m) {
      notice(m.message, 'warning');
    },

    error(m) {
      if (m.request === 'join' && !state.joined) {
        // The nickname was refused (or taken while we were away): ask again.
        state.nick = null;
        sessionStorage.removeItem('chat.nick');
        showJoin(m.message);
        return;
      }
      if (m.request === 'mod') state.modToken = null;
      notice(m.message, 'error');
    },

    kicked(m) {
      state.kicked = m;
      state.modToken = null;
    },
  };

  // ------------------------------------------------------------ rendering

  function renderRooms() {
    const items = state.rooms.map((r) => {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'room' + (state.joined && r.name === state.room ? ' active' : '');
      const name = document.createElement('span');
      name.className = 'room-label';
      name.textContent = r.name;
      button.append(name);
      if (r.users > 0) {
        const count = document.createElement('span');
        count.className = 'badge';
        count.textContent = String(r.users);
        button.append(count);
      }
      button.addEventListener('click', () => switchRoom(r.name));
      li.append(button);
      return li;
    });
    ui.rooms.replaceChildren(...items);
    ui.roomOptions.replaceChildren(...state.rooms.map((r) => {
      const option = document.createElement('option');
      option.value = r.name;
      return option;
    }));
  }

  function renderUsers() {
    const sorted = state.users.slice().sort((a, b) => a.localeCompare(b, undefined, { sensitivity: 'base' }));
    ui.users.replaceChildren(...sorted.map((nick) => {
      const li = document.createElement('li');
      li.className = 'user' + (nick === state.nick ? ' self' : '');
      li.dataset.nick = nick;
      const avatar = document.createElement('span');
      setAvatar(avatar, nick);
      const name = document.createElement('span');
      name.className = 'user-name';
      name.textContent = nick;
      li.append(avatar, name);
      if (nick === state.nick) {
        const you = document.createElement('span');
        you.className = 'you';
        you.textContent = 'you';
        li.append(you);
      } else {
        li.title = `Send ${nick} a private message`;
        li.addEventListener('click', () => {
          ui.input.value = `/msg ${nick} `;
          ui.input.focus();
        });
      }
      return li;
    }));
    ui.userCount.textContent = String(state.users.length);
    ui.roomMeta.textContent = state.users.length === 1 ? 'just you' : `${state.users.length} people`;
  }

  function addMessage(m, isPrivate = false) {
    const follow = nearBottom();
    const li = document.createElement('li');
    li.className = 'msg' + (isPrivate ? ' private' : '') + (m.from === state.nick ? ' own' : '');
    li.dataset.from = m.from;
    if (m.id) {
      li.dataset.id = m.id;
      if (!isPrivate) state.lastId = m.id;
    }

    const last = ui.messages.lastElementChild;
    if (!isPrivate && last && last.classList.contains('msg') && !last.classList.contains('private')
        && last.dataset.from === m.from && m.ts - Number(last.dataset.ts) < GROUP_MS) {
      li.classList.add('cont');
    }
    li.dataset.ts = String(m.ts);

    const avatar = document.createElement('span');
    setAvatar(avatar, m.from);
    const body = document.createElement('div');
    body.className = 'body';
    const meta = document.createElement('div');
    meta.className = 'meta';
    const author = document.createElement('span');
    author.className = 'author';
    author.textContent = m.from;
    meta.append(author);
    if (isPrivate) {
      const tag = document.createElement('span');
      tag.className = 'tag';
      tag.textContent = m.from === state.nick ? `private to ${m.to}` : 'private to you';
      meta.append(tag);
    }
    meta.append(timeElement(m.ts));
    const text = document.createElement('div');
    text.className = 'text';
    text.append(linkify(m.text));
    body.append(meta, text);
    li.append(avatar, body);
    append(li, follow);
  }

  // System notices are built here only, from server events, never from a
  // user's message: nobody can make their text look like one.
  function notice(text, kind = 'info', ts = Date.now()) {
    const follow = nearBottom();
    const li = document.createElement('li');
    li.className = `notice ${kind}`;
    const icon = document.createElement('span');
    icon.className = 'icon';
    icon.setAttribute('aria-hidden', 'true');
    const span = document.createElement('span');
    span.className = 'notice-text';
    span.textContent = text;
    li.append(icon, span, timeElement(ts));
    append(li, follow);
  }

  function append(li, follow) {
    ui.messages.append(li);
    if (follow) ui.messages.scrollTop = ui.messages.scrollHeight;
  }

  function nearBottom() {
    const m = ui.messages;
    return m.scrollHeight - m.scrollTop - m.clientHeight < 80;
  }

  function timeElement(ts) {
    const date = new Date(ts);
    const time = document.createElement('time');
    time.dateTime = date.toISOString();
    time.title = date.toLocaleString();
    time.textContent = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    return time;
  }

  // Text with http(s) links made clickable, built from text nodes and <a>
  // elements: the text itself is never parsed as HTML.
  function linkify(text) {
    const fragment = document.createDocumentFragment();
    const re = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;
    let at = 0;
    for (const match of text.matchAll(re)) {
      fragment.append(document.createTextNode(text.slice(at, match.index)));
      const a = document.createElement('a');
      a.href = match[0];
      a.textContent = match[0];
      a.target = '_blank';
      a.rel = 'noopener noreferrer nofollow';
      fragment.append(a);
      at = match.index + match[0].length;
    }
    fragment.append(document.createTextNode(text.slice(at)));
    return fragment;
  }

  // A colour per nickname (FNV-1a hash into a palette that reads well under white text).
  const PALETTE = ['#6366f1', '#f97316', '#0ea5e9', '#16a34a', '#8b5cf6', '#0d9488', '#e11d48', '#2563eb', '#d97706', '#db2777'];

  function setAvatar(el, nick) {
    let hash = 0x811c9dc5;
    for (const ch of nick.toLowerCase()) hash = Math.imul(hash ^ ch.codePointAt(0), 0x01000193) >>> 0;
    el.className = 'avatar';
    el.style.setProperty('--avatar', PALETTE[hash % PALETTE.length]);
    el.textContent = nick.replace(/[^A-Za-z0-9]/g, '').charAt(0).toUpperCase() || '?';
  }

  function setStatus(kind, text) {
    ui.status.dataset.state = kind;
    ui.statusText.textContent = text;
    if (kind !== 'offline') ui.retryNow.hidden = true;
  }

  function setComposer(enabled) {
    ui.input.disabled = !enabled;
    ui.send.disabled = !enabled;
  }

  function setJoinBusy(busy, label = 'Join') {
    ui.joinButton.disabled = busy;
    ui.joinButton.textContent = busy ? label : 'Join';
  }

  function showJoin(error) {
    ui.join.hidden = false;
    ui.joinError.textContent = error || '';
    ui.nick.value = ui.nick.value || state.nick || '';
    setJoinBusy(!(state.ws && state.ws.readyState === WebSocket.OPEN), 'Connecting…');
    ui.nick.focus();
    ui.nick.select();
  }

  function showGone(title, text, button) {
    ui.goneTitle.textContent = title;
    ui.goneText.textContent = text;
    ui.goneButton.textContent = button;
    ui.gone.hidden = false;
  }

  // ------------------------------------------------------------ user input

  function switchRoom(name) {
    const room = name.trim().replace(/^#/, '').toLowerCase();
    if (!ROOM_RE.test(room)) {
      notice('A room name is 1 to 32 letters, digits, "_" or "-".', 'error');
      return;
    }
    if (room === state.room) return;
    send({ type: 'room', room });
  }

  // "/cmd first rest of the line"
  function parseCommand(line) {
    const m = /^\/(\S+)\s*(\S*)\s*([\s\S]*)$/.exec(line);
    return { cmd: m[1].toLowerCase(), first: m[2], rest: m[3].trim() };
  }

  function runCommand(line) {
    const { cmd, first, rest } = parseCommand(line);
    switch (cmd) {
      case 'msg':
      case 'w':
        if (!first || !rest) return usage('/msg nick text');
        return send({ type: 'msg', to: first, text: rest });
      case 'join':
      case 'room':
        if (!first) return usage('/join room');
        return switchRoom(first);
      case 'mod':
        if (!first) return usage('/mod token');
        state.modToken = first;
        return send({ type: 'mod', token: first });
      case 'kick':
        if (!first) return usage('/kick nick reason');
        return send({ type: 'kick', nick: first, reason: rest || 'No reason given' });
      case 'help':
        notice('Commands: /msg nick text (private message) · /join room (create or switch room) · '
          + '/mod token (become moderator) · /kick nick reason (moderators) · /help', 'self');
        return true;
      default:
        notice(`Unknown command /${cmd}. Type /help for the list.`, 'error');
        return false;
    }
  }

  function usage(text) {
    notice(`Usage: ${text}`, 'error');
    return false;
  }

  function tooBig(msg) {
    return new TextEncoder().encode(JSON.stringify(msg)).length > MAX_BYTES;
  }

  ui.composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = ui.input.value.trim();
    if (!text) return;
    if (text.startsWith('/') && !text.startsWith('//')) {
      if (runCommand(text) !== false) ui.input.value = '';
      return;
    }
    const msg = { type: 'say', text: text.startsWith('//') ? text.slice(1) : text };
    if (tooBig(msg)) {
      notice(`That message is too long: the limit is ${MAX_BYTES} bytes.`, 'error');
      return;
    }
    if (send(msg)) ui.input.value = '';
  });

  ui.joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const nick = ui.nick.value.trim();
    const room = ui.joinRoom.value.trim().replace(/^#/, '').toLowerCase() || 'lobby';
    if (!NICK_RE.test(nick)) {
      ui.joinError.textContent = 'Use 1 to 24 letters, digits, "_", "-" or ".".';
      return;
    }
    if (!ROOM_RE.test(room)) {
      ui.joinError.textContent = 'A room name is 1 to 32 letters, digits, "_" or "-".';
      return;
    }
    ui.joinError.textContent = '';
    state.room = room;
    state.session = null;
    if (send({ type: 'join', nick, room })) setJoinBusy(true, 'Joining…');
  });

  ui.newRoomForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!ui.newRoom.value.trim()) return;
    switchRoom(ui.newRoom.value);
    ui.newRoom.value = '';
  });

  ui.retryNow.addEventListener('click', retryNow);
  window.addEventListener('online', retryNow);

  ui.goneButton.addEventListener('click', () => {
    ui.gone.hidden = true;
    state.kicked = null;
    state.attempt = 0;
    connect();
  });

  // ------------------------------------------------------------ start

  if (state.nick) {
    ui.nick.value = state.nick;
    ui.join.hidden = true;
  } else {
    showJoin('');
  }
  ui.joinRoom.value = state.room;
  connect();
})();
