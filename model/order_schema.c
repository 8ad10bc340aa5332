/* order_schema.c: the one table of orders (PROTOCOL.md "Orders"): for every
 * op and every policy kind, its fields with their wire key, type, unit,
 * place in model_order_t, range, presence and a one-line description.
 *
 * Everything that reads or writes an order's fields walks this table: the
 * wire codec (protocol/proto_types.c), the map loader's standing orders and
 * policies (load.c), the canonical copy kept in the state (below), the
 * CLI's order syntax and view, the export's columns, docs/orders.md and the
 * JSON Schema served by orders.schema. A new policy kind is one entry here
 * (plus its effect in model_policy_apply and its tests).
 *
 * Ranges are in wire units and are the ones the wire codec has always
 * enforced; the fields' order is the order the wire codec packs them in, so
 * packed orders stay byte-identical.
 */
#include "model_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F(field) offsetof(model_order_t, field)

/* Shared wording of the ranges, so that a player sees one message for one
 * mistake whichever field carries it. */
#define TONNES_MAX    1e9
#define PRICE_MAX     999999.99
#define PEOPLE_MAX    1e6
#define PRICE_ALLOWED "a price in USD per kg from 0 to 999,999.99"

#define PRODUCT_FIELD(desc)                                                    \
  {                                                                            \
    "product", MODEL_FIELD_PRODUCT, MODEL_UNIT_NONE, F(product), 0, 0,         \
        MODEL_FIELD_REQUIRED, false, NULL, desc                                \
  }
#define STAGE_FIELD(desc)                                                      \
  {                                                                            \
    "stage", MODEL_FIELD_STAGE, MODEL_UNIT_NONE, F(stage), 0, 0,               \
        MODEL_FIELD_REQUIRED, false, NULL, desc                                \
  }
#define SKILL_FIELD(desc)                                                      \
  {                                                                            \
    "skill", MODEL_FIELD_SKILL, MODEL_UNIT_NONE, F(skill), 0, 0,               \
        MODEL_FIELD_REQUIRED, false, NULL, desc                                \
  }
#define PARTNER_FIELD(key, desc)                                               \
  {                                                                            \
    key, MODEL_FIELD_PARTNER, MODEL_UNIT_NONE, F(partner), 0, 0,               \
        MODEL_FIELD_OPTIONAL, false, NULL, desc                                \
  }

static const model_field_t BUILD[] = {
    STAGE_FIELD("the stage of the facility to build or expand"),
    {"capacity", MODEL_FIELD_NUMBER, MODEL_UNIT_TONNES_PER_YEAR,
     F(capacity_kg_per_year), 1e-3, 1e7, MODEL_FIELD_REQUIRED, false,
     "a capacity in tonnes per year, more than 0 and at most 10,000,000",
     "capacity to build (or to add to an existing facility)"},
    {"site", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(site), 0, 0,
     MODEL_FIELD_OPTIONAL, true, NULL,
     "a deposit id from the map; required for a new mine"},
    {"facility", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(facility), 0, 0,
     MODEL_FIELD_OPTIONAL, true, NULL,
     "one of your facilities to expand (brownfield) instead of building anew"},
    {"nation", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(host), 0, 0,
     MODEL_FIELD_OPTIONAL, true, NULL,
     "separation and magnet plants: the nation to build in (default home); "
     "its permits, policies and costs apply"},
};

static const model_field_t OPERATE[] = {
    {"facility", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(facility), 0, 0,
     MODEL_FIELD_REQUIRED, false, NULL, "one of your facilities"},
    {"utilisation", MODEL_FIELD_NUMBER, MODEL_UNIT_FRACTION, F(utilisation_ppm),
     0, 1, MODEL_FIELD_REQUIRED, false, "a number from 0 to 1",
     "share of the capacity to run"},
    {"heavy_recipe", MODEL_FIELD_NUMBER, MODEL_UNIT_FRACTION,
     F(heavy_recipe_ppm), 0, 1, MODEL_FIELD_OPTIONAL, true,
     "a number from 0 to 1 (t of dytb_oxide per t of magnet)",
     "magnet plants on basket maps: t of dytb_oxide per t of magnet, from "
     "thrift_min_share of the map's recipe to the recipe (Dy thrifting, "
     "docs/model.md); takes parameters.thrift.turns turns; opex rises"},
    {"dy_recipe", MODEL_FIELD_NUMBER, MODEL_UNIT_FRACTION, F(dy_recipe_ppm), 0,
     1, MODEL_FIELD_OPTIONAL, true,
     "a number from 0 to 1 (t of dy_oxide per t of magnet)",
     "magnet plants on split maps: t of dy_oxide per t of magnet, from "
     "thrift_min_share of the map's recipe to the recipe (Tb follows by the "
     "same share); takes parameters.thrift.turns turns; opex rises"},
};

static const model_field_t HIRE[] = {
    SKILL_FIELD("the skill of the staff hired or released"),
    {"count", MODEL_FIELD_INTEGER, MODEL_UNIT_PEOPLE, F(count), -PEOPLE_MAX,
     PEOPLE_MAX, MODEL_FIELD_REQUIRED, false,
     "a whole number of people from -1,000,000 to 1,000,000 (negative "
     "releases staff)",
     "people hired from the home pool; negative releases staff (not 0)"},
    {"from", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(origin), 0, 0,
     MODEL_FIELD_OPTIONAL, true, NULL,
     "hire from another nation's pool (maps with poach_share): its migration "
     "policy must let the skill out and yours let it in; a signing cost "
     "applies"},
    {"apprentice", MODEL_FIELD_BOOL, MODEL_UNIT_NONE, F(apprentice), 0, 0,
     MODEL_FIELD_OPTIONAL, true, NULL,
     "take on apprentices (maps with mentor_ratio): no pool needed, paid "
     "from the start, staff after seasoning; at most mentor_ratio per "
     "experienced person a turn"},
};

static const model_field_t TRAIN[] = {
    SKILL_FIELD("the skill taught"),
    {"count", MODEL_FIELD_INTEGER, MODEL_UNIT_PEOPLE, F(count), 1, PEOPLE_MAX,
     MODEL_FIELD_REQUIRED, false,
     "a whole number of people from 1 to 1,000,000",
     "people entering training"},
    {"nation", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(host), 0, 0,
     MODEL_FIELD_OPTIONAL, true, NULL,
     "firms on maps with branches: train in the nation of one of your "
     "branches (its training places; graduates join its pool, which staffs "
     "your plants there); default home"},
};

static const model_field_t OFFER[] = {
    PRODUCT_FIELD("the product offered"),
    {"quantity", MODEL_FIELD_NUMBER, MODEL_UNIT_TONNES, F(quantity_kg), 0,
     TONNES_MAX, MODEL_FIELD_REQUIRED, false,
     "a number of tonnes this turn from 0 (withdraw) to 1e9",
     "tonnes offered this turn; 0 withdraws the offer"},
    {"min_price", MODEL_FIELD_NUMBER, MODEL_UNIT_USD_PER_KG,
     F(price_cents_per_kg), 0, PRICE_MAX, MODEL_FIELD_IF_QUANTITY, false,
     PRICE_ALLOWED,
     "the lowest price accepted; required when quantity is more than 0"},
    {"normal_stock", MODEL_FIELD_NUMBER, MODEL_UNIT_TONNES, F(normal_stock_kg),
     0, TONNES_MAX, MODEL_FIELD_OPTIONAL, true,
     "a number of tonnes from 0 to 1e9",
     "stock-following ask: above this stock the min price falls by "
     "stock_discount per normal stock of excess (0 or absent: a fixed min "
     "price)"},
    {"stock_discount", MODEL_FIELD_NUMBER, MODEL_UNIT_FRACTION,
     F(stock_discount_ppm), 0, 1, MODEL_FIELD_OPTIONAL, true,
     "a number from 0 to 1",
     "share of the min price given up per normal stock of excess"},
    {"min_share", MODEL_FIELD_NUMBER, MODEL_UNIT_FRACTION, F(min_share_ppm), 0,
     1, MODEL_FIELD_OPTIONAL, true, "a number from 0 to 1",
     "the min price never falls below this share of it (absent: 0.5)"},
    {"nation", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(host), 0, 0,
     MODEL_FIELD_OPTIONAL, true, NULL,
     "maps with branches: the nation of your branch whose offer this is "
     "(default home); it clears in that nation's market"},

};

static const model_field_t BID[] = {
    PRODUCT_FIELD("the product wanted"),
    {"quantity", MODEL_FIELD_NUMBER, MODEL_UNIT_TONNES, F(quantity_kg), 0,
     TONNES_MAX, MODEL_FIELD_REQUIRED, false,
     "a number of tonnes this turn from 0 (withdraw) to 1e9",
     "tonnes wanted this turn; 0 withdraws the bid"},
    {"max_price", MODEL_FIELD_NUMBER, MODEL_UNIT_USD_PER_KG,
     F(price_cents_per_kg), 0, PRICE_MAX, MODEL_FIELD_IF_QUANTITY, false,
     PRICE_ALLOWED,
     "the highest price paid; required when quantity is more than 0"},
    {"index", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(index), 0, 0,
     MODEL_FIELD_OPTIONAL, true, NULL,
     "a product: max_price follows that product's price in your market "
     "(max_price x its last price / its reference price), so a standing "
     "buyer passes its output price back"},
    {"nation", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(host), 0, 0,
     MODEL_FIELD_OPTIONAL, true, NULL,
     "maps with branches: the nation of your branch whose bid this is "
     "(default home); it clears in that nation's market"},

};

/* Every policy kind but firm_price_floor (which has its own turns) may
 * lapse (issue 11, lapsing policies): omitted when 0, so orders without
 * it pack as before. */
#define LAPSE_FIELD                                                            \
  {                                                                            \
    "turns", MODEL_FIELD_INTEGER, MODEL_UNIT_TURNS, F(lapse_turns), 0, 400,    \
        MODEL_FIELD_OPTIONAL, true, "a whole number of turns from 0 to 400",   \
        "how many turns it holds from the turn it first binds, after which "   \
        "the policy it replaced returns; default 0: it stands until replaced"  \
  }

static const model_field_t EXPORT_QUOTA[] = {
    PRODUCT_FIELD("the product whose exports are capped"),
    {"quantity", MODEL_FIELD_NUMBER, MODEL_UNIT_TONNES, F(quantity_kg), 0,
     TONNES_MAX, MODEL_FIELD_NIL_LIFTS, false,
     "a number of tonnes per turn from 0 to 1e9, or nil to lift the quota",
     "tonnes per turn that may leave; nil (or absent) lifts the quota"},
    PARTNER_FIELD("to", "the nation the quota applies to, or \"all\" "
                        "(the default)"),
    LAPSE_FIELD,
};

static const model_field_t EXPORT_BAN[] = {
    PRODUCT_FIELD("the product whose exports are banned"),
    PARTNER_FIELD("to", "the nation the ban applies to, or \"all\" (the "
                        "default)"),
    {"lift", MODEL_FIELD_BOOL, MODEL_UNIT_NONE, F(lift), 0, 0,
     MODEL_FIELD_OPTIONAL, false, NULL, "true lifts the ban (default false)"},
    LAPSE_FIELD,
};

static const model_field_t EXPORT_LICENCE[] = {
    PRODUCT_FIELD("the product that needs an export licence"),
    {"approval", MODEL_FIELD_NUMBER, MODEL_UNIT_FRACTION, F(approval_ppm), 0, 1,
     MODEL_FIELD_REQUIRED, false,
     "a share from 0 to 1 (the part of requested exports approved per "
     "turn)",
     "share of requested exports approved per turn"},
    PARTNER_FIELD("to", "the nation the licence applies to, or \"all\" (the "
                        "default)"),
    {"basis", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(choice), 0, 0,
     MODEL_FIELD_OPTIONAL, true, NULL,
     "\"offers\" (the default: approval x everything offered in the nation) "
     "or \"exports\" (approval x what would be exported without the "
     "licence; home sales are never capped)"},
    LAPSE_FIELD,
};

static const model_field_t TARIFF[] = {
    PRODUCT_FIELD("the product taxed at the border"),
    {"rate", MODEL_FIELD_NUMBER, MODEL_UNIT_FRACTION, F(rate_ppm), 0, 10,
     MODEL_FIELD_REQUIRED, false, "a rate from 0 to 10 (0.25 is a 25% tariff)",
     "ad valorem rate on imports (0.25 is 25%)"},
    PARTNER_FIELD("from", "the nation whose goods are taxed, or \"all\" (the "
                          "default)"),
    LAPSE_FIELD,
};

static const model_field_t SUBSIDY[] = {
    STAGE_FIELD("the stage subsidised"),
    {"capex_share", MODEL_FIELD_NUMBER, MODEL_UNIT_FRACTION, F(capex_share_ppm),
     0, 1, MODEL_FIELD_OPTIONAL, false,
     "a share from 0 to 1 of the capital cost the state pays",
     "share of the capital cost of new capacity the state pays"},
    {"output", MODEL_FIELD_NUMBER, MODEL_UNIT_USD_PER_KG,
     F(output_cents_per_kg), 0, PRICE_MAX, MODEL_FIELD_OPTIONAL, false,
     "a number of USD per kg produced, from 0 to 999,999.99",
     "payment per kg produced at home"},
    {"foreign", MODEL_FIELD_BOOL, MODEL_UNIT_NONE, F(home_only), 0, 0,
     MODEL_FIELD_NEGATED, true, NULL,
     "whether foreign firms' plants in your nation get it too (default "
     "true; false: your own firms only)"},
    LAPSE_FIELD,
};

static const model_field_t PRICE_FLOOR[] = {
    PRODUCT_FIELD("the product supported"),
    {"price", MODEL_FIELD_NUMBER, MODEL_UNIT_USD_PER_KG, F(price_cents_per_kg),
     0, PRICE_MAX, MODEL_FIELD_REQUIRED, false, PRICE_ALLOWED,
     "the floor: the state buys at this price"},
    {"quantity", MODEL_FIELD_NUMBER, MODEL_UNIT_TONNES, F(quantity_kg), 0,
     TONNES_MAX, MODEL_FIELD_REQUIRED, false,
     "a number of tonnes per turn from 0 to 1e9 (what the state buys at the "
     "floor)",
     "tonnes per turn the state will buy at the floor"},
    LAPSE_FIELD,
};

static const model_field_t STOCKPILE[] = {
    PRODUCT_FIELD("the product stockpiled"),
    {"target", MODEL_FIELD_NUMBER, MODEL_UNIT_TONNES, F(target_kg), 0,
     TONNES_MAX, MODEL_FIELD_REQUIRED, false,
     "a number of tonnes from 0 to 1e9",
     "tonnes the state stockpile should hold"},
    LAPSE_FIELD,
};

static const model_field_t TALENT_PROGRAMME[] = {
    SKILL_FIELD("the skill the programme trains"),
    {"budget", MODEL_FIELD_NUMBER, MODEL_UNIT_USD, F(budget_cents), 0, 1e12,
     MODEL_FIELD_REQUIRED, false, "an amount of USD per turn from 0 to 1e12",
     "US dollars spent per turn"},
    LAPSE_FIELD,
};

static const model_field_t MIGRATION[] = {
    SKILL_FIELD("the skill concerned"),
    {"inbound", MODEL_FIELD_BOOL, MODEL_UNIT_NONE, F(inbound), 0, 0,
     MODEL_FIELD_REQUIRED, false, NULL,
     "whether people of the skill may move in"},
    {"outbound", MODEL_FIELD_BOOL, MODEL_UNIT_NONE, F(outbound), 0, 0,
     MODEL_FIELD_REQUIRED, false, NULL,
     "whether people of the skill may move out"},
    LAPSE_FIELD,
};

static const model_field_t PERMITTING[] = {
    STAGE_FIELD("the stage whose permits are paced"),
    {"speed", MODEL_FIELD_NUMBER, MODEL_UNIT_FACTOR, F(speed_ppm), 0.5, 2,
     MODEL_FIELD_REQUIRED, false,
     "a factor from 0.5 (twice as slow) to 2 (twice as fast)",
     "how fast permits come: 2 halves lead times, 0.5 doubles them"},
    LAPSE_FIELD,
};

static const model_field_t PRODUCTION_QUOTA[] = {
    STAGE_FIELD("the stage whose output is capped"),
    {"quantity", MODEL_FIELD_NUMBER, MODEL_UNIT_TONNES, F(quantity_kg), 0,
     TONNES_MAX, MODEL_FIELD_NIL_LIFTS, false,
     "a number of tonnes per turn from 0 to 1e9, or nil to lift the quota",
     "tonnes per turn the stage may produce; nil (or absent) lifts it"},
    {"basis", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(choice), 0, 0,
     MODEL_FIELD_OPTIONAL, true, NULL,
     "\"feed\" (the default: the stage's input, concentrate fed for "
     "separation) or \"output\" (what it makes: separated oxides)"},
    {"imports", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(origin), 0, 0,
     MODEL_FIELD_OPTIONAL, true, NULL,
     "\"inside\" (the default: imported feed counts) or \"outside\" (only "
     "material of the nation's own origin counts; maps that track its "
     "origin)"},
    LAPSE_FIELD,
};

static const model_field_t TAX[] = {
    {"rate", MODEL_FIELD_NUMBER, MODEL_UNIT_FRACTION, F(rate_ppm), 0, 1,
     MODEL_FIELD_REQUIRED, false, "a rate from 0 to 1 on profits (0.25 is 25%)",
     "rate on firms' profits (0.25 is 25%)"},
    LAPSE_FIELD,
};

/* design J4 (maps with parameters.recycling) */
static const model_field_t RECYCLING_COLLECTION[] = {
    {"rate", MODEL_FIELD_NUMBER, MODEL_UNIT_FRACTION, F(rate_ppm), 0, 1,
     MODEL_FIELD_REQUIRED, false,
     "a share from 0 to 1 of end-of-life magnets (0.01 is 1%)",
     "share of the magnets reaching their end of life each turn that is "
     "collected as magnet_scrap into the stockpile (the budget pays the "
     "map's collection cost per kg)"},
    LAPSE_FIELD,
};

/* ---- issue 11: state support, contracts, controls (model-v2 F, G, H, I) */

#define FIRM_FIELD(desc)                                                       \
  {                                                                            \
    "firm", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(firm), 0, 0,                    \
        MODEL_FIELD_REQUIRED, false, NULL, desc                                \
  }
#define AMOUNT_FIELD(desc)                                                     \
  {                                                                            \
    "amount", MODEL_FIELD_NUMBER, MODEL_UNIT_USD, F(amount_cents), 0.01, 1e12, \
        MODEL_FIELD_REQUIRED, false, "an amount of USD from 0.01 to 1e12",     \
        desc                                                                   \
  }
#define TURNS_FIELD(desc)                                                      \
  {                                                                            \
    "turns", MODEL_FIELD_INTEGER, MODEL_UNIT_TURNS, F(turns), 1, 400,          \
        MODEL_FIELD_REQUIRED, false, "a whole number of turns from 1 to 400",  \
        desc                                                                   \
  }
#define CONTRACT_FIELD                                                         \
  {                                                                            \
    "id", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(contract), 0, 0,                  \
        MODEL_FIELD_REQUIRED, false, NULL,                                     \
        "the contract's id, chosen by its proposer"                            \
  }

static const model_field_t FIRM_PRICE_FLOOR[] = {
    FIRM_FIELD("the firm supported (a firm's seat id)"),
    PRODUCT_FIELD("the product whose price is guaranteed"),
    {"price", MODEL_FIELD_NUMBER, MODEL_UNIT_USD_PER_KG, F(price_cents_per_kg),
     0, PRICE_MAX, MODEL_FIELD_REQUIRED, false, PRICE_ALLOWED,
     "the strike: the nation pays the firm the difference below it"},
    {"quantity", MODEL_FIELD_NUMBER, MODEL_UNIT_TONNES, F(quantity_kg), 0,
     TONNES_MAX, MODEL_FIELD_REQUIRED, false,
     "a number of tonnes per turn from 0 (lifts it) to 1e9",
     "tonnes per turn covered (of what the firm sells); 0 lifts it"},
    TURNS_FIELD("how many turns it lasts, from the turn it takes effect"),
    {"two_sided", MODEL_FIELD_BOOL, MODEL_UNIT_NONE, F(two_sided), 0, 0,
     MODEL_FIELD_OPTIONAL, false, NULL,
     "true: a contract for difference (the firm pays back the difference "
     "above the strike); default false, a floor"},
};

static const model_field_t TECHNOLOGY_EXPORT_BAN[] = {
    STAGE_FIELD("the stage whose technology and expertise may not leave"),
    PARTNER_FIELD("to", "the nation the ban applies to, or \"all\" (the "
                        "default)"),
    {"lift", MODEL_FIELD_BOOL, MODEL_UNIT_NONE, F(lift), 0, 0,
     MODEL_FIELD_OPTIONAL, false, NULL, "true lifts the ban (default false)"},
    LAPSE_FIELD,
};

static const model_field_t SANCTION[] = {
    FIRM_FIELD("the firm sanctioned (a firm's seat id)"),
    {"lift", MODEL_FIELD_BOOL, MODEL_UNIT_NONE, F(lift), 0, 0,
     MODEL_FIELD_OPTIONAL, false, NULL,
     "true lifts the sanction (default false)"},
    LAPSE_FIELD,
};

static const model_field_t INVESTMENT_SCREEN[] = {
    STAGE_FIELD("the stage foreign firms may not build in this nation"),
    PARTNER_FIELD("from", "the nation whose firms are refused, or \"all\" "
                          "(the default)"),
    {"lift", MODEL_FIELD_BOOL, MODEL_UNIT_NONE, F(lift), 0, 0,
     MODEL_FIELD_OPTIONAL, false, NULL,
     "true lifts the screen (default false)"},
    LAPSE_FIELD,
};

static const model_field_t ORIGIN_RULE[] = {
    PRODUCT_FIELD("the product whose controlled goods need a licence"),
    {"threshold", MODEL_FIELD_NUMBER, MODEL_UNIT_FRACTION, F(rate_ppm), 0, 1,
     MODEL_FIELD_REQUIRED, false,
     "a share from 0 to 1 of a magnet's value (0.001 is the 0.1% rule)",
     "a magnet made abroad with at least this share of its value in your "
     "material counts as yours"},
    {"approval", MODEL_FIELD_NUMBER, MODEL_UNIT_FRACTION, F(approval_ppm), 0, 1,
     MODEL_FIELD_REQUIRED, false,
     "a share from 0 to 1 of controlled goods approved for export",
     "the share of controlled goods other nations may export"},
    PARTNER_FIELD("to", "the nation the rule covers exports to, or \"all\" "
                        "(the default)"),
    {"from_turn", MODEL_FIELD_INTEGER, MODEL_UNIT_TURNS, F(turns), 0, 400,
     MODEL_FIELD_OPTIONAL, false, "a turn from 0 to 400",
     "the turn it binds from (default 0: at once)"},
    {"lift", MODEL_FIELD_BOOL, MODEL_UNIT_NONE, F(lift), 0, 0,
     MODEL_FIELD_OPTIONAL, false, NULL, "true lifts the rule (default false)"},
    LAPSE_FIELD,
};

static const model_field_t GRANT[] = {
    FIRM_FIELD("the firm paid (a firm's seat id)"),
    AMOUNT_FIELD("US dollars paid from the budget to the firm, once"),
};

static const model_field_t EQUITY[] = {
    FIRM_FIELD("the firm invested in (a firm's seat id)"),
    AMOUNT_FIELD("US dollars paid from the budget to the firm, once"),
    {"stake", MODEL_FIELD_NUMBER, MODEL_UNIT_FRACTION, F(stake_ppm), 1e-6, 1,
     MODEL_FIELD_REQUIRED, false, "a share from 0.000001 to 1",
     "the share of the firm the nation holds from then on"},
};

static const model_field_t LOAN[] = {
    FIRM_FIELD("the firm lent to (a firm's seat id)"),
    AMOUNT_FIELD("US dollars lent from the budget to the firm"),
    {"rate", MODEL_FIELD_NUMBER, MODEL_UNIT_FRACTION, F(rate_ppm), 0, 1,
     MODEL_FIELD_REQUIRED, false, "a yearly rate from 0 to 1 (0.045 is 4.5%)",
     "yearly interest rate, charged each turn on what is owed"},
    TURNS_FIELD("turns of repayment after the grace period"),
    {"grace", MODEL_FIELD_INTEGER, MODEL_UNIT_TURNS, F(grace), 0, 400,
     MODEL_FIELD_OPTIONAL, false, "a whole number of turns from 0 to 400",
     "turns of interest only before repayment starts (default 0)"},
};

static const model_field_t CONTRACT_PROPOSE[] = {
    CONTRACT_FIELD,
    {"to", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(seat), 0, 0, MODEL_FIELD_REQUIRED,
     false, NULL, "the seat the contract is offered to"},
    {"side", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(choice), 0, 0,
     MODEL_FIELD_OPTIONAL, true, NULL,
     "\"sell\" (the default: you deliver) or \"buy\" (you take delivery)"},
    PRODUCT_FIELD("the product delivered"),
    {"quantity", MODEL_FIELD_NUMBER, MODEL_UNIT_TONNES, F(quantity_kg), 1e-3,
     TONNES_MAX, MODEL_FIELD_REQUIRED, false,
     "a number of tonnes per turn from 0.001 to 1e9",
     "tonnes delivered each turn, before the market"},
    {"price", MODEL_FIELD_NUMBER, MODEL_UNIT_USD_PER_KG, F(price_cents_per_kg),
     0, PRICE_MAX, MODEL_FIELD_REQUIRED, false, PRICE_ALLOWED,
     "the price the buyer pays per kg delivered"},
    TURNS_FIELD("how many turns it delivers, from the turn it is accepted"),
    {"penalty", MODEL_FIELD_NUMBER, MODEL_UNIT_USD_PER_KG,
     F(penalty_cents_per_kg), 0, PRICE_MAX, MODEL_FIELD_OPTIONAL, false,
     PRICE_ALLOWED,
     "what the seller pays the buyer per kg not delivered (default 0)"},
    {"index", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(index), 0, 0,
     MODEL_FIELD_OPTIONAL, true, NULL,
     "a product: the price is a formula, share x that product's last price "
     "in the seller's nation, kept within floor and cap (price is then "
     "ignored)"},
    {"share", MODEL_FIELD_NUMBER, MODEL_UNIT_FACTOR, F(index_share_ppm), 0, 100,
     MODEL_FIELD_OPTIONAL, false, "a factor from 0 to 100",
     "with index: the multiple of the index price (default 1)"},
    {"floor", MODEL_FIELD_NUMBER, MODEL_UNIT_USD_PER_KG, F(floor_cents_per_kg),
     0, PRICE_MAX, MODEL_FIELD_OPTIONAL, false, PRICE_ALLOWED,
     "with index: the lowest price (default 0)"},
    {"cap", MODEL_FIELD_NUMBER, MODEL_UNIT_USD_PER_KG, F(cap_cents_per_kg), 0,
     PRICE_MAX, MODEL_FIELD_OPTIONAL, false, PRICE_ALLOWED,
     "with index: the highest price (default none)"},
    {"consume", MODEL_FIELD_BOOL, MODEL_UNIT_NONE, F(consume), 0, 0,
     MODEL_FIELD_OPTIONAL, true, NULL,
     "a nation buyer consumes the goods (final demand met, counted in its "
     "supply security, e.g. defence magnets) instead of stockpiling them "
     "(default false)"},
};

static const model_field_t CONTRACT_ACCEPT[] = {
    CONTRACT_FIELD,
    {"from", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(seat), 0, 0,
     MODEL_FIELD_REQUIRED, false, NULL, "the seat that proposed it"},
};

static const model_field_t CONTRACT_WITHDRAW[] = {
    CONTRACT_FIELD,
    {"from", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(seat), 0, 0,
     MODEL_FIELD_OPTIONAL, true, NULL,
     "the seat that proposed it (default: you)"},
};

static const model_field_t ACQUIRE[] = {
    {"facility", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(facility), 0, 0,
     MODEL_FIELD_REQUIRED, false, NULL, "a facility of a firm in receivership"},
    {"price", MODEL_FIELD_NUMBER, MODEL_UNIT_USD, F(amount_cents), 0.01, 1e12,
     MODEL_FIELD_REQUIRED, false, "an amount of USD from 0.01 to 1e12",
     "what you pay the firm in receivership: at least its liquidation value "
     "(the map's liquidation_share of the plant's book value)"},
};

static const model_field_t TRANSFER[] = {
    PRODUCT_FIELD("the product moved"),
    {"quantity", MODEL_FIELD_NUMBER, MODEL_UNIT_TONNES, F(quantity_kg), 0,
     TONNES_MAX, MODEL_FIELD_REQUIRED, false,
     "a number of tonnes a turn from 0 (withdraw) to 1e9",
     "tonnes moved each turn, before the product's market; 0 withdraws the "
     "transfer"},
    {"from", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(origin), 0, 0,
     MODEL_FIELD_REQUIRED, false, NULL,
     "the nation the goods leave: your home or one of your branches"},
    {"to", MODEL_FIELD_ID, MODEL_UNIT_NONE, F(host), 0, 0, MODEL_FIELD_REQUIRED,
     false, NULL,
     "the nation the goods go to: your home or one of your branches"},
};

#define N(a) (sizeof a / sizeof a[0]), a

/* The ops before policy, then the policy kinds, then the ops after policy,
 * each in its enum's order: model_order_schema indexes this array
 * directly. */
static const model_order_schema_t SCHEMAS[] = {
    {MODEL_OP_BUILD, -1, "build", "firms", false,
     "build a facility, or expand one of yours; it takes turns and capital",
     N(BUILD)},
    {MODEL_OP_OPERATE, -1, "operate", "firms", true,
     "set how much of a facility's capacity runs", N(OPERATE)},
    {MODEL_OP_HIRE, -1, "hire", "firms", false,
     "hire staff from the home nation's pool, or release them", N(HIRE)},
    {MODEL_OP_TRAIN, -1, "train", "firms, nations", false,
     "put people into training; they join the staff (or the pool) later",
     N(TRAIN)},
    {MODEL_OP_OFFER, -1, "offer", "firms, nations (stockpile sales)", true,
     "offer a product for sale this turn", N(OFFER)},
    {MODEL_OP_BID, -1, "bid", "firms, nations", true,
     "bid for a product this turn", N(BID)},
    {MODEL_OP_POLICY, MODEL_POL_EXPORT_QUOTA, "export_quota", "nations", true,
     "cap a product's exports per turn", N(EXPORT_QUOTA)},
    {MODEL_OP_POLICY, MODEL_POL_EXPORT_BAN, "export_ban", "nations", true,
     "ban a product's exports (or lift the ban)", N(EXPORT_BAN)},
    {MODEL_OP_POLICY, MODEL_POL_EXPORT_LICENCE, "export_licence", "nations",
     true, "approve only a share of a product's requested exports",
     N(EXPORT_LICENCE)},
    {MODEL_OP_POLICY, MODEL_POL_TARIFF, "tariff", "nations", true,
     "tax a product's imports", N(TARIFF)},
    {MODEL_OP_POLICY, MODEL_POL_SUBSIDY, "subsidy", "nations", true,
     "pay part of a stage's capital cost, or pay per kg produced", N(SUBSIDY)},
    {MODEL_OP_POLICY, MODEL_POL_PRICE_FLOOR, "price_floor", "nations", true,
     "buy a product at a floor price, up to a quantity per turn",
     N(PRICE_FLOOR)},
    {MODEL_OP_POLICY, MODEL_POL_STOCKPILE, "stockpile", "nations", true,
     "build up (or run down) a state stockpile to a target", N(STOCKPILE)},
    {MODEL_OP_POLICY, MODEL_POL_TALENT_PROGRAMME, "talent_programme", "nations",
     true, "fund a programme that grows a skill's talent pool",
     N(TALENT_PROGRAMME)},
    {MODEL_OP_POLICY, MODEL_POL_MIGRATION, "migration", "nations", true,
     "open or close the border to people of a skill", N(MIGRATION)},
    {MODEL_OP_POLICY, MODEL_POL_PERMITTING, "permitting", "nations", true,
     "speed up or slow down permits for a stage", N(PERMITTING)},
    {MODEL_OP_POLICY, MODEL_POL_PRODUCTION_QUOTA, "production_quota", "nations",
     true, "cap a stage's output per turn", N(PRODUCTION_QUOTA)},
    {MODEL_OP_POLICY, MODEL_POL_TAX, "tax", "nations", true,
     "tax firms' profits", N(TAX)},
    {MODEL_OP_POLICY, MODEL_POL_FIRM_PRICE_FLOOR, "firm_price_floor", "nations",
     true,
     "guarantee one firm a price for what it sells (a floor, or a contract "
     "for difference)",
     N(FIRM_PRICE_FLOOR)},
    {MODEL_OP_POLICY, MODEL_POL_TECHNOLOGY_EXPORT_BAN, "technology_export_ban",
     "nations", true,
     "ban the export of a stage's technology and expertise: your firms may "
     "not build it abroad and its people may not emigrate there",
     N(TECHNOLOGY_EXPORT_BAN)},
    {MODEL_OP_POLICY, MODEL_POL_SANCTION, "sanction", "nations", true,
     "sanction a foreign firm: its contract deliveries with your seats are "
     "excused and it may not build in your nation",
     N(SANCTION)},
    {MODEL_OP_POLICY, MODEL_POL_INVESTMENT_SCREEN, "investment_screen",
     "nations", true, "refuse foreign firms' builds of a stage in your nation",
     N(INVESTMENT_SCREEN)},
    {MODEL_OP_POLICY, MODEL_POL_ORIGIN_RULE, "origin_rule", "nations", true,
     "extraterritorial control: goods made abroad with your material need "
     "your licence to be exported from any nation",
     N(ORIGIN_RULE)},
    {MODEL_OP_POLICY, MODEL_POL_RECYCLING_COLLECTION, "recycling_collection",
     "nations", true,
     "maps with recycling: collect a share of end-of-life magnets as scrap, "
     "offered for sale from the stockpile",
     N(RECYCLING_COLLECTION)},
    /* the ops added after policy, in their enum's order */
    {MODEL_OP_GRANT, -1, "grant", "nations", false,
     "pay a firm from the budget, once", N(GRANT)},
    {MODEL_OP_EQUITY, -1, "equity", "nations", false,
     "buy a stake in a firm, once: the budget pays, the nation's score "
     "counts its share of the firm",
     N(EQUITY)},
    {MODEL_OP_LOAN, -1, "loan", "nations", false,
     "lend to a firm, once: it pays interest and instalments back each turn",
     N(LOAN)},
    {MODEL_OP_CONTRACT_PROPOSE, -1, "contract_propose", "firms, nations", false,
     "offer another seat a delivery contract; it lasts until the end of the "
     "next turn unless accepted",
     N(CONTRACT_PROPOSE)},
    {MODEL_OP_CONTRACT_ACCEPT, -1, "contract_accept", "firms, nations", false,
     "accept a contract offered to you; it delivers from this turn",
     N(CONTRACT_ACCEPT)},
    {MODEL_OP_CONTRACT_WITHDRAW, -1, "contract_withdraw", "firms, nations",
     false,
     "withdraw your proposal, or leave a running contract (the leaver pays "
     "the penalty on up to 4 turns of deliveries)",
     N(CONTRACT_WITHDRAW)},
    {MODEL_OP_ACQUIRE, -1, "acquire", "firms", false,
     "buy a plant of a firm in receivership (maps with money limits), with "
     "its experience; the price goes to the firm's creditors",
     N(ACQUIRE)},
    {MODEL_OP_TRANSFER, -1, "transfer", "firms", true,
     "maps with branches: move goods each turn between two of your "
     "locations (home and branches abroad), under export controls, paying "
     "transport and the importer's tariff",
     N(TRANSFER)},
};

#define N_SCHEMAS (sizeof SCHEMAS / sizeof SCHEMAS[0])

/* The table's order is the enums' order; a new op or kind added to model.h
 * without its schema entry fails to compile. */
_Static_assert(N_SCHEMAS == MODEL_OPS - 1 + MODEL_POLICY_KINDS,
               "every op and policy kind needs its entry in SCHEMAS");

size_t model_order_schema_count(void) {
  return N_SCHEMAS;
}

const model_order_schema_t *model_order_schema_at(size_t i) {
  return i < N_SCHEMAS ? &SCHEMAS[i] : NULL;
}

const model_order_schema_t *model_order_schema(int op, int kind) {
  if (op < 0 || op >= MODEL_OPS)
    return NULL;
  if (op < MODEL_OP_POLICY)
    return &SCHEMAS[op];
  if (op > MODEL_OP_POLICY)
    return &SCHEMAS[MODEL_OP_POLICY + MODEL_POLICY_KINDS +
                    (op - MODEL_OP_POLICY - 1)];
  if (kind < 0 || kind >= MODEL_POLICY_KINDS)
    return NULL;
  return &SCHEMAS[MODEL_OP_POLICY + kind];
}

const model_field_t *model_order_field(const model_order_schema_t *s,
                                       const char *key) {
  for (size_t i = 0; s && i < s->n_fields; i++)
    if (strcmp(s->fields[i].key, key) == 0)
      return &s->fields[i];
  return NULL;
}

const char *model_unit_name(model_unit_t u) {
  switch (u) {
  case MODEL_UNIT_TONNES:
    return "t";
  case MODEL_UNIT_TONNES_PER_YEAR:
    return "t/yr";
  case MODEL_UNIT_USD:
    return "USD";
  case MODEL_UNIT_USD_PER_KG:
    return "USD/kg";
  case MODEL_UNIT_FRACTION:
    return "fraction";
  case MODEL_UNIT_FACTOR:
    return "factor";
  case MODEL_UNIT_PEOPLE:
    return "people";
  case MODEL_UNIT_TURNS:
    return "turns";
  case MODEL_UNIT_NONE:
    break;
  }
  return "";
}

const char *model_field_type_name(model_field_type_t t) {
  switch (t) {
  case MODEL_FIELD_PRODUCT:
    return "product";
  case MODEL_FIELD_STAGE:
    return "stage";
  case MODEL_FIELD_SKILL:
    return "skill";
  case MODEL_FIELD_ID:
    return "id";
  case MODEL_FIELD_PARTNER:
    return "nation or \"all\"";
  case MODEL_FIELD_NUMBER:
    return "number";
  case MODEL_FIELD_INTEGER:
    return "integer";
  case MODEL_FIELD_BOOL:
    return "boolean";
  }
  return "";
}

const char *const *model_field_names(model_field_type_t t, int *n) {
  switch (t) {
  case MODEL_FIELD_PRODUCT:
    *n = NP;
    return model__product_names;
  case MODEL_FIELD_STAGE:
  case MODEL_FIELD_SKILL: /* skills share the stages' names */
    *n = NS;
    return model__stage_names;
  default:
    *n = 0;
    return NULL;
  }
}

int model_unit_to_internal(model_unit_t u, double v, int64_t *out) {
  switch (u) {
  case MODEL_UNIT_TONNES:
  case MODEL_UNIT_TONNES_PER_YEAR:
    return model_tonnes_to_kg(v, out);
  case MODEL_UNIT_USD:
    return model_usd_to_cents(v, out);
  case MODEL_UNIT_USD_PER_KG:
    return model_usd_per_kg_to_cents(v, out);
  case MODEL_UNIT_FRACTION:
  case MODEL_UNIT_FACTOR:
    return model_fraction_to_ppm(v, out);
  case MODEL_UNIT_PEOPLE:
  case MODEL_UNIT_TURNS:
  case MODEL_UNIT_NONE:
    break;
  }
  /* People, turns (and plain numbers) are whole: no rounding. */
  if (!(v >= -9.2e18 && v <= 9.2e18) || v != (double)(int64_t)v)
    return MODEL_ERANGE;
  *out = (int64_t)v;
  return 0;
}

double model_unit_to_wire(model_unit_t u, int64_t v) {
  switch (u) {
  case MODEL_UNIT_TONNES:
  case MODEL_UNIT_TONNES_PER_YEAR:
    return model_kg_to_tonnes(v);
  case MODEL_UNIT_USD:
  case MODEL_UNIT_USD_PER_KG:
    return model_cents_to_usd(v);
  case MODEL_UNIT_FRACTION:
  case MODEL_UNIT_FACTOR:
    return model_ppm_to_fraction(v);
  case MODEL_UNIT_PEOPLE:
  case MODEL_UNIT_TURNS:
  case MODEL_UNIT_NONE:
    break;
  }
  return (double)v;
}

int model_field_range(const model_field_t *f, int64_t *lo, int64_t *hi) {
  if (f->type != MODEL_FIELD_NUMBER && f->type != MODEL_FIELD_INTEGER)
    return MODEL_EINVAL;
  if (model_unit_to_internal(f->unit, f->min, lo) != 0 ||
      model_unit_to_internal(f->unit, f->max, hi) != 0)
    return MODEL_ERANGE;
  return 0;
}

/* Typed views of a field inside an order. */
#define AT(o, f, T)  ((T *)((char *)(o) + (f)->offset))
#define CAT(o, f, T) ((const T *)((const char *)(o) + (f)->offset))

/* An accepted order as the state keeps it: only the fields its op (and
 * policy kind) uses, every other field at one canonical value (names -1,
 * the rest zero). The pending orders are part of the state and its hash, so
 * two submissions that mean the same (one built by an agent in C, one
 * parsed from the wire) must be the same bytes; otherwise a stored game
 * would not replay to its hashes. */
void model_order_canonical(const model_order_t *o, model_order_t *c) {
  memset(c, 0, sizeof *c);
  c->op = o->op;
  c->stage = c->product = c->skill = -1;
  if (o->op == MODEL_OP_POLICY)
    c->kind = o->kind;
  const model_order_schema_t *s = model_order_schema(o->op, o->kind);
  for (size_t i = 0; s && i < s->n_fields; i++) {
    const model_field_t *f = &s->fields[i];
    switch (f->type) {
    case MODEL_FIELD_PRODUCT:
    case MODEL_FIELD_STAGE:
    case MODEL_FIELD_SKILL:
      *AT(c, f, int32_t) = *CAT(o, f, int32_t);
      break;
    case MODEL_FIELD_ID:
      memcpy(AT(c, f, char), CAT(o, f, char), MODEL_ID_MAX);
      break;
    case MODEL_FIELD_PARTNER: {
      /* "" and "all" name the same partners. */
      const char *p = CAT(o, f, char);
      if (p[0] && strcmp(p, "all") != 0)
        memcpy(AT(c, f, char), p, MODEL_ID_MAX);
      else
        strcpy(AT(c, f, char), "all");
      break;
    }
    case MODEL_FIELD_NUMBER:
    case MODEL_FIELD_INTEGER:
      /* A lifted quota keeps no quantity. */
      if (f->presence == MODEL_FIELD_NIL_LIFTS && o->lift)
        c->lift = true;
      else
        *AT(c, f, int64_t) = *CAT(o, f, int64_t);
      break;
    case MODEL_FIELD_BOOL:
      *AT(c, f, bool) = *CAT(o, f, bool);
      break;
    }
  }
}

/* ---- docs/orders.md ---- */

/* A number as the docs and refusals write it: 1e9 for a large power of
 * ten, 10,000,000 with thousands separators for other whole numbers,
 * 999,999.99 for others. */
void model_fmt_num(double v, char *b, size_t cap) {
  double a = v < 0 ? -v : v;
  if (a >= 1e8 && a == (double)(int64_t)a) {
    int e = 0;
    double m = a;
    while (m >= 10 && (int64_t)m % 10 == 0) {
      m /= 10;
      e++;
    }
    snprintf(b, cap, "%s%ge%d", v < 0 ? "-" : "", m, e);
    return;
  }
  /* Thousands separators in the whole part, the fraction as printed. */
  char digits[40], out[56];
  snprintf(digits, sizeof digits, "%.15g", a);
  size_t n = strcspn(digits, "."), k = 0;
  for (size_t i = 0; i < n; i++) {
    if (i && (n - i) % 3 == 0)
      out[k++] = ',';
    out[k++] = digits[i];
  }
  snprintf(out + k, sizeof out - k, "%s", digits + n);
  snprintf(b, cap, "%s%s", v < 0 ? "-" : "", out);
}

static int put(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int put(char **buf, size_t *len, size_t *cap, const char *fmt, ...) {
  va_list ap;
  for (;;) {
    va_start(ap, fmt);
    int n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
    va_end(ap);
    if (n < 0)
      return MODEL_EINVAL;
    if ((size_t)n < *cap - *len) {
      *len += (size_t)n;
      return 0;
    }
    size_t ncap = *cap * 2 + (size_t)n;
    char *nb = realloc(*buf, ncap);
    if (!nb)
      return MODEL_ENOMEM;
    *buf = nb;
    *cap = ncap;
  }
}

static const char *presence_text(model_presence_t p) {
  switch (p) {
  case MODEL_FIELD_REQUIRED:
    return "yes";
  case MODEL_FIELD_OPTIONAL:
    return "no";
  case MODEL_FIELD_NIL_LIFTS:
    return "no (nil lifts)";
  case MODEL_FIELD_IF_QUANTITY:
    return "if quantity > 0";
  case MODEL_FIELD_NEGATED:
    return "no (default true)";
  }
  return "";
}

/* The type column: the names allowed for a name field. */
static int type_text(const model_field_t *f, char *b, size_t cap) {
  int n;
  const char *const *names = model_field_names(f->type, &n);
  if (!names)
    return snprintf(b, cap, "%s", model_field_type_name(f->type));
  size_t w = 0;
  for (int i = 0; i < n && w < cap; i++)
    w += (size_t)snprintf(b + w, cap - w, "%s`%s`", i ? ", " : "", names[i]);
  return (int)w;
}

int model_order_schema_markdown(char **out, size_t *out_len) {
  size_t len = 0, cap = 4096;
  char *b = malloc(cap);
  int rc = b ? 0 : MODEL_ENOMEM;
  if (rc)
    return rc;
  b[0] = '\0';
  rc |= put(&b, &len, &cap,
            "# Orders\n\n"
            "<!-- Generated from model/order_schema.c by `lanthanide schema "
            "--markdown`;\n     do not edit by hand (the test "
            "`docs_orders_current` checks it). -->\n\n"
            "Every order is a map `{\"op\": ..., fields}`; a policy adds "
            "`\"kind\"`.\nThe tables below are generated from the one "
            "schema table in\n`model/order_schema.c`, which also drives the "
            "wire codec, the map loader,\nthe CLI and the JSON Schema that "
            "the RPC method `orders.schema` returns.\n\n"
            "Ranges are inclusive and in wire units: tonnes (t), tonnes per "
            "year\n(t/yr), US dollars (USD), US dollars per kilogram "
            "(USD/kg), fractions\n(0.25 = 25%%) and factors. A field that is "
            "not required may be left out;\nunknown keys are ignored. Ids are "
            "strings of 1 to %d bytes;\n`to` and `from` take a nation id or "
            "`\"all\"` (the default).\n",
            MODEL_ID_MAX - 1);
  for (size_t i = 0; i < N_SCHEMAS && !rc; i++) {
    const model_order_schema_t *s = &SCHEMAS[i];
    if (s->kind < 0)
      rc |= put(&b, &len, &cap, "\n## `%s`\n\n", s->name);
    else
      rc |= put(&b, &len, &cap, "\n## `policy` `%s`\n\n", s->name);
    rc |= put(&b, &len, &cap,
              "%c%s. Who: %s. %s.\n\n"
              "| field | type | unit | range | required | description |\n"
              "|---|---|---|---|---|---|\n",
              toupper((unsigned char)s->description[0]), s->description + 1,
              s->who, s->stands ? "Stands until changed" : "Acts once");
    if (s->kind >= 0)
      rc |= put(&b, &len, &cap,
                "| `kind` | `\"%s\"` | | | yes | the policy kind |\n", s->name);
    for (size_t k = 0; k < s->n_fields; k++) {
      const model_field_t *f = &s->fields[k];
      char type[160], range[128] = "", lo[48], hi[48];
      type_text(f, type, sizeof type);
      if (f->type == MODEL_FIELD_NUMBER || f->type == MODEL_FIELD_INTEGER) {
        model_fmt_num(f->min, lo, sizeof lo);
        model_fmt_num(f->max, hi, sizeof hi);
        snprintf(range, sizeof range, "%s to %s", lo, hi);
      }
      rc |= put(&b, &len, &cap, "| `%s` | %s | %s | %s | %s | %s |\n", f->key,
                type, model_unit_name(f->unit), range,
                presence_text(f->presence), f->description);
    }
  }
  if (rc) {
    free(b);
    return rc;
  }
  *out = b;
  *out_len = len;
  return 0;
}
