// node --test tests/unit/  (no browser needed)
//
// The form builder on the server's real order schema: the fixture
// fixtures/orders-schema.json is what `lanthanide schema --json` (the same
// document as the RPC method orders.schema) printed. After a change to
// model/order_schema.c, regenerate it, with the client's built-in copy
// (src/orderSchema.js), by `make && node clients/web/dev/gen-schema.mjs`.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  orderTypes, typesFor, checkOrder, typeOfOrder, optionsFor, fieldNeed, fetchOrderSchema, seatKinds,
} from '../../src/forms.js';
import { FALLBACK_SCHEMA } from '../../src/orderSchema.js';

const SCHEMA = JSON.parse(readFileSync(new URL('./fixtures/orders-schema.json', import.meta.url), 'utf8'));
const OPS = ['build', 'operate', 'hire', 'train', 'offer', 'bid'];
const KINDS = ['export_quota', 'export_ban', 'export_licence', 'tariff', 'subsidy', 'price_floor', 'stockpile',
  'talent_programme', 'migration', 'permitting', 'production_quota', 'tax',
  // issue 11: firm-specific support and export controls as they are
  'firm_price_floor', 'technology_export_ban', 'sanction', 'investment_screen', 'origin_rule',
  // design J4: recycling's collection (maps with parameters.recycling)
  'recycling_collection'];
// issue 11: state support, contracts between seats, plants out of
// receivership, goods moved between a firm's own locations
const CONTRACTS = ['contract_propose', 'contract_accept', 'contract_withdraw'];
const LATER_OPS = ['grant', 'equity', 'loan', ...CONTRACTS, 'acquire', 'transfer'];
const FIRM_OPS = [...OPS, ...CONTRACTS, 'acquire', 'transfer'];
const firmTypes = typesFor(SCHEMA, 'firm');
const nationTypes = typesFor(SCHEMA, 'nation');
const check = (types, o) => checkOrder(o, typeOfOrder(o, types));

test('every oneOf branch of the server schema is an order type: the ops, then the policy kinds', () => {
  const types = orderTypes(SCHEMA);
  assert.equal(types.length, SCHEMA.oneOf.length);
  assert.deepEqual(types.map((t) => t.key), [...OPS, ...KINDS.map((k) => `policy:${k}`), ...LATER_OPS]);
  const tariff = types.find((t) => t.key === 'policy:tariff');
  assert.equal(tariff.title, 'Tariff');
  assert.equal(tariff.group, 'Policy');
  assert.equal(types.find((t) => t.key === 'hire').title, 'Hire');
  assert.equal(tariff.description, 'tax a product\'s imports');
  assert.equal(tariff.stands, true);
  assert.equal(types.find((t) => t.key === 'build').stands, false);
  assert.ok(!tariff.fields.some((f) => f.name === 'op' || f.name === 'kind'), 'op and kind are fixed, not fields');
});

test('the built-in copy is the server schema, for servers without orders.schema', () => {
  assert.deepEqual(FALLBACK_SCHEMA, SCHEMA);
});

test('x-who sentences give each seat kind its own orders', () => {
  assert.deepEqual(seatKinds('firms, nations (stockpile sales)'), ['firm', 'nation']);
  assert.deepEqual(seatKinds(['nation']), ['nation']);
  assert.deepEqual(firmTypes.map((t) => t.key), FIRM_OPS);
  assert.deepEqual(nationTypes.map((t) => t.key),
    ['train', 'offer', 'bid', ...KINDS.map((k) => `policy:${k}`), 'grant', 'equity', 'loan', ...CONTRACTS]);
});

test('fields carry the schema\'s labels, units, ranges, required flags and descriptions', () => {
  const hire = firmTypes.find((t) => t.op === 'hire');
  const count = hire.fields.find((f) => f.name === 'count');
  assert.equal(count.label, 'Count');
  assert.equal(count.unit, 'people');
  assert.equal(count.required, true);
  assert.equal(count.schema.minimum, -1000000);
  assert.match(count.schema.description, /negative releases staff/);
  const offer = firmTypes.find((t) => t.op === 'offer');
  assert.deepEqual(offer.fields.map((f) => [f.name, f.label, f.unit, f.required]), [
    ['product', 'Product', '', true], ['quantity', 'Quantity', 't', true], ['min_price', 'Min price', 'USD/kg', false],
    // issue 11: asks that follow stocks, and a branch abroad's offer
    ['normal_stock', 'Normal stock', 't', false], ['stock_discount', 'Stock discount', 'fraction', false],
    ['min_share', 'Min share', 'fraction', false], ['nation', 'Nation', '', false]]);
  assert.deepEqual(offer.fields[0].schema.enum,
    ['concentrate', 'ndpr_oxide', 'dytb_oxide', 'lace_oxide', 'magnet', 'dy_oxide', 'tb_oxide', 'magnet_scrap']);
  const tariff = nationTypes.find((t) => t.kind === 'tariff');
  const from = tariff.fields.find((f) => f.name === 'from');
  assert.equal(from.required, false);
  assert.equal(from.schema.default, 'all');
  const build = firmTypes.find((t) => t.op === 'build');
  assert.equal(build.fields.find((f) => f.name === 'capacity').unit, 't/yr');
});

test('a quota\'s quantity may be nil: it lifts the quota', () => {
  const quota = nationTypes.find((t) => t.kind === 'export_quota');
  const q = quota.fields.find((f) => f.name === 'quantity');
  assert.equal(q.nullable, true);
  assert.equal(q.required, false);
  assert.equal(check(nationTypes, { op: 'policy', kind: 'export_quota', product: 'magnet', quantity: null }), null);
  assert.equal(check(nationTypes, { op: 'policy', kind: 'export_quota', product: 'magnet', quantity: -1 }).field, 'quantity');
  assert.equal(nationTypes.find((t) => t.kind === 'tariff').fields.find((f) => f.name === 'rate').nullable, false);
});

test('checks: required fields, whole numbers, ranges, names', () => {
  assert.equal(check(firmTypes, { op: 'operate', facility: 'm', utilisation: 0.5 }), null);
  assert.deepEqual(check(firmTypes, { op: 'operate', facility: 'm', utilisation: 1.5 }),
    { field: 'utilisation', message: 'Utilisation must be at most 1' });
  assert.deepEqual(check(firmTypes, { op: 'operate', utilisation: 1 }), { field: 'facility', message: 'Facility is required' });
  assert.equal(check(firmTypes, { op: 'hire', skill: 'mining', count: 2.5 }).message, 'Count must be a whole number');
  assert.equal(check(firmTypes, { op: 'hire', skill: 'mining', count: 2000000 }).message, 'Count must be at most 1000000 people');
  assert.equal(check(firmTypes, { op: 'build', stage: 'magnet', capacity: 0 }).message, 'Capacity must be at least 0.001 t/yr');
  assert.equal(check(firmTypes, { op: 'build', stage: 'moon', capacity: 5 }).field, 'stage');
  assert.equal(check(nationTypes, { op: 'policy', kind: 'permitting', stage: 'mining', speed: 3 }).field, 'speed');
  assert.equal(check(firmTypes, { op: 'policy', kind: 'tax', rate: 0.2 }).field, 'op', 'a firm has no policy orders');
});

test('allOf: a price is required once the quantity is more than 0', () => {
  const offer = firmTypes.find((t) => t.op === 'offer');
  const price = offer.fields.find((f) => f.name === 'min_price');
  assert.equal(check(firmTypes, { op: 'offer', product: 'magnet', quantity: 0 }), null, '0 withdraws, no price needed');
  assert.equal(fieldNeed(offer, price, { quantity: 0 }), null);
  assert.deepEqual(check(firmTypes, { op: 'offer', product: 'magnet', quantity: 10 }),
    { field: 'min_price', message: 'Min price is required when quantity is more than 0' });
  assert.deepEqual(fieldNeed(offer, price, { quantity: 10 }), { need: 'required', when: 'quantity is more than 0' });
  assert.equal(check(firmTypes, { op: 'offer', product: 'magnet', quantity: 10, min_price: 50 }), null);
  assert.equal(check(firmTypes, { op: 'bid', product: 'magnet', quantity: 1 }).field, 'max_price');
});

test('allOf: a new mine needs a site (or a facility to expand)', () => {
  const build = firmTypes.find((t) => t.op === 'build');
  const site = build.fields.find((f) => f.name === 'site');
  const r = check(firmTypes, { op: 'build', stage: 'mining', capacity: 100 });
  assert.deepEqual(r, { field: 'site', message: 'Site or Facility is needed when stage is mining' });
  assert.equal(check(firmTypes, { op: 'build', stage: 'mining', capacity: 100, site: 'bayan_obo' }), null);
  assert.equal(check(firmTypes, { op: 'build', stage: 'mining', capacity: 100, facility: 'm1' }), null);
  assert.equal(check(firmTypes, { op: 'build', stage: 'magnet', capacity: 100 }), null);
  assert.deepEqual(fieldNeed(build, site, { stage: 'mining' }), { need: 'one of', others: ['Facility'], when: 'stage is mining' });
  assert.equal(fieldNeed(build, site, { stage: 'magnet' }), null);
});

test('orders.schema is called with {} and the built-in copy is used only by an older server', async () => {
  const calls = [];
  const got = await fetchOrderSchema(async (m, p) => { calls.push([m, p]); return { schema: SCHEMA }; });
  assert.deepEqual(calls, [['orders.schema', {}]]);
  assert.equal(got.source, 'server');
  assert.equal(got.schema, SCHEMA);
  const old = await fetchOrderSchema(async () => { throw Object.assign(new Error('no such method'), { code: 'unknown_method' }); });
  assert.equal(old.schema, FALLBACK_SCHEMA);
  assert.match(old.source, /older server/);
  await assert.rejects(fetchOrderSchema(async () => { throw Object.assign(new Error('closed'), { code: 'unavailable' }); }),
    (e) => e.code === 'unavailable', 'a dropped connection is not an older server');
});

test('another schema shape: $defs and a kind left open stay readable', () => {
  const schema = {
    $defs: { product: { type: 'string', enum: ['concentrate', 'magnet'] } },
    oneOf: [
      { type: 'object', properties: { op: { enum: ['offer'] }, product: { $ref: '#/$defs/product' }, quantity: { type: 'number', minimum: 0 } }, required: ['op', 'product', 'quantity'] },
      { type: 'object', properties: { op: { const: 'policy' }, kind: { type: 'string', enum: ['tax', 'tariff'] }, rate: { type: 'number' } }, required: ['op', 'kind'] },
    ],
  };
  const types = orderTypes(schema);
  assert.deepEqual(types.map((t) => t.key), ['offer', 'policy']);
  assert.deepEqual(types[0].fields.find((f) => f.name === 'product').schema.enum, ['concentrate', 'magnet']);
  assert.ok(types[1].fields.some((f) => f.name === 'kind'), 'kind stays a field when it is not fixed');
  assert.ok(typesFor({ type: 'object' }, 'firm').length === typesFor(FALLBACK_SCHEMA, 'firm').length,
    'an unreadable schema gives the built-in orders');
});

test('game lists for facility, site and partners', () => {
  const obs = {
    nation: 'USA',
    you: { facilities: [{ id: 'a_mine' }] },
    public: { deposits: [{ id: 'x', open: true }, { id: 'y', open: false }], capacity: { mining: { USA: 1, CHN: 2 } } },
  };
  assert.deepEqual(optionsFor({ name: 'facility', schema: {} }, obs), ['a_mine']);
  assert.deepEqual(optionsFor({ name: 'site', schema: {} }, obs), ['x']);
  assert.deepEqual(optionsFor({ name: 'to', schema: {} }, obs), ['all', 'CHN']);
});

test('product lists follow the map (public.rules.products, design J1)', () => {
  const all = ['concentrate', 'ndpr_oxide', 'dytb_oxide', 'lace_oxide', 'magnet', 'dy_oxide', 'tb_oxide'];
  const field = { name: 'product', schema: { type: 'string', enum: all } };
  const split = { public: { rules: { products: ['concentrate', 'ndpr_oxide', 'lace_oxide', 'magnet', 'dy_oxide', 'tb_oxide'] } } };
  assert.deepEqual(optionsFor(field, split), ['concentrate', 'ndpr_oxide', 'lace_oxide', 'magnet', 'dy_oxide', 'tb_oxide']);
  const basket = { public: { rules: { products: all.slice(0, 5) } } };
  assert.deepEqual(optionsFor(field, basket), all.slice(0, 5));
  // a server from before the list: the schema's enum
  assert.deepEqual(optionsFor(field, { public: {} }), all);
  // another enum is not filtered
  const stage = { name: 'stage', schema: { type: 'string', enum: ['mining', 'separation', 'magnet'] } };
  assert.deepEqual(optionsFor(stage, split), ['mining', 'separation', 'magnet']);
});
