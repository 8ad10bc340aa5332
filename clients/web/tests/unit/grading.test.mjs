import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvField, gradingCsv, gradingRows, rankByKind } from '../../src/grading.js';

const seats = [
  { seat: 'CHN', kind: 'nation', title: 'China', agent: 'hawk', taken: false },
  { seat: 'USA', kind: 'nation', title: 'United States', agent: null, taken: true },
  { seat: 'dragon_mining', kind: 'firm', title: 'Dragon Mining', agent: null, taken: true },
  { seat: 'kangaroo_rare', kind: 'firm', title: 'Kangaroo Rare', agent: null, taken: false },
];
const history = [
  { turn: 0, scores: [{ seat: 'CHN', score: 0.6 }, { seat: 'USA', score: 0.2 }, { seat: 'dragon_mining', score: 1.1 }, { seat: 'kangaroo_rare', score: 1.0 }] },
  { turn: 1, scores: [{ seat: 'CHN', score: 0.7 }, { seat: 'USA', score: 0.3 }, { seat: 'dragon_mining', score: 1.2 }, { seat: 'kangaroo_rare', score: 1.2 }] },
];
const status = { session: 's1', status: 'finished', seats: [
  { seat: 'CHN', kind: 'nation', title: 'China', name: '', played_by: 'agent', agent: 'hawk' },
  { seat: 'USA', kind: 'nation', title: 'United States', name: 'Ada, "the" teacher', played_by: 'person', agent: null },
  { seat: 'dragon_mining', kind: 'firm', title: 'Dragon Mining', name: '=HYPERLINK("x")', played_by: 'person', agent: null },
  { seat: 'kangaroo_rare', kind: 'firm', title: 'Kangaroo Rare', name: '', played_by: 'nobody', agent: null },
] };

test('csvField quotes, and defuses formulas', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('=1+1'), "'=1+1");
  assert.equal(csvField('-3'), "'-3");
  assert.equal(csvField(-3), '-3');
  assert.equal(csvField(null), '');
  assert.equal(csvField(NaN), '');
});

test('ranks among seats of the same kind, ties share a rank', () => {
  const r = rankByKind([{ seat: 'a', kind: 'firm', score: 2 }, { seat: 'b', kind: 'firm', score: 2 }, { seat: 'c', kind: 'firm', score: 1 }, { seat: 'N', kind: 'nation', score: 0.1 }]);
  assert.deepEqual(r, { a: { rank: 1, of: 3 }, b: { rank: 1, of: 3 }, c: { rank: 3, of: 3 }, N: { rank: 1, of: 1 } });
});

test('rows with session.status: names, flags, final score, rank, path', () => {
  const { rows, turns } = gradingRows({ seats, status, history });
  assert.deepEqual(turns, [0, 1]);
  const usa = rows.find((r) => r.seat === 'USA');
  assert.equal(usa.name, 'Ada, "the" teacher');
  assert.equal(usa.played_by, 'person');
  assert.equal(usa.score, 0.3);
  assert.equal(usa.rank, 2);
  assert.deepEqual(usa.path, [0.2, 0.3]);
  const chn = rows.find((r) => r.seat === 'CHN');
  assert.equal(chn.played_by, 'agent');
  assert.equal(chn.strategy, 'hawk');
  assert.equal(rows.find((r) => r.seat === 'kangaroo_rare').rank, 1);
});

test('the CSV: a header line, one row per seat, a column per turn', () => {
  const csv = gradingCsv({ session: { session: 's1', map: 'classroom' }, seats, status, history, now: new Date(0) });
  const lines = csv.trimEnd().split('\r\n');
  assert.match(lines[0], /^# Lanthanide session s1, map classroom, 2 turn\(s\) resolved.*player names and the human\/agent flag/);
  assert.equal(lines[1], 'seat,kind,title,player_name,played_by,human,strategy,final_score,rank_in_kind,seats_of_kind,score_turn_1,score_turn_2');
  assert.equal(lines.length, 2 + seats.length);
  assert.equal(lines[2], 'CHN,nation,China,,agent,no,hawk,0.7,1,2,0.6,0.7');
  assert.equal(lines[3], 'USA,nation,United States,"Ada, ""the"" teacher",person,yes,,0.3,2,2,0.2,0.3');
  assert.equal(lines[4], `dragon_mining,firm,Dragon Mining,"'=HYPERLINK(""x"")",person,yes,,1.2,1,2,1.1,1.2`);
});

test('without the admin token: no names, and the header says so', () => {
  const csv = gradingCsv({ session: { session: 's1', map: 'classroom' }, seats, status: null, history });
  const lines = csv.trimEnd().split('\r\n');
  assert.match(lines[0], /no player names: this page does not hold the admin token/);
  assert.equal(lines[2], 'CHN,nation,China,,agent,no,hawk,0.7,1,2,0.6,0.7');
  assert.equal(lines[3], 'USA,nation,United States,,person,yes,,0.3,2,2,0.2,0.3');
  assert.equal(lines[5].split(',')[4], 'nobody');
});

test('without session.status for another reason, the header gives it', () => {
  const csv = gradingCsv({ session: { session: 's1' }, seats, status: null, history, why: 'the server did not answer session.status' });
  assert.match(csv, /^# [^\r\n]*no player names: the server did not answer session.status, so only the seats/);
});
