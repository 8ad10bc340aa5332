/* bench_model.c: how fast the model resolves turns.
 *
 * Builds synthetic worlds of 1,000, 10,000 and 100,000 firms (16 nations;
 * each firm one mine, separation plant or magnet plant, with standing offers
 * and bids at prices spread over a few hundred cents, final demand in every
 * nation) through the real map loader, resolves a warm-up turn and then T
 * timed turns, and prints one parsable line per size:
 *   bench=model_turn firms=N turns=T ns_per_firm_turn=X
 * then the ratio of the 100k to the 1k cost per firm-turn, and the time of a
 * turn of the shipped maps world-2024 and classroom, over whole games (state
 * creation included):
 *   bench=model_turn map=ID games=G turns=T us_per_turn=X
 * Usage: bench-model [MAPS_DIR] */
#include "model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NATIONS 16

typedef struct {
  char *b;
  size_t n, cap;
} buf_t;

static void bput(buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void bput(buf_t *b, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(b->b + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    if (w >= 0 && (size_t)w < b->cap - b->n) {
      b->n += (size_t)w;
      return;
    }
    b->cap = b->cap * 2 + 4096;
    b->b = realloc(b->b, b->cap);
    if (!b->b) {
      fprintf(stderr, "out of memory\n");
      exit(1);
    }
  }
}

static char *synthetic(size_t firms) {
  buf_t b = {malloc(1 << 20), 0, 1 << 20};
  double scale = (double)firms / 3.0 / NATIONS;
  bput(&b,
       "{\"id\": \"synthetic\", \"title\": \"Synthetic %zu firms\", "
       "\"turns\": 400,\n\"parameters\": {\"prices\": {\"concentrate\": "
       "8, \"ndpr_oxide\": 55, \"dytb_oxide\": 370, \"lace_oxide\": 1, "
       "\"magnet\": 70},\n\"stages\": {\"mining\": {\"staff_per_kt\": 5, "
       "\"learning_rate\": 0.05}, \"separation\": {\"staff_per_kt\": 5, "
       "\"learning_rate\": 0.12, \"recovery\": {\"initial\": 0.85, "
       "\"max\": 0.95}}, \"magnet\": {\"staff_per_kt\": 50, "
       "\"learning_rate\": 0.2}},\n\"transport\": {\"default\": "
       "{\"concentrate\": 0.3, \"ndpr_oxide\": 0.2, \"dytb_oxide\": 0.2, "
       "\"lace_oxide\": 0.2, \"magnet\": 0.2}}},\n\"nations\": [",
       firms);
  for (int n = 0; n < NATIONS; n++)
    bput(&b,
         "%s{\"id\": \"N%02d\", \"title\": \"Nation %d\", \"budget\": 1e9, "
         "\"talent\": {\"mining\": 100000, \"separation\": 100000, \"magnet\": "
         "100000}, \"demand\": {\"ndpr_oxide\": {\"volume\": %.0f, "
         "\"elasticity\": -0.3}, \"dytb_oxide\": {\"volume\": %.0f, "
         "\"elasticity\": -0.2}, \"lace_oxide\": {\"volume\": %.0f, "
         "\"elasticity\": -0.5}, \"magnet\": {\"volume\": %.0f, "
         "\"elasticity\": -0.3, \"growth\": 0.05}}}",
         n ? ", " : "", n, n, 100 * scale, 40 * scale, 2500 * scale,
         900 * scale);
  bput(&b, "],\n\"deposits\": [");
  for (int n = 0; n < NATIONS; n++)
    bput(&b,
         "%s{\"id\": \"d%02d\", \"nation\": \"N%02d\", \"reserves\": 1e9, "
         "\"basket\": {\"ndpr_oxide\": 0.2, \"dytb_oxide\": 0.02, "
         "\"lace_oxide\": 0.78}}",
         n ? ", " : "", n, n);
  bput(&b, "],\n\"seats\": [");
  for (size_t k = 0; k < firms; k++) {
    int n = (int)(k % NATIONS), stage = (int)((k / NATIONS) % 3);
    bput(&b,
         "%s\n{\"seat\": \"f%zu\", \"kind\": \"firm\", \"title\": \"F\", "
         "\"nation\": \"N%02d\", \"cash\": 1e9, \"staff\": {\"mining\": 40, "
         "\"separation\": 40, \"magnet\": 100}, \"orders\": [",
         k ? "," : "", k, n);
    if (stage == 0)
      bput(&b,
           "{\"op\": \"offer\", \"product\": \"concentrate\", \"quantity\": "
           "1e6, \"min_price\": %.2f}",
           (200 + (double)((k * 37) % 500)) / 100.0);
    else if (stage == 1)
      bput(&b,
           "{\"op\": \"bid\", \"product\": \"concentrate\", \"quantity\": "
           "1000, \"max_price\": %.2f}, {\"op\": \"offer\", \"product\": "
           "\"ndpr_oxide\", \"quantity\": 1e6, \"min_price\": %.2f}, "
           "{\"op\": \"offer\", \"product\": \"dytb_oxide\", \"quantity\": "
           "1e6, \"min_price\": %.2f}, {\"op\": \"offer\", \"product\": "
           "\"lace_oxide\", \"quantity\": 1e6, \"min_price\": %.2f}",
           (700 + (double)((k * 53) % 600)) / 100.0,
           (3000 + (double)((k * 17) % 2000)) / 100.0,
           (20000 + (double)((k * 29) % 10000)) / 100.0,
           (20 + (double)((k * 7) % 80)) / 100.0);
    else
      bput(&b,
           "{\"op\": \"bid\", \"product\": \"ndpr_oxide\", \"quantity\": 100, "
           "\"max_price\": %.2f}, {\"op\": \"bid\", \"product\": "
           "\"dytb_oxide\", \"quantity\": 6, \"max_price\": %.2f}, {\"op\": "
           "\"offer\", \"product\": \"magnet\", \"quantity\": 1e6, "
           "\"min_price\": %.2f}",
           (6000 + (double)((k * 41) % 3000)) / 100.0,
           (40000 + (double)((k * 13) % 20000)) / 100.0,
           (4000 + (double)((k * 11) % 3000)) / 100.0);
    bput(&b, "]}");
  }
  bput(&b, "],\n\"facilities\": [");
  for (size_t k = 0; k < firms; k++) {
    int n = (int)(k % NATIONS), stage = (int)((k / NATIONS) % 3);
    static const char *const st[] = {"mining", "separation", "magnet"};
    bput(&b,
         "%s\n{\"id\": \"p%zu\", \"owner\": \"f%zu\", \"stage\": \"%s\", "
         "%s%s%s\"capacity\": %d, \"experience\": 1000}",
         k ? "," : "", k, k, st[stage], stage == 0 ? "\"site\": \"d" : "",
         stage == 0 ? (n < 10 ? (char[]){'0', (char)('0' + n), 0}
                              : (char[]){'1', (char)('0' + n - 10), 0})
                    : "",
         stage == 0 ? "\", " : "",
         stage == 0   ? 4000
         : stage == 1 ? 4000
                      : 600);
  }
  bput(&b, "]}\n");
  return b.b;
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Resolves one warm-up turn and `turns` timed ones; returns ns per turn. */
static double time_turns(const model_map_t *m, int turns) {
  model_state_t *st;
  if (model_state_new(m, 1, &st)) {
    fprintf(stderr, "model_state_new failed\n");
    exit(1);
  }
  int rc = model_resolve(st);
  if (rc) {
    fprintf(stderr, "model_resolve: %s\n", model_strerror(rc));
    exit(1);
  }
  double t0 = now_ns();
  for (int t = 0; t < turns; t++)
    if (model_resolve(st)) {
      fprintf(stderr, "model_resolve failed\n");
      exit(1);
    }
  double t1 = now_ns();
  model_state_free(st);
  return (t1 - t0) / turns;
}

/* Plays `games` whole games (seeds 1..games) under standing orders;
 * returns ns per turn. */
static double time_games(const model_map_t *m, int games) {
  double t0 = now_ns();
  long turns = 0;
  for (int g = 0; g < games; g++) {
    model_state_t *st;
    if (model_state_new(m, (uint64_t)g + 1, &st)) {
      fprintf(stderr, "model_state_new failed\n");
      exit(1);
    }
    while (model_state_turn(st) < model_state_turns(st)) {
      if (model_resolve(st)) {
        fprintf(stderr, "model_resolve failed\n");
        exit(1);
      }
      turns++;
    }
    model_state_free(st);
  }
  return (now_ns() - t0) / (double)turns;
}

int main(int argc, char **argv) {
  const char *maps = argc > 1 ? argv[1] : LAN_SOURCE_MAPS;
  const size_t sizes[] = {1000, 10000, 100000};
  double per[3];
  for (int i = 0; i < 3; i++) {
    char *json = synthetic(sizes[i]);
    model_map_t *m;
    model_error_t e;
    int rc = model_map_load_string(json, strlen(json), "synthetic", &m, &e);
    free(json);
    if (rc) {
      fprintf(stderr, "%s:%d:%d: %s\n", e.file, e.line, e.column, e.message);
      return 1;
    }
    int turns = sizes[i] >= 100000 ? 5 : sizes[i] >= 10000 ? 20 : 100;
    double ns = time_turns(m, turns);
    per[i] = ns / (double)sizes[i];
    printf("bench=model_turn firms=%zu turns=%d ns_per_firm_turn=%.1f\n",
           sizes[i], turns, per[i]);
    fflush(stdout);
    model_map_free(m);
  }
  printf("bench=model_turn_scaling ratio_100k_to_1k=%.2f\n", per[2] / per[0]);
  /* the shipped maps: world-2024 and classroom, whose turn the tournament
   * runner plays a thousand games a second of (16 turns each, agents
   * included): whole games, repeated. A shipped map that does not load is
   * an error, not a figure left out. */
  const char *ids[] = {"world-2024", "classroom"};
  const int games[] = {20, 500};
  for (int i = 0; i < 2; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.json", maps, ids[i]);
    model_map_t *m;
    model_error_t e;
    if (model_map_load_file(path, &m, &e)) {
      fprintf(stderr, "bench-model: shipped map %s does not load: %s\n", path,
              e.message);
      return 1;
    }
    int turns = model_map_turns(m);
    double ns = time_games(m, games[i]);
    printf("bench=model_turn map=%s games=%d turns=%d us_per_turn=%.1f\n",
           ids[i], games[i], turns, ns / 1000.0);
    model_map_free(m);
  }
  return 0;
}
