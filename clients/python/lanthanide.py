"""A small Python client for the Lanthanide game server.

Lanthanide speaks MessagePack-RPC over TCP (see docs/protocol.md); this
module is all a bot author needs on top of Debian's ``python3-msgpack``
(``apt-get install python3-msgpack``, or ``pip install msgpack``):

    import lanthanide

    c = lanthanide.Client("127.0.0.1", 7447)
    c.hello()
    me = c.join("s1abc234", join_code="K3J9-Q2W7XP")   # remembers session/token
    obs = c.state()                                    # the seat's observation
    res = c.submit([{"op": "operate", "facility": "mine1", "utilisation": 1}],
                   ready=True)
    for bad in res["rejected"]:
        print("refused:", bad["index"], bad["code"], bad.get("field"), bad["message"])
    n = c.wait_for("turn.resolved", timeout=120)
    print(n["turn"], n["summary"]["prices"])

or, shorter, ``run_bot(host, port, session, code, decide)`` with a function
``decide(observation) -> list of orders`` (see example_bot.py).

The client is blocking and single-threaded. Notifications (``[2, method,
params]``) that arrive while it waits for a response are kept in a queue,
in arrival order, and read with ``next_notification`` or ``wait_for``.
Requests may be pipelined with ``send`` and ``result``: responses are
matched to requests by msgid.
"""

import collections
import select
import socket
import time

import msgpack

__all__ = ["Client", "LanthanideError", "Notification", "run_bot",
           "PROTOCOL_VERSION"]

PROTOCOL_VERSION = 1


class LanthanideError(Exception):
    """An error response: ``code`` (``bad_request``, ``unauthorized``,
    ``forbidden``, ``not_found``, ``conflict``, ``invalid_order``,
    ``rate_limited``, ...), ``message`` (for a person) and ``field`` (the
    argument concerned, or None)."""

    def __init__(self, code, message, field=None, method=None):
        self.code = code
        self.message = message
        self.field = field
        self.method = method
        text = "%s: %s" % (code, message)
        if field:
            text += " (field %r)" % field
        if method:
            text = "%s: %s" % (method, text)
        super().__init__(text)


class Notification:
    """A notification from the server: ``method`` (``"turn.resolved"``,
    ...) and ``params`` (its map of named arguments). ``n["turn"]`` and
    ``n.get("turn")`` read the params."""

    __slots__ = ("method", "params", "received")

    def __init__(self, method, params, received=None):
        self.method = method
        self.params = params
        self.received = time.monotonic() if received is None else received

    def __getitem__(self, key):
        return self.params[key]

    def get(self, key, default=None):
        return self.params.get(key, default)

    def __repr__(self):
        return "Notification(%r, %r)" % (self.method, self.params)


def _params_of(raw):
    """The map of named arguments inside a params array."""
    if isinstance(raw, list) and raw and isinstance(raw[0], dict):
        return raw[0]
    if isinstance(raw, dict):
        return raw
    return {}


class Client:
    """One connection to a Lanthanide server.

    ``timeout`` (seconds) bounds every wait for a response; a response that
    does not come in time raises ``TimeoutError``. After ``join`` the
    client remembers the session, seat and token, and the wrappers use them
    when no other is given.
    """

    def __init__(self, host="127.0.0.1", port=7447, timeout=30.0,
                 source_address=None):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=source_address)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
        self._next_id = 1
        self._responses = {}  # msgid -> (error, result), not yet claimed
        self._pending = set()  # msgids sent, not yet answered
        self._notes = collections.deque()
        self.closed = False
        self.session = None
        self.seat = None
        self.token = None

    # ---- the connection ----------------------------------------------------

    def close(self):
        """Close the connection (the server forgets it; a seat's token
        still works from another connection)."""
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def fileno(self):
        return self.sock.fileno()

    def _dispatch(self, message):
        if not isinstance(message, (list, tuple)) or not message:
            return
        kind = message[0]
        if kind == 1 and len(message) == 4:
            msgid = message[1]
            self._pending.discard(msgid)
            self._responses[msgid] = (message[2], message[3])
        elif kind == 2 and len(message) == 3:
            self._notes.append(Notification(message[1], _params_of(message[2])))

    def _pump(self, deadline):
        """Read what the socket has (waiting until ``deadline``, a
        time.monotonic() value, or forever for None) and dispatch every
        complete message. Returns False on timeout; raises ConnectionError
        at end of stream."""
        if self.closed:
            raise ConnectionError("the connection is closed")
        wait = None if deadline is None else max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([self.sock], [], [], wait)
        if not ready:
            return False
        try:
            data = self.sock.recv(1 << 16)
        except (ConnectionResetError, BrokenPipeError) as e:
            self.close()
            raise ConnectionError("the server reset the connection") from e
        if not data:
            self.close()
            raise ConnectionError("the server closed the connection")
        self._unpacker.feed(data)
        for message in self._unpacker:
            self._dispatch(message)
        return True

    def _deadline(self, timeout):
        timeout = self.timeout if timeout is None else timeout
        return None if timeout is None else time.monotonic() + timeout

    # ---- requests ------------------------------------------------------------

    def send(self, method, params=None, **kw):
        """Send a request without waiting; returns its msgid (for
        ``result``). Arguments whose value is None are left out (the
        server treats nil as absent anyway)."""
        args = dict(params or {})
        args.update(kw)
        args = {k: v for k, v in args.items() if v is not None}
        msgid = self._next_id
        self._next_id = (self._next_id + 1) & 0xFFFFFFFF or 1
        self._pending.add(msgid)
        self.sock.sendall(msgpack.packb([0, msgid, method,
                                         [args] if args else []]))
        return msgid

    def response(self, msgid, timeout=None):
        """Wait for the response to ``msgid``: (error map or None, result).
        Notifications and other responses read meanwhile are kept."""
        deadline = self._deadline(timeout)
        while msgid not in self._responses:
            if not self._pump(deadline):
                raise TimeoutError("no response to request %d within %.1f s"
                                   % (msgid, self.timeout if timeout is None
                                      else timeout))
        return self._responses.pop(msgid)

    def result(self, msgid, timeout=None, method=None):
        """The result of request ``msgid``; raises LanthanideError if the
        server answered with an error."""
        error, result = self.response(msgid, timeout)
        if error is not None:
            if not isinstance(error, dict):
                error = {"code": "internal", "message": repr(error)}
            raise LanthanideError(error.get("code"), error.get("message"),
                                  error.get("field"), method)
        return result

    def call(self, method, params=None, **kw):
        """Call ``method`` and return its result, or raise LanthanideError.
        Named arguments may come as a dict, as keywords or both (a dict is
        how to send a key that is a Python keyword, such as ``from``)."""
        timeout = kw.pop("_timeout", None)
        return self.result(self.send(method, params, **kw), timeout, method)

    def try_call(self, method, params=None, **kw):
        """Like call, but returns (error map or None, result) instead of
        raising."""
        timeout = kw.pop("_timeout", None)
        return self.response(self.send(method, params, **kw), timeout)

    # ---- notifications ---------------------------------------------------------

    def poll(self):
        """Read whatever has arrived, without waiting."""
        while self._pump(time.monotonic()):
            pass

    def pending_notifications(self):
        """The notifications received and not yet taken (a list copy)."""
        return list(self._notes)

    def clear_notifications(self):
        """Drop every queued notification; returns them."""
        notes = list(self._notes)
        self._notes.clear()
        return notes

    def next_notification(self, timeout=None):
        """The oldest queued notification, waiting up to ``timeout`` seconds
        (None: the client's timeout) for one; None if none came."""
        deadline = self._deadline(timeout)
        while not self._notes:
            if not self._pump(deadline):
                return None
        return self._notes.popleft()

    def wait_for(self, method, timeout=None, predicate=None):
        """Wait for a notification of ``method`` (a name or a tuple of
        names) for which ``predicate(notification)`` holds, and return it,
        removed from the queue; other notifications stay queued in order.
        Raises TimeoutError if none comes within ``timeout`` seconds."""
        methods = (method,) if isinstance(method, str) else tuple(method)
        deadline = self._deadline(timeout)
        seen = 0
        while True:
            notes = self._notes
            for i in range(seen, len(notes)):
                n = notes[i]
                if n.method in methods and (predicate is None or predicate(n)):
                    del notes[i]
                    return n
            seen = len(notes)
            if not self._pump(deadline):
                raise TimeoutError("no %s notification within %.1f s"
                                   % ("/".join(methods),
                                      self.timeout if timeout is None
                                      else timeout))

    # ---- convenience wrappers ------------------------------------------------

    def _s(self, session):
        s = session or self.session
        if s is None:
            raise ValueError("no session: give one or join first")
        return s

    def hello(self, client="lanthanide.py", protocol=PROTOCOL_VERSION):
        return self.call("hello", client=client, protocol=protocol)

    def ping(self):
        return self.call("ping")

    def maps(self):
        return self.call("maps.list")

    def strategies(self):
        return self.call("strategies.list")

    def orders_schema(self):
        """The JSON Schema (draft 2020-12) of one order, as a dict."""
        return self.call("orders.schema")["schema"]

    def observation_schema(self):
        """The JSON Schema (draft 2020-12) of state.get's result, as a
        dict (docs/observation.schema.json)."""
        return self.call("observation.schema")["schema"]

    def sessions(self):
        """Every session on the server, paging through session.list
        (``after`` until ``next`` is nil); a server from before paging
        answers them all at once."""
        out, after = [], ""
        while True:
            page = self.call("session.list", after=after)
            if isinstance(page, list):
                return out + page
            out.extend(page["sessions"])
            after = page["next"]
            if after is None or not page["sessions"]:
                return out

    def create_session(self, map, **options):
        """session.create; options: name, seed, turns, turn_seconds,
        spectators. Returns {session, admin_token, seats: [{seat, kind,
        title, join_code}]}."""
        return self.call("session.create", options, map=map)

    def join(self, session, join_code=None, token=None, name=None):
        """Join a seat with its join code, or come back with its token.
        The client remembers session, seat and token for the wrappers."""
        res = self.call("session.join", session=session, join_code=join_code,
                        token=token, name=name)
        self.session, self.seat, self.token = session, res["seat"], res["token"]
        return res

    def _admin(self, method, session, admin_token, **kw):
        return self.call(method, session=session, admin_token=admin_token, **kw)

    def bot(self, session, admin_token, seat, strategy="standing",
            force=None):
        """session.bot; force=True puts the agent on a seat a person
        holds (the person is told with seat.agent)."""
        return self._admin("session.bot", session, admin_token, seat=seat,
                           strategy=strategy, force=force)

    def lock_seat(self, session, admin_token, seat, locked=True):
        """seat.lock: while locked, the seat's join code is refused (its
        token still works)."""
        return self._admin("seat.lock", session, admin_token, seat=seat,
                           locked=locked)

    def reissue_code(self, session, admin_token, seat):
        """seat.reissue_code: returns {seat, join_code}; the old code stops
        working."""
        return self._admin("seat.reissue_code", session, admin_token,
                           seat=seat)

    def rotate_token(self, session, admin_token, seat):
        """seat.rotate_token: the seat's token is revoked (its holders get
        seat.revoked); seat.reissue_code then gives a code for the new
        one."""
        return self._admin("seat.rotate_token", session, admin_token,
                           seat=seat)

    def rotate_admin_token(self, session, admin_token):
        """session.rotate_admin_token: returns {admin_token}, the new one."""
        return self._admin("session.rotate_admin_token", session, admin_token)

    def start(self, session, admin_token):
        return self._admin("session.start", session, admin_token)

    def pause(self, session, admin_token):
        return self._admin("session.pause", session, admin_token)

    def resume(self, session, admin_token):
        return self._admin("session.resume", session, admin_token)

    def stop(self, session, admin_token):
        return self._admin("session.stop", session, admin_token)

    def reset(self, session, admin_token, seed=None, start=False):
        """session.reset: back to turn 0 with a new seed (drawn if None);
        returns {status, seed, turn}."""
        return self.call("session.reset", session=session,
                         admin_token=admin_token, seed=seed,
                         start=bool(start))

    def delete(self, session, admin_token, purge=False):
        """session.delete: a lobby or finished session leaves the server
        (its rows stay for replay unless purge); returns {session,
        purged}."""
        return self._admin("session.delete", session, admin_token,
                           purge=bool(purge))

    def advance(self, session, admin_token):
        return self._admin("session.advance", session, admin_token)

    def watch(self, session, token=None, admin_token=None):
        """Follow a session's notifications on this connection."""
        return self.call("session.watch", session=session, token=token,
                         admin_token=admin_token)

    def state(self, session=None, token=None):
        """state.get: the seat's observation."""
        return self.call("state.get", session=self._s(session),
                         token=token or self.token)

    # ---- the control cell (issue 13) ----

    def seat_view(self, session, admin_token, seat):
        """state.get as the control cell: the seat's observation, plus
        `pending` {orders, submitted, ready} and `truth` (the public
        part as ground truth)."""
        return self._admin("state.get", session, admin_token, seat=seat)

    def status(self, session, admin_token):
        """session.status: the turn, the clock and, per seat, who plays
        it (person, agent, nobody), connections, submitted, ready,
        locked."""
        return self._admin("session.status", session, admin_token)

    def observer_issue(self, session, admin_token, name=None, seats=None):
        """observer.issue: a read-only token; returns {observer, token}.
        It reads state.get (public, or `seat` among `seats`),
        history.get and session.watch; it writes nothing."""
        return self._admin("observer.issue", session, admin_token, name=name,
                           seats=list(seats) if seats is not None else None)

    def observer_revoke(self, session, admin_token, observer):
        return self._admin("observer.revoke", session, admin_token,
                           observer=observer)

    def observer_list(self, session, admin_token):
        return self._admin("observer.list", session, admin_token)

    def describe(self, session=None, token=None):
        """state.describe: the seat's situation in plain language (what
        changed, what it can order and what that costs, what its score
        rewards); returns the text."""
        return self.call("state.describe", session=self._s(session),
                         token=token or self.token)["text"]

    def submit(self, orders, ready=False, session=None, token=None):
        """orders.submit: returns {turn, rejected: [{index, code, message,
        field?}]}. The submission replaces the seat's earlier one for the
        turn; refused orders are not part of it."""
        return self.call("orders.submit", session=self._s(session),
                         token=token or self.token, orders=list(orders),
                         ready=bool(ready))

    def ready(self, session=None, token=None):
        """turn.ready: returns {turn, waiting}."""
        return self.call("turn.ready", session=self._s(session),
                         token=token or self.token)

    def chat(self, text, to="all", session=None, token=None, admin_token=None):
        if admin_token is None:
            token = token or self.token
        return self.call("chat.send", session=self._s(session), token=token,
                         admin_token=admin_token, to=to, text=text)

    def history(self, session=None, token=None, admin_token=None,
                from_turn=None, to_turn=None):
        """history.get: one map per resolved turn (turn, prices, regional,
        production, scores, events)."""
        if admin_token is None:
            token = token or self.token
        return self.call("history.get", {"from": from_turn, "to": to_turn},
                         session=self._s(session), token=token,
                         admin_token=admin_token)


def run_bot(host, port, session, code, decide, token=None, name=None,
            timeout=None, log=print, turn_timeout=3600.0):
    """Play one seat until the session finishes.

    Joins ``session`` with the join ``code`` (or comes back with ``token``),
    then, every turn: state.get -> ``decide(observation)`` (a list of order
    maps; None or [] keeps the standing orders) -> orders.submit with
    ready=True -> waits for turn.resolved. Returns the final scores of
    session.finished ({seat: score}). ``log`` (a print-like function, or
    None) reports refusals and results.
    """
    say = log or (lambda *a, **k: None)
    with Client(host, port, timeout=timeout if timeout else 30.0) as c:
        c.hello(client="lanthanide.py run_bot")
        me = c.join(session, join_code=None if token else code, token=token,
                    name=name)
        say("joined %s as %s (token %s, to come back after a disconnection)"
            % (session, me["seat"], me["token"]))
        fin = None
        while fin is None:
            obs = c.state()
            if obs["status"] == "finished":
                break
            if obs["status"] == "lobby":
                say("waiting for the facilitator to start the game")
                n = c.wait_for(("session.started", "session.finished"),
                               timeout=turn_timeout)
                if n.method == "session.finished":
                    fin = n
                continue
            turn = obs["turn"]
            orders = decide(obs) or []
            res = c.submit(orders, ready=True)
            for r in res["rejected"]:
                say("turn %d: order %d refused (%s%s): %s"
                    % (res["turn"], r["index"], r["code"],
                       ", field " + r["field"] if r.get("field") else "",
                       r["message"]))
            # Wait for the turn we looked at to resolve (it may already
            # have, at its deadline, while we were deciding).
            n = c.wait_for(("turn.resolved", "session.finished"),
                           timeout=turn_timeout,
                           predicate=lambda n: n.method == "session.finished"
                           or n["turn"] >= turn)
            if n.method == "session.finished":
                fin = n
            # Drop what the bot does not read (chat, older turns), keeping
            # the end of the game if it is already there.
            for x in c.clear_notifications():
                if x.method == "session.finished" and fin is None:
                    fin = x
        if fin is None:
            # Finished while we looked: the notification may be queued (or
            # it went out before we joined; then the standings say it).
            try:
                fin = c.wait_for("session.finished", timeout=1)
            except TimeoutError:
                pass
        if fin is not None:
            scores = {s["seat"]: s["score"] for s in fin["scores"]}
        else:
            scores = {s["seat"]: s["score"]
                      for s in c.state()["public"]["scores"]}
        say("finished; scores: %s" % ", ".join(
            "%s %.3f" % kv for kv in sorted(scores.items())))
        return scores
