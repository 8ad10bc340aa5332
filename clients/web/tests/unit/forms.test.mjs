// node --test tests/unit/  (no browser needed)
import test from 'node:test';
import assert from 'node:assert/strict';
import { orderTypes, typesFor, checkOrder, typeOfOrder, optionsFor } from '../../src/forms.js';
import { FALLBACK_SCHEMA } from '../../src/orderSchema.js';

test('the fallback schema gives every op and every policy kind', () => {
  const keys = orderTypes(FALLBACK_SCHEMA).map((t) => t.key);
  for (const op of ['build', 'operate', 'hire', 'train', 'offer', 'bid']) assert.ok(keys.includes(op), op);
  for (const k of ['export_quota', 'export_ban', 'export_licence', 'tariff', 'subsidy', 'price_floor', 'stockpile',
    'talent_programme', 'migration', 'permitting', 'production_quota', 'tax']) assert.ok(keys.includes(`policy:${k}`), k);
});

test('seat kinds see their own orders', () => {
  const firm = typesFor(FALLBACK_SCHEMA, 'firm').map((t) => t.op);
  const nation = typesFor(FALLBACK_SCHEMA, 'nation').map((t) => t.op);
  assert.ok(firm.includes('hire') && !firm.includes('policy'));
  assert.ok(nation.includes('policy') && !nation.includes('hire') && !nation.includes('build'));
});

test('a server schema with $defs and a flat policy kind enum is understood', () => {
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
});

test('an unreadable schema falls back to the built-in one', () => {
  assert.ok(typesFor({ type: 'object' }, 'firm').length >= 6);
});

test('client-side checks: required, numbers, ranges', () => {
  const types = typesFor(FALLBACK_SCHEMA, 'firm');
  const op = (o) => checkOrder(o, typeOfOrder(o, types));
  assert.equal(op({ op: 'operate', facility: 'm', utilisation: 0.5 }), null);
  assert.equal(op({ op: 'operate', facility: 'm', utilisation: 1.5 }).field, 'utilisation');
  assert.equal(op({ op: 'operate', utilisation: 1 }).field, 'facility');
  assert.equal(op({ op: 'hire', skill: 'mining', count: 2.5 }).field, 'count');
  assert.equal(op({ op: 'build', stage: 'magnet', capacity: 0 }).field, 'capacity');
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
