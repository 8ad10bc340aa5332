// The JSON Schema of one order, derived from docs/protocol.md ("Orders",
// "Policy kinds"). Used only until the server answers `orders.schema`; the
// form builder (forms.js) reads either.
const PRODUCTS = ['concentrate', 'ndpr_oxide', 'dytb_oxide', 'lace_oxide', 'magnet'];
const STAGES = ['mining', 'separation', 'magnet'];
const SKILLS = ['mining', 'separation', 'magnet'];

const product = { type: 'string', enum: PRODUCTS, title: 'Product' };
const stage = { type: 'string', enum: STAGES, title: 'Stage' };
const skill = { type: 'string', enum: SKILLS, title: 'Skill' };
const partner = (title) => ({ type: 'string', title, default: 'all', description: 'a nation of the map, or "all"' });
const tonnes = (title, description) => ({ type: 'number', minimum: 0, maximum: 1e9, title, description });
const price = (title) => ({ type: 'number', minimum: 0, maximum: 999999.99, title, description: 'USD per kg' });
const rate = (title, max, description) => ({ type: 'number', minimum: 0, maximum: max, title, description });

function order(op, title, who, properties, required, extra = {}) {
  return {
    title, description: extra.description, 'x-who': who, 'x-stands': extra.stands || false,
    type: 'object',
    properties: { op: { const: op }, ...properties },
    required: ['op', ...required],
  };
}
function policy(kind, title, properties, required, description) {
  return {
    title, description, 'x-who': ['nation'], 'x-stands': true,
    type: 'object',
    properties: { op: { const: 'policy' }, kind: { const: kind }, ...properties },
    required: ['op', 'kind', ...required],
  };
}

export const FALLBACK_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'One Lanthanide order (client-side fallback from docs/protocol.md)',
  oneOf: [
    order('build', 'Build or expand a facility', ['firm'], {
      stage,
      capacity: { type: 'number', exclusiveMinimum: 0, maximum: 10000000, title: 'Capacity to add', description: 't per year' },
      site: { type: 'string', title: 'Deposit (new mines only)', description: 'a deposit id; only for a new mine' },
      facility: { type: 'string', title: 'Expand facility (optional)', description: 'one of your facilities of the same stage' },
    }, ['stage', 'capacity'], { description: 'Acts once. Capital cost is paid when the turn resolves.' }),
    order('operate', 'Set a facility’s utilisation', ['firm'], {
      facility: { type: 'string', title: 'Facility' },
      utilisation: rate('Utilisation', 1, 'share of effective capacity: 0.9 or 90%'),
    }, ['facility', 'utilisation'], { stands: true }),
    order('hire', 'Hire (or release) staff', ['firm'], {
      skill,
      count: { type: 'integer', minimum: -1000000, maximum: 1000000, not: { const: 0 }, title: 'People', description: 'negative releases staff' },
    }, ['skill', 'count']),
    order('train', 'Train people', ['firm', 'nation'], {
      skill,
      count: { type: 'integer', minimum: 1, maximum: 1000000, title: 'People entering training' },
    }, ['skill', 'count']),
    order('offer', 'Offer for sale', ['firm', 'nation'], {
      product,
      quantity: tonnes('Quantity', 't this turn; 0 withdraws the offer'),
      min_price: price('Lowest price'),
    }, ['product', 'quantity'], { stands: true, description: 'min_price is needed when quantity > 0' }),
    order('bid', 'Bid to buy', ['firm', 'nation'], {
      product,
      quantity: tonnes('Quantity', 't this turn; 0 withdraws the bid'),
      max_price: price('Highest price (delivered)'),
    }, ['product', 'quantity'], { stands: true, description: 'max_price is needed when quantity > 0' }),
    {
      title: 'Set a policy', 'x-who': ['nation'], 'x-stands': true,
      type: 'object',
      properties: { op: { const: 'policy' } },
      required: ['op', 'kind'],
      oneOf: [
        policy('export_quota', 'Export quota', { product, quantity: tonnes('Quantity', 't per turn; empty lifts the quota'), to: partner('To') }, ['product']),
        policy('export_ban', 'Export ban', { product, to: partner('To'), lift: { type: 'boolean', title: 'Lift the ban', default: false } }, ['product']),
        policy('export_licence', 'Export licences', { product, approval: rate('Approval share', 1, 'share of requested exports approved per turn'), to: partner('To') }, ['product', 'approval']),
        policy('tariff', 'Tariff', { product, rate: rate('Rate', 10, 'ad valorem on imports; 0.25 is 25%'), from: partner('From') }, ['product', 'rate']),
        policy('subsidy', 'Subsidy', { stage, capex_share: rate('Share of capital cost', 1, '0 to 1'), output: { type: 'number', minimum: 0, maximum: 1000000, title: 'Output subsidy', description: 'USD per kg produced' } }, ['stage']),
        policy('price_floor', 'Price floor', { product, price: price('Floor price'), quantity: tonnes('Quantity', 't per turn the state buys at the floor') }, ['product', 'price', 'quantity']),
        policy('stockpile', 'Stockpile', { product, target: tonnes('Target', 't') }, ['product', 'target']),
        policy('talent_programme', 'Talent programme', { skill, budget: { type: 'number', minimum: 0, maximum: 1e12, title: 'Budget', description: 'USD per turn' } }, ['skill', 'budget']),
        policy('migration', 'Migration', { skill, inbound: { type: 'boolean', title: 'People may move in', default: true }, outbound: { type: 'boolean', title: 'People may move out', default: true } }, ['skill', 'inbound', 'outbound']),
        policy('permitting', 'Permitting speed', { stage, speed: { type: 'number', minimum: 0.5, maximum: 2, title: 'Speed', description: '0.5 (twice as slow) to 2 (twice as fast)' } }, ['stage', 'speed']),
        policy('production_quota', 'Production quota', { stage, quantity: tonnes('Quantity', 't per turn; empty lifts it') }, ['stage']),
        policy('tax', 'Tax on profits', { rate: rate('Rate', 1, 'on firms’ profits at home; 0.25 is 25%') }, ['rate']),
      ],
    },
  ],
};
