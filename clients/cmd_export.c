/*
 * `lanthanide export`: a stored game as tidy CSV files, for a spreadsheet,
 * pandas or R (docs/storage.md, "Export").
 *
 *   lanthanide export --db FILE [--session S] [--format csv] [--out DIR]
 *                     [--raw]
 *
 * writes files named <session>-<table>.csv into DIR (default: the
 * current directory), each with a header row and one observation per row:
 *
 *   prices      session,turn,product,region,unit,value      USD/kg
 *   production  session,turn,stage,nation,unit,value        t
 *   scores      session,turn,seat,variable,unit,value       score
 *               (fraction), cash (USD), inventory_<product> (t),
 *               staff_<skill> (people)
 *   orders      one row per order: session,turn,seat,source,submission_id,
 *               final,order_index,op, then one column per order field (the
 *               wire names of PROTOCOL.md, in wire units), created_ms
 *   chat        session,id,turn,from,to,text,created_ms,time_utc,channel
 *   timeline    session,t_ms,time_utc,turn,kind,seat,text,detail: the
 *               record of timeline.get (store_read_timeline), by time
 *   seen_vs_true session,turn,seat,path,seen,true: each figure of a
 *               seat's observation's `public` part that differs from the
 *               ground truth, per stored turn (header only when every
 *               seat saw the truth)
 *
 * and (issue 12) four more, each by its own function at the end:
 *
 *   seats       session,seat_index,seat,kind,title,name,played_by,agent
 *               (played_by person, agent or nobody; agent the strategy)
 *   events      session,turn,kind,nation,facility,product,stage,
 *               magnitude,text: each turn's news, from its summary
 *   trades      session,turn,seat,channel,side,product,region,tonnes,
 *               price,limit_price,ordered_tonnes,counterparty: what each
 *               seat bought and sold, from each turn's snapshot
 *   facilities  session,turn,facility,owner,stage,nation,site,status,
 *               turns_left,capacity_tpy,effective_tpy,expanding_tpy,
 *               utilisation,output_t,staff,staff_needed,unit_cost
 *
 * Figures come from the database's exact integers (cents, kg, ppm) and are
 * written as exact decimals in wire units, so a value read back as a double
 * equals the one history.get gives. The per-seat variables other than the
 * score come from the state snapshot stored with each turn.
 *
 * CSV as RFC 4180 says: comma-separated, CRLF line ends, a field with a
 * comma, quote, CR or LF is quoted and its quotes doubled; UTF-8 without a
 * byte-order mark (invalid bytes in chat become U+FFFD). Chat text is typed
 * by players, so a message starting with = + - @ or a tab would run as a
 * formula in a spreadsheet; it gets a leading apostrophe, as OWASP
 * recommends, unless --raw is given.
 *
 * The database is opened read-only (dbtool.h). Each file is written under a
 * temporary name and renamed, so a failed export leaves no half file.
 * Exit status: 0 written, 1 failure, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmds.h"
#include "lan_assert.h"
#include "dbtool.h"
#include "proto_types.h"

/* The order fields that get a column, in this order: every key
 * proto_pack_order writes (PROTOCOL.md "Orders"). A key outside the list
 * (a newer server's) goes to the `extra` column as key=value. */
/* The order fields that get a column: `kind`, then every key of the order
 * schema (model/order_schema.c) once, in the table's order (docs/orders.md),
 * which is every key proto_pack_order writes. A key outside them (a newer
 * server's) goes to the `extra` column as key=value. */
#define MAX_ORDER_FIELDS 64

typedef struct order_columns {
  const char *name[MAX_ORDER_FIELDS];
  size_t n;
} order_columns_t;

static void order_columns(order_columns_t *c) {
  c->n = 0;
  c->name[c->n++] = "kind";
  for (size_t i = 0; i < model_order_schema_count(); i++) {
    const model_order_schema_t *s = model_order_schema_at(i);
    for (size_t k = 0; k < s->n_fields; k++) {
      size_t j = 0;
      while (j < c->n && strcmp(c->name[j], s->fields[k].key) != 0)
        j++;
      LAN_ASSERT(j < MAX_ORDER_FIELDS);
      if (j == c->n)
        c->name[c->n++] = s->fields[k].key;
    }
  }
}

typedef struct csv {
  FILE *f;
  bool first; /* no field written yet on this row */
  bool raw;   /* no formula guard */
  long rows;  /* data rows, the header not counted */
} csv_t;

typedef struct exporter {
  store_t *db;
  dbtool_game_t g;
  const char *dir;
  bool raw;
  proto_decoder_t dec;
} exporter_t;

static void usage(FILE *f) {
  fprintf(f,
          "usage: lanthanide export --db FILE [--session S] [--format csv] "
          "[--out DIR] [--raw]\n"
          "\n"
          "Write a stored game as tidy CSV files, one observation per row, "
          "in wire\nunits: DIR/S-prices.csv, S-production.csv, "
          "S-scores.csv, S-orders.csv,\nS-chat.csv, S-seats.csv (who "
          "played each seat), S-events.csv (each turn's\nnews), "
          "S-trades.csv (what each seat bought and sold),\n"
          "S-facilities.csv (every plant, turn by turn), S-timeline.csv (the "
          "\nafter-action record) and S-seen_vs_true.csv (what each seat saw "
          "versus\nthe truth). The database is only read.\n"
          "\n"
          "  --db FILE       the server's database (lanthanide-server --db)\n"
          "  --session S     the session to export (needed when the "
          "database holds\n"
          "                  more than one)\n"
          "  --format csv    the only format so far\n"
          "  --out DIR       where to write (default: the current "
          "directory)\n"
          "  --raw           leave chat text as typed (by default a "
          "message starting\n"
          "                  with = + - @ gets a leading ' so that a "
          "spreadsheet does\n"
          "                  not run it as a formula)\n");
}

/* ---- CSV -------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  if (s[0] < 0x80)
    return 1;
  size_t len;
  uint32_t min, cp;
  if ((s[0] & 0xe0) == 0xc0) {
    len = 2, min = 0x80, cp = s[0] & 0x1f;
  } else if ((s[0] & 0xf0) == 0xe0) {
    len = 3, min = 0x800, cp = s[0] & 0x0f;
  } else if ((s[0] & 0xf8) == 0xf0) {
    len = 4, min = 0x10000, cp = s[0] & 0x07;
  } else {
    return 0;
  }
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = cp << 6 | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

/* One field of n bytes: quoted where RFC 4180 needs it, invalid UTF-8
 * replaced, and (guard) a leading formula character defused. */
static void csv_field_n(csv_t *c, const char *s, size_t n, bool guard) {
  if (!c->first)
    fputc(',', c->f);
  c->first = false;
  bool quote = false;
  for (size_t i = 0; i < n && !quote; i++)
    quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
  if (quote)
    fputc('"', c->f);
  if (guard && !c->raw && n > 0 && strchr("=+-@\t\r", s[0]))
    fputc('\'', c->f);
  const unsigned char *u = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    size_t len = utf8_len(u + i, n - i);
    if (len == 0) {
      fputs("\xef\xbf\xbd", c->f); /* U+FFFD */
      i++;
      continue;
    }
    if (u[i] == '"')
      fputc('"', c->f);
    fwrite(u + i, 1, len, c->f);
    i += len;
  }
  if (quote)
    fputc('"', c->f);
}

static void csv_field(csv_t *c, const char *s) {
  csv_field_n(c, s ? s : "", s ? strlen(s) : 0, false);
}

static void csv_int(csv_t *c, int64_t v) {
  char b[32];
  snprintf(b, sizeof b, "%" PRId64, v);
  csv_field(c, b);
}

static void csv_dec(csv_t *c, int64_t v, int decimals) {
  char b[32];
  csv_field(c, dbtool_decimal(v, decimals, b));
}

static void csv_end(csv_t *c) {
  fputs("\r\n", c->f);
  c->first = true;
  c->rows++;
}

static void csv_header(csv_t *c, const char *const *names, size_t n) {
  for (size_t i = 0; i < n; i++)
    csv_field(c, names[i]);
  csv_end(c);
  c->rows = 0;
}

/* A wire number as the shortest decimal that reads back as the same
 * double; integral values without exponent. */
static void num_text(double v, char *b, size_t len) {
  if (v == floor(v) && fabs(v) < 1e15) {
    snprintf(b, len, "%.0f", v);
    return;
  }
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(b, len, "%.*g", prec, v);
    if (strtod(b, NULL) == v)
      return;
  }
}

/* A MessagePack scalar as CSV text: strings as they are, numbers in the
 * shortest exact form, booleans true/false, nil empty. */
static void value_text(const msgpack_object *o, char *b, size_t len) {
  switch (o->type) {
  case MSGPACK_OBJECT_POSITIVE_INTEGER:
    snprintf(b, len, "%" PRIu64, o->via.u64);
    break;
  case MSGPACK_OBJECT_NEGATIVE_INTEGER:
    snprintf(b, len, "%" PRId64, o->via.i64);
    break;
  case MSGPACK_OBJECT_FLOAT32:
  case MSGPACK_OBJECT_FLOAT64:
    num_text(o->via.f64, b, len);
    break;
  case MSGPACK_OBJECT_BOOLEAN:
    snprintf(b, len, "%s", o->via.boolean ? "true" : "false");
    break;
  case MSGPACK_OBJECT_STR:
    snprintf(b, len, "%.*s", (int)o->via.str.size, o->via.str.ptr);
    break;
  case MSGPACK_OBJECT_NIL:
    b[0] = '\0';
    break;
  default:
    snprintf(b, len, "(%s)", proto_type_name(o));
    break;
  }
}

/* ---- Files ------------------------------------------------------------ */

typedef struct out_file {
  char path[4096], tmp[4120];
  csv_t c;
} out_file_t;

static int out_open(exporter_t *x, out_file_t *o, const char *table) {
  snprintf(o->path, sizeof o->path, "%s/%s-%s.csv", x->dir, x->g.id, table);
  snprintf(o->tmp, sizeof o->tmp, "%s.tmp", o->path);
  memset(&o->c, 0, sizeof o->c);
  o->c.first = true;
  o->c.raw = x->raw;
  o->c.f = fopen(o->tmp, "wb");
  if (!o->c.f) {
    fprintf(stderr, "export: cannot write %s: %s\n", o->tmp, strerror(errno));
    return -1;
  }
  return 0;
}

/* Close and move into place (ok), or throw away. */
static int out_close(out_file_t *o, bool ok) {
  if (!o->c.f)
    return -1;
  bool werr = ferror(o->c.f) != 0;
  if (fclose(o->c.f) != 0)
    werr = true;
  o->c.f = NULL;
  if (ok && werr)
    fprintf(stderr, "export: writing %s failed: %s\n", o->tmp, strerror(errno));
  if (!ok || werr || rename(o->tmp, o->path) != 0) {
    if (ok && !werr)
      fprintf(stderr, "export: cannot rename %s: %s\n", o->tmp,
              strerror(errno));
    remove(o->tmp);
    return -1;
  }
  printf("export: wrote %s (%ld rows)\n", o->path, o->c.rows);
  return 0;
}

/* A read of the store failed: say so, with the store's sentence. */
static int read_failed(const char *err) {
  fprintf(stderr, "export: reading the database failed: %s\n", err);
  return -1;
}

/* prices and production: long form, one figure per row. */
typedef struct fig_ctx {
  exporter_t *x;
  out_file_t *o;
  const char *unit;
  int decimals;
} fig_ctx_t;

static int on_figure(void *arg, const store_figure_row_t *row, char *err,
                     size_t errlen) {
  fig_ctx_t *c = arg;
  (void)err;
  (void)errlen;
  csv_field(&c->o->c, c->x->g.id);
  csv_int(&c->o->c, row->turn);
  csv_field(&c->o->c, row->a);
  csv_field(&c->o->c, row->b);
  csv_field(&c->o->c, c->unit);
  csv_dec(&c->o->c, row->value, c->decimals);
  csv_end(&c->o->c);
  return 0;
}

static int export_figures(exporter_t *x, const char *table, store_figure_t kind,
                          const char *const *header, const char *unit,
                          int decimals) {
  out_file_t o;
  char err[1024];
  if (out_open(x, &o, table) != 0)
    return -1;
  csv_header(&o.c, header, 6);
  fig_ctx_t c = {x, &o, unit, decimals};
  int rc = store_read_figures(x->db, x->g.id, kind, -1, on_figure, &c, err,
                              sizeof err);
  if (rc != 0)
    read_failed(err);
  return out_close(&o, rc == 0);
}

static void score_row(csv_t *c, const char *sess, int turn, const char *seat,
                      const char *var, const char *unit, int64_t v,
                      int decimals) {
  csv_field(c, sess);
  csv_int(c, turn);
  csv_field(c, seat);
  csv_field(c, var);
  csv_field(c, unit);
  csv_dec(c, v, decimals);
  csv_end(c);
}

typedef struct score_ctx {
  exporter_t *x;
  out_file_t *o;
  size_t n_seats;
  int64_t *score;
  bool *has;
  bool warned;
} score_ctx_t;

static int on_score(void *arg, const store_figure_row_t *row, char *err,
                    size_t errlen) {
  score_ctx_t *c = arg;
  (void)err;
  (void)errlen;
  int i = model_map_seat_index(c->x->g.map, row->a);
  if (i >= 0) {
    c->score[i] = row->value;
    c->has[i] = true;
  }
  return 0;
}

static int on_score_turn(void *arg, const store_turn_row_t *row, char *err,
                         size_t errlen) {
  score_ctx_t *c = arg;
  exporter_t *x = c->x;
  int turn = row->turn;
  memset(c->has, 0, c->n_seats * sizeof *c->has);
  if (store_read_figures(x->db, x->g.id, STORE_SCORES, turn, on_score, c, err,
                         errlen) != 0)
    return -1;
  model_state_t *st = NULL;
  int mrc =
      model_state_deserialise(x->g.map, row->snapshot, row->snapshot_len, &st);
  if (mrc != 0 && !c->warned) {
    fprintf(stderr,
            "export: the state snapshots cannot be read (%s); "
            "%s-scores.csv has the scores only\n",
            model_strerror(mrc), x->g.id);
    c->warned = true;
  }
  for (size_t i = 0; i < c->n_seats; i++) {
    const char *seat = model_map_seat_id(x->g.map, i);
    if (c->has[i])
      score_row(&c->o->c, x->g.id, turn, seat, "score", "fraction", c->score[i],
                6);
    model_obs_t *obs = NULL;
    if (!st || model_observe(st, (int)i, &obs) != 0)
      continue;
    score_row(&c->o->c, x->g.id, turn, seat, "cash", "USD", obs->cash_cents, 2);
    for (int p = 0; p < MODEL_PRODUCTS; p++) {
      char var[64];
      if (p == MODEL_SCRAP && !model_map_has_product(x->g.map, p))
        continue; /* design J4: only where the map recycles */
      snprintf(var, sizeof var, "inventory_%s", model_product_name(p));
      score_row(&c->o->c, x->g.id, turn, seat, var, "t", obs->inventory_kg[p],
                3);
    }
    for (int k = 0; k < MODEL_SKILLS; k++) {
      char var[64];
      if (!model_map_has_stage(x->g.map, k))
        continue;
      snprintf(var, sizeof var, "staff_%s", model_skill_name(k));
      score_row(&c->o->c, x->g.id, turn, seat, var, "people", obs->staff[k], 0);
    }
    model_obs_free(obs);
  }
  model_state_free(st);
  return 0;
}

/* Per seat and turn: the score (scores table), then what the turn's stored
 * snapshot says of the seat: cash, inventory, staff. */
static int export_scores(exporter_t *x) {
  static const char *const header[] = {"session",  "turn", "seat",
                                       "variable", "unit", "value"};
  score_ctx_t c = {x, NULL, model_map_seat_count(x->g.map), NULL, NULL, false};
  c.score = calloc(c.n_seats ? c.n_seats : 1, sizeof *c.score);
  c.has = calloc(c.n_seats ? c.n_seats : 1, sizeof *c.has);
  out_file_t o;
  int rc = -1;
  if (!c.score || !c.has) {
    fprintf(stderr, "export: out of memory\n");
    goto done;
  }
  if (out_open(x, &o, "scores") != 0)
    goto done;
  c.o = &o;
  csv_header(&o.c, header, 6);
  char err[1024];
  rc = store_read_turns(x->db, x->g.id, on_score_turn, &c, err, sizeof err);
  if (rc != 0)
    read_failed(err);
  rc = out_close(&o, rc == 0);
done:
  free(c.score);
  free(c.has);
  return rc;
}

/* One row per order of every stored submission; an empty submission
 * (the seat kept its standing orders) is one row without an order. */
static int on_order_sub(void *arg, const store_submission_row_t *row, char *err,
                        size_t errlen) {
  fig_ctx_t *c = arg;
  exporter_t *x = c->x;
  out_file_t *o = c->o;
  int64_t id = row->id;
  const char *seat_id = model_map_seat_id(x->g.map, (size_t)row->seat_index);
  msgpack_object arr;
  char why[256];
  if (dbtool_decode(&x->dec, row->orders, row->orders_len, &arr, why,
                    sizeof why) != 0) {
    snprintf(err, errlen, "submission #%" PRId64 " cannot be read: %s", id,
             why);
    proto_decoder_reset(&x->dec);
    return -1;
  }
  order_columns_t oc;
  order_columns(&oc);
  uint32_t n = arr.via.array.size;
  for (uint32_t k = 0; k < (n ? n : 1); k++) {
    const msgpack_object *ord = n ? &arr.via.array.ptr[k] : NULL;
    const msgpack_object *cols[MAX_ORDER_FIELDS] = {0};
    const msgpack_object *op = NULL;
    char extra[1024] = "";
    size_t xl = 0;
    if (ord && ord->type == MSGPACK_OBJECT_MAP) {
      for (uint32_t j = 0; j < ord->via.map.size; j++) {
        const msgpack_object *key = &ord->via.map.ptr[j].key;
        const msgpack_object *val = &ord->via.map.ptr[j].val;
        if (key->type != MSGPACK_OBJECT_STR)
          continue;
        size_t kl = key->via.str.size;
        if (kl == 2 && memcmp(key->via.str.ptr, "op", 2) == 0) {
          op = val;
          continue;
        }
        size_t f = 0;
        while (f < oc.n && !(strlen(oc.name[f]) == kl &&
                             memcmp(oc.name[f], key->via.str.ptr, kl) == 0))
          f++;
        if (f < oc.n) {
          cols[f] = val;
        } else if (xl < sizeof extra) {
          char v[256];
          value_text(val, v, sizeof v);
          int w = snprintf(extra + xl, sizeof extra - xl, "%s%.*s=%s",
                           xl ? ";" : "", (int)kl, key->via.str.ptr, v);
          xl += w > 0 ? (size_t)w : 0;
        }
      }
    }
    char v[512];
    csv_field(&o->c, x->g.id);
    csv_int(&o->c, row->turn);
    csv_field(&o->c, seat_id ? seat_id : "?");
    csv_field(&o->c, row->source == STORE_AGENT ? "agent" : "player");
    csv_int(&o->c, id);
    csv_int(&o->c, row->final);
    if (ord)
      csv_int(&o->c, k);
    else
      csv_field(&o->c, "");
    if (op)
      value_text(op, v, sizeof v);
    else
      v[0] = '\0';
    csv_field(&o->c, v);
    for (size_t f = 0; f < oc.n; f++) {
      if (cols[f])
        value_text(cols[f], v, sizeof v);
      else
        v[0] = '\0';
      csv_field(&o->c, v);
    }
    csv_field(&o->c, extra);
    csv_int(&o->c, row->created_ms);
    csv_end(&o->c);
  }
  proto_decoder_reset(&x->dec);
  return 0;
}

static int export_orders(exporter_t *x) {
  out_file_t o;
  if (out_open(x, &o, "orders") != 0)
    return -1;
  static const char *const head[] = {
      "session",       "turn",  "seat",        "source",
      "submission_id", "final", "order_index", "op"};
  for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
    csv_field(&o.c, head[i]);
  order_columns_t oc;
  order_columns(&oc);
  for (size_t i = 0; i < oc.n; i++)
    csv_field(&o.c, oc.name[i]);
  csv_field(&o.c, "extra");
  csv_field(&o.c, "created_ms");
  csv_end(&o.c);
  o.c.rows = 0;
  fig_ctx_t c = {x, &o, NULL, 0};
  char err[1024];
  int rc = store_read_submissions(x->db, x->g.id, -1, on_order_sub, &c, err,
                                  sizeof err);
  if (rc != 0)
    fprintf(stderr, "export: %s\n", err);
  return out_close(&o, rc == 0);
}

static int on_chat(void *arg, const store_chat_row_t *row, char *err,
                   size_t errlen) {
  fig_ctx_t *c = arg;
  csv_t *csv = &c->o->c;
  (void)err;
  (void)errlen;
  int64_t ms = row->created_ms;
  time_t secs = (time_t)(ms / 1000);
  struct tm tm;
  char when[64] = "";
  if (gmtime_r(&secs, &tm)) {
    size_t w = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + w, sizeof when - w, ".%03dZ", (int)(ms % 1000));
  }
  csv_field(csv, c->x->g.id);
  csv_int(csv, row->id);
  csv_int(csv, row->turn);
  csv_field(csv, row->from);
  csv_field(csv, row->to);
  csv_field_n(csv, row->text, row->len, true);
  csv_int(csv, ms);
  csv_field(csv, when);
  csv_field(csv, row->channel);
  csv_end(csv);
  return 0;
}

static int export_chat(exporter_t *x) {
  static const char *const header[] = {"session",    "id",       "turn",
                                       "from",       "to",       "text",
                                       "created_ms", "time_utc", "channel"};
  out_file_t o;
  if (out_open(x, &o, "chat") != 0)
    return -1;
  csv_header(&o.c, header, 9);
  fig_ctx_t c = {x, &o, NULL, 0};
  char err[1024];
  int rc = store_read_chat(x->db, x->g.id, on_chat, &c, err, sizeof err);
  if (rc != 0)
    read_failed(err);
  return out_close(&o, rc == 0);
}

/* ---- The after-action review (issue 13) ------------------------------ */

static void utc_text(int64_t ms, char *when, size_t len) {
  time_t secs = (time_t)(ms / 1000);
  struct tm tm;
  when[0] = '\0';
  if (gmtime_r(&secs, &tm)) {
    size_t w = strftime(when, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + w, len - w, ".%03dZ", (int)(ms % 1000));
  }
}

static int on_timeline(void *arg, const store_timeline_row_t *row, char *err,
                       size_t errlen) {
  fig_ctx_t *c = arg;
  csv_t *csv = &c->o->c;
  (void)err;
  (void)errlen;
  char when[64];
  utc_text(row->t_ms, when, sizeof when);
  csv_field(csv, c->x->g.id);
  csv_int(csv, row->t_ms);
  csv_field(csv, when);
  csv_int(csv, row->turn);
  csv_field(csv, row->kind);
  csv_field(csv, row->seat);
  csv_field_n(csv, row->text, strlen(row->text), true);
  csv_field(csv, row->detail);
  csv_end(csv);
  return 0;
}

/* timeline.csv: the record timeline.get gives, one moment per row. */
static int export_timeline(exporter_t *x) {
  static const char *const header[] = {"session", "t_ms", "time_utc", "turn",
                                       "kind",    "seat", "text",     "detail"};
  out_file_t o;
  if (out_open(x, &o, "timeline") != 0)
    return -1;
  csv_header(&o.c, header, 8);
  fig_ctx_t c = {x, &o, NULL, 0};
  char err[1024];
  int rc = store_read_timeline(x->db, x->g.id, 0, INT32_MAX, on_timeline, &c,
                               err, sizeof err);
  if (rc != 0)
    read_failed(err);
  return out_close(&o, rc == 0);
}

/* seen_vs_true.csv: per stored turn and seat, every figure of the seat's
 * observation's `public` part that differs from the ground truth
 * (dbtool_seen_vs_true): only the header when every seat saw the truth. */
typedef struct svt_ctx {
  exporter_t *x;
  out_file_t *o;
  int turn;
  const char *seat;
} svt_ctx_t;

static void on_diff(void *arg, const char *path, const char *seen,
                    const char *truth) {
  svt_ctx_t *c = arg;
  csv_t *csv = &c->o->c;
  csv_field(csv, c->x->g.id);
  csv_int(csv, c->turn);
  csv_field(csv, c->seat);
  csv_field(csv, path);
  csv_field(csv, seen);
  csv_field(csv, truth);
  csv_end(csv);
}

static int on_svt_turn(void *arg, const store_turn_row_t *row, char *err,
                       size_t errlen) {
  svt_ctx_t *c = arg;
  model_state_t *st = NULL;
  if (model_state_deserialise(c->x->g.map, row->snapshot, row->snapshot_len,
                              &st) != 0) {
    snprintf(err, errlen, "the snapshot of turn %d cannot be read", row->turn);
    return -1;
  }
  c->turn = row->turn;
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < model_map_seat_count(c->x->g.map); i++) {
    c->seat = model_map_seat_id(c->x->g.map, i);
    rc = dbtool_seen_vs_true(st, (int)i, on_diff, c, err, errlen);
  }
  model_state_free(st);
  return rc;
}

static int export_seen_vs_true(exporter_t *x) {
  static const char *const header[] = {"session", "turn", "seat",
                                       "path",    "seen", "true"};
  out_file_t o;
  if (out_open(x, &o, "seen_vs_true") != 0)
    return -1;
  csv_header(&o.c, header, 6);
  svt_ctx_t c = {x, &o, 0, NULL};
  char err[1024];
  int rc = store_read_turns(x->db, x->g.id, on_svt_turn, &c, err, sizeof err);
  if (rc != 0)
    read_failed(err);
  return out_close(&o, rc == 0);
}

/* ---- Seats, events, trades, facilities (issue 12) ------------------------
 *
 * Four more files, each written by its own function below so that the
 * five files above stay byte for byte as they were. */

/* seats: who plays each seat, from the seats table (as the file holds it
 * now: a seat handed from a person to an agent shows the agent; orders.csv
 * says who sent each turn's orders). Names are typed by players, so they
 * get the same formula guard as chat. */
static int on_seat(void *arg, const store_seat_row_t *row, char *err,
                   size_t errlen) {
  fig_ctx_t *c = arg;
  csv_t *csv = &c->o->c;
  (void)err;
  (void)errlen;
  const char *name = row->name ? row->name : "";
  const char *played = row->agent ? "agent" : row->taken ? "person" : "nobody";
  csv_field(csv, c->x->g.id);
  csv_int(csv, row->index);
  csv_field(csv, row->seat);
  csv_field(csv, row->nation ? "nation" : "firm");
  csv_field(csv, row->title);
  csv_field_n(csv, name, strlen(name), true);
  csv_field(csv, played);
  csv_field(csv, row->agent ? row->agent : "");
  csv_end(csv);
  return 0;
}

static int export_seats(exporter_t *x) {
  static const char *const header[] = {"session",   "seat_index", "seat",
                                       "kind",      "title",      "name",
                                       "played_by", "agent"};
  out_file_t o;
  if (out_open(x, &o, "seats") != 0)
    return -1;
  csv_header(&o.c, header, 8);
  fig_ctx_t c = {x, &o, NULL, 0};
  char err[1024];
  int rc = store_read_seats(x->db, x->g.id, on_seat, &c, err, sizeof err);
  if (rc != 0)
    read_failed(err);
  return out_close(&o, rc == 0);
}

/* The value of key in a MessagePack map, or NULL. */
static const msgpack_object *mp_get(const msgpack_object *map,
                                    const char *key) {
  if (!map || map->type != MSGPACK_OBJECT_MAP)
    return NULL;
  size_t kl = strlen(key);
  for (uint32_t i = 0; i < map->via.map.size; i++) {
    const msgpack_object *k = &map->via.map.ptr[i].key;
    if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == kl &&
        memcmp(k->via.str.ptr, key, kl) == 0)
      return &map->via.map.ptr[i].val;
  }
  return NULL;
}

/* A field of a map as CSV text ("" when absent). */
static void mp_field(csv_t *c, const msgpack_object *map, const char *key,
                     bool guard) {
  const msgpack_object *v = mp_get(map, key);
  char b[1024];
  if (v && v->type == MSGPACK_OBJECT_STR)
    csv_field_n(c, v->via.str.ptr, v->via.str.size, guard);
  else {
    if (v)
      value_text(v, b, sizeof b);
    else
      b[0] = '\0';
    csv_field(c, b);
  }
}

/* events: every turn's news, from the stored summary (what turn.resolved
 * and history.get sent), in the order the summary lists them. */
static int on_event_turn(void *arg, const store_turn_row_t *row, char *err,
                         size_t errlen) {
  fig_ctx_t *c = arg;
  exporter_t *x = c->x;
  csv_t *csv = &c->o->c;
  msgpack_object sum;
  char why[256];
  proto_error_t perr;
  if (store_scan(row->summary, row->summary_len, false, why, sizeof why) != 0) {
    snprintf(err, errlen, "the summary of turn %d cannot be read: %s",
             row->turn, why);
    return -1;
  }
  if (proto_decode(&x->dec, row->summary, row->summary_len, &sum, &perr) != 0) {
    snprintf(err, errlen,
             "the summary of turn %d cannot be read: not valid MessagePack: "
             "%s",
             row->turn, perr.message);
    proto_decoder_reset(&x->dec);
    return -1;
  }
  const msgpack_object *ev = mp_get(&sum, "events");
  if (ev && ev->type == MSGPACK_OBJECT_ARRAY) {
    for (uint32_t i = 0; i < ev->via.array.size; i++) {
      const msgpack_object *e = &ev->via.array.ptr[i];
      csv_field(csv, x->g.id);
      csv_int(csv, row->turn);
      static const char *const keys[] = {"kind",    "nation", "facility",
                                         "product", "stage",  "magnitude"};
      for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        mp_field(csv, e, keys[k], false);
      /* a facilitator may have typed the headline */
      mp_field(csv, e, "text", true);
      csv_end(csv);
    }
  }
  proto_decoder_reset(&x->dec);
  return 0;
}

static int export_events(exporter_t *x) {
  static const char *const header[] = {"session", "turn",      "kind",
                                       "nation",  "facility",  "product",
                                       "stage",   "magnitude", "text"};
  out_file_t o;
  if (out_open(x, &o, "events") != 0)
    return -1;
  csv_header(&o.c, header, 9);
  fig_ctx_t c = {x, &o, NULL, 0};
  char err[1024];
  int rc = store_read_turns(x->db, x->g.id, on_event_turn, &c, err, sizeof err);
  if (rc != 0)
    read_failed(err);
  return out_close(&o, rc == 0);
}

/* The state after a stored turn, or NULL (said once per file) when the
 * snapshot cannot be read. The caller frees it. */
static model_state_t *turn_state(exporter_t *x, const store_turn_row_t *row,
                                 const char *table, bool *warned) {
  model_state_t *st = NULL;
  int mrc =
      model_state_deserialise(x->g.map, row->snapshot, row->snapshot_len, &st);
  if (mrc != 0) {
    if (!*warned)
      fprintf(stderr,
              "export: the state snapshot of turn %d cannot be read (%s); "
              "%s-%s.csv leaves out every turn whose snapshot cannot be "
              "read\n",
              row->turn, model_strerror(mrc), x->g.id, table);
    *warned = true;
    return NULL;
  }
  return st;
}

/* trades: per seat and turn, what it bought and sold. The snapshot of a
 * turn keeps each market's participants (model_last_trades: every offer
 * and bid that stood in the market, with what was filled and the price
 * paid or received) and each holder's total kg bought and sold
 * (model_state_holder_flows), which also count contract deliveries. A
 * delivery on a contract still running after the turn is listed with its
 * counterparty and price; the last delivery of a contract that ended with
 * the turn is gone from the snapshot, so it is the remainder of the
 * totals, one row without counterparty or price. Firms are holders
 * 0..seats-1 and nations seats + nation (model.h). */
typedef struct trade_ctx {
  exporter_t *x;
  out_file_t *o;
  bool warned;
} trade_ctx_t;

static void trade_row(trade_ctx_t *c, int turn, const char *seat,
                      const char *channel, bool buy, int product,
                      const char *region, int64_t kg, const int64_t *price,
                      const int64_t *limit, const int64_t *ordered,
                      const char *counterparty) {
  csv_t *csv = &c->o->c;
  csv_field(csv, c->x->g.id);
  csv_int(csv, turn);
  csv_field(csv, seat);
  csv_field(csv, channel);
  csv_field(csv, buy ? "buy" : "sell");
  csv_field(csv, model_product_name(product));
  csv_field(csv, region);
  csv_dec(csv, kg, 3);
  if (price)
    csv_dec(csv, *price, 2);
  else
    csv_field(csv, "");
  if (limit)
    csv_dec(csv, *limit, 2);
  else
    csv_field(csv, "");
  if (ordered)
    csv_dec(csv, *ordered, 3);
  else
    csv_field(csv, "");
  csv_field(csv, counterparty);
  csv_end(csv);
}

/* The seat whose goods holder h holds, or -1 (a nation nobody plays, or
 * the empty firm entry of a nation seat). */
static int holder_seat(const model_map_t *map, const int *nation_seat,
                       size_t h) {
  size_t seats = model_map_seat_count(map);
  if (h < seats)
    return model_map_seat_kind(map, h) == MODEL_SEAT_FIRM ? (int)h : -1;
  h -= seats;
  return h < model_map_nation_count(map) ? nation_seat[h] : -1;
}

static int on_trade_turn(void *arg, const store_turn_row_t *row, char *err,
                         size_t errlen) {
  trade_ctx_t *c = arg;
  const model_map_t *map = c->x->g.map;
  size_t seats = model_map_seat_count(map);
  size_t nations = model_map_nation_count(map);
  model_state_t *st = turn_state(c->x, row, "trades", &c->warned);
  if (!st)
    return 0;
  int *nation_seat = malloc((nations ? nations : 1) * sizeof *nation_seat);
  int64_t *left =
      calloc((seats + nations) * 2 * MODEL_PRODUCTS + 1, sizeof *left);
  model_obs_contract_t *con = NULL;
  size_t n_con = 0;
  int rc = 0;
  if (!nation_seat || !left || model_contracts_all(st, &con, &n_con) != 0) {
    snprintf(err, errlen, "out of memory");
    rc = -1;
    goto done;
  }
  for (size_t n = 0; n < nations; n++)
    nation_seat[n] = -1;
  for (size_t s = 0; s < seats; s++) {
    model_obs_t *obs = NULL;
    if (model_map_seat_kind(map, s) != MODEL_SEAT_NATION ||
        model_observe(st, (int)s, &obs) != 0)
      continue;
    for (size_t n = 0; n < nations; n++)
      if (strcmp(model_map_nation_id(map, n), obs->nation) == 0)
        nation_seat[n] = (int)s;
    model_obs_free(obs);
  }
  /* left[(h * MODEL_PRODUCTS + p) * 2 + buy]: kg not yet listed */
  for (size_t h = 0; h < seats + nations; h++) {
    model_holder_flows_t f;
    if (model_state_holder_flows(st, h, &f) != 0)
      continue;
    for (int p = 0; p < MODEL_PRODUCTS; p++) {
      left[(h * MODEL_PRODUCTS + (size_t)p) * 2 + 0] = f.sold[p];
      left[(h * MODEL_PRODUCTS + (size_t)p) * 2 + 1] = f.bought[p];
    }
  }
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    const model_trade_t *t = NULL;
    size_t n = model_last_trades(st, p, &t);
    for (size_t k = 0; k < n; k++) {
      size_t h = (size_t)t[k].holder;
      int s = holder_seat(map, nation_seat, h);
      if (s < 0)
        continue;
      const char *region = (size_t)t[k].nation < nations
                               ? model_map_nation_id(map, (size_t)t[k].nation)
                               : "";
      trade_row(c, row->turn, model_map_seat_id(map, (size_t)s), "market",
                t[k].is_bid, p, region, t[k].filled_kg, &t[k].price_cents,
                &t[k].limit_cents, &t[k].quantity_kg, "");
      left[(h * MODEL_PRODUCTS + (size_t)p) * 2 + t[k].is_bid] -=
          t[k].filled_kg;
    }
  }
  for (size_t k = 0; k < n_con; k++) {
    const model_obs_contract_t *ct = &con[k];
    if (!ct->accepted || ct->delivered_kg <= 0)
      continue;
    const char *party[2] = {ct->seller, ct->buyer};
    for (int buy = 0; buy < 2; buy++) {
      int s = model_map_seat_index(map, party[buy]);
      if (s < 0)
        continue;
      size_t h = model_map_seat_kind(map, (size_t)s) == MODEL_SEAT_FIRM
                     ? (size_t)s
                     : seats;
      if (h == seats)
        for (size_t nn = 0; nn < nations; nn++)
          if (nation_seat[nn] == s)
            h = seats + nn;
      trade_row(c, row->turn, party[buy], "contract", buy, ct->product, "",
                ct->delivered_kg, &ct->price_last_cents_per_kg, NULL,
                &ct->quantity_kg, party[!buy]);
      if (h < seats + nations)
        left[(h * MODEL_PRODUCTS + (size_t)ct->product) * 2 + buy] -=
            ct->delivered_kg;
    }
  }
  for (size_t h = 0; h < seats + nations; h++) {
    int s = holder_seat(map, nation_seat, h);
    if (s < 0)
      continue;
    for (int p = 0; p < MODEL_PRODUCTS; p++)
      for (int buy = 0; buy < 2; buy++) {
        int64_t kg = left[(h * MODEL_PRODUCTS + (size_t)p) * 2 + buy];
        if (kg > 0)
          trade_row(c, row->turn, model_map_seat_id(map, (size_t)s), "contract",
                    buy, p, "", kg, NULL, NULL, NULL, "");
      }
  }
done:
  free(con);
  free(left);
  free(nation_seat);
  model_state_free(st);
  return rc;
}

static int export_trades(exporter_t *x) {
  static const char *const header[] = {
      "session", "turn",        "seat",           "channel",
      "side",    "product",     "region",         "tonnes",
      "price",   "limit_price", "ordered_tonnes", "counterparty"};
  out_file_t o;
  if (out_open(x, &o, "trades") != 0)
    return -1;
  csv_header(&o.c, header, 12);
  trade_ctx_t c = {x, &o, false};
  char err[1024];
  int rc = store_read_turns(x->db, x->g.id, on_trade_turn, &c, err, sizeof err);
  if (rc != 0)
    read_failed(err);
  return out_close(&o, rc == 0);
}

/* facilities: every plant after each turn, from the turn's snapshot
 * (each firm's own view of its plants: model_observe). */
static int on_facility_turn(void *arg, const store_turn_row_t *row, char *err,
                            size_t errlen) {
  trade_ctx_t *c = arg;
  const model_map_t *map = c->x->g.map;
  csv_t *csv = &c->o->c;
  (void)err;
  (void)errlen;
  model_state_t *st = turn_state(c->x, row, "facilities", &c->warned);
  if (!st)
    return 0;
  for (size_t s = 0; s < model_map_seat_count(map); s++) {
    model_obs_t *obs = NULL;
    if (model_map_seat_kind(map, s) != MODEL_SEAT_FIRM ||
        model_observe(st, (int)s, &obs) != 0)
      continue;
    for (size_t i = 0; i < obs->n_facilities; i++) {
      const model_obs_facility_t *f = &obs->facilities[i];
      csv_field(csv, c->x->g.id);
      csv_int(csv, row->turn);
      csv_field(csv, f->id);
      csv_field(csv, model_map_seat_id(map, s));
      csv_field(csv, model_stage_name(f->stage));
      csv_field(csv, f->nation);
      csv_field(csv, f->site);
      csv_field(csv,
                f->status == MODEL_FAC_BUILDING ? "building" : "operating");
      csv_int(csv, f->turns_left);
      csv_dec(csv, f->capacity_kg_per_year, 3);
      csv_dec(csv, f->effective_kg_per_year, 3);
      csv_dec(csv, f->expanding_kg_per_year, 3);
      csv_dec(csv, f->utilisation_ppm, 6);
      csv_dec(csv, f->output_kg, 3);
      csv_int(csv, f->staff);
      csv_int(csv, f->staff_needed);
      csv_dec(csv, f->unit_cost_cents_per_kg, 2);
      csv_end(csv);
    }
    model_obs_free(obs);
  }
  model_state_free(st);
  return 0;
}

static int export_facilities(exporter_t *x) {
  static const char *const header[] = {
      "session",     "turn",         "facility",      "owner",
      "stage",       "nation",       "site",          "status",
      "turns_left",  "capacity_tpy", "effective_tpy", "expanding_tpy",
      "utilisation", "output_t",     "staff",         "staff_needed",
      "unit_cost"};
  out_file_t o;
  if (out_open(x, &o, "facilities") != 0)
    return -1;
  csv_header(&o.c, header, 17);
  trade_ctx_t c = {x, &o, false};
  char err[1024];
  int rc =
      store_read_turns(x->db, x->g.id, on_facility_turn, &c, err, sizeof err);
  if (rc != 0)
    read_failed(err);
  return out_close(&o, rc == 0);
}

/* Session ids become file names: only plain characters. */
static bool safe_id(const char *id) {
  if (!id[0])
    return false;
  for (const char *p = id; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
      return false;
  return true;
}

int cmd_export(int argc, char **argv, const ui_conn_opts_t *dflt) {
  (void)dflt; /* no server: the tool reads the database file */
  static const struct option longopts[] = {
      {"db", required_argument, NULL, 'd'},
      {"session", required_argument, NULL, 's'},
      {"format", required_argument, NULL, 'f'},
      {"out", required_argument, NULL, 'o'},
      {"raw", no_argument, NULL, 'r'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *path = NULL, *session = NULL;
  exporter_t x;
  memset(&x, 0, sizeof x);
  x.dir = ".";
  int ch;
  optind = 0;
  while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (ch) {
    case 'd':
      path = optarg;
      break;
    case 's':
      session = optarg;
      break;
    case 'f':
      if (strcmp(optarg, "csv") != 0) {
        fprintf(stderr,
                "lanthanide export: --format %s is not supported; the "
                "format is csv\n",
                optarg);
        return UI_EXIT_USAGE;
      }
      break;
    case 'o':
      x.dir = optarg;
      break;
    case 'r':
      x.raw = true;
      break;
    case 'h':
      usage(stdout);
      return UI_EXIT_OK;
    default:
      usage(stderr);
      return UI_EXIT_USAGE;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "lanthanide export: unexpected argument '%s'\n",
            argv[optind]);
    return UI_EXIT_USAGE;
  }
  if (!path) {
    fprintf(stderr, "lanthanide export: --db FILE is required\n");
    usage(stderr);
    return UI_EXIT_USAGE;
  }
  struct stat sb;
  if (stat(x.dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
    if (mkdir(x.dir, 0777) != 0) {
      fprintf(stderr,
              "export: --out %s: not a folder, and it cannot be "
              "made: %s\n",
              x.dir, strerror(errno));
      return UI_EXIT_FAIL;
    }
  }
  char err[2048], id[64];
  if (store_open_readonly(&x.db, path, err, sizeof err) != 0) {
    fprintf(stderr, "export: %s\n", err);
    return UI_EXIT_FAIL;
  }
  int status = UI_EXIT_FAIL;
  int rc = dbtool_session(x.db, session, id, sizeof id, err, sizeof err);
  if (rc != 0) {
    fprintf(stderr, "export: %s\n", err);
    if (rc > 0 && !session)
      status = UI_EXIT_USAGE;
    goto done;
  }
  if (!safe_id(id)) {
    fprintf(stderr, "export: the session id '%s' cannot be a file name\n", id);
    goto done;
  }
  if (dbtool_game_load(x.db, id, &x.g, err, sizeof err) != 0) {
    fprintf(stderr, "export: %s\n", err);
    goto done;
  }
  if (proto_decoder_init(&x.dec) != 0) {
    fprintf(stderr, "export: out of memory\n");
    goto done;
  }
  static const char *const price_head[] = {"session", "turn", "product",
                                           "region",  "unit", "value"};
  static const char *const prod_head[] = {"session", "turn", "stage",
                                          "nation",  "unit", "value"};
  /* rowid order is the order the server wrote them in: products and stages
   * in the model's order, the world price first, then nations in map
   * order. */
  int failed = 0;
  failed |= export_figures(&x, "prices", STORE_PRICES, price_head, "USD/kg", 2);
  failed |=
      export_figures(&x, "production", STORE_PRODUCTION, prod_head, "t", 3);
  failed |= export_scores(&x);
  failed |= export_orders(&x);
  failed |= export_chat(&x);
  failed |= export_seats(&x);
  failed |= export_events(&x);
  failed |= export_trades(&x);
  failed |= export_facilities(&x);
  failed |= export_timeline(&x);
  failed |= export_seen_vs_true(&x);
  status = failed ? UI_EXIT_FAIL : UI_EXIT_OK;
  proto_decoder_destroy(&x.dec);
done:
  dbtool_game_free(&x.g);
  store_close(x.db);
  return status;
}
