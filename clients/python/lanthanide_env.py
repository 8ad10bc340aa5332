"""Lanthanide in-process: a PettingZoo-style parallel environment.

The game's model runs inside this Python process through build/lib/
liblanthanide.so (its C API is clients/env/lan_env.h, documented in
docs/env.md), with no server, no sockets and no rate limits, for
reinforcement learning and fast experiments:

    import lanthanide_env

    env = lanthanide_env.make_env(map="classroom", seed=7, turns=16)
    obs, infos = env.reset()
    while env.agents:
        actions = {seat: [] for seat in env.agents}   # [] = standing orders
        obs, rewards, terminations, truncations, infos = env.step(actions)
    print(env.scores(), env.state_hash())

It follows the PettingZoo Parallel API (possible_agents, agents, reset,
step, observation_space, action_space) without needing PettingZoo:

- observations are the wire's observation maps, exactly as state.get
  answers them (docs/protocol.md, "The observation");
- an action is a list of order maps, as orders.submit takes them
  (docs/orders.md); an empty list (or a missing seat) plays the seat's
  standing orders; refused orders are reported in infos[seat]["rejected"]
  as orders.submit reports them;
- rewards are the change of each seat's score over the step;
- a game ends after its turns: every seat is terminated, none truncated.

For learning code that needs arrays there is a flat view:
observation_vector(seat) (a fixed-length vector, names in
observation_names), and a discrete action catalogue (action_names, the
legal ones in action_mask(seat)); step() also takes, for a seat, an int or
a list of ints from the catalogue. With numpy installed (Debian's
python3-numpy) the vectors are numpy arrays, otherwise lists.

A game played here with the same map, seed and orders as on a server ends
with the same scores and state hash (tests/env/test_env_server.py).

Needs Debian's python3-msgpack; the library is found at
$LANTHANIDE_LIB, or build/lib/liblanthanide.so beside this source tree.
"""
import collections.abc
import ctypes
import os

import msgpack

try:  # optional: arrays for the flat view
    import numpy as _np
except ImportError:  # pragma: no cover - depends on the machine
    _np = None

__all__ = ["make_env", "ParallelEnv", "Observation", "LanthanideEnvError",
           "load_library"]

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.normpath(os.path.join(_HERE, "..", ".."))
API_VERSION = 1


class LanthanideEnvError(Exception):
    """The library refused a call: the message says what and why."""


_lib = None


def load_library(path=None):
    """Load liblanthanide.so (once) and declare its functions."""
    global _lib
    if _lib is not None and path is None:
        return _lib
    path = (path or os.environ.get("LANTHANIDE_LIB")
            or os.path.join(_ROOT, "build", "lib", "liblanthanide.so"))
    if not os.path.exists(path):
        raise LanthanideEnvError(
            "%s is missing: build the project (make) or set LANTHANIDE_LIB "
            "to the library's path" % path)
    lib = ctypes.CDLL(path)
    c = ctypes
    P8 = c.POINTER(c.c_uint8)
    sigs = {
        "lan_api_version": (c.c_int, []),
        "lan_strerror": (c.c_char_p, [c.c_int]),
        "lan_free": (None, [c.c_void_p]),
        "lan_map_load": (c.c_int, [c.c_char_p, c.c_char_p,
                                   c.POINTER(c.c_void_p), c.c_char_p,
                                   c.c_size_t]),
        "lan_map_free": (None, [c.c_void_p]),
        "lan_map_id": (c.c_char_p, [c.c_void_p]),
        "lan_map_turns": (c.c_int, [c.c_void_p]),
        "lan_map_seat_count": (c.c_int, [c.c_void_p]),
        "lan_map_seat_id": (c.c_char_p, [c.c_void_p, c.c_int]),
        "lan_map_seat_kind": (c.c_int, [c.c_void_p, c.c_int]),
        "lan_game_new": (c.c_int, [c.c_void_p, c.c_uint64, c.c_int,
                                   c.POINTER(c.c_void_p), c.c_char_p,
                                   c.c_size_t]),
        "lan_game_clone": (c.c_int, [c.c_void_p, c.POINTER(c.c_void_p)]),
        "lan_game_free": (None, [c.c_void_p]),
        "lan_game_turn": (c.c_int, [c.c_void_p]),
        "lan_game_turns": (c.c_int, [c.c_void_p]),
        "lan_game_finished": (c.c_int, [c.c_void_p]),
        "lan_game_observe": (c.c_int, [c.c_void_p, c.c_int, c.POINTER(P8),
                                       c.POINTER(c.c_size_t)]),
        "lan_game_observe_all": (c.c_int, [c.c_void_p, c.POINTER(P8),
                                           c.POINTER(c.c_size_t),
                                           c.POINTER(c.c_size_t)]),
        "lan_game_submit": (c.c_int, [c.c_void_p, c.c_int, c.c_char_p,
                                      c.c_size_t, c.POINTER(P8),
                                      c.POINTER(c.c_size_t),
                                      c.POINTER(c.c_int)]),
        "lan_game_resolve": (c.c_int, [c.c_void_p, c.c_char_p, c.c_size_t]),
        "lan_game_score_ppm": (c.c_int64, [c.c_void_p, c.c_int]),
        "lan_game_hash": (c.c_int, [c.c_void_p, c.c_char_p]),
        "lan_game_summary": (c.c_int, [c.c_void_p, c.POINTER(P8),
                                       c.POINTER(c.c_size_t)]),
        "lan_game_describe": (c.c_int, [c.c_void_p, c.c_int,
                                        c.POINTER(c.c_char_p),
                                        c.POINTER(c.c_size_t)]),
        "lan_flat_len": (c.c_size_t, [c.c_void_p]),
        "lan_flat_name": (c.c_int, [c.c_void_p, c.c_size_t, c.c_char_p,
                                    c.c_size_t]),
        "lan_flat_observe": (c.c_int, [c.c_void_p, c.c_int,
                                       c.POINTER(c.c_double), c.c_size_t]),
        "lan_action_count": (c.c_size_t, [c.c_void_p]),
        "lan_action_name": (c.c_int, [c.c_void_p, c.c_size_t, c.c_char_p,
                                      c.c_size_t]),
        "lan_action_mask": (c.c_int, [c.c_void_p, c.c_int, P8, c.c_size_t]),
        "lan_action_orders": (c.c_int, [c.c_void_p, c.c_int,
                                        c.POINTER(c.c_int32), c.c_size_t,
                                        c.POINTER(P8),
                                        c.POINTER(c.c_size_t)]),
    }
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args
    if lib.lan_api_version() != API_VERSION:
        raise LanthanideEnvError(
            "%s implements API version %d; this module needs %d: rebuild"
            % (path, lib.lan_api_version(), API_VERSION))
    _lib = lib
    return lib


def _check(lib, rc, what, err=None):
    if rc != 0:
        detail = err.value.decode() if err is not None and err.value else \
            lib.lan_strerror(rc).decode()
        raise LanthanideEnvError("%s: %s" % (what, detail))


class _Map:
    """A loaded map; freed when the last game made from it is gone."""

    def __init__(self, lib, name, maps_dir):
        self.lib = lib
        self.ptr = ctypes.c_void_p()
        err = ctypes.create_string_buffer(512)
        rc = lib.lan_map_load(name.encode(),
                              maps_dir.encode() if maps_dir else None,
                              ctypes.byref(self.ptr), err, len(err))
        _check(lib, rc, "map %r" % name, err)
        n = lib.lan_map_seat_count(self.ptr)
        self.id = lib.lan_map_id(self.ptr).decode()
        self.turns = lib.lan_map_turns(self.ptr)
        self.seats = [lib.lan_map_seat_id(self.ptr, i).decode()
                      for i in range(n)]
        self.kinds = ["nation" if lib.lan_map_seat_kind(self.ptr, i) == 0
                      else "firm" for i in range(n)]
        buf = ctypes.create_string_buffer(128)
        self.flat_names = []
        for i in range(lib.lan_flat_len(self.ptr)):
            lib.lan_flat_name(self.ptr, i, buf, len(buf))
            self.flat_names.append(buf.value.decode())
        self.action_names = []
        for i in range(lib.lan_action_count(self.ptr)):
            lib.lan_action_name(self.ptr, i, buf, len(buf))
            self.action_names.append(buf.value.decode())

    def __del__(self):
        if getattr(self, "ptr", None) and self.ptr.value:
            self.lib.lan_map_free(self.ptr)
            self.ptr = None


class Observation(collections.abc.Mapping):
    """One seat's observation map, as state.get answers it: a read-only
    mapping (obs["you"]["cash"], obs.get(...), dict(obs) for a copy). The
    bytes are taken when the turn resolves; they are decoded the first
    time a key is read, so a step does not pay for observations nobody
    looks at."""

    __slots__ = ("_raw", "_map")

    def __init__(self, raw):
        self._raw = raw
        self._map = None

    def _data(self):
        if self._map is None:
            self._map = msgpack.unpackb(self._raw, raw=False,
                                        strict_map_key=False)
            self._raw = None
        return self._map

    def __getitem__(self, key):
        return self._data()[key]

    def __iter__(self):
        return iter(self._data())

    def __len__(self):
        return len(self._data())

    def __repr__(self):
        return "Observation(%r)" % (self._data(),)

    def to_dict(self):
        """A plain dict (for json.dumps and the like)."""
        return dict(self._data())


class _Space:
    """A minimal description of a space, for code that asks for one
    without needing gymnasium: kind ("dict", "box" or "discrete"), shape
    or n, and what it holds."""

    def __init__(self, kind, **kw):
        self.kind = kind
        self.__dict__.update(kw)

    def __repr__(self):
        return "Space(%s)" % ", ".join(
            "%s=%r" % kv for kv in sorted(self.__dict__.items()))


class ParallelEnv:
    """One game of Lanthanide, played in this process (see the module's
    documentation). make_env() is the usual way to get one."""

    metadata = {"name": "lanthanide_v1", "render_modes": [],
                "is_parallelizable": True}

    OBSERVATIONS = ("lazy", "dict", "vector")

    def __init__(self, map="classroom", seed=0, turns=None, maps_dir=None,
                 library=None, observations="lazy", _map=None):
        if observations not in self.OBSERVATIONS:
            raise LanthanideEnvError(
                "observations must be one of %s, got %r"
                % (", ".join(self.OBSERVATIONS), observations))
        self._obs_kind = observations
        self._lib = load_library(library)
        self._map = _map or _Map(self._lib, map, maps_dir)
        self._seed = seed
        self._turns = turns or 0
        if self._turns < 0 or self._turns > self._map.turns:
            raise LanthanideEnvError(
                "turns must be from 1 to the map's %d (None plays them all), "
                "got %r" % (self._map.turns, turns))
        self._game = None
        self.possible_agents = list(self._map.seats)
        self.agents = []
        self._index = {s: i for i, s in enumerate(self.possible_agents)}
        self._scores = {s: 0.0 for s in self.possible_agents}
        self.observation_names = list(self._map.flat_names)
        self.action_names = list(self._map.action_names)
        self._packer = msgpack.Packer(use_bin_type=True)

    # ---- the game --------------------------------------------------------

    def _free(self):
        if self._game is not None and self._game.value:
            self._lib.lan_game_free(self._game)
        self._game = None

    def __del__(self):
        try:
            self._free()
        except Exception:  # interpreter shutdown
            pass

    def close(self):
        self._free()
        self.agents = []

    def _new_game(self, seed):
        self._free()
        g = ctypes.c_void_p()
        err = ctypes.create_string_buffer(512)
        rc = self._lib.lan_game_new(self._map.ptr, seed, self._turns,
                                    ctypes.byref(g), err, len(err))
        _check(self._lib, rc, "a new game", err)
        self._game = g

    def reset(self, seed=None, options=None):
        """Start the game again at turn 0 (with `seed` if given, else the
        last seed). options may hold "turns" (1 to the map's; 0 or None:
        all of them) for this and later games. Returns (observations,
        infos)."""
        if seed is not None:
            self._seed = seed
        unknown = set(options or {}) - {"turns"}
        if unknown:
            raise LanthanideEnvError(
                "reset() takes the option \"turns\" only, not %s"
                % ", ".join(sorted(map(repr, unknown))))
        if options and "turns" in options:
            turns = options["turns"] or 0
            if not isinstance(turns, int) or not 0 <= turns <= self._map.turns:
                raise LanthanideEnvError(
                    "options[\"turns\"] must be from 1 to the map's %d (0 "
                    "or None: all), got %r" % (self._map.turns, turns))
            self._turns = turns
        self._new_game(self._seed)
        self.agents = list(self.possible_agents)
        self._scores = {s: 0.0 for s in self.possible_agents}
        obs = self._observations(self.agents)
        return obs, {s: {"turn": 0} for s in self.agents}

    def _need_game(self):
        if self._game is None:
            raise LanthanideEnvError("call reset() before playing")

    def _take(self, ptr, n):
        data = ctypes.string_at(ptr, n.value)
        self._lib.lan_free(ptr)
        return data

    def observe(self, agent):
        """The seat's observation map (state.get's result)."""
        self._need_game()
        ptr = ctypes.POINTER(ctypes.c_uint8)()
        n = ctypes.c_size_t()
        rc = self._lib.lan_game_observe(self._game, self._index[agent],
                                        ctypes.byref(ptr), ctypes.byref(n))
        _check(self._lib, rc, "observing %s" % agent)
        return msgpack.unpackb(self._take(ptr, n), raw=False,
                               strict_map_key=False)

    def _observations(self, agents):
        """What reset and step return for the seats, in the form chosen at
        make_env: Observation mappings, plain dicts, or flat vectors."""
        if self._obs_kind == "vector":
            return {s: self.observation_vector(s) for s in agents}
        obs = self._observe_all(agents)
        if self._obs_kind == "dict":
            return {s: o.to_dict() for s, o in obs.items()}
        return obs

    def _observe_all(self, agents):
        """{seat: Observation} for these seats, from one library call."""
        n = len(self.possible_agents)
        offsets = (ctypes.c_size_t * (n + 1))()
        ptr = ctypes.POINTER(ctypes.c_uint8)()
        size = ctypes.c_size_t()
        rc = self._lib.lan_game_observe_all(self._game, ctypes.byref(ptr),
                                            ctypes.byref(size), offsets)
        _check(self._lib, rc, "observing the seats")
        data = self._take(ptr, size)
        index = self._index
        return {s: Observation(data[offsets[index[s]]:offsets[index[s] + 1]])
                for s in agents}

    def submit(self, agent, orders):
        """Submit the seat's orders for the open turn (replacing an
        earlier submission); returns orders.submit's `rejected` list."""
        self._need_game()
        data = self._packer.pack(list(orders))
        ptr = ctypes.POINTER(ctypes.c_uint8)()
        n = ctypes.c_size_t()
        k = ctypes.c_int()
        rc = self._lib.lan_game_submit(self._game, self._index[agent], data,
                                       len(data), ctypes.byref(ptr),
                                       ctypes.byref(n), ctypes.byref(k))
        _check(self._lib, rc, "orders of %s" % agent)
        return msgpack.unpackb(self._take(ptr, n), raw=False)

    def _orders_of(self, agent, action):
        if action is None:
            return []
        if isinstance(action, int):
            action = [action]
        action = list(action)
        if action and all(isinstance(a, int) for a in action):
            return self.action_orders(agent, action)
        return action

    def step(self, actions):
        """Submit each seat's action, resolve the turn. Returns
        (observations, rewards, terminations, truncations, infos)."""
        self._need_game()
        if not self.agents:
            raise LanthanideEnvError("the game is over; call reset()")
        infos = {s: {} for s in self.agents}
        for agent, action in (actions or {}).items():
            if agent not in self._index:
                raise LanthanideEnvError(
                    "no seat %r on this map; seats are %s"
                    % (agent, ", ".join(self.possible_agents)))
            orders = self._orders_of(agent, action)
            if orders:
                infos[agent]["rejected"] = self.submit(agent, orders)
        err = ctypes.create_string_buffer(512)
        rc = self._lib.lan_game_resolve(self._game, err, len(err))
        _check(self._lib, rc, "resolving the turn", err)
        turn = self._lib.lan_game_turn(self._game)
        done = bool(self._lib.lan_game_finished(self._game))
        rewards = {}
        for s in self.agents:
            score = self._lib.lan_game_score_ppm(
                self._game, self._index[s]) / 1e6
            rewards[s] = score - self._scores[s]
            self._scores[s] = score
            infos[s]["turn"] = turn
        agents = self.agents
        obs = self._observations(agents)
        terms = {s: done for s in agents}
        truncs = {s: False for s in agents}
        if done:
            self.agents = []
        return obs, rewards, terms, truncs, infos

    # ---- reading the game ------------------------------------------------

    @property
    def turn(self):
        self._need_game()
        return self._lib.lan_game_turn(self._game)

    @property
    def turns(self):
        self._need_game()
        return self._lib.lan_game_turns(self._game)

    def scores(self):
        """Each seat's score after the last resolved turn (the wire's
        fraction of its objectives)."""
        self._need_game()
        return {s: self._lib.lan_game_score_ppm(self._game, i) / 1e6
                for s, i in self._index.items()}

    def summary(self):
        """turn.resolved's summary of the last resolved turn, or None."""
        self._need_game()
        ptr = ctypes.POINTER(ctypes.c_uint8)()
        n = ctypes.c_size_t()
        if self._lib.lan_game_summary(self._game, ctypes.byref(ptr),
                                      ctypes.byref(n)) != 0:
            return None
        return msgpack.unpackb(self._take(ptr, n), raw=False,
                               strict_map_key=False)

    def describe(self, agent):
        """state.describe's plain-language briefing of the seat: what
        changed, where it stands, what it can order and what that costs,
        what its score rewards (for a language model, or a person)."""
        self._need_game()
        ptr = ctypes.c_char_p()
        n = ctypes.c_size_t()
        _check(self._lib, self._lib.lan_game_describe(
            self._game, self._index[agent], ctypes.byref(ptr),
            ctypes.byref(n)), "describing %s" % agent)
        text = ctypes.string_at(ptr, n.value).decode("utf-8", "replace")
        self._lib.lan_free(ptr)
        return text

    def state_hash(self):
        """The BLAKE2b-256 hash of the whole game state, in hex (the
        server stores the same for every turn)."""
        self._need_game()
        out = ctypes.create_string_buffer(32)
        _check(self._lib, self._lib.lan_game_hash(self._game, out),
               "hashing the state")
        return out.raw.hex()

    def clone(self):
        """An independent copy of this environment at the same point."""
        self._need_game()
        c = ParallelEnv.__new__(ParallelEnv)
        c.__dict__.update(self.__dict__)
        c.agents = list(self.agents)
        c._scores = dict(self._scores)
        c._packer = msgpack.Packer(use_bin_type=True)
        g = ctypes.c_void_p()
        _check(self._lib, self._lib.lan_game_clone(self._game,
                                                   ctypes.byref(g)),
               "cloning the game")
        c._game = g
        return c

    # ---- the flat view ---------------------------------------------------

    def observation_vector(self, agent):
        """The seat's observation as len(observation_names) numbers."""
        self._need_game()
        n = len(self.observation_names)
        buf = (ctypes.c_double * n)()
        _check(self._lib, self._lib.lan_flat_observe(
            self._game, self._index[agent], buf, n), "observing %s" % agent)
        if _np is not None:
            return _np.frombuffer(buf, dtype=_np.float64).copy()
        return list(buf)

    def action_mask(self, agent):
        """1 for each catalogue action the seat may take now, else 0."""
        self._need_game()
        n = len(self.action_names)
        buf = (ctypes.c_uint8 * n)()
        _check(self._lib, self._lib.lan_action_mask(
            self._game, self._index[agent], buf, n), "masking %s" % agent)
        if _np is not None:
            return _np.frombuffer(buf, dtype=_np.uint8).copy()
        return list(buf)

    def action_orders(self, agent, indices):
        """The order maps of catalogue actions (illegal ones left out)."""
        self._need_game()
        idx = (ctypes.c_int32 * len(indices))(*indices)
        ptr = ctypes.POINTER(ctypes.c_uint8)()
        n = ctypes.c_size_t()
        _check(self._lib, self._lib.lan_action_orders(
            self._game, self._index[agent], idx, len(indices),
            ctypes.byref(ptr), ctypes.byref(n)), "actions of %s" % agent)
        return msgpack.unpackb(self._take(ptr, n), raw=False)

    def observation_space(self, agent):
        return _Space("dict", holds="the observation map of state.get",
                      flat_shape=(len(self.observation_names),))

    def action_space(self, agent):
        return _Space("discrete", n=len(self.action_names),
                      holds="a list of order maps, or catalogue indices")


def make_env(map="classroom", seed=0, turns=None, maps_dir=None,
             library=None, observations="lazy"):
    """A new environment on `map` (an id from maps/ or a .json path),
    with `seed` for its games and `turns` turns (None: the map's).
    `observations` is what reset and step return per seat: "lazy"
    (Observation mappings, decoded when read; the default), "dict" (plain
    dicts, decoded at once: slower) or "vector" (the flat view,
    observation_vector)."""
    return ParallelEnv(map=map, seed=seed, turns=turns, maps_dir=maps_dir,
                       library=library, observations=observations)
