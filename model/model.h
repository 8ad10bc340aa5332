/* model.h: the public interface of Lanthanide's industry model.
 *
 * The model is a pure library: it takes a game state and every seat's orders
 * for one turn and produces the next state and a report. It does no I/O (the
 * one exception is model_map_load_file, a convenience that reads a map file at
 * start-up and is never on the turn path), reads no clock, keeps no global
 * state and uses no floating point in the state: tonnes are int64 kilograms,
 * money int64 US cents, prices int64 cents per kilogram, rates and shares
 * int64 parts per million (ppm). docs/model.md documents every equation and
 * docs/maps.md the map format.
 *
 * Ownership, in one place:
 * - A model_map_t comes from model_map_load_*; free it with model_map_free.
 *   It is immutable after loading and must outlive every state made from it.
 * - A model_state_t comes from model_state_new, model_state_clone or
 *   model_state_deserialise; free it with model_state_free. Functions that
 *   take a const state never change it; model_submit, model_resolve and
 *   model_inject_event change it in place (clone first to keep the old one).
 * - A model_obs_t comes from model_observe; free it with model_obs_free. It is
 *   self-contained: it holds no pointer into the state.
 * - The report returned by model_last_report lives inside the state and stays
 *   valid until the next model_resolve or model_state_free on that state.
 * - Buffers from model_state_serialise are malloc'd; the caller frees them.
 *
 * Nothing here is thread-safe on one state; different states may be used from
 * different threads.
 */
#ifndef LANTHANIDE_MODEL_H
#define LANTHANIDE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define MODEL_WUR __attribute__((warn_unused_result))
#else
#define MODEL_WUR
#endif

/* ---- Limits (named constants; the loader refuses maps beyond them) ---- */
#define MODEL_ID_MAX          48  /* bytes of an id, including the NUL */
#define MODEL_TITLE_MAX       96  /* bytes of a title, including the NUL */
#define MODEL_MESSAGE_MAX     512 /* bytes of a refusal or error message */
#define MODEL_NATIONS_MAX     64
#define MODEL_SEATS_MAX       200000
#define MODEL_FACILITIES_MAX  1000000
#define MODEL_DEPOSITS_MAX    200000
#define MODEL_ORDERS_MAX      256 /* orders in one submission of one seat */
#define MODEL_TURNS_MAX       400
#define MODEL_HISTORY_MAX     8  /* turns of world prices in an observation */
#define MODEL_RAMP_MAX        32 /* entries of a ramp-up table */
#define MODEL_TRAIN_TURNS_MAX 16
#define MODEL_EVENT_KINDS_MAX 32
#define MODEL_SCRIPTED_MAX    1024
#define MODEL_EFFECTS_MAX     4096
#define MODEL_NEWS_MAX        64        /* news items kept for the last turn */
#define MODEL_AUDIENCE_MAX    32        /* seats named as an event's audience */
#define MODEL_MAP_INJECTS_MAX 256       /* a map's prepared injects */
#define MODEL_MAP_CHOICES_MAX 64        /* a map's story choices */
#define MODEL_INJECTED_MAX    64        /* events queued for one turn */
#define MODEL_PRICE_MAX_CENTS 100000000 /* $1,000,000/kg: the backstop */
#define MODEL_QTY_MAX_KG      ((int64_t)1000000000000)       /* 1 Gt */
#define MODEL_MONEY_MAX_CENTS ((int64_t)1000000000000000000) /* $1e16 */
#define MODEL_PPM             1000000
#define MODEL_HASH_BYTES      32
#define MODEL_SECTORS         6  /* demand sectors (docs/model.md, "Sectors") */
#define MODEL_SECTOR_YEARS    16 /* yearly growth rates of one sector */

/* Bounds on a map's own figures (the loader refuses a map beyond them;
 * docs/maps.md, "Bounds"). They keep every product the turn forms from map
 * figures inside int64: a quantity that meets a price (a demand volume, an
 * inventory, a stockpile, a year of capacity: at most MODEL_MAP_KG_MAX)
 * times a price (at most MODEL_PRICE_MAX_CENTS) is at most 5e18 < 2^63;
 * people (at most MODEL_MAP_PEOPLE_MAX) times a wage is at most 1e16; and
 * money (budgets, cash, book values: at most MODEL_MAP_MONEY_MAX, under
 * 2^50) starts 4,600 times below the model's limit on a holder's money
 * (2^62 cents). Reserves and experience are never priced, only counted
 * down or logged, and stay under 2^50 kg. What play can still grow beyond
 * int64 (orders at their limits, sums over many turns) the turn checks and
 * refuses with MODEL_ERANGE. */
#define MODEL_MAP_KG_MAX         ((int64_t)50000000000)      /* 50 Mt */
#define MODEL_MAP_RESERVE_KG_MAX ((int64_t)1000000000000000) /* 1e12 t */
#define MODEL_MAP_MONEY_MAX      ((int64_t)1000000000000000) /* $1e13 */
#define MODEL_MAP_WAGE_MAX       ((int64_t)100000000)        /* $1e6/yr */
#define MODEL_MAP_TRAIN_COST_MAX ((int64_t)1000000000)       /* $1e7 */
#define MODEL_MAP_CAPEX_MAX      ((int64_t)100000)           /* $1e6 per t/yr */
#define MODEL_MAP_PEOPLE_MAX     100000000                   /* talent, staff */

/* ---- Enumerations (the wire names are in the comments) ---- */
typedef enum {
  MODEL_CONCENTRATE = 0, /* "concentrate" (mixed REO, tonnes REO) */
  MODEL_NDPR = 1,        /* "ndpr_oxide" */
  MODEL_DYTB = 2,        /* "dytb_oxide" (a Dy/Tb basket) */
  MODEL_LACE = 3,        /* "lace_oxide" */
  MODEL_MAGNET = 4,      /* "magnet" (tonnes of NdFeB) */
  /* issue 11 (design J1): the heavies apart, on maps with
   * parameters.heavy_products "split" (where dytb_oxide does not exist);
   * on "basket" maps (the default) these two do not exist */
  MODEL_DY = 5, /* "dy_oxide" */
  MODEL_TB = 6, /* "tb_oxide" */
  /* design J4: end-of-life magnets, only on maps with
   * parameters.recycling */
  MODEL_SCRAP = 7, /* "magnet_scrap" (tonnes of magnet) */
  MODEL_PRODUCTS = 8
} model_product_t;

typedef enum {
  MODEL_MINING = 0,     /* "mining" */
  MODEL_SEPARATION = 1, /* "separation" */
  MODEL_MAGNETS = 2,    /* "magnet" (the stage) */
  /* design J4: only on maps with parameters.recycling */
  MODEL_RECYCLING = 3, /* "recycling" */
  MODEL_STAGES = 4
} model_stage_t;

/* Skills are one per stage and share its numbering: "mining", "separation",
 * "magnet", "recycling" (maps with recycling only). */
#define MODEL_SKILLS MODEL_STAGES

typedef enum { MODEL_SEAT_NATION = 0, MODEL_SEAT_FIRM = 1 } model_seat_kind_t;

typedef enum {
  MODEL_OP_BUILD = 0,   /* "build" */
  MODEL_OP_OPERATE = 1, /* "operate" */
  MODEL_OP_HIRE = 2,    /* "hire" */
  MODEL_OP_TRAIN = 3,   /* "train" */
  MODEL_OP_OFFER = 4,   /* "offer" */
  MODEL_OP_BID = 5,     /* "bid" */
  MODEL_OP_POLICY = 6,  /* "policy" */
  /* issue 11 (docs/design/model-v2.md F, G): state support and contracts */
  MODEL_OP_GRANT = 7,              /* "grant" (nations) */
  MODEL_OP_EQUITY = 8,             /* "equity" (nations) */
  MODEL_OP_LOAN = 9,               /* "loan" (nations) */
  MODEL_OP_CONTRACT_PROPOSE = 10,  /* "contract_propose" */
  MODEL_OP_CONTRACT_ACCEPT = 11,   /* "contract_accept" */
  MODEL_OP_CONTRACT_WITHDRAW = 12, /* "contract_withdraw" */
  MODEL_OP_ACQUIRE = 13,           /* "acquire" (firms): buy a plant of a
                                      firm in receivership */
  MODEL_OP_TRANSFER = 14,          /* "transfer" (firms, maps with
                                      branches): goods between two of the
                                      firm's locations, a turn */
  MODEL_OPS = 15
} model_op_t;

typedef enum {
  MODEL_POL_EXPORT_QUOTA = 0,      /* "export_quota" */
  MODEL_POL_EXPORT_BAN = 1,        /* "export_ban" */
  MODEL_POL_EXPORT_LICENCE = 2,    /* "export_licence" */
  MODEL_POL_TARIFF = 3,            /* "tariff" */
  MODEL_POL_SUBSIDY = 4,           /* "subsidy" */
  MODEL_POL_PRICE_FLOOR = 5,       /* "price_floor" */
  MODEL_POL_STOCKPILE = 6,         /* "stockpile" */
  MODEL_POL_TALENT_PROGRAMME = 7,  /* "talent_programme" */
  MODEL_POL_MIGRATION = 8,         /* "migration" */
  MODEL_POL_PERMITTING = 9,        /* "permitting" */
  MODEL_POL_PRODUCTION_QUOTA = 10, /* "production_quota" */
  MODEL_POL_TAX = 11,              /* "tax" */
  /* issue 11 (docs/design/model-v2.md F, H, I) */
  MODEL_POL_FIRM_PRICE_FLOOR = 12,      /* "firm_price_floor" */
  MODEL_POL_TECHNOLOGY_EXPORT_BAN = 13, /* "technology_export_ban" */
  MODEL_POL_SANCTION = 14,              /* "sanction" */
  MODEL_POL_INVESTMENT_SCREEN = 15,     /* "investment_screen" */
  MODEL_POL_ORIGIN_RULE = 16,           /* "origin_rule" (threshold in
                                           rate_ppm, from_turn in turns) */
  /* design J4 (maps with parameters.recycling): the share of end-of-life
   * magnets collected as scrap, in rate_ppm */
  MODEL_POL_RECYCLING_COLLECTION = 17, /* "recycling_collection" */
  MODEL_POLICY_KINDS = 18
} model_policy_kind_t;

typedef enum {
  MODEL_FAC_BUILDING = 0, /* "building" */
  MODEL_FAC_OPERATING = 1 /* "operating" (possibly still ramping up) */
} model_fac_status_t;

typedef enum {
  MODEL_EV_MINE_ACCIDENT = 0, /* "mine_accident": one mine loses capacity */
  MODEL_EV_FLOOD = 1,         /* "flood": a nation's mines lose capacity */
  MODEL_EV_CONFLICT = 2,      /* "conflict": a nation's mining is cut */
  MODEL_EV_DEMAND_SURGE = 3,  /* "demand_surge": a product's demand rises */
  MODEL_EV_COST_OVERRUN = 4,  /* "cost_overrun": a project is delayed */
  MODEL_EV_POLICY = 5,        /* "policy": a nation's policy is set */
  MODEL_EV_PLANT_OUTAGE = 6,  /* "plant_outage": a plant loses capacity */
  MODEL_EV_STATE_SUPPORT = 7, /* "state_support": a nation's grant, equity,
                                 loan or firm_price_floor (the order in
                                 model_event_t.policy) */
  MODEL_EV_FINANCE = 8,       /* "finance": news only: spending a nation
                                 could not fund, a default, the end of a
                                 receivership (never scripted) */
  MODEL_EVENT_KINDS = 9
} model_event_kind_t;

/* ---- Errors ---- */
typedef enum {
  MODEL_OK = 0,
  MODEL_ENOMEM = -1,    /* out of memory */
  MODEL_EINVAL = -2,    /* an argument is invalid */
  MODEL_EMAP = -3,      /* a map is malformed (model_error_t says where) */
  MODEL_EIO = -4,       /* a map file could not be read */
  MODEL_ESTATE = -5,    /* a serialised state is malformed or of another map */
  MODEL_ELIMIT = -6,    /* a named limit was exceeded */
  MODEL_EFINISHED = -7, /* the game is over: no turn left to resolve */
  MODEL_ERANGE = -8     /* an exact integer would overflow; a turn that
                           would is refused (model_last_error) */
} model_err_t;

/* A human-readable description of a model_err_t. Never NULL. */
const char *model_strerror(int err);

/* Where a map was refused: the file (or the name given for a string), the
 * 1-based line and column (0 where unknown), and what was expected. */
typedef struct {
  char file[256];
  int line;
  int column;
  char message[MODEL_MESSAGE_MAX];
} model_error_t;

/* ---- Names and unit helpers (for the protocol layer and tests) ---- */

/* Each returns the enum value for a wire name, or -1. */
int model_product_from_name(const char *name);
int model_stage_from_name(const char *name);
int model_skill_from_name(const char *name);
int model_op_from_name(const char *name);
int model_policy_from_name(const char *name);
/* Each returns the wire name; NULL for an out-of-range value. */
const char *model_product_name(int product);
const char *model_stage_name(int stage);
const char *model_skill_name(int skill);
const char *model_op_name(int op);
const char *model_policy_name(int kind);
const char *model_event_name(int kind);
/* Demand sectors (issue 11): ev, wind, industrial, electronics, defence,
 * other. */
int model_sector_from_name(const char *name);
const char *model_sector_name(int sector);

/* Wire units (numbers) to internal integers, rounding half away from zero.
 * Each returns 0 and sets *out, or MODEL_ERANGE where the value is not finite
 * or beyond the named limits. They use one IEEE-754 multiplication each, so
 * they give the same integers on every conforming machine. */
MODEL_WUR int model_tonnes_to_kg(double tonnes, int64_t *out);
MODEL_WUR int model_usd_to_cents(double usd, int64_t *out);
MODEL_WUR int model_usd_per_kg_to_cents(double usd_per_kg, int64_t *out);
MODEL_WUR int model_fraction_to_ppm(double fraction, int64_t *out);
/* Internal integers back to wire numbers (for observations on the wire). */
double model_kg_to_tonnes(int64_t kg);
double model_cents_to_usd(int64_t cents);
double model_ppm_to_fraction(int64_t ppm);

/* ---- Maps ---- */
typedef struct model_map model_map_t;

/* Parse a map from memory. `name` is what errors call the file. On
 * MODEL_EMAP, *err (if not NULL) says where and what was expected. */
MODEL_WUR int model_map_load_string(const char *json, size_t len,
                                    const char *name, model_map_t **out,
                                    model_error_t *err);
/* Read and parse a map file (the library's only I/O, for start-up). */
MODEL_WUR int model_map_load_file(const char *path, model_map_t **out,
                                  model_error_t *err);
void model_map_free(model_map_t *map);

const char *model_map_id(const model_map_t *map);
const char *model_map_title(const model_map_t *map);
int model_map_turns(const model_map_t *map);
size_t model_map_seat_count(const model_map_t *map);
size_t model_map_nation_count(const model_map_t *map);
/* Whether a product exists on the map (design J1: basket maps have
 * dytb_oxide, split maps dy_oxide and tb_oxide instead). */
bool model_map_has_product(const model_map_t *map, int product);
/* Whether a stage (or skill) exists on the map (design J4: recycling only
 * on maps with parameters.recycling, which also have magnet_scrap). */
bool model_map_has_stage(const model_map_t *map, int stage);
/* Seat i's id, kind and title (NULL / -1 when i is out of range). */
const char *model_map_seat_id(const model_map_t *map, size_t i);
int model_map_seat_kind(const model_map_t *map, size_t i);
const char *model_map_seat_title(const model_map_t *map, size_t i);
/* Whether seat i is seatless (issue 11, map key "seatless"): a firm that
 * no player or agent may take; it plays its standing orders. False when i
 * is out of range. */
bool model_map_seat_seatless(const model_map_t *map, size_t i);
/* Index of a seat id, or -1. */
int model_map_seat_index(const model_map_t *map, const char *seat);
const char *model_map_nation_id(const model_map_t *map, size_t i);
/* The BLAKE2b-256 digest of the map's bytes, as loaded. */
const uint8_t *model_map_digest(const model_map_t *map);

/* ---- Orders ----
 * One order, in internal units. Fields not used by an op are ignored (keep
 * them zero). Standing rules (PROTOCOL.md): operate, offer, bid and policy
 * stand until changed; build, hire and train act once. */
typedef struct {
  model_op_t op;
  int32_t stage;   /* build, policy subsidy/permitting/production_quota */
  int32_t product; /* offer, bid, policy (trade kinds, price_floor, ...) */
  int32_t skill;   /* hire, train, talent_programme, migration */
  char facility[MODEL_ID_MAX];  /* operate; build: expand it (brownfield) */
  char site[MODEL_ID_MAX];      /* build, mining: a deposit id */
  int64_t capacity_kg_per_year; /* build */
  int64_t utilisation_ppm;      /* operate: 0..1e6 */
  int64_t count;                /* hire (may be negative), train: people */
  int64_t quantity_kg;          /* offer/bid: this turn; export_quota: per turn;
                                   price_floor: per turn; production_quota: per turn;
                                   0 withdraws an offer or bid */
  int64_t price_cents_per_kg;   /* offer: min price; bid: max price;
                                   price_floor: the floor */
  /* policy */
  model_policy_kind_t kind;
  char partner[MODEL_ID_MAX];  /* export_*: `to`; tariff: `from`; a nation
                                  id, or "" / "all" for every nation */
  bool lift;                   /* export_quota: quantity nil lifts it;
                                  export_ban: true lifts the ban */
  int64_t rate_ppm;            /* tariff (ad valorem), tax (on profits),
                                  loan (yearly), origin_rule (threshold) */
  int64_t approval_ppm;        /* export_licence: share approved per turn */
  int64_t capex_share_ppm;     /* subsidy */
  int64_t output_cents_per_kg; /* subsidy */
  int64_t target_kg;           /* stockpile */
  int64_t budget_cents;        /* talent_programme, per turn */
  bool inbound, outbound;      /* migration */
  int64_t speed_ppm;           /* permitting: 500000..2000000 */
  /* issue 11 (docs/design/model-v2.md F, G, H, I); zero where unused */
  char firm[MODEL_ID_MAX];      /* grant, equity, loan, firm_price_floor,
                                   sanction: a firm's seat id */
  char contract[MODEL_ID_MAX];  /* contract_*: the contract's id */
  char seat[MODEL_ID_MAX];      /* contract_propose: `to`, the counterparty;
                                   contract_accept, contract_withdraw:
                                   `from`, the proposer ("" = yourself) */
  char choice[MODEL_ID_MAX];    /* export_licence: `basis` ("offers" or
                                   "exports"); contract_propose: `side`
                                   ("sell" or "buy") */
  char host[MODEL_ID_MAX];      /* build: `nation`, where to build ("" =
                                   home) */
  int64_t amount_cents;         /* grant, equity, loan */
  int64_t stake_ppm;            /* equity: the share of the firm bought */
  int64_t turns;                /* loan, firm_price_floor, contract: turns;
                                   origin_rule: from_turn */
  int64_t grace;                /* loan: turns before repayment starts */
  int64_t penalty_cents_per_kg; /* contract: per kg not delivered */
  bool two_sided;               /* firm_price_floor: a contract for
                                   difference (the firm pays back above the
                                   strike) */
  /* issue 11, closing the loopholes (docs/design/model-v2.md C, E, L3) */
  char origin[MODEL_ID_MAX];  /* hire: `from`, the nation whose pool to hire
                                 from ("" = home) */
  bool apprentice;            /* hire: take on apprentices under mentors */
  char index[MODEL_ID_MAX];   /* bid: a product whose price the max price
                                 follows ("" = a fixed max price);
                                 contract_propose: the product whose price
                                 sets the contract's ("" = a fixed price) */
  int64_t normal_stock_kg;    /* offer: stock-following ask (0: fixed) */
  int64_t stock_discount_ppm; /* offer */
  int64_t min_share_ppm;      /* offer: 0 means 0.5 */
  /* issue 11, contract_propose with an index: price = clamp(share x the
   * index product's last price in the seller's nation, floor, cap) */
  int64_t index_share_ppm; /* 0: 1 (the index price itself) */
  int64_t floor_cents_per_kg, cap_cents_per_kg; /* cap 0: none */
  bool consume; /* contract_propose: a nation buyer consumes the goods
                   (final demand met, counted in its supply security)
                   instead of stockpiling them */
  /* issue 11, design J3: operate on a magnet plant, the heavies' recipe
   * (kg per kg magnet, ppm): heavy_recipe of dytb_oxide on basket maps,
   * dy_recipe of dy_oxide on split maps (Tb follows by the same share);
   * 0: unchanged */
  int64_t heavy_recipe_ppm, dy_recipe_ppm;
  /* issue 11, lapsing policies: policy (every kind but firm_price_floor,
   * which has its own turns): `turns`, the turns it holds from the turn it
   * first binds, after which the nation's previous policy returns (0: it
   * stands until replaced). In an observation's standing policies: the
   * turns it still holds. */
  int64_t lapse_turns;
  /* issue 11, design I2: subsidy `foreign` false (stored negated): the
   * subsidy pays the nation's own firms only, not plants built there by
   * foreign firms */
  bool home_only;
} model_order_t;

/* ---- The order schema (model/order_schema.c) ----
 * One table describes every op and every policy kind: its fields, each with
 * its wire key, type, unit, place in model_order_t, range (in wire units),
 * presence and a one-line description. The wire codec, the map loader, the
 * canonical copy the state keeps, the CLI, the export, docs/orders.md and
 * the JSON Schema of orders.schema are all driven by it. Everything here is
 * static, immutable data: nothing to free. */
typedef enum {
  MODEL_FIELD_PRODUCT, /* a product name; int32_t in the order */
  MODEL_FIELD_STAGE,   /* a stage name; int32_t */
  MODEL_FIELD_SKILL,   /* a skill name; int32_t */
  MODEL_FIELD_ID,      /* an id string; char[MODEL_ID_MAX] */
  MODEL_FIELD_PARTNER, /* a nation id or "all" (the default);
                          char[MODEL_ID_MAX] */
  MODEL_FIELD_NUMBER,  /* a number in the field's unit; int64_t inside */
  MODEL_FIELD_INTEGER, /* a whole number; int64_t */
  MODEL_FIELD_BOOL     /* true or false; bool */
} model_field_type_t;

typedef enum {
  MODEL_UNIT_NONE,
  MODEL_UNIT_TONNES,          /* t on the wire, kg inside */
  MODEL_UNIT_TONNES_PER_YEAR, /* t/yr on the wire, kg/yr inside */
  MODEL_UNIT_USD,             /* USD on the wire, cents inside */
  MODEL_UNIT_USD_PER_KG,      /* USD/kg on the wire, cents/kg inside */
  MODEL_UNIT_FRACTION,        /* a fraction (0.25 = 25%), ppm inside */
  MODEL_UNIT_FACTOR,          /* a multiplier (1 = as is), ppm inside */
  MODEL_UNIT_PEOPLE,          /* whole people */
  MODEL_UNIT_TURNS            /* whole turns (quarters) */
} model_unit_t;

typedef enum {
  MODEL_FIELD_REQUIRED,
  MODEL_FIELD_OPTIONAL,    /* absent: zero, false, or "all" for a partner */
  MODEL_FIELD_NIL_LIFTS,   /* optional; nil or absent sets the order's lift
                              (and packs as nil when lift is set) */
  MODEL_FIELD_IF_QUANTITY, /* required when the order's quantity is more
                              than 0 (offer and bid prices) */
  MODEL_FIELD_NEGATED      /* a bool, optional, default true on the wire,
                              stored negated (so a zeroed order holds the
                              default): subsidy's foreign */
} model_presence_t;

typedef struct {
  const char *key; /* the wire key */
  model_field_type_t type;
  model_unit_t unit;
  size_t offset;   /* offsetof(model_order_t, the field) */
  double min, max; /* inclusive, wire units (numbers only) */
  model_presence_t presence;
  bool omit_empty;         /* packed only when set (build's site, facility) */
  const char *allowed;     /* numbers: what a refusal says is allowed, as in
                              "field 'x' must be <allowed>" */
  const char *description; /* one line, for docs and help */
} model_field_t;

typedef struct {
  model_op_t op;
  int kind;                /* the model_policy_kind_t of a policy, else -1 */
  const char *name;        /* the op's wire name, or the policy kind's */
  const char *who;         /* "firms", "nations", ... */
  bool stands;             /* stands until changed (else acts once) */
  const char *description; /* one line */
  size_t n_fields;         /* fields other than op and kind, in the order */
  const model_field_t *fields; /* the wire packs them */
} model_order_schema_t;

/* Every op but policy, then every policy kind, in their enums' order. */
size_t model_order_schema_count(void);
const model_order_schema_t *model_order_schema_at(size_t i);
/* The schema of an op (and, for MODEL_OP_POLICY, of kind), or NULL when
 * either is out of range. */
const model_order_schema_t *model_order_schema(int op, int kind);
/* The field of a schema with this wire key, or NULL. */
const model_field_t *model_order_field(const model_order_schema_t *s,
                                       const char *key);
/* "t", "USD/kg", ... ("" for MODEL_UNIT_NONE); "number", "boolean", ... */
const char *model_unit_name(model_unit_t u);
const char *model_field_type_name(model_field_type_t t);
/* The wire names a name field allows (products, stages or skills) and
 * their number; NULL for other types. */
const char *const *model_field_names(model_field_type_t t, int *n);
/* A wire number in a unit to the internal integer (model_tonnes_to_kg and
 * friends; people must be whole), and back. */
MODEL_WUR int model_unit_to_internal(model_unit_t u, double v, int64_t *out);
double model_unit_to_wire(model_unit_t u, int64_t v);
/* A number field's range in internal units. */
MODEL_WUR int model_field_range(const model_field_t *f, int64_t *lo,
                                int64_t *hi);
/* The order as the state keeps it: the fields of its op's schema copied,
 * every other field zero (names -1), "" partners as "all", a lifted
 * quota's quantity 0. */
void model_order_canonical(const model_order_t *in, model_order_t *out);
/* docs/orders.md, generated from the table: a malloc'd text (the caller
 * frees it) of *len bytes plus a NUL. */
MODEL_WUR int model_order_schema_markdown(char **out, size_t *len);

/* A refused order: its index in the submission, the code ("invalid_order"),
 * the field at fault ("op" where the op itself is wrong) and a message that
 * says what is allowed. */
typedef struct {
  size_t index;
  char code[24];
  char field[32];
  char message[MODEL_MESSAGE_MAX];
} model_refusal_t;

/* ---- Events (facilitator-injected, scripted, or news) ---- */
typedef struct {
  model_event_kind_t kind;
  int32_t turn;                 /* the turn it fired (news) or fires */
  char nation[MODEL_ID_MAX];    /* target nation, "" for none */
  char facility[MODEL_ID_MAX];  /* target facility, "" for none */
  int32_t product;              /* demand_surge; -1 otherwise */
  int32_t stage;                /* -1 where unused */
  int64_t magnitude_ppm;        /* share of capacity lost / demand added */
  int32_t duration;             /* turns the effect lasts (delay: turns) */
  model_order_t policy;         /* MODEL_EV_POLICY: the policy order */
  char text[MODEL_MESSAGE_MAX]; /* the headline, for news */
  /* Who sees it as news (issue 13): n_audience seat indices of the map,
   * in increasing order without repeats; 0 for everyone (every scripted
   * and random event, and an inject without `seats`). A seat's
   * observation lists only the news it may see (model_event_visible). */
  int32_t n_audience;
  int32_t audience[MODEL_AUDIENCE_MAX];
} model_event_t;

/* May seat (an index of the map; -1 for the public view of a spectator)
 * see ev as news? Everyone sees an event without an audience. */
bool model_event_visible(const model_event_t *ev, int seat);

/* ---- The map's scripted events and prepared injects (issue 13) ---- */
size_t model_map_scripted_count(const model_map_t *map);
/* Scripted event i (its turn in ->turn), or NULL out of range. Lives as
 * long as the map. */
const model_event_t *model_map_scripted(const model_map_t *map, size_t i);

/* A prepared inject of the map ("injects", docs/maps.md): the control
 * cell's list for a scenario, which the server loads as pending injects
 * of a new session (hidden from the seats until they fire). The event's
 * turn is the turn it fires at; its audience says who sees it. */
typedef struct {
  model_event_t event;
  char note[MODEL_MESSAGE_MAX];    /* control's note, "" for none */
  char sources[MODEL_MESSAGE_MAX]; /* the source keys, ", "-separated */
} model_map_inject_t;
size_t model_map_inject_count(const model_map_t *map);
const model_map_inject_t *model_map_inject(const model_map_t *map, size_t i);

/* A choice of the map's story ("choices", docs/maps.md): a named set of
 * orders that one seat may submit, offered to that seat in its
 * observation (`you.choices`) so a player or a bot can take the story's
 * move as it happened (the DoD-MP deal, MP's 10X plant) or leave it. The
 * orders are checked against the map when it loads; the state's checks
 * (cash, facilities) apply when they are submitted. */
typedef struct {
  char id[MODEL_ID_MAX];
  int32_t seat;                     /* the seat that may make it */
  char note[2 * MODEL_MESSAGE_MAX]; /* what it is, "" for none */
  char sources[MODEL_MESSAGE_MAX];  /* the source keys, ", "-separated */
  model_order_t *orders;
  size_t n_orders;
} model_map_choice_t;
size_t model_map_choice_count(const model_map_t *map);
const model_map_choice_t *model_map_choice(const model_map_t *map, size_t i);

/* ---- State ---- */
typedef struct model_state model_state_t;

MODEL_WUR int model_state_new(const model_map_t *map, uint64_t seed,
                              model_state_t **out);
MODEL_WUR int model_state_clone(const model_state_t *st, model_state_t **out);
void model_state_free(model_state_t *st);

const model_map_t *model_state_map(const model_state_t *st);
/* The turn open for orders (0-based), and the number of turns. A game is
 * finished when model_state_turn == model_state_turns. */
int model_state_turn(const model_state_t *st);
int model_state_turns(const model_state_t *st);
uint64_t model_state_seed(const model_state_t *st);
size_t model_state_facility_count(const model_state_t *st);

/* Check a seat's orders without changing anything. Every refused order gets
 * one refusal (up to cap); *n_refused is their number. Returns 0 (refusals
 * are not errors) or a negative model_err_t for bad arguments. */
MODEL_WUR int model_validate(const model_state_t *st, int seat,
                             const model_order_t *orders, size_t n,
                             model_refusal_t *refusals, size_t cap,
                             size_t *n_refused);
/* Validate and keep the accepted orders as the seat's submission for this
 * turn, replacing any earlier submission (PROTOCOL.md orders.submit). An
 * empty submission keeps the standing orders. */
MODEL_WUR int model_submit(model_state_t *st, int seat,
                           const model_order_t *orders, size_t n,
                           model_refusal_t *refusals, size_t cap,
                           size_t *n_refused);
/* Queue a facilitator's event; it fires at the end of the turn resolved
 * next (DOMAIN.md step 6) with the other events, after the scripted ones
 * and in the order queued. An audience (ev->n_audience) must name seats
 * of the map. A refused turn (model_resolve failing) leaves the queue as
 * it was before the call: model_inject_clear empties it. */
MODEL_WUR int model_inject_event(model_state_t *st, const model_event_t *ev);
/* Would model_inject_event take ev now? 0, or 1 with r's field and
 * message saying what is wrong and what would be right (r->index 0). The
 * event's turn is not looked at. */
int model_event_check(const model_state_t *st, const model_event_t *ev,
                      model_refusal_t *r);
/* Forget every queued, unfired event. */
void model_inject_clear(model_state_t *st);

/* The map's scripted event i runs in this game or not (issue 13: a
 * session without scripted history, or control cancelling one before it
 * fires). Off is part of the state (serialised, so in the hash and in
 * every snapshot from then on); a game that turns nothing off serialises
 * exactly as before. MODEL_EINVAL for an index out of range. */
int model_scripted_set(model_state_t *st, size_t i, bool on);
bool model_scripted_on(const model_state_t *st, size_t i);

/* ---- Report of the last resolved turn ---- */
typedef struct {
  int32_t turn; /* the turn just resolved; -1 before the first */
  size_t n_nations;
  size_t n_seats;
  int64_t price[MODEL_PRODUCTS];  /* world reference, cents/kg */
  int64_t volume[MODEL_PRODUCTS]; /* kg traded (all buyers) */
  int64_t *regional;              /* [product * n_nations + nation], cents/kg */
  int64_t *production;            /* [stage * n_nations + nation], kg output */
  int64_t *capacity; /* [stage * n_nations + nation], kg/yr online at the
                        end of the turn: operating facilities' nameplate
                        (finished expansions included, still ramping or
                        not); model_obs_t.capacity adds construction */
  int64_t *scores;   /* [seat], score in ppm of the seat's objectives */
  size_t n_news;
  model_event_t news[MODEL_NEWS_MAX];
  /* The books of the turn: money created by final demand (a source) and
   * destroyed by opex, wages, capex, training and transport (sinks). */
  int64_t money_sources;
  int64_t money_sinks;
  /* Material: kg produced and kg lost (recovery losses, consumed into
   * magnets, consumed by final demand) per product, for the balance. */
  int64_t produced[MODEL_PRODUCTS];
  int64_t consumed[MODEL_PRODUCTS];
  /* Orders refused at resolution (rare: e.g. a site taken by another seat
   * in the same turn), seat by seat. */
  size_t n_late_refusals;
  model_refusal_t late_refusals[16];
  int32_t late_refusal_seat[16];
} model_report_t;

/* Resolve the open turn: apply every seat's submission (a seat with none
 * plays its standing orders), run DOMAIN.md's turn order, book money, fire
 * events, compute scores. On success the turn advances and the report is
 * available from model_last_report. On failure the state is exactly as it
 * was before the call: MODEL_ERANGE when money or tonnes would leave int64
 * or a holder's money would pass 2^62 cents (model_last_error says where),
 * MODEL_ENOMEM, MODEL_EFINISHED. */
MODEL_WUR int model_resolve(model_state_t *st);
const model_report_t *model_last_report(const model_state_t *st);

/* Why the last model_resolve on this state failed: for MODEL_ERANGE, the
 * turn, the seat (or "nation X" for a nation without one) and the quantity
 * that would have left the exact range, e.g. "turn 12: seat CHN: budget
 * would pass the int64 range (budget -9.2e+16 USD - price floor purchase
 * 1e+12 USD)". A refused turn leaves the state exactly as it was before
 * model_resolve (the submissions for the turn included), so the caller
 * may change orders and try again. "" when the last resolve succeeded or
 * failed without a message. Lives in the state until the next
 * model_resolve or model_state_free. */
const char *model_last_error(const model_state_t *st);

/* Convenience: submit orders for every seat (orders[s], counts[s]; NULL or
 * 0 keeps standing orders) and resolve. Refusals are dropped. */
MODEL_WUR int model_turn(model_state_t *st, const model_order_t *const *orders,
                         const size_t *counts);

/* ---- Observation (PROTOCOL.md "The observation") ----
 * Everything a seat may see, as plain data. `you` is private to the seat;
 * `market` and `public` are the same for every seat. */
typedef struct {
  char id[MODEL_ID_MAX];
  int32_t stage;
  char site[MODEL_ID_MAX];       /* deposit id for mines, else "" */
  char nation[MODEL_ID_MAX];     /* where it stands */
  int64_t capacity_kg_per_year;  /* nameplate (including a finished
                                    expansion) */
  int64_t effective_kg_per_year; /* after ramp-up and events */
  int64_t utilisation_ppm;
  model_fac_status_t status;
  int32_t turns_left; /* while building (or expanding), else 0 */
  int64_t staff;      /* people assigned */
  int64_t staff_needed;
  int64_t unit_cost_cents_per_kg;  /* opex per kg of output (separation: per
                                      kg of concentrate fed), after
                                      learning; a thrifted magnet plant's
                                      extra opex included */
  int64_t recovery_ppm;            /* separation; 1e6 elsewhere */
  int64_t output_kg;               /* last resolved turn (separation: the
                                      oxides) */
  int64_t cumulative_kg;           /* experience: cumulative output
                                      (separation: concentrate fed) */
  int64_t expanding_kg_per_year;   /* an expansion under construction */
  int32_t expansion_turns_left;    /* turns until it is finished, else 0 */
  int32_t permit_turns_left;       /* of turns_left (or expansion_turns_left),
                                      the turns still spent on permits */
  int64_t effective_experience_kg; /* stages that learn on effective
                                      experience (docs/model.md, "Learning");
                                      else the facility's own */
  /* design J3, magnet plants: the heavies' recipe in use (kg of dytb_oxide,
   * or dy_oxide on split maps, per kg magnet, ppm), the one ordered (0:
   * never ordered) and the turns before it takes effect */
  int64_t heavy_recipe_ppm, heavy_recipe_target_ppm;
  int32_t thrift_turns_left;
} model_obs_facility_t;

/* A deposit, as every seat sees it: where a mine may be built (the `site`
 * of a build order) and what it yields. */
typedef struct {
  char id[MODEL_ID_MAX];
  char nation[MODEL_ID_MAX];
  int32_t type;                   /* 0 hard-rock light, 1 ionic-clay heavy */
  int64_t reserves_kg;            /* left to mine */
  int64_t basket_ppm[3];          /* ndpr_oxide, dytb_oxide, lace_oxide */
  int64_t unit_cost_cents_per_kg; /* opex of mines here; -1: the stage's */
  bool open;                      /* a new mine may be built here */
  /* design J1: on split maps basket_ppm[1] is dy_oxide's share and this
   * tb_oxide's (0 on basket maps) */
  int64_t basket_tb_ppm;
  char owner[MODEL_ID_MAX]; /* issue 11: the firm that owns it, the only
                               one that may open a mine there; "" none */
} model_obs_deposit_t;

/* The rules of building and staffing, from the map: what a player needs to
 * plan a build or a training programme. Amounts for a nation are these
 * times its factors (model_obs_t.capex_factor_ppm and friends). */
typedef struct {
  int32_t lead_greenfield[MODEL_STAGES]; /* turns, at permitting speed 1 */
  int32_t lead_brownfield[MODEL_STAGES];
  int64_t capex_cents_per_kg_year[MODEL_STAGES];  /* per (kg/yr) added */
  int64_t brownfield_capex_ppm[MODEL_STAGES];     /* of greenfield capex */
  int64_t unit_cost_cents_per_kg[MODEL_STAGES];   /* a new plant's opex */
  int64_t learning_ppm[MODEL_STAGES];             /* cost fall per doubling */
  int64_t staff_milli_per_kt[MODEL_STAGES];       /* thousandths of a person per
                                                     1,000 t/yr of capacity */
  int64_t recovery_initial_ppm, recovery_max_ppm; /* separation */
  int64_t recipe_ppm[2]; /* kg of ndpr_oxide, dytb_oxide per kg magnet */
  int64_t wage_cents[MODEL_SKILLS]; /* per person-year, home */
  int32_t training_turns[MODEL_SKILLS];
  int64_t training_cost_cents[MODEL_SKILLS]; /* per trainee */
  /* Lead times in two phases (docs/model.md, "Lead times"): where
   * two_phase is set, a project spends permit turns (shortened by the
   * host's permitting speed), then build turns (not shortened; the
   * nation's lead factor applies) that grow by turns_per_doubling for each
   * doubling of its capacity above reference_capacity. Otherwise the
   * lead_* turns above are one phase at permitting speed. */
  bool two_phase[MODEL_STAGES];
  int32_t build_turns[MODEL_STAGES][2]; /* greenfield, brownfield */
  int64_t reference_capacity_kg[MODEL_STAGES];
  int64_t turns_per_doubling_milli[MODEL_STAGES]; /* thousandths of a turn */
  int64_t brownfield_max_share_ppm[MODEL_STAGES]; /* -1: unbounded */
  /* design J1: the products of the map (public.rules.products); on split
   * maps recipe_ppm[1] is dy_oxide's and recipe_tb_ppm tb_oxide's */
  bool products[MODEL_PRODUCTS];
  int64_t recipe_tb_ppm;
  /* design J3: Dy thrifting (parameters.thrift) */
  int64_t thrift_min_share_ppm, thrift_cost_cents_per_kg;
  int32_t thrift_turns;
  /* design J4: the stages of the map (public.rules.stages): recycling
   * only on maps with parameters.recycling, whose scrap is offered at
   * scrap_price_share of the magnet price and recovers recovery of the
   * magnet recipe's oxides; eol_lifetime turns from consumption to end of
   * life; collection costs collection_cost a kg (0 elsewhere) */
  bool stages[MODEL_STAGES];
  int64_t scrap_price_share_ppm, recycling_recovery_ppm;
  int64_t collection_cost_cents_per_kg;
  int32_t eol_lifetime;
} model_obs_rules_t;

typedef struct {
  int32_t nation; /* index into model_obs_t.nations */
  model_order_t policy;
} model_obs_policy_t;

/* One demand line of a nation (issue 11, demand by sector): the nation
 * whose demand it is, the product, the sector (model_sector_name), the
 * market it clears in and the nation whose supply security it counts
 * for; its reference volume this turn (kg per turn: trend less
 * substitution, before surges) and what it bought last turn; whether it
 * buys only qualified magnets, and the origins it refuses (a bit per
 * nation) from turn exclude_from. */
typedef struct {
  int32_t nation, product, sector, cleared_in, counts_for;
  int64_t volume_kg, consumed_kg;
  int64_t elasticity_ppm; /* |elasticity| at the reference point */
  int64_t price_cents;    /* the price it paid last turn (its market's, or
                             its restricted class's), cents/kg */
  bool qualified_only;
  uint64_t exclude_origin;
  int32_t exclude_from;
} model_obs_sector_t;

/* A policy set to lapse (issue 11): from `turn` on, nation's `policy`
 * (the one the lapsing policy replaced) holds again. */
typedef struct {
  int32_t nation, turn;
  model_order_t policy;
} model_obs_lapse_t;

typedef struct {
  char seat[MODEL_ID_MAX];
  int64_t score;
  /* issue 11: the seat's kind and (home) nation, public */
  model_seat_kind_t kind;
  char nation[MODEL_ID_MAX];
  bool qualified; /* a qualified magnet supplier (qualification maps) */
  bool seatless;  /* issue 11: played by its standing orders, no player */
} model_obs_score_t;

/* A plant of a firm in receivership (issue 11, money limits). */
typedef struct {
  char firm[MODEL_ID_MAX];     /* the firm in receivership */
  char facility[MODEL_ID_MAX]; /* the plant */
  int32_t stage;
  char nation[MODEL_ID_MAX];    /* where it stands */
  int64_t capacity_kg_per_year; /* nameplate */
  int64_t liquidation_cents;    /* the lowest price `acquire` may pay */
  int32_t turns_left;           /* of the firm's receivership */
} model_obs_for_sale_t;

/* A delivery contract or an open proposal (docs/protocol.md "Contracts"),
 * as both its parties see it. */
typedef struct {
  char id[MODEL_ID_MAX];
  char proposer[MODEL_ID_MAX], seller[MODEL_ID_MAX], buyer[MODEL_ID_MAX];
  int32_t product;
  bool accepted;       /* false: a proposal, open until turn `expires` ends */
  int32_t expires;     /* proposals */
  int32_t turns_left;  /* deliveries left (a proposal: all of them) */
  int64_t quantity_kg; /* per turn */
  int64_t price_cents_per_kg;   /* paid by the buyer */
  int64_t penalty_cents_per_kg; /* per kg not delivered */
  /* last turn (running contracts) */
  int64_t delivered_kg, shortfall_kg, excused_kg, penalty_cents;
  int64_t delivered_total_kg;
  /* a price formula: share x the index product's last price in the
   * seller's nation, within [floor, cap] (index -1: the fixed price) */
  int32_t index_product;
  int64_t index_share_ppm, floor_cents_per_kg, cap_cents_per_kg;
  int64_t price_last_cents_per_kg; /* the price of last turn's delivery */
  bool consume;                    /* a nation buyer consumes the goods */
} model_obs_contract_t;

/* State support in force, public (announced): a firm price floor or
 * contract for difference, a loan, or an equity stake. */
typedef enum {
  MODEL_SUPPORT_FLOOR = 0, /* "firm_price_floor" (two_sided: a CfD) */
  MODEL_SUPPORT_LOAN = 1,  /* "loan" */
  MODEL_SUPPORT_STAKE = 2  /* "equity" */
} model_support_kind_t;

typedef struct {
  model_support_kind_t kind;
  char nation[MODEL_ID_MAX], firm[MODEL_ID_MAX];
  int32_t product;            /* floors; -1 otherwise */
  bool two_sided;             /* floors */
  int32_t turns_left;         /* floors, loans (repayment turns left) */
  int64_t price_cents_per_kg; /* floors: the strike */
  int64_t quantity_kg;        /* floors: per turn covered */
  int64_t amount_cents;       /* loans: owed; stakes: paid */
  int64_t rate_ppm;           /* loans: per turn; stakes: the stake */
  int64_t last_cents;         /* last turn: paid to the firm by a floor
                                 (negative: paid back), paid to the nation
                                 on a loan */
} model_obs_support_t;

/* A firm's branch abroad (issue 11, design I2; maps with
 * parameters.branches): what it holds, the staff of its plants, its
 * standing offers and bids in the host's market and last turn's profit
 * tax to the host. */
typedef struct {
  char nation[MODEL_ID_MAX];
  int64_t inventory_kg[MODEL_PRODUCTS];
  int64_t staff[MODEL_SKILLS];
  int64_t offer_kg[MODEL_PRODUCTS], offer_cents_per_kg[MODEL_PRODUCTS];
  int64_t bid_kg[MODEL_PRODUCTS], bid_cents_per_kg[MODEL_PRODUCTS];
  int64_t tax_cents;
} model_obs_branch_t;

/* A firm's standing transfer between two of its locations, with what it
 * moved last turn and what export controls excused. */
typedef struct {
  int32_t product;
  char from[MODEL_ID_MAX], to[MODEL_ID_MAX];
  int64_t quantity_kg, moved_kg, excused_kg;
} model_obs_transfer_t;

typedef struct {
  /* header */
  char seat[MODEL_ID_MAX];
  model_seat_kind_t kind;
  char nation[MODEL_ID_MAX]; /* the seat's nation (home nation of a firm) */
  int32_t turn;              /* open for orders */
  int32_t turns;
  size_t n_nations;
  char (*nations)[MODEL_ID_MAX]; /* nation ids, the index of every
                                    per-nation array below */
  /* you (private) */
  int64_t cash_cents;   /* firms: cash; nations: budget */
  int64_t budget_cents; /* nations: budget (same as cash_cents); firms 0 */
  size_t n_facilities;
  model_obs_facility_t *facilities;
  int64_t inventory_kg[MODEL_PRODUCTS];
  int64_t staff[MODEL_SKILLS];
  int64_t in_training[MODEL_SKILLS];
  size_t n_orders;
  model_order_t *orders; /* this turn's accepted orders */
  model_order_t standing_offer[MODEL_PRODUCTS]; /* op OFFER, quantity 0 =
                                                   none */
  model_order_t standing_bid[MODEL_PRODUCTS];
  size_t n_policies;
  model_order_t *policies;              /* nations: their standing policies */
  int64_t demand_kg[MODEL_PRODUCTS];    /* nations: reference volume this
                                           turn (per turn): the trend less
                                           substitution, before surges */
  int64_t demand_price[MODEL_PRODUCTS]; /* nations: reference price */
  int64_t consumed_kg[MODEL_PRODUCTS];  /* nations: final demand met last
                                           turn */
  /* market (last resolved turn) */
  int64_t price[MODEL_PRODUCTS];
  int64_t *regional; /* [product * n_nations + nation] */
  int64_t volume[MODEL_PRODUCTS];
  /* public */
  int64_t *production; /* [stage * n_nations + nation], kg last turn */
  int64_t *capacity;   /* [stage * n_nations + nation], kg/yr announced
                          (operating and under construction) */
  size_t n_public_policies;
  model_obs_policy_t *public_policies;
  size_t n_news;
  model_event_t *news;
  size_t n_scores;
  model_obs_score_t *scores;
  /* public facts of the map, for planning */
  size_t n_deposits;
  model_obs_deposit_t *deposits;
  model_obs_rules_t rules;
  int64_t *capex_factor_ppm;     /* [stage * n_nations + nation] */
  int64_t *unit_cost_factor_ppm; /* [stage * n_nations + nation] */
  int64_t *lead_factor_ppm;      /* [stage * n_nations + nation] */
  /* you: the home nation's pool of each skill (people a firm may hire) */
  int64_t talent_pool[MODEL_SKILLS];
  /* public: permit turns of a project in each nation (two-phase stages),
   * [(stage * n_nations + nation) * 2 + brownfield] */
  int32_t *permit_turns;
  /* you: money limits (maps with finance; docs/model.md "Money limits") */
  bool finance;
  int64_t headroom_cents;         /* what it may still spend this turn */
  int64_t interest_rate_ppm;      /* per quarter, on debt */
  int64_t credit_line_cents;      /* firms: what its bank lends at most */
  int64_t credit_limit_cents;     /* firms: min(line, collateral share) */
  int32_t receivership_turns;     /* firms: turns left, 0 none */
  int64_t deficit_limit_cents;    /* nations */
  int64_t interest_arrears_cents; /* nations */
  /* you: training places the seat's orders may still take this turn in its
   * home nation, per skill (maps with training capacity); -1: no limit */
  bool train_caps;
  int64_t training_left[MODEL_SKILLS];
  /* public: each product's reference price, the map's opening world price
   * (cents/kg): what strategies anchor their prices to */
  int64_t reference_price[MODEL_PRODUCTS];
  /* market: the world prices of the last n_history resolved turns, newest
   * first (maps with parameters.price_history; 0 elsewhere) */
  int32_t n_history;
  int64_t history[MODEL_HISTORY_MAX][MODEL_PRODUCTS];
  /* public: the plants of firms in receivership, which any other firm may
   * buy (`acquire`) at no less than their liquidation value */
  size_t n_for_sale;
  model_obs_for_sale_t *for_sale;
  /* you (issue 11): the seat's proposals and contracts, either side */
  size_t n_contracts;
  model_obs_contract_t *contracts;
  /* public (issue 11): state support in force */
  size_t n_support;
  model_obs_support_t *support;
  /* you (issue 11, rules of origin): kg of each product held that is the
   * tracked nation's material (goods its origin rules control), when the
   * game tracks one */
  bool origin_tracked;
  int64_t controlled_kg[MODEL_PRODUCTS];
  /* you (issue 11, qualification; maps with parameters.qualification):
   * whether the firm's magnets are qualified for defence and automotive
   * buyers, and its qualifying turns so far; the rules */
  bool qualification;
  bool qualified;
  int32_t qualification_turns_done;
  int32_t qualification_turns;  /* needed */
  int64_t qualification_min_kg; /* a turn's output that counts */
  /* public (issue 13, closed information; maps with "information", else
   * closed_info is false and the two arrays NULL): which figures of
   * `capacity` are estimates, a flag per [stage * n_nations + nation]
   * (other nations' capacity under construction, seen with an error the
   * map bounds), and per nation the policy kinds left out of
   * public_policies (a bit per model_policy_kind_t) */
  bool closed_info;
  uint8_t *capacity_estimated;
  uint32_t *unpublished;
  /* public (issue 11, demand by sector; maps whose demand lists sectors,
   * else n_sectors is 0): every nation's demand lines, in map order */
  size_t n_sectors;
  model_obs_sector_t *sectors;
  /* public (issue 11, lapsing policies): the policies that return when a
   * policy set with `turns` lapses, soonest first (0 entries when none;
   * closed information's unpublished kinds left out) */
  size_t n_lapses;
  model_obs_lapse_t *lapses;
  /* you (issue 11, branches abroad; maps with parameters.branches, else
   * has_branches is false and the arrays NULL): the firm's branches and
   * standing transfers */
  bool has_branches;
  size_t n_branches, n_transfers;
  model_obs_branch_t *branches;
  model_obs_transfer_t *transfers;
  /* you (issue 11, the map's "choices"): the story's moves this seat may
   * make, in map order (pointers into the map, which outlives the
   * observation; n_choices 0 and NULL when it has none) */
  size_t n_choices;
  const model_map_choice_t **choices;
  /* you (design J4, a nation on a map with recycling): last turn's
   * collection of end-of-life magnets, kg of scrap and what the budget
   * paid for it */
  int64_t scrap_collected_kg, collection_paid_cents;
} model_obs_t;

MODEL_WUR int model_observe(const model_state_t *st, int seat,
                            model_obs_t **out);
/* The same observation as ground truth (issue 13, the control cell): the
 * map's closed information ignored, every capacity exact and every
 * policy listed in public_policies; closed_info and the arrays as
 * model_observe's. On a map without "information" it equals
 * model_observe's. */
MODEL_WUR int model_observe_truth(const model_state_t *st, int seat,
                                  model_obs_t **out);
/* The public part as someone with no seat sees it (issue 13, an observer
 * without seats): built as seat 0's observation, of which only `market`
 * and `public` are meant to be read; with closed information, every
 * nation's capacity under construction is an estimate (viewer -1). */
MODEL_WUR int model_observe_public(const model_state_t *st, model_obs_t **out);
/* Every proposal and contract of the game (issue 11), for the facilitator
 * (the server's contracts.list) and tools: a malloc'd array the caller
 * frees (NULL when there are none), *n entries. */
MODEL_WUR int model_contracts_all(const model_state_t *st,
                                  model_obs_contract_t **out, size_t *n);
/* Contracts negotiated outside the orders (issue 13: the server's
 * contract.propose ... contract.accept). model_contract_check judges a
 * contract_propose order `o` by `seat` exactly as orders.submit would
 * (every check of the order, against this state): 0 if it stands, 1 with
 * r filled if refused, or a negative MODEL_E* error.
 * model_contract_sign adds it to the state as a contract already accepted
 * by its counterparty (o->seat), so it delivers from the turn the next
 * model_resolve plays, and is enforced as any other. It checks first (1
 * and r when refused; nothing changes). Signing the same contract (its
 * proposer, id, counterparty and terms) again is a no-op returning 0, so
 * a caller may sign a turn's agreements before each attempt at resolving
 * it (a refused turn keeps what was signed before it). Deterministic: a
 * replay that signs the same orders in the same order before the same
 * turn reaches the same state. */
MODEL_WUR int model_contract_check(const model_state_t *st, int seat,
                                   const model_order_t *o, model_refusal_t *r);
MODEL_WUR int model_contract_sign(model_state_t *st, int seat,
                                  const model_order_t *o, model_refusal_t *r);
void model_obs_free(model_obs_t *obs);

/* ---- Lead times (docs/model.md, "Lead times") ----
 * One function for the model and for agents, so that a plan and the
 * construction it orders agree. A project of capacity_kg spends
 * *permit_left (turns x 1e6, shortened by the permitting speed each turn)
 * then *build_left (turns x 1e6; one turn each turn on two-phase stages,
 * the permitting speed on one-phase ones). */
typedef struct {
  bool two_phase;
  int32_t lead_turns;   /* one phase: the map's lead */
  int32_t permit_turns; /* two phases */
  int32_t build_turns;  /* at the reference capacity */
  int64_t reference_kg; /* kg/yr */
  int64_t turns_per_doubling_milli;
  int64_t lead_factor_ppm; /* the host nation's construction factor */
  int64_t speed_ppm;       /* the host nation's permitting speed */
} model_project_rule_t;
void model_project_phases(const model_project_rule_t *r, int64_t capacity_kg,
                          int64_t *permit_left, int64_t *build_left);
/* Turns of construction, counting the turn the order takes effect: a
 * project ordered at turn t operates from turn t + turns - 1. */
int32_t model_project_turns(const model_project_rule_t *r, int64_t capacity_kg);
/* The same from what an observation shows (for agents). */
int32_t model_obs_project_turns(const model_obs_t *obs, int stage, int nation,
                                bool brownfield, int64_t capacity_kg,
                                int64_t speed_ppm);

/* ---- Amendments (docs/model.md, "Amendments") ----
 * A control cell that reviews a turn's result may amend it before the
 * result is released (the server's turn.release). An amendment is pure and
 * deterministic: applied to the same state it gives the same state, bit for
 * bit, which is what a replay does with the stored amendments.
 *
 * refuse_order and production act on the state BEFORE the turn is
 * resolved (the turn is then resolved again without that order, or with
 * that facility's output capped, so the markets, feeds and books follow
 * as in any turn); cash and delivery act on the state just resolved (the
 * turn's report is corrected with them). Amounts are exact
 * integers: cents and kg. */
typedef enum {
  MODEL_AMEND_CASH = 0,     /* a seat's money changes by amount_cents, booked
                               as a money source (> 0) or sink (< 0) */
  MODEL_AMEND_PRODUCTION,   /* a facility's output of the turn is capped
                               at kg (0 <= kg <= its capacity for a turn):
                               the turn is resolved again with the cap */
  MODEL_AMEND_DELIVERY,     /* a contract's delivery of the turn is cut to
                               kg (0 <= kg < what was delivered) */
  MODEL_AMEND_REFUSE_ORDER, /* a seat's order `order` of the turn (index in
                               its accepted orders) is refused */
  MODEL_AMEND_KINDS
} model_amend_kind_t;

#define MODEL_REASON_MAX 512 /* bytes of an amendment's reason, with NUL */
#define MODEL_CAPS_MAX   64  /* production amendments of one turn */

typedef struct {
  model_amend_kind_t kind;
  int32_t seat;                /* map seat index */
  int64_t amount_cents;        /* cash */
  char facility[MODEL_ID_MAX]; /* production */
  char contract[MODEL_ID_MAX]; /* delivery */
  int64_t kg;                  /* production, delivery: what is kept */
  int32_t order;               /* refuse_order */
  char reason[MODEL_REASON_MAX];
} model_amendment_t;

const char *model_amend_kind_name(int kind);
int model_amend_kind_from_name(const char *name);
/* Does this kind act before the turn's resolution (refuse_order,
 * production)? */
bool model_amend_before(int kind);
/* Apply one amendment. 0, or MODEL_EINVAL with a sentence in err saying
 * what was wrong and what would be right (the state is then unchanged). */
MODEL_WUR int model_amend(model_state_t *st, const model_amendment_t *a,
                          char *err, size_t errlen);

/* ---- Serialisation and hash ----
 * The serialisation is a sequence of MessagePack values holding every field
 * of the state (the map is named by id and digest, not copied); it
 * round-trips exactly
 * (bytes and hash). The hash is BLAKE2b-256 over the serialisation, so it
 * covers the whole state, the seed and turn of the counter-based RNG
 * included. */
MODEL_WUR int model_state_serialise(const model_state_t *st, uint8_t **buf,
                                    size_t *len);
MODEL_WUR int model_state_deserialise(const model_map_t *map,
                                      const uint8_t *buf, size_t len,
                                      model_state_t **out);
MODEL_WUR int model_state_hash(const model_state_t *st,
                               uint8_t out[MODEL_HASH_BYTES]);

/* ---- Introspection for tests and tools (read-only) ---- */
/* Holders of goods and money: firms are holders 0..seats-1 (a nation seat's
 * own entry holds nothing), and every nation (seated or not) is holder
 * seats + nation, holding its budget and state stockpile. */
size_t model_state_holder_count(const model_state_t *st);
int64_t model_state_holder_inventory(const model_state_t *st, size_t holder,
                                     int product);
int64_t model_state_holder_money(const model_state_t *st, size_t holder);
/* Per-holder flows of the last resolved turn, for the material balance:
 * kg bought (imports into the holder), sold, produced and consumed. */
typedef struct {
  int64_t bought[MODEL_PRODUCTS];
  int64_t sold[MODEL_PRODUCTS];
  int64_t produced[MODEL_PRODUCTS];
  int64_t consumed[MODEL_PRODUCTS];
  int64_t opening[MODEL_PRODUCTS];
  int64_t money_opening;
  int64_t money_in;  /* from other holders or sources */
  int64_t money_out; /* to other holders or sinks */
} model_holder_flows_t;
int model_state_holder_flows(const model_state_t *st, size_t holder,
                             model_holder_flows_t *out);

/* Learning (docs/model.md, "Learning"), for tests and tools: a facility's
 * effective experience (kg) and the learning curve's cost for it (cents/kg,
 * before the map's anchor); MODEL_EINVAL for an unknown id or a stage that
 * does not learn on effective experience. */
int model_state_learning(const model_state_t *st, const char *facility,
                         int64_t *effective_kg, int64_t *curve_cents);

/* A nation's supply security after the last resolved turn, in ppm: the
 * mean over the products it has final demand for of the share it bought
 * from its own or allied sellers (docs/model.md "Scores"); 1,000,000
 * before the first turn. 0 for an index out of range. */
int64_t model_state_security_ppm(const model_state_t *st, size_t nation);

/* The lowest a holder's money may be after a turn (minus its credit limit
 * or deficit limit), or INT64_MIN where the map sets none. */
int64_t model_state_holder_floor(const model_state_t *st, size_t holder);

/* Market detail of the last resolved turn, per product, for the market
 * sanity tests: each filled offer and bid with its price and quantity, and
 * each nation-to-nation flow with its capacity and per-kg wedge. */
typedef struct {
  int32_t holder;
  int32_t nation;
  bool is_bid;
  int64_t limit_cents; /* min price (offer) or max price (bid) */
  int64_t quantity_kg; /* offered / bid (after caps) */
  int64_t filled_kg;
  int64_t price_cents; /* the price paid or received */
} model_trade_t;
typedef struct {
  int32_t from, to; /* nations */
  int64_t flow_kg;
  int64_t cap_kg;          /* -1 for no cap */
  int64_t transport_cents; /* per kg */
  int64_t tariff_cents;    /* per kg */
  bool banned;
  bool capped; /* limited by a binding quota or licence: this pair's cap,
                  or the exporter's cap on all exports */
} model_flow_t;
size_t model_last_trades(const model_state_t *st, int product,
                         const model_trade_t **out);
size_t model_last_flows(const model_state_t *st, int product,
                        const model_flow_t **out);
/* Regional seller price (cents/kg) of the last turn: what sellers in a
 * nation received. model_report_t.regional is the buyers' price. */
int64_t model_last_seller_price(const model_state_t *st, int product,
                                size_t nation);

#ifdef __cplusplus
}
#endif
#endif /* LANTHANIDE_MODEL_H */
