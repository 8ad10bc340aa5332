// node --test tests/unit/ : the control view's logic (src/control.js), no
// browser: which errors hide a panel, what a seat sees against the truth,
// the timeline's filters, and the params the inject and amendment forms send.
import test from 'node:test';
import assert from 'node:assert/strict';
import { amendment, exactUnits, filterTimeline, injectParams, isMissing, truthDiff } from '../../src/control.js';

test('only a missing method hides a panel', () => {
  assert.equal(isMissing({ code: 'unknown_method', message: "unknown method 'event.list'; this server knows: hello, ..." }), true);
  assert.equal(isMissing({ code: 'forbidden', message: 'the admin token cannot act as a seat here' }), false);
  assert.equal(isMissing({ code: 'bad_request', message: "field 'turn' must be an integer" }), false);
  assert.equal(isMissing({ code: 'unavailable', message: 'the connection to the server was lost' }), false);
  assert.equal(isMissing(null), false);
});

test('seen versus true lists exactly the differences, keyed by id', () => {
  const seen = {
    capacity: { mining: { CHN: 100000, USA: 40000 } },
    policies: { CHN: [] },
    support: [{ kind: 'loan', firm: 'mp', owed: 5 }],
  };
  const truth = {
    capacity: { mining: { CHN: 120000, USA: 40000 } },
    policies: { CHN: [{ op: 'policy', kind: 'export_quota', product: 'concentrate', quantity: 1000 }] },
    support: [{ kind: 'loan', firm: 'mp', owed: 5 }],
  };
  const d = truthDiff(seen, truth);
  const paths = d.map((r) => r.path);
  assert.deepEqual(d.find((r) => r.path === 'capacity.mining.CHN'), { path: 'capacity.mining.CHN', seen: 100000, truth: 120000 });
  assert.ok(!paths.some((p) => p.startsWith('capacity.mining.USA')), 'equal values are not listed');
  assert.ok(!paths.some((p) => p.startsWith('support')), 'an equal list of maps is not listed');
  assert.deepEqual(d.find((r) => r.path.startsWith('policies.CHN')),
    { path: 'policies.CHN[export_quota:concentrate]', seen: undefined, truth: truth.policies.CHN[0] },
    'a hidden policy is one row: absent for the seat, whole in the truth');
  assert.equal(d.length, 2);
  assert.deepEqual(truthDiff(truth, truth), [], 'the same map differs nowhere');
  // Lists are matched by what names their elements, not by position: a
  // policy hidden before the others shifts nothing.
  const p = (kind, product, extra = {}) => ({ op: 'policy', kind, product, to: 'all', ...extra });
  const seenP = { policies: { CHN: [p('export_licence', 'dytb_oxide', { approval: 0.5 }), p('tariff', 'magnet', { rate: 0.1 })] } };
  const trueP = { policies: { CHN: [p('export_quota', 'concentrate', { quantity: 11250 }), p('export_licence', 'dytb_oxide', { approval: 0.5 }), p('tariff', 'magnet', { rate: 0.1 })] } };
  assert.deepEqual(truthDiff(seenP, trueP).map((r) => r.path), ['policies.CHN[export_quota:concentrate]']);
  const a = { f: [{ id: 'x', c: 1 }, { id: 'z', c: 3 }] };
  const b = { f: [{ id: 'x', c: 1 }, { id: 'y', c: 2 }, { id: 'z', c: 3 }] };
  assert.deepEqual(truthDiff(a, b), [{ path: 'f[y]', seen: undefined, truth: { id: 'y', c: 2 } }]);
  // An estimate: the same item, another figure.
  assert.deepEqual(truthDiff({ capacity: { magnet: { USA: 1200 } } }, { capacity: { magnet: { USA: 1000 } } }),
    [{ path: 'capacity.magnet.USA', seen: 1200, truth: 1000 }]);
});

test('the timeline filters by kind, seat, turns (1-based) and text', () => {
  const rows = [
    { t_ms: 1, turn: 0, kind: 'session', text: 'session created' },
    { t_ms: 2, turn: 0, kind: 'join', seat: 'USA', text: 'Ada joined USA' },
    { t_ms: 3, turn: 0, kind: 'orders', seat: 'USA', text: '2 orders', data: { orders: [{ op: 'policy', kind: 'tariff' }] } },
    { t_ms: 4, turn: 1, kind: 'inject', text: 'flood in AUS' },
    { t_ms: 5, turn: 2, kind: 'message', seat: 'CHN', text: 'hello' },
  ];
  assert.equal(filterTimeline(rows, {}).length, 5);
  assert.deepEqual(filterTimeline(rows, { kind: 'inject' }).map((r) => r.t_ms), [4]);
  assert.deepEqual(filterTimeline(rows, { seat: 'USA' }).map((r) => r.t_ms), [2, 3]);
  assert.deepEqual(filterTimeline(rows, { from: '2', to: '2' }).map((r) => r.t_ms), [4]);
  assert.deepEqual(filterTimeline(rows, { from: '3' }).map((r) => r.t_ms), [5]);
  assert.deepEqual(filterTimeline(rows, { q: 'TARIFF' }).map((r) => r.t_ms), [3], 'text search looks into data too');
  assert.deepEqual(filterTimeline(rows, { seat: 'USA', kind: 'join' }).map((r) => r.t_ms), [2]);
});

test('the inject form sends the contract’s params and checks them first', () => {
  const base = { kind: 'flood', nation: 'AUS', facility: '', product: '', stage: '', magnitude: '0.4', duration: '2', turn: '', note: ' for the exercise ', text: 'Floods in Queensland', policy: '' };
  assert.deepEqual(injectParams(base, [], 3), {
    params: { event: { kind: 'flood', nation: 'AUS', magnitude: 0.4, duration: 2, text: 'Floods in Queensland' }, note: 'for the exercise' },
  });
  const later = injectParams({ ...base, turn: '6' }, ['USA', 'CHN'], 3).params;
  assert.equal(later.turn, 5, 'turn 6 on screen is turn 5 on the wire');
  assert.deepEqual(later.seats, ['USA', 'CHN']);
  assert.equal(injectParams({ ...base, turn: '3' }, [], 3).field, 'turn', 'a turn already played is refused');
  assert.equal(injectParams({ ...base, magnitude: '30' }, [], 0).field, 'magnitude', 'a magnitude is a share (at most 10), not a percentage');
  assert.equal(injectParams({ ...base, magnitude: '2' }, [], 0).params.event.magnitude, 2, 'a demand surge may double demand');
  assert.equal(injectParams({ ...base, duration: '1.5' }, [], 0).field, 'duration');
  assert.equal(injectParams({ ...base, kind: 'policy', policy: 'export ban' }, [], 0).field, 'policy');
  const pol = injectParams({ ...base, kind: 'policy', magnitude: '', duration: '', policy: '{"op":"policy","kind":"export_ban","product":"dytb_oxide","to":"all"}' }, [], 0);
  assert.deepEqual(pol.params.event.policy, { op: 'policy', kind: 'export_ban', product: 'dytb_oxide', to: 'all' });
});

test('amounts are exact integers: cents and kg, never floats', () => {
  assert.equal(exactUnits('1,250.5', 2), 125050);
  assert.equal(exactUnits('-5000000', 2), -500000000);
  assert.equal(exactUnits('\u22123.10', 2), -310);
  assert.equal(exactUnits('0.1', 2), 10);
  assert.equal(exactUnits('1.005', 2), null, 'more decimals than the unit holds');
  assert.equal(exactUnits('22.5', 3), 22500);
  assert.equal(exactUnits('1e3', 2), null);
  assert.equal(exactUnits('', 2), null);
});

test('an amendment of each kind, as turn.release wants it', () => {
  assert.deepEqual(amendment({ kind: 'cash', seat: 'USA', amount: '-5,000,000', reason: ' fine for late filing ' }),
    { amendment: { seat: 'USA', kind: 'cash', amount_cents: -500000000, reason: 'fine for late filing' } });
  assert.deepEqual(amendment({ kind: 'production', seat: 'dragon_mining', facility: 'dragon_mine', tonnes: '20000', reason: 'flooding' }).amendment,
    { seat: 'dragon_mining', kind: 'production', facility: 'dragon_mine', kg: 20000000, reason: 'flooding' });
  assert.deepEqual(amendment({ kind: 'delivery', seat: 'lynas', contract: '3', tonnes: '12.5', reason: 'port strike' }).amendment,
    { seat: 'lynas', kind: 'delivery', contract: 3, kg: 12500, reason: 'port strike' });
  assert.deepEqual(amendment({ kind: 'refuse_order', seat: 'CHN', order: '1', reason: 'illegal under the treaty' }).amendment,
    { seat: 'CHN', kind: 'refuse_order', order: 1, reason: 'illegal under the treaty' });
});

test('an amendment is checked before it is sent', () => {
  assert.equal(amendment({ kind: 'cash', seat: 'USA', amount: '100', reason: '  ' }).field, 'reason');
  assert.equal(amendment({ kind: 'cash', seat: '', amount: '100', reason: 'x' }).field, 'seat');
  assert.equal(amendment({ kind: 'cash', seat: 'USA', amount: '0', reason: 'x' }).field, 'amount', 'a zero amount changes nothing');
  assert.equal(amendment({ kind: 'cash', seat: 'USA', amount: '1.234', reason: 'x' }).field, 'amount');
  assert.equal(amendment({ kind: 'production', seat: 'USA', facility: '', tonnes: '1', reason: 'x' }).field, 'facility');
  assert.equal(amendment({ kind: 'production', seat: 'USA', facility: 'f', tonnes: '-1', reason: 'x' }).field, 'tonnes');
  assert.equal(amendment({ kind: 'refuse_order', seat: 'USA', order: '', reason: 'x' }).field, 'order');
});
