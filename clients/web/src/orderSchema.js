// The JSON Schema of one order as the server's `orders.schema` answers it,
// copied from `lanthanide schema --json` by dev/gen-schema.mjs (do not edit
// by hand; run that script after changing model/order_schema.c). The player
// view uses it only when the server is older than `orders.schema` and
// answers `unknown_method`; the orders themselves have not changed since.
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
        "policy"
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
            "magnet"
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
            "magnet"
          ],
          "description": "the skill of the staff hired or released"
        },
        "count": {
          "type": "integer",
          "minimum": -1000000,
          "maximum": 1000000,
          "x-unit": "people",
          "description": "people hired from the home pool; negative releases staff (not 0)"
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
            "magnet"
          ],
          "description": "the skill taught"
        },
        "count": {
          "type": "integer",
          "minimum": 1,
          "maximum": 1000000,
          "x-unit": "people",
          "description": "people entering training"
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
            "tb_oxide"
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
            "tb_oxide"
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
            "tb_oxide"
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
            "tb_oxide"
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
            "tb_oxide"
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
            "tb_oxide"
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
            "magnet"
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
            "tb_oxide"
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
            "tb_oxide"
          ],
          "description": "the product stockpiled"
        },
        "target": {
          "type": "number",
          "minimum": 0,
          "maximum": 1000000000,
          "x-unit": "t",
          "description": "tonnes the state stockpile should hold"
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
            "magnet"
          ],
          "description": "the skill the programme trains"
        },
        "budget": {
          "type": "number",
          "minimum": 0,
          "maximum": 1000000000000,
          "x-unit": "USD",
          "description": "US dollars spent per turn"
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
            "magnet"
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
            "magnet"
          ],
          "description": "the stage whose permits are paced"
        },
        "speed": {
          "type": "number",
          "minimum": 0.5,
          "maximum": 2,
          "x-unit": "factor",
          "description": "how fast permits come: 2 halves lead times, 0.5 doubles them"
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
            "magnet"
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
        }
      },
      "required": [
        "op",
        "kind",
        "rate"
      ]
    }
  ]
};
