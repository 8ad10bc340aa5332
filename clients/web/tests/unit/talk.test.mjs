// node --test tests/unit/ : the player's channels and deals (src/talk.js),
// no browser: channel names and order, messages merged from history pages
// and notifications, channel.open's params, the contract terms form built
// from the server's real `contract_propose` branch
// (fixtures/contract-propose-schema.json, cut from `lanthanide schema
// --json`), the params sent, and what a negotiation means for each party.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { checkOrder } from '../../src/forms.js';
import {
  channelLabel, contractOf, dmChannel, dmOther, mergeMessages, messageChannel, negotiationFor, nextAfter, openParams,
  seatChannels, sortNegotiations, termsForm, termsParams, termsText, termsType,
} from '../../src/talk.js';

const schema = JSON.parse(fs.readFileSync(new URL('./fixtures/contract-propose-schema.json', import.meta.url)));

test('dm channels name both seats in byte order', () => {
  assert.equal(dmChannel('dragon_magnets', 'CHN'), 'dm:CHN:dragon_magnets');
  assert.equal(dmChannel('CHN', 'dragon_magnets'), 'dm:CHN:dragon_magnets');
  assert.equal(dmOther('dm:CHN:dragon_magnets', 'CHN'), 'dragon_magnets');
  assert.equal(dmOther('dm:CHN:dragon_magnets', 'dragon_magnets'), 'CHN');
  assert.equal(dmOther('ch:1', 'CHN'), null);
});

test('labels: control is "Ask control", opened channels keep their title', () => {
  assert.equal(channelLabel({ channel: 'all', kind: 'all', title: 'Everyone' }, 'USA'), 'Everyone');
  assert.equal(channelLabel({ channel: 'press' }, 'USA'), 'Press');
  assert.equal(channelLabel({ channel: 'control:USA', title: 'Control and USA' }, 'USA'), 'Ask control');
  assert.equal(channelLabel({ channel: 'team:USA' }, 'USA'), 'My team');
  assert.equal(channelLabel('dm:CHN:USA', 'USA'), 'Private: CHN');
  assert.equal(channelLabel({ channel: 'ch:3', title: 'Magnet supply' }, 'USA'), 'Magnet supply');
  assert.equal(channelLabel({ channel: 'ch:4' }, 'USA'), 'ch:4');
});

test('a seat lists its channels once, private lines added, in a fixed order', () => {
  const listed = [
    { channel: 'ch:1', kind: 'multilateral', title: 'Magnets', members: ['CHN', 'USA', 'mp'] },
    { channel: 'all', kind: 'all', members: [] }, { channel: 'press', kind: 'press' },
    { channel: 'team:USA', kind: 'team' }, { channel: 'control:USA', kind: 'control' },
    { channel: 'all', kind: 'all' },
  ];
  const got = seatChannels(listed, 'USA', ['dm:CHN:USA', 'EUU', 'dm:CHN:USA', 'USA']).map((c) => c.channel);
  assert.deepEqual(got, ['all', 'press', 'control:USA', 'team:USA', 'dm:CHN:USA', 'dm:EUU:USA', 'ch:1']);
  assert.deepEqual(seatChannels(null, 'USA').map((c) => c.channel), []);
});

test('a message without `channel` goes where its `to` implies', () => {
  assert.equal(messageChannel({ channel: 'ch:2', from: 'CHN', to: 'ch:2' }, 'USA'), 'ch:2');
  assert.equal(messageChannel({ from: 'CHN', to: 'all' }, 'USA'), 'all');
  assert.equal(messageChannel({ from: 'admin', to: 'USA' }, 'USA'), 'control:USA');
  assert.equal(messageChannel({ from: 'USA', to: 'USA' }, 'USA'), 'team:USA');
  assert.equal(messageChannel({ from: 'USA', to: 'CHN' }, 'USA'), 'dm:CHN:USA');
});

test('history pages and live messages merge by id, each once, capped', () => {
  const page = [{ id: 3, text: 'c' }, { id: 1, text: 'a' }];
  const live = [{ id: 3, text: 'c' }, { id: 2, text: 'b' }, { text: 'no id' }];
  assert.deepEqual(mergeMessages(page, live).map((m) => m.text), ['a', 'b', 'c', 'no id']);
  assert.deepEqual(mergeMessages(page, live, 2).map((m) => m.text), ['c', 'no id']);
  assert.equal(nextAfter([{ id: 4 }, { id: 9 }], 2), 9);
  assert.equal(nextAfter([{ id: 4 }], 2), null, 'a short page is the last');
  assert.equal(nextAfter([], 2), null);
});

test('channel.open params: other seats, once; a title of at most 96 bytes', () => {
  assert.deepEqual(openParams('USA', ['CHN', 'USA', 'CHN', 'mp'], ' Deal '), { params: { members: ['CHN', 'mp'], title: 'Deal' } });
  assert.deepEqual(openParams('USA', ['CHN'], ''), { params: { members: ['CHN'] } });
  assert.equal(openParams('USA', ['USA'], 'x').field, 'members');
  assert.equal(openParams('USA', ['CHN'], 'é'.repeat(49)).field, 'title', '98 bytes');
  assert.equal(openParams('USA', ['CHN'], 'é'.repeat(48)).params.title.length, 48);
});

test('the terms form is the contract_propose branch without `to`; id and side are the wire\'s defaults', () => {
  const t = termsType(schema);
  const names = t.fields.map((f) => f.name);
  assert.ok(!names.includes('to'));
  for (const n of ['id', 'side', 'product', 'quantity', 'price', 'turns', 'penalty', 'index', 'share', 'floor', 'cap', 'consume']) assert.ok(names.includes(n), n);
  const f = (n) => t.fields.find((x) => x.name === n);
  assert.equal(f('id').required, false);
  assert.deepEqual(f('side').schema.enum, ['sell', 'buy']);
  assert.deepEqual(f('index').schema.enum, f('product').schema.enum);
  assert.equal(f('quantity').unit, 't');
  assert.equal(f('price').unit, 'USD/kg');
  assert.equal(f('quantity').required, true);
  assert.equal(termsType({ oneOf: [] }), null);
  // The client's checks, as the order forms make them.
  const ok = { op: 'contract_propose', product: 'ndpr_oxide', quantity: 100, price: 60, turns: 2 };
  assert.equal(checkOrder(ok, t), null);
  assert.equal(checkOrder({ ...ok, turns: 401 }, t).field, 'turns');
  assert.match(checkOrder({ ...ok, turns: 401 }, t).message, /at most 400/);
  assert.equal(checkOrder({ ...ok, quantity: 0 }, t).field, 'quantity');
  assert.equal(checkOrder({ ...ok, turns: 1.5 }, t).field, 'turns');
  const { quantity, ...noQ } = ok;
  assert.equal(checkOrder(noQ, t).field, 'quantity');
});

test('terms as params and as a counter-offer\'s form', () => {
  const inForce = { op: 'contract_propose', id: 'ndpr-q3', to: 'dragon_separation', side: 'buy', product: 'ndpr_oxide', quantity: 100, price: 45, turns: 2, penalty: 10, share: 0, floor: 0, cap: 0 };
  assert.deepEqual(termsParams(inForce), { id: 'ndpr-q3', side: 'buy', product: 'ndpr_oxide', quantity: 100, price: 45, turns: 2, penalty: 10 });
  assert.equal(termsForm(inForce, { flip: true }).side, 'sell');
  assert.equal(termsForm({ product: 'magnet' }, { flip: true }).side, 'buy', 'no side is a sale, countered as a buy');
  const idx = termsParams({ op: 'contract_propose', index: 'magnet', share: 0.6, floor: 40, cap: 150, price: 0, consume: false });
  assert.deepEqual(idx, { index: 'magnet', share: 0.6, floor: 40, cap: 150, price: 0 });
  assert.equal(termsText(inForce, { ndpr_oxide: 'NdPr oxide' }), 'buys NdPr oxide 100 t/turn at $45/kg for 2 turns penalty $10/kg');
  assert.match(termsText({ product: 'ndpr_oxide', quantity: 5, index: 'magnet', share: 0.6, floor: 40, turns: 1 }), /sells ndpr_oxide 5 t\/turn at 0.6 x magnet price, at least \$40\/kg for 1 turn$/);
});

test('a negotiation for each party: who may answer, who sells', () => {
  const n = { negotiation: 'n1', from: 'sep', to: 'mag', author: 'mag', status: 'countered', terms: { side: 'buy', product: 'ndpr_oxide' } };
  const a = negotiationFor(n, 'sep');
  assert.deepEqual([a.other, a.canAnswer, a.canWithdraw, a.seller, a.buyer, a.waitingFor], ['mag', true, true, 'sep', 'mag', 'sep']);
  const b = negotiationFor(n, 'mag');
  assert.deepEqual([b.other, b.canAnswer, b.mine, b.waitingFor], ['sep', false, true, 'sep']);
  const sell = negotiationFor({ ...n, author: 'sep', status: 'open', terms: { product: 'x' } }, 'mag');
  assert.deepEqual([sell.seller, sell.buyer, sell.canAnswer], ['sep', 'mag', true]);
  const done = negotiationFor({ ...n, status: 'accepted' }, 'sep');
  assert.deepEqual([done.live, done.canAnswer, done.canWithdraw, done.waitingFor], [false, false, false, null]);
  const list = [
    { ...n, negotiation: 'n1', status: 'accepted' }, { ...n, negotiation: 'n2', author: 'sep', status: 'open' },
    { ...n, negotiation: 'n3', author: 'mag', status: 'open' }, { ...n, negotiation: 'n10', author: 'mag', status: 'open' },
  ];
  assert.deepEqual(sortNegotiations(list, 'sep').map((x) => x.negotiation), ['n10', 'n3', 'n2', 'n1']);
  const contracts = [{ id: 'n1', proposer: 'mag', seller: 'sep', buyer: 'mag' }, { id: 'other' }];
  assert.equal(contractOf({ ...n, terms: {} }, contracts), contracts[0]);
  assert.equal(contractOf({ ...n, terms: { id: 'nope' } }, contracts), null);
});
