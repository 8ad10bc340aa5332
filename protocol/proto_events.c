/*
 * proto_events.c: events on the wire for the control cell (issue 13):
 * the `event` map of event.inject (parsed into a model_event_t and packed
 * back as the canonical map the store keeps and event.list shows), and
 * the audience of a news item in a turn's summary: the summary keeps
 * `seats` on the events only some seats see, and each seat's copy of a
 * summary leaves out the others' news (proto_summary_for).
 */
#include <stdlib.h>
#include <string.h>

#include "proto_types.h"

#include <stdarg.h>
#include <stdio.h>

__attribute__((format(printf, 3, 4))) static void
refuse(model_refusal_t *r, const char *field, const char *fmt, ...) {
  snprintf(r->code, sizeof r->code, "invalid_params");
  snprintf(r->field, sizeof r->field, "%s", field);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->message, sizeof r->message, fmt, ap);
  va_end(ap);
}

static const msgpack_object *mget(const msgpack_object *map, const char *key) {
  return proto_map_get(map, key);
}

void proto_event_audience_add(model_event_t *ev, int32_t seat) {
  int32_t at = 0;
  while (at < ev->n_audience && ev->audience[at] < seat)
    at++;
  if (at < ev->n_audience && ev->audience[at] == seat)
    return;
  if (ev->n_audience >= MODEL_AUDIENCE_MAX)
    return;
  memmove(&ev->audience[at + 1], &ev->audience[at],
          (size_t)(ev->n_audience - at) * sizeof ev->audience[0]);
  ev->audience[at] = seat;
  ev->n_audience++;
}

static bool key_is(const msgpack_object *k, const char *key) {
  size_t n = strlen(key);
  return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
         memcmp(k->via.str.ptr, key, n) == 0;
}

/* A string field into out (NUL-terminated). 0 absent or copied, -1 with
 * r filled: not a string, or too long. */
static int str_field(const msgpack_object *e, const char *key, char *out,
                     size_t size, model_refusal_t *r) {
  const msgpack_object *v = mget(e, key);
  out[0] = 0;
  if (!v || v->type == MSGPACK_OBJECT_NIL)
    return 0;
  if (v->type != MSGPACK_OBJECT_STR) {
    refuse(r, key, "field '%s' must be a string", key);
    return -1;
  }
  if (v->via.str.size >= size || memchr(v->via.str.ptr, 0, v->via.str.size)) {
    refuse(r, key,
           "field '%s' must be a string of at most %zu bytes "
           "without NUL",
           key, size - 1);
    return -1;
  }
  memcpy(out, v->via.str.ptr, v->via.str.size);
  out[v->via.str.size] = 0;
  return 0;
}

static int num_field(const msgpack_object *e, const char *key, bool *present,
                     double *out, model_refusal_t *r) {
  const msgpack_object *v = mget(e, key);
  *present = v && v->type != MSGPACK_OBJECT_NIL;
  if (!*present)
    return 0;
  switch (v->type) {
  case MSGPACK_OBJECT_POSITIVE_INTEGER:
    *out = (double)v->via.u64;
    return 0;
  case MSGPACK_OBJECT_NEGATIVE_INTEGER:
    *out = (double)v->via.i64;
    return 0;
  case MSGPACK_OBJECT_FLOAT32:
  case MSGPACK_OBJECT_FLOAT64:
    *out = v->via.f64;
    return 0;
  default:
    refuse(r, key, "field '%s' must be a number", key);
    return -1;
  }
}

int proto_event_parse(const msgpack_object *e, model_event_t *ev,
                      model_refusal_t *r) {
  memset(ev, 0, sizeof *ev);
  memset(r, 0, sizeof *r);
  ev->product = ev->stage = -1;
  ev->duration = 1;
  if (!e || e->type != MSGPACK_OBJECT_MAP) {
    refuse(r, "event",
           "'event' must be a map {kind, nation, facility, "
           "product, stage, magnitude, duration, policy, text}");
    return -1;
  }
  char name[MODEL_ID_MAX];
  if (str_field(e, "kind", name, sizeof name, r) != 0)
    return -1;
  int kind = -1;
  for (int k = 0; k < MODEL_EVENT_KINDS; k++)
    if (model_event_name(k) && strcmp(model_event_name(k), name) == 0)
      kind = k;
  if (kind < 0 || kind == MODEL_EV_FINANCE) {
    refuse(r, "kind",
           "field 'kind' must be one of mine_accident, flood, "
           "conflict, demand_surge, cost_overrun, policy, "
           "plant_outage, state_support; got \"%s\"",
           name);
    return -1;
  }
  ev->kind = (model_event_kind_t)kind;
  if (str_field(e, "nation", ev->nation, sizeof ev->nation, r) != 0 ||
      str_field(e, "facility", ev->facility, sizeof ev->facility, r) != 0 ||
      str_field(e, "text", ev->text, sizeof ev->text, r) != 0)
    return -1;
  if (str_field(e, "product", name, sizeof name, r) != 0)
    return -1;
  if (name[0] && (ev->product = model_product_from_name(name)) < 0) {
    refuse(r, "product",
           "field 'product' must be a product name (concentrate, "
           "ndpr_oxide, dytb_oxide, lace_oxide, magnet); got "
           "\"%s\"",
           name);
    return -1;
  }
  if (str_field(e, "stage", name, sizeof name, r) != 0)
    return -1;
  if (name[0] && (ev->stage = model_stage_from_name(name)) < 0) {
    refuse(r, "stage",
           "field 'stage' must be mining, separation or magnet; "
           "got \"%s\"",
           name);
    return -1;
  }
  bool has;
  double d = 0;
  if (num_field(e, "magnitude", &has, &d, r) != 0)
    return -1;
  if (has && (!(d >= 0) || d > 10 ||
              model_fraction_to_ppm(d, &ev->magnitude_ppm) != 0)) {
    refuse(r, "magnitude", "field 'magnitude' must be a share from 0 to 10");
    return -1;
  }
  if (num_field(e, "duration", &has, &d, r) != 0)
    return -1;
  if (has) {
    if (!(d >= 1) || d > MODEL_TURNS_MAX || d != (double)(int32_t)d) {
      refuse(r, "duration",
             "field 'duration' must be a whole number of turns "
             "from 1 to %d",
             MODEL_TURNS_MAX);
      return -1;
    }
    ev->duration = (int32_t)d;
  }
  if (kind == MODEL_EV_POLICY || kind == MODEL_EV_STATE_SUPPORT) {
    /* the order: under "policy" (the contract's name), or "order" as the
     * maps write a state_support event */
    const msgpack_object *po = mget(e, "policy");
    if (!po)
      po = mget(e, "order");
    if (!po) {
      refuse(r, "policy",
             "a %s event needs 'policy': an order map such as "
             "{\"op\": \"policy\", \"kind\": \"export_licence\", "
             "...}",
             model_event_name(kind));
      return -1;
    }
    model_refusal_t why;
    if (proto_order_parse(po, &ev->policy, &why) != 0) {
      refuse(r, "policy", "in 'policy': %s", why.message);
      return -1;
    }
  }
  return 0;
}

int proto_pack_event_spec(msgpack_packer *pk, const model_event_t *ev) {
  bool order =
      ev->kind == MODEL_EV_POLICY || ev->kind == MODEL_EV_STATE_SUPPORT;
  size_t n = 3 + (ev->nation[0] != 0) + (ev->facility[0] != 0) +
             (ev->product >= 0) + (ev->stage >= 0) + order + (ev->text[0] != 0);
  int rc = msgpack_pack_map(pk, n);
  rc |= proto_pack_kv_cstr(pk, "kind", model_event_name(ev->kind));
  if (ev->nation[0])
    rc |= proto_pack_kv_cstr(pk, "nation", ev->nation);
  if (ev->facility[0])
    rc |= proto_pack_kv_cstr(pk, "facility", ev->facility);
  if (ev->product >= 0)
    rc |= proto_pack_kv_cstr(pk, "product", model_product_name(ev->product));
  if (ev->stage >= 0)
    rc |= proto_pack_kv_cstr(pk, "stage", model_stage_name(ev->stage));
  rc |= proto_pack_kv_f64(pk, "magnitude",
                          model_ppm_to_fraction(ev->magnitude_ppm));
  rc |= proto_pack_kv_i64(pk, "duration", ev->duration);
  if (order) {
    rc |= proto_pack_cstr(pk, "policy");
    rc |= proto_pack_order(pk, &ev->policy);
  }
  if (ev->text[0])
    rc |= proto_pack_kv_cstr(pk, "text", ev->text);
  return rc;
}

int proto_pack_audience(msgpack_packer *pk, const model_map_t *map,
                        const model_event_t *ev) {
  int rc = msgpack_pack_array(pk, (size_t)ev->n_audience);
  for (int32_t i = 0; i < ev->n_audience; i++)
    rc |= proto_pack_cstr(pk, model_map_seat_id(map, (size_t)ev->audience[i]));
  return rc;
}

int proto_audience_parse(const msgpack_object *a, const model_map_t *map,
                         model_event_t *ev) {
  if (!a || a->type != MSGPACK_OBJECT_ARRAY || a->via.array.size == 0 ||
      a->via.array.size > MODEL_AUDIENCE_MAX)
    return -1;
  model_event_t tmp = *ev;
  tmp.n_audience = 0;
  for (uint32_t i = 0; i < a->via.array.size; i++) {
    const msgpack_object *x = &a->via.array.ptr[i];
    char id[MODEL_ID_MAX];
    if (x->type != MSGPACK_OBJECT_STR || x->via.str.size >= sizeof id)
      return -1;
    memcpy(id, x->via.str.ptr, x->via.str.size);
    id[x->via.str.size] = 0;
    int k = model_map_seat_index(map, id);
    if (k < 0)
      return -1;
    proto_event_audience_add(&tmp, k);
  }
  ev->n_audience = tmp.n_audience;
  memcpy(ev->audience, tmp.audience, sizeof ev->audience);
  return 0;
}

/* May a viewer with these seats (flags by seat index; NULL: none) see an
 * event whose `seats` array is aud? */
static bool sees(const msgpack_object *aud, const model_map_t *map,
                 const uint8_t *seats) {
  if (!seats || aud->type != MSGPACK_OBJECT_ARRAY)
    return false;
  for (uint32_t i = 0; i < aud->via.array.size; i++) {
    const msgpack_object *s = &aud->via.array.ptr[i];
    if (s->type != MSGPACK_OBJECT_STR || s->via.str.size >= MODEL_ID_MAX)
      continue;
    char id[MODEL_ID_MAX];
    memcpy(id, s->via.str.ptr, s->via.str.size);
    id[s->via.str.size] = 0;
    int k = model_map_seat_index(map, id);
    if (k >= 0 && seats[k])
      return true;
  }
  return false;
}

int proto_summary_for(const uint8_t *sum, size_t len, const model_map_t *map,
                      const uint8_t *seats, proto_buf_t *out) {
  msgpack_unpacked un;
  msgpack_unpacked_init(&un);
  size_t off = 0;
  if (msgpack_unpack_next(&un, (const char *)sum, len, &off) !=
          MSGPACK_UNPACK_SUCCESS ||
      un.data.type != MSGPACK_OBJECT_MAP) {
    msgpack_unpacked_destroy(&un);
    return -1;
  }
  const msgpack_object *evs = mget(&un.data, "events");
  bool restricted = false;
  if (evs && evs->type == MSGPACK_OBJECT_ARRAY)
    for (uint32_t i = 0; i < evs->via.array.size && !restricted; i++)
      restricted = mget(&evs->via.array.ptr[i], "seats") != NULL;
  if (!restricted) {
    msgpack_unpacked_destroy(&un);
    return 0;
  }
  msgpack_packer pk;
  proto_packer_init(&pk, out);
  const msgpack_object *top = &un.data;
  int rc = msgpack_pack_map(&pk, top->via.map.size);
  for (uint32_t i = 0; i < top->via.map.size; i++) {
    const msgpack_object_kv *kv = &top->via.map.ptr[i];
    rc |= msgpack_pack_object(&pk, kv->key);
    if (!key_is(&kv->key, "events") || kv->val.type != MSGPACK_OBJECT_ARRAY) {
      rc |= msgpack_pack_object(&pk, kv->val);
      continue;
    }
    const msgpack_object *a = &kv->val;
    uint32_t keep = 0;
    for (uint32_t k = 0; k < a->via.array.size; k++) {
      const msgpack_object *aud = mget(&a->via.array.ptr[k], "seats");
      keep += !aud || sees(aud, map, seats);
    }
    rc |= msgpack_pack_array(&pk, keep);
    for (uint32_t k = 0; k < a->via.array.size; k++) {
      const msgpack_object *e = &a->via.array.ptr[k];
      const msgpack_object *aud = mget(e, "seats");
      if (!aud) {
        rc |= msgpack_pack_object(&pk, *e);
        continue;
      }
      if (!sees(aud, map, seats))
        continue;
      /* the seat's copy without the list of who else saw it */
      rc |= msgpack_pack_map(&pk, e->via.map.size - 1);
      for (uint32_t j = 0; j < e->via.map.size; j++)
        if (!key_is(&e->via.map.ptr[j].key, "seats")) {
          rc |= msgpack_pack_object(&pk, e->via.map.ptr[j].key);
          rc |= msgpack_pack_object(&pk, e->via.map.ptr[j].val);
        }
    }
  }
  msgpack_unpacked_destroy(&un);
  return rc || proto_buf_failed(out) ? -1 : 1;
}

int proto_inject_stored_parse(proto_decoder_t *dec, const uint8_t *event,
                              size_t event_len, const uint8_t *seats,
                              size_t seats_len, const model_map_t *map,
                              model_event_t *ev) {
  msgpack_object o;
  proto_error_t perr;
  model_refusal_t why;
  int bad = proto_decode(dec, event, event_len, &o, &perr) != 0 ||
            proto_event_parse(&o, ev, &why) != 0;
  proto_decoder_reset(dec);
  if (!bad && seats) {
    bad = proto_decode(dec, seats, seats_len, &o, &perr) != 0 ||
          proto_audience_parse(&o, map, ev) != 0;
    proto_decoder_reset(dec);
  }
  return bad ? -1 : 0;
}
