// The JSON Schema of one order as the server's `orders.schema` answers it,
// copied from `lanthanide schema --json` by dev/gen-schema.mjs (do not edit
// by hand; run that script after changing model/order_schema.c). The player
// view uses it only when the server is older than `orders.schema` and
// answers `unknown_method` (such a server knows fewer orders: it refuses
// the others with a message naming the field).
export const FALLBACK_SCHEMA = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Lanthanide order",
  "description": "One order map of orders.submit (docs/orders.md). Numbers are in wire units (x-unit); unknown keys are ignored.",
  "type": "object",
  "required": [
    "op"
  ],
  "properties": {
    "op": {
      "type": "string",
      "enum": [
        "build",
        "operate",
        "hire",
        "train",
        "offer",
        "bid",
        "policy",
        "grant",
        "equity",
        "loan",
        "contract_propose",
        "contract_accept",
        "contract_withdraw",
        "acquire",
        "transfer"
      ]
    }
  },
  "oneOf": [
    {
      "title": "build",
      "description": "build a facility, or expand one of yours; it takes turns and capital",
      "x-who": "firms",
      "x-stands": false,
      "type": "object",
      "properties": {
        "op": {
          "const": "build"
        },
        "stage": {
          "type": "string",
          "enum": [
            "mining",
            "separation",
            "magnet",
            "recycling"
          ],
          "description": "the stage of the facility to build or expand"
        },
        "capacity": {
          "type": "number",
          "minimum": 0.001,
          "maximum": 10000000,
          "x-unit": "t/yr",
          "description": "capacity to build (or to add to an existing facility)"
        },
        "site": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "a deposit id from the map; required for a new mine"
        },
        "facility": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "one of your facilities to expand (brownfield) instead of building anew"
        },
        "nation": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "separation and magnet plants: the nation to build in (default home); its permits, policies and costs apply"
        }
      },
      "required": [
        "op",
        "stage",
        "capacity"
      ],
      "allOf": [
        {
          "if": {
            "properties": {
              "stage": {
                "const": "mining"
              }
            }
          },
          "then": {
            "anyOf": [
              {
                "required": [
                  "site"
                ]
              },
              {
                "required": [
                  "facility"
                ]
              }
            ]
          }
        }
      ]
    },
    {
      "title": "operate",
      "description": "set how much of a facility's capacity runs",
      "x-who": "firms",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "operate"
        },
        "facility": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "one of your facilities"
        },
        "utilisation": {
          "type": "number",
          "minimum": 0,
          "maximum": 1,
          "x-unit": "fraction",
          "description": "share of the capacity to run"
        },
        "heavy_recipe": {
          "type": "number",
          "minimum": 0,
          "maximum": 1,
          "x-unit": "fraction",
          "description": "magnet plants on basket maps: t of dytb_oxide per t of magnet, from thrift_min_share of the map's recipe to the recipe (Dy thrifting, docs/model.md); takes parameters.thrift.turns turns; opex rises"
        },
        "dy_recipe": {
          "type": "number",
          "minimum": 0,
          "maximum": 1,
          "x-unit": "fraction",
          "description": "magnet plants on split maps: t of dy_oxide per t of magnet, from thrift_min_share of the map's recipe to the recipe (Tb follows by the same share); takes parameters.thrift.turns turns; opex rises"
        }
      },
      "required": [
        "op",
        "facility",
        "utilisation"
      ]
    },
    {
      "title": "hire",
      "description": "hire staff from the home nation's pool, or release them",
      "x-who": "firms",
      "x-stands": false,
      "type": "object",
      "properties": {
        "op": {
          "const": "hire"
        },
        "skill": {
          "type": "string",
          "enum": [
            "mining",
            "separation",
            "magnet",
            "recycling"
          ],
          "description": "the skill of the staff hired or released"
        },
        "count": {
          "type": "integer",
          "minimum": -1000000,
          "maximum": 1000000,
          "x-unit": "people",
          "description": "people hired from the home pool; negative releases staff (not 0)"
        },
        "from": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "hire from another nation's pool (maps with poach_share): its migration policy must let the skill out and yours let it in; a signing cost applies"
        },
        "apprentice": {
          "type": "boolean",
          "default": false,
          "description": "take on apprentices (maps with mentor_ratio): no pool needed, paid from the start, staff after seasoning; at most mentor_ratio per experienced person a turn"
        }
      },
      "required": [
        "op",
        "skill",
        "count"
      ]
    },
    {
      "title": "train",
      "description": "put people into training; they join the staff (or the pool) later",
      "x-who": "firms, nations",
      "x-stands": false,
      "type": "object",
      "properties": {
        "op": {
          "const": "train"
        },
        "skill": {
          "type": "string",
          "enum": [
            "mining",
            "separation",
            "magnet",
            "recycling"
          ],
          "description": "the skill taught"
        },
        "count": {
          "type": "integer",
          "minimum": 1,
          "maximum": 1000000,
          "x-unit": "people",
          "description": "people entering training"
        },
        "nation": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "firms on maps with branches: train in the nation of one of your branches (its training places; graduates join its pool, which staffs your plants there); default home"
        }
      },
      "required": [
        "op",
        "skill",
        "count"
      ]
    },
    {
      "title": "offer",
      "description": "offer a product for sale this turn",
      "x-who": "firms, nations (stockpile sales)",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "offer"
        },
        "product": {
          "type": "string",
          "enum": [
            "concentrate",
            "ndpr_oxide",
            "dytb_oxide",
            "lace_oxide",
            "magnet",
            "dy_oxide",
            "tb_oxide",
            "magnet_scrap"
          ],
          "description": "the product offered"
        },
        "quantity": {
          "type": "number",
          "minimum": 0,
          "maximum": 1000000000,
          "x-unit": "t",
          "description": "tonnes offered this turn; 0 withdraws the offer"
        },
        "min_price": {
          "type": "number",
          "minimum": 0,
          "maximum": 999999.99,
          "x-unit": "USD/kg",
          "description": "the lowest price accepted; required when quantity is more than 0"
        },
        "normal_stock": {
          "type": "number",
          "minimum": 0,
          "maximum": 1000000000,
          "x-unit": "t",
          "description": "stock-following ask: above this stock the min price falls by stock_discount per normal stock of excess (0 or absent: a fixed min price)"
        },
        "stock_discount": {
          "type": "number",
          "minimum": 0,
          "maximum": 1,
          "x-unit": "fraction",
          "description": "share of the min price given up per normal stock of excess"
        },
        "min_share": {
          "type": "number",
          "minimum": 0,
          "maximum": 1,
          "x-unit": "fraction",
          "description": "the min price never falls below this share of it (absent: 0.5)"
        },
        "nation": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "maps with branches: the nation of your branch whose offer this is (default home); it clears in that nation's market"
        }
      },
      "required": [
        "op",
        "product",
        "quantity"
      ],
      "allOf": [
        {
          "if": {
            "properties": {
              "quantity": {
                "exclusiveMinimum": 0
              }
            },
            "required": [
              "quantity"
            ]
          },
          "then": {
            "required": [
              "min_price"
            ]
          }
        }
      ]
    },
    {
      "title": "bid",
      "description": "bid for a product this turn",
      "x-who": "firms, nations",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "bid"
        },
        "product": {
          "type": "string",
          "enum": [
            "concentrate",
            "ndpr_oxide",
            "dytb_oxide",
            "lace_oxide",
            "magnet",
            "dy_oxide",
            "tb_oxide",
            "magnet_scrap"
          ],
          "description": "the product wanted"
        },
        "quantity": {
          "type": "number",
          "minimum": 0,
          "maximum": 1000000000,
          "x-unit": "t",
          "description": "tonnes wanted this turn; 0 withdraws the bid"
        },
        "max_price": {
          "type": "number",
          "minimum": 0,
          "maximum": 999999.99,
          "x-unit": "USD/kg",
          "description": "the highest price paid; required when quantity is more than 0"
        },
        "index": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "a product: max_price follows that product's price in your market (max_price x its last price / its reference price), so a standing buyer passes its output price back"
        },
        "nation": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "maps with branches: the nation of your branch whose bid this is (default home); it clears in that nation's market"
        }
      },
      "required": [
        "op",
        "product",
        "quantity"
      ],
      "allOf": [
        {
          "if": {
            "properties": {
              "quantity": {
                "exclusiveMinimum": 0
              }
            },
            "required": [
              "quantity"
            ]
          },
          "then": {
            "required": [
              "max_price"
            ]
          }
        }
      ]
    },
    {
      "title": "policy export_quota",
      "description": "cap a product's exports per turn",
      "x-who": "nations",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "policy"
        },
        "kind": {
          "const": "export_quota"
        },
        "product": {
          "type": "string",
          "enum": [
            "concentrate",
            "ndpr_oxide",
            "dytb_oxide",
            "lace_oxide",
            "magnet",
            "dy_oxide",
            "tb_oxide",
            "magnet_scrap"
          ],
          "description": "the product whose exports are capped"
        },
        "quantity": {
          "type": [
            "number",
            "null"
          ],
          "minimum": 0,
          "maximum": 1000000000,
          "x-unit": "t",
          "description": "tonnes per turn that may leave; nil (or absent) lifts the quota"
        },
        "to": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "default": "all",
          "description": "the nation the quota applies to, or \"all\" (the default)"
        },
        "turns": {
          "type": "integer",
          "minimum": 0,
          "maximum": 400,
          "x-unit": "turns",
          "description": "how many turns it holds from the turn it first binds, after which the policy it replaced returns; default 0: it stands until replaced"
        }
      },
      "required": [
        "op",
        "kind",
        "product"
      ]
    },
    {
      "title": "policy export_ban",
      "description": "ban a product's exports (or lift the ban)",
      "x-who": "nations",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "policy"
        },
        "kind": {
          "const": "export_ban"
        },
        "product": {
          "type": "string",
          "enum": [
            "concentrate",
            "ndpr_oxide",
            "dytb_oxide",
            "lace_oxide",
            "magnet",
            "dy_oxide",
            "tb_oxide",
            "magnet_scrap"
          ],
          "description": "the product whose exports are banned"
        },
        "to": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "default": "all",
          "description": "the nation the ban applies to, or \"all\" (the default)"
        },
        "lift": {
          "type": "boolean",
          "default": false,
          "description": "true lifts the ban (default false)"
        },
        "turns": {
          "type": "integer",
          "minimum": 0,
          "maximum": 400,
          "x-unit": "turns",
          "description": "how many turns it holds from the turn it first binds, after which the policy it replaced returns; default 0: it stands until replaced"
        }
      },
      "required": [
        "op",
        "kind",
        "product"
      ]
    },
    {
      "title": "policy export_licence",
      "description": "approve only a share of a product's requested exports",
      "x-who": "nations",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "policy"
        },
        "kind": {
          "const": "export_licence"
        },
        "product": {
          "type": "string",
          "enum": [
            "concentrate",
            "ndpr_oxide",
            "dytb_oxide",
            "lace_oxide",
            "magnet",
            "dy_oxide",
            "tb_oxide",
            "magnet_scrap"
          ],
          "description": "the product that needs an export licence"
        },
        "approval": {
          "type": "number",
          "minimum": 0,
          "maximum": 1,
          "x-unit": "fraction",
          "description": "share of requested exports approved per turn"
        },
        "to": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "default": "all",
          "description": "the nation the licence applies to, or \"all\" (the default)"
        },
        "basis": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "\"offers\" (the default: approval x everything offered in the nation) or \"exports\" (approval x what would be exported without the licence; home sales are never capped)"
        },
        "turns": {
          "type": "integer",
          "minimum": 0,
          "maximum": 400,
          "x-unit": "turns",
          "description": "how many turns it holds from the turn it first binds, after which the policy it replaced returns; default 0: it stands until replaced"
        }
      },
      "required": [
        "op",
        "kind",
        "product",
        "approval"
      ]
    },
    {
      "title": "policy tariff",
      "description": "tax a product's imports",
      "x-who": "nations",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "policy"
        },
        "kind": {
          "const": "tariff"
        },
        "product": {
          "type": "string",
          "enum": [
            "concentrate",
            "ndpr_oxide",
            "dytb_oxide",
            "lace_oxide",
            "magnet",
            "dy_oxide",
            "tb_oxide",
            "magnet_scrap"
          ],
          "description": "the product taxed at the border"
        },
        "rate": {
          "type": "number",
          "minimum": 0,
          "maximum": 10,
          "x-unit": "fraction",
          "description": "ad valorem rate on imports (0.25 is 25%)"
        },
        "from": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "default": "all",
          "description": "the nation whose goods are taxed, or \"all\" (the default)"
        },
        "turns": {
          "type": "integer",
          "minimum": 0,
          "maximum": 400,
          "x-unit": "turns",
          "description": "how many turns it holds from the turn it first binds, after which the policy it replaced returns; default 0: it stands until replaced"
        }
      },
      "required": [
        "op",
        "kind",
        "product",
        "rate"
      ]
    },
    {
      "title": "policy subsidy",
      "description": "pay part of a stage's capital cost, or pay per kg produced",
      "x-who": "nations",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "policy"
        },
        "kind": {
          "const": "subsidy"
        },
        "stage": {
          "type": "string",
          "enum": [
            "mining",
            "separation",
            "magnet",
            "recycling"
          ],
          "description": "the stage subsidised"
        },
        "capex_share": {
          "type": "number",
          "minimum": 0,
          "maximum": 1,
          "x-unit": "fraction",
          "description": "share of the capital cost of new capacity the state pays"
        },
        "output": {
          "type": "number",
          "minimum": 0,
          "maximum": 999999.99,
          "x-unit": "USD/kg",
          "description": "payment per kg produced at home"
        },
        "foreign": {
          "type": "boolean",
          "default": true,
          "description": "whether foreign firms' plants in your nation get it too (default true; false: your own firms only)"
        },
        "turns": {
          "type": "integer",
          "minimum": 0,
          "maximum": 400,
          "x-unit": "turns",
          "description": "how many turns it holds from the turn it first binds, after which the policy it replaced returns; default 0: it stands until replaced"
        }
      },
      "required": [
        "op",
        "kind",
        "stage"
      ]
    },
    {
      "title": "policy price_floor",
      "description": "buy a product at a floor price, up to a quantity per turn",
      "x-who": "nations",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "policy"
        },
        "kind": {
          "const": "price_floor"
        },
        "product": {
          "type": "string",
          "enum": [
            "concentrate",
            "ndpr_oxide",
            "dytb_oxide",
            "lace_oxide",
            "magnet",
            "dy_oxide",
            "tb_oxide",
            "magnet_scrap"
          ],
          "description": "the product supported"
        },
        "price": {
          "type": "number",
          "minimum": 0,
          "maximum": 999999.99,
          "x-unit": "USD/kg",
          "description": "the floor: the state buys at this price"
        },
        "quantity": {
          "type": "number",
          "minimum": 0,
          "maximum": 1000000000,
          "x-unit": "t",
          "description": "tonnes per turn the state will buy at the floor"
        },
        "turns": {
          "type": "integer",
          "minimum": 0,
          "maximum": 400,
          "x-unit": "turns",
          "description": "how many turns it holds from the turn it first binds, after which the policy it replaced returns; default 0: it stands until replaced"
        }
      },
      "required": [
        "op",
        "kind",
        "product",
        "price",
        "quantity"
      ]
    },
    {
      "title": "policy stockpile",
      "description": "build up (or run down) a state stockpile to a target",
      "x-who": "nations",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "policy"
        },
        "kind": {
          "const": "stockpile"
        },
        "product": {
          "type": "string",
          "enum": [
            "concentrate",
            "ndpr_oxide",
            "dytb_oxide",
            "lace_oxide",
            "magnet",
            "dy_oxide",
            "tb_oxide",
            "magnet_scrap"
          ],
          "description": "the product stockpiled"
        },
        "target": {
          "type": "number",
          "minimum": 0,
          "maximum": 1000000000,
          "x-unit": "t",
          "description": "tonnes the state stockpile should hold"
        },
        "turns": {
          "type": "integer",
          "minimum": 0,
          "maximum": 400,
          "x-unit": "turns",
          "description": "how many turns it holds from the turn it first binds, after which the policy it replaced returns; default 0: it stands until replaced"
        }
      },
      "required": [
        "op",
        "kind",
        "product",
        "target"
      ]
    },
    {
      "title": "policy talent_programme",
      "description": "fund a programme that grows a skill's talent pool",
      "x-who": "nations",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "policy"
        },
        "kind": {
          "const": "talent_programme"
        },
        "skill": {
          "type": "string",
          "enum": [
            "mining",
            "separation",
            "magnet",
            "recycling"
          ],
          "description": "the skill the programme trains"
        },
        "budget": {
          "type": "number",
          "minimum": 0,
          "maximum": 1000000000000,
          "x-unit": "USD",
          "description": "US dollars spent per turn"
        },
        "turns": {
          "type": "integer",
          "minimum": 0,
          "maximum": 400,
          "x-unit": "turns",
          "description": "how many turns it holds from the turn it first binds, after which the policy it replaced returns; default 0: it stands until replaced"
        }
      },
      "required": [
        "op",
        "kind",
        "skill",
        "budget"
      ]
    },
    {
      "title": "policy migration",
      "description": "open or close the border to people of a skill",
      "x-who": "nations",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "policy"
        },
        "kind": {
          "const": "migration"
        },
        "skill": {
          "type": "string",
          "enum": [
            "mining",
            "separation",
            "magnet",
            "recycling"
          ],
          "description": "the skill concerned"
        },
        "inbound": {
          "type": "boolean",
          "description": "whether people of the skill may move in"
        },
        "outbound": {
          "type": "boolean",
          "description": "whether people of the skill may move out"
        },
        "turns": {
          "type": "integer",
          "minimum": 0,
          "maximum": 400,
          "x-unit": "turns",
          "description": "how many turns it holds from the turn it first binds, after which the policy it replaced returns; default 0: it stands until replaced"
        }
      },
      "required": [
        "op",
        "kind",
        "skill",
        "inbound",
        "outbound"
      ]
    },
    {
      "title": "policy permitting",
      "description": "speed up or slow down permits for a stage",
      "x-who": "nations",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "policy"
        },
        "kind": {
          "const": "permitting"
        },
        "stage": {
          "type": "string",
          "enum": [
            "mining",
            "separation",
            "magnet",
            "recycling"
          ],
          "description": "the stage whose permits are paced"
        },
        "speed": {
          "type": "number",
          "minimum": 0.5,
          "maximum": 2,
          "x-unit": "factor",
          "description": "how fast permits come: 2 halves lead times, 0.5 doubles them"
        },
        "turns": {
          "type": "integer",
          "minimum": 0,
          "maximum": 400,
          "x-unit": "turns",
          "description": "how many turns it holds from the turn it first binds, after which the policy it replaced returns; default 0: it stands until replaced"
        }
      },
      "required": [
        "op",
        "kind",
        "stage",
        "speed"
      ]
    },
    {
      "title": "policy production_quota",
      "description": "cap a stage's output per turn",
      "x-who": "nations",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "policy"
        },
        "kind": {
          "const": "production_quota"
        },
        "stage": {
          "type": "string",
          "enum": [
            "mining",
            "separation",
            "magnet",
            "recycling"
          ],
          "description": "the stage whose output is capped"
        },
        "quantity": {
          "type": [
            "number",
            "null"
          ],
          "minimum": 0,
          "maximum": 1000000000,
          "x-unit": "t",
          "description": "tonnes per turn the stage may produce; nil (or absent) lifts it"
        },
        "basis": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "\"feed\" (the default: the stage's input, concentrate fed for separation) or \"output\" (what it makes: separated oxides)"
        },
        "imports": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "\"inside\" (the default: imported feed counts) or \"outside\" (only material of the nation's own origin counts; maps that track its origin)"
        },
        "turns": {
          "type": "integer",
          "minimum": 0,
          "maximum": 400,
          "x-unit": "turns",
          "description": "how many turns it holds from the turn it first binds, after which the policy it replaced returns; default 0: it stands until replaced"
        }
      },
      "required": [
        "op",
        "kind",
        "stage"
      ]
    },
    {
      "title": "policy tax",
      "description": "tax firms' profits",
      "x-who": "nations",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "policy"
        },
        "kind": {
          "const": "tax"
        },
        "rate": {
          "type": "number",
          "minimum": 0,
          "maximum": 1,
          "x-unit": "fraction",
          "description": "rate on firms' profits (0.25 is 25%)"
        },
        "turns": {
          "type": "integer",
          "minimum": 0,
          "maximum": 400,
          "x-unit": "turns",
          "description": "how many turns it holds from the turn it first binds, after which the policy it replaced returns; default 0: it stands until replaced"
        }
      },
      "required": [
        "op",
        "kind",
        "rate"
      ]
    },
    {
      "title": "policy firm_price_floor",
      "description": "guarantee one firm a price for what it sells (a floor, or a contract for difference)",
      "x-who": "nations",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "policy"
        },
        "kind": {
          "const": "firm_price_floor"
        },
        "firm": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "the firm supported (a firm's seat id)"
        },
        "product": {
          "type": "string",
          "enum": [
            "concentrate",
            "ndpr_oxide",
            "dytb_oxide",
            "lace_oxide",
            "magnet",
            "dy_oxide",
            "tb_oxide",
            "magnet_scrap"
          ],
          "description": "the product whose price is guaranteed"
        },
        "price": {
          "type": "number",
          "minimum": 0,
          "maximum": 999999.99,
          "x-unit": "USD/kg",
          "description": "the strike: the nation pays the firm the difference below it"
        },
        "quantity": {
          "type": "number",
          "minimum": 0,
          "maximum": 1000000000,
          "x-unit": "t",
          "description": "tonnes per turn covered (of what the firm sells); 0 lifts it"
        },
        "turns": {
          "type": "integer",
          "minimum": 1,
          "maximum": 400,
          "x-unit": "turns",
          "description": "how many turns it lasts, from the turn it takes effect"
        },
        "two_sided": {
          "type": "boolean",
          "default": false,
          "description": "true: a contract for difference (the firm pays back the difference above the strike); default false, a floor"
        }
      },
      "required": [
        "op",
        "kind",
        "firm",
        "product",
        "price",
        "quantity",
        "turns"
      ]
    },
    {
      "title": "policy technology_export_ban",
      "description": "ban the export of a stage's technology and expertise: your firms may not build it abroad and its people may not emigrate there",
      "x-who": "nations",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "policy"
        },
        "kind": {
          "const": "technology_export_ban"
        },
        "stage": {
          "type": "string",
          "enum": [
            "mining",
            "separation",
            "magnet",
            "recycling"
          ],
          "description": "the stage whose technology and expertise may not leave"
        },
        "to": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "default": "all",
          "description": "the nation the ban applies to, or \"all\" (the default)"
        },
        "lift": {
          "type": "boolean",
          "default": false,
          "description": "true lifts the ban (default false)"
        },
        "turns": {
          "type": "integer",
          "minimum": 0,
          "maximum": 400,
          "x-unit": "turns",
          "description": "how many turns it holds from the turn it first binds, after which the policy it replaced returns; default 0: it stands until replaced"
        }
      },
      "required": [
        "op",
        "kind",
        "stage"
      ]
    },
    {
      "title": "policy sanction",
      "description": "sanction a foreign firm: its contract deliveries with your seats are excused and it may not build in your nation",
      "x-who": "nations",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "policy"
        },
        "kind": {
          "const": "sanction"
        },
        "firm": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "the firm sanctioned (a firm's seat id)"
        },
        "lift": {
          "type": "boolean",
          "default": false,
          "description": "true lifts the sanction (default false)"
        },
        "turns": {
          "type": "integer",
          "minimum": 0,
          "maximum": 400,
          "x-unit": "turns",
          "description": "how many turns it holds from the turn it first binds, after which the policy it replaced returns; default 0: it stands until replaced"
        }
      },
      "required": [
        "op",
        "kind",
        "firm"
      ]
    },
    {
      "title": "policy investment_screen",
      "description": "refuse foreign firms' builds of a stage in your nation",
      "x-who": "nations",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "policy"
        },
        "kind": {
          "const": "investment_screen"
        },
        "stage": {
          "type": "string",
          "enum": [
            "mining",
            "separation",
            "magnet",
            "recycling"
          ],
          "description": "the stage foreign firms may not build in this nation"
        },
        "from": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "default": "all",
          "description": "the nation whose firms are refused, or \"all\" (the default)"
        },
        "lift": {
          "type": "boolean",
          "default": false,
          "description": "true lifts the screen (default false)"
        },
        "turns": {
          "type": "integer",
          "minimum": 0,
          "maximum": 400,
          "x-unit": "turns",
          "description": "how many turns it holds from the turn it first binds, after which the policy it replaced returns; default 0: it stands until replaced"
        }
      },
      "required": [
        "op",
        "kind",
        "stage"
      ]
    },
    {
      "title": "policy origin_rule",
      "description": "extraterritorial control: goods made abroad with your material need your licence to be exported from any nation",
      "x-who": "nations",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "policy"
        },
        "kind": {
          "const": "origin_rule"
        },
        "product": {
          "type": "string",
          "enum": [
            "concentrate",
            "ndpr_oxide",
            "dytb_oxide",
            "lace_oxide",
            "magnet",
            "dy_oxide",
            "tb_oxide",
            "magnet_scrap"
          ],
          "description": "the product whose controlled goods need a licence"
        },
        "threshold": {
          "type": "number",
          "minimum": 0,
          "maximum": 1,
          "x-unit": "fraction",
          "description": "a magnet made abroad with at least this share of its value in your material counts as yours"
        },
        "approval": {
          "type": "number",
          "minimum": 0,
          "maximum": 1,
          "x-unit": "fraction",
          "description": "the share of controlled goods other nations may export"
        },
        "to": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "default": "all",
          "description": "the nation the rule covers exports to, or \"all\" (the default)"
        },
        "from_turn": {
          "type": "integer",
          "minimum": 0,
          "maximum": 400,
          "x-unit": "turns",
          "description": "the turn it binds from (default 0: at once)"
        },
        "lift": {
          "type": "boolean",
          "default": false,
          "description": "true lifts the rule (default false)"
        },
        "turns": {
          "type": "integer",
          "minimum": 0,
          "maximum": 400,
          "x-unit": "turns",
          "description": "how many turns it holds from the turn it first binds, after which the policy it replaced returns; default 0: it stands until replaced"
        }
      },
      "required": [
        "op",
        "kind",
        "product",
        "threshold",
        "approval"
      ]
    },
    {
      "title": "policy recycling_collection",
      "description": "maps with recycling: collect a share of end-of-life magnets as scrap, offered for sale from the stockpile",
      "x-who": "nations",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "policy"
        },
        "kind": {
          "const": "recycling_collection"
        },
        "rate": {
          "type": "number",
          "minimum": 0,
          "maximum": 1,
          "x-unit": "fraction",
          "description": "share of the magnets reaching their end of life each turn that is collected as magnet_scrap into the stockpile (the budget pays the map's collection cost per kg)"
        },
        "turns": {
          "type": "integer",
          "minimum": 0,
          "maximum": 400,
          "x-unit": "turns",
          "description": "how many turns it holds from the turn it first binds, after which the policy it replaced returns; default 0: it stands until replaced"
        }
      },
      "required": [
        "op",
        "kind",
        "rate"
      ]
    },
    {
      "title": "grant",
      "description": "pay a firm from the budget, once",
      "x-who": "nations",
      "x-stands": false,
      "type": "object",
      "properties": {
        "op": {
          "const": "grant"
        },
        "firm": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "the firm paid (a firm's seat id)"
        },
        "amount": {
          "type": "number",
          "minimum": 0.01,
          "maximum": 1000000000000,
          "x-unit": "USD",
          "description": "US dollars paid from the budget to the firm, once"
        }
      },
      "required": [
        "op",
        "firm",
        "amount"
      ]
    },
    {
      "title": "equity",
      "description": "buy a stake in a firm, once: the budget pays, the nation's score counts its share of the firm",
      "x-who": "nations",
      "x-stands": false,
      "type": "object",
      "properties": {
        "op": {
          "const": "equity"
        },
        "firm": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "the firm invested in (a firm's seat id)"
        },
        "amount": {
          "type": "number",
          "minimum": 0.01,
          "maximum": 1000000000000,
          "x-unit": "USD",
          "description": "US dollars paid from the budget to the firm, once"
        },
        "stake": {
          "type": "number",
          "minimum": 0.000001,
          "maximum": 1,
          "x-unit": "fraction",
          "description": "the share of the firm the nation holds from then on"
        }
      },
      "required": [
        "op",
        "firm",
        "amount",
        "stake"
      ]
    },
    {
      "title": "loan",
      "description": "lend to a firm, once: it pays interest and instalments back each turn",
      "x-who": "nations",
      "x-stands": false,
      "type": "object",
      "properties": {
        "op": {
          "const": "loan"
        },
        "firm": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "the firm lent to (a firm's seat id)"
        },
        "amount": {
          "type": "number",
          "minimum": 0.01,
          "maximum": 1000000000000,
          "x-unit": "USD",
          "description": "US dollars lent from the budget to the firm"
        },
        "rate": {
          "type": "number",
          "minimum": 0,
          "maximum": 1,
          "x-unit": "fraction",
          "description": "yearly interest rate, charged each turn on what is owed"
        },
        "turns": {
          "type": "integer",
          "minimum": 1,
          "maximum": 400,
          "x-unit": "turns",
          "description": "turns of repayment after the grace period"
        },
        "grace": {
          "type": "integer",
          "minimum": 0,
          "maximum": 400,
          "x-unit": "turns",
          "description": "turns of interest only before repayment starts (default 0)"
        }
      },
      "required": [
        "op",
        "firm",
        "amount",
        "rate",
        "turns"
      ]
    },
    {
      "title": "contract_propose",
      "description": "offer another seat a delivery contract; it lasts until the end of the next turn unless accepted",
      "x-who": "firms, nations",
      "x-stands": false,
      "type": "object",
      "properties": {
        "op": {
          "const": "contract_propose"
        },
        "id": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "the contract's id, chosen by its proposer"
        },
        "to": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "the seat the contract is offered to"
        },
        "side": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "\"sell\" (the default: you deliver) or \"buy\" (you take delivery)"
        },
        "product": {
          "type": "string",
          "enum": [
            "concentrate",
            "ndpr_oxide",
            "dytb_oxide",
            "lace_oxide",
            "magnet",
            "dy_oxide",
            "tb_oxide",
            "magnet_scrap"
          ],
          "description": "the product delivered"
        },
        "quantity": {
          "type": "number",
          "minimum": 0.001,
          "maximum": 1000000000,
          "x-unit": "t",
          "description": "tonnes delivered each turn, before the market"
        },
        "price": {
          "type": "number",
          "minimum": 0,
          "maximum": 999999.99,
          "x-unit": "USD/kg",
          "description": "the price the buyer pays per kg delivered"
        },
        "turns": {
          "type": "integer",
          "minimum": 1,
          "maximum": 400,
          "x-unit": "turns",
          "description": "how many turns it delivers, from the turn it is accepted"
        },
        "penalty": {
          "type": "number",
          "minimum": 0,
          "maximum": 999999.99,
          "x-unit": "USD/kg",
          "description": "what the seller pays the buyer per kg not delivered (default 0)"
        },
        "index": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "a product: the price is a formula, share x that product's last price in the seller's nation, kept within floor and cap (price is then ignored)"
        },
        "share": {
          "type": "number",
          "minimum": 0,
          "maximum": 100,
          "x-unit": "factor",
          "description": "with index: the multiple of the index price (default 1)"
        },
        "floor": {
          "type": "number",
          "minimum": 0,
          "maximum": 999999.99,
          "x-unit": "USD/kg",
          "description": "with index: the lowest price (default 0)"
        },
        "cap": {
          "type": "number",
          "minimum": 0,
          "maximum": 999999.99,
          "x-unit": "USD/kg",
          "description": "with index: the highest price (default none)"
        },
        "consume": {
          "type": "boolean",
          "default": false,
          "description": "a nation buyer consumes the goods (final demand met, counted in its supply security, e.g. defence magnets) instead of stockpiling them (default false)"
        }
      },
      "required": [
        "op",
        "id",
        "to",
        "product",
        "quantity",
        "price",
        "turns"
      ]
    },
    {
      "title": "contract_accept",
      "description": "accept a contract offered to you; it delivers from this turn",
      "x-who": "firms, nations",
      "x-stands": false,
      "type": "object",
      "properties": {
        "op": {
          "const": "contract_accept"
        },
        "id": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "the contract's id, chosen by its proposer"
        },
        "from": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "the seat that proposed it"
        }
      },
      "required": [
        "op",
        "id",
        "from"
      ]
    },
    {
      "title": "contract_withdraw",
      "description": "withdraw your proposal, or leave a running contract (the leaver pays the penalty on up to 4 turns of deliveries)",
      "x-who": "firms, nations",
      "x-stands": false,
      "type": "object",
      "properties": {
        "op": {
          "const": "contract_withdraw"
        },
        "id": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "the contract's id, chosen by its proposer"
        },
        "from": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "the seat that proposed it (default: you)"
        }
      },
      "required": [
        "op",
        "id"
      ]
    },
    {
      "title": "acquire",
      "description": "buy a plant of a firm in receivership (maps with money limits), with its experience; the price goes to the firm's creditors",
      "x-who": "firms",
      "x-stands": false,
      "type": "object",
      "properties": {
        "op": {
          "const": "acquire"
        },
        "facility": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "a facility of a firm in receivership"
        },
        "price": {
          "type": "number",
          "minimum": 0.01,
          "maximum": 1000000000000,
          "x-unit": "USD",
          "description": "what you pay the firm in receivership: at least its liquidation value (the map's liquidation_share of the plant's book value)"
        }
      },
      "required": [
        "op",
        "facility",
        "price"
      ]
    },
    {
      "title": "transfer",
      "description": "maps with branches: move goods each turn between two of your locations (home and branches abroad), under export controls, paying transport and the importer's tariff",
      "x-who": "firms",
      "x-stands": true,
      "type": "object",
      "properties": {
        "op": {
          "const": "transfer"
        },
        "product": {
          "type": "string",
          "enum": [
            "concentrate",
            "ndpr_oxide",
            "dytb_oxide",
            "lace_oxide",
            "magnet",
            "dy_oxide",
            "tb_oxide",
            "magnet_scrap"
          ],
          "description": "the product moved"
        },
        "quantity": {
          "type": "number",
          "minimum": 0,
          "maximum": 1000000000,
          "x-unit": "t",
          "description": "tonnes moved each turn, before the product's market; 0 withdraws the transfer"
        },
        "from": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "the nation the goods leave: your home or one of your branches"
        },
        "to": {
          "type": "string",
          "minLength": 1,
          "maxLength": 47,
          "description": "the nation the goods go to: your home or one of your branches"
        }
      },
      "required": [
        "op",
        "product",
        "quantity",
        "from",
        "to"
      ]
    }
  ]
};
