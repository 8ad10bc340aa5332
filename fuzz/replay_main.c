/*
 * A main() for the fuzz targets without libFuzzer: it feeds every file named
 * on the command line, and every file under every directory named there
 * (recursively; names starting with '.' are skipped), to the fuzz target,
 * once each. The normal gcc test build runs it over the directories
 * fuzz/seeds/<target>/ and fuzz/regressions/ as the `fuzz_regressions` test, so
 * an input that once crashed a target keeps being checked without clang.
 *
 * Built alone with one target it calls LLVMFuzzerTestOneInput. Built with
 * LAN_REPLAY_ALL, every target's entry point is renamed at compile time
 * (-DLLVMFuzzerTestOneInput=lan_fuzz_scan_one, ...) and linked here; a
 * file then goes through the target named by the nearest folder of its
 * path that bears a target's name (seeds/fuzz_state/x goes to fuzz_state,
 * regressions/fuzz_conn/y to fuzz_conn), and a file under no such folder
 * goes through every target, since every target accepts any bytes.
 *
 * A path that does not exist is skipped with a note (fuzz/regressions/ may
 * not exist yet); finding no file at all is a failure, because it means the
 * paths are wrong and nothing was tested.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The fuzzer stops a target that asks for more than -malloc_limit_mb
 * (run.sh: the 2 GiB RSS cap) in one allocation, and such an input is
 * saved as oom-*. The replay holds the saved ones to the same rule, or a
 * regression of that kind (a header that made msgpack-c ask for 4 GiB)
 * would pass again on a machine with the memory to give: one allocation
 * over REPLAY_ALLOC_MAX aborts. In the sanitizer build ASan owns malloc;
 * the test sets its max_allocation_size_mb to the same bound there. */
#define REPLAY_ALLOC_MAX ((size_t)1 << 30)

#if !defined(__SANITIZE_ADDRESS__) && defined(__GLIBC__)
#include <unistd.h>

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);

static void too_big(void) {
  static const char msg[] =
      "replay: one allocation of more than 1 GiB (the fuzzer's malloc "
      "limit): the target trusted a size it read\n";
  ssize_t w = write(2, msg, sizeof msg - 1);
  (void)w;
  abort();
}

void *malloc(size_t n) {
  if (n > REPLAY_ALLOC_MAX)
    too_big();
  return __libc_malloc(n);
}

void *calloc(size_t n, size_t size) {
  if (size && n > REPLAY_ALLOC_MAX / size)
    too_big();
  return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n) {
  if (n > REPLAY_ALLOC_MAX)
    too_big();
  return __libc_realloc(p, n);
}
#endif

typedef int (*target_fn)(const uint8_t *data, size_t size);

typedef struct {
  const char *name;
  target_fn fn;
} target_t;

#ifdef LAN_REPLAY_ALL
int lan_fuzz_scan_one(const uint8_t *data, size_t size);
int lan_fuzz_request_one(const uint8_t *data, size_t size);
int lan_fuzz_order_one(const uint8_t *data, size_t size);
int lan_fuzz_map_one(const uint8_t *data, size_t size);
int lan_fuzz_state_one(const uint8_t *data, size_t size);
int lan_fuzz_conn_one(const uint8_t *data, size_t size);
static const target_t targets[] = {
    {"fuzz_scan", lan_fuzz_scan_one},   {"fuzz_request", lan_fuzz_request_one},
    {"fuzz_order", lan_fuzz_order_one}, {"fuzz_map", lan_fuzz_map_one},
    {"fuzz_state", lan_fuzz_state_one}, {"fuzz_conn", lan_fuzz_conn_one}};
#else
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static const target_t targets[] = {{NULL, LLVMFuzzerTestOneInput}};
#endif

#define N_TARGETS (sizeof(targets) / sizeof(targets[0]))

static size_t runs[N_TARGETS];

/* The target whose name is the nearest folder of path, or -1 for none. */
static int target_of(const char *path) {
  const char *best = NULL;
  int which = -1;

  for (size_t i = 0; i < N_TARGETS; i++) {
    size_t n;
    const char *p;

    if (!targets[i].name)
      continue;
    n = strlen(targets[i].name);
    for (p = strstr(path, targets[i].name); p;
         p = strstr(p + 1, targets[i].name))
      if ((p == path || p[-1] == '/') && p[n] == '/' && (!best || p > best)) {
        best = p;
        which = (int)i;
      }
  }
  return which;
}

static size_t files_done;

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  uint8_t *data = NULL;
  long size;

  if (!f)
    goto fail;
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
      fseek(f, 0, SEEK_SET) != 0)
    goto fail;
  /* One spare byte so that an empty file is not a malloc(0). */
  data = malloc((size_t)size + 1);
  if (!data || fread(data, 1, (size_t)size, f) != (size_t)size)
    goto fail;
  fclose(f);
  {
    int t = target_of(path);

    for (size_t i = 0; i < N_TARGETS; i++)
      if (t < 0 || (size_t)t == i) {
        targets[i].fn(data, (size_t)size);
        runs[i]++;
      }
  }
  free(data);
  files_done++;
  return 0;

fail:
  fprintf(stderr, "replay: cannot read %s\n", path);
  free(data);
  if (f)
    fclose(f);
  return -1;
}

static int replay_path(const char *path) {
  struct stat st;
  DIR *d;
  struct dirent *e;
  int rc = 0;

  if (stat(path, &st) != 0) {
    fprintf(stderr, "replay: %s does not exist, skipped\n", path);
    return 0;
  }
  if (!S_ISDIR(st.st_mode))
    return replay_file(path);
  d = opendir(path);
  if (!d) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    return -1;
  }
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(path) + strlen(e->d_name) + 2;
    char *sub;

    if (e->d_name[0] == '.')
      continue;
    sub = malloc(n);
    if (!sub) {
      rc = -1;
      break;
    }
    snprintf(sub, n, "%s/%s", path, e->d_name);
    if (replay_path(sub) != 0)
      rc = -1;
    free(sub);
  }
  closedir(d);
  return rc;
}

int main(int argc, char **argv) {
  int rc = 0;

  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
    return 2;
  }
  for (int i = 1; i < argc; i++)
    if (replay_path(argv[i]) != 0)
      rc = 1;
  printf("replay: %zu inputs\n", files_done);
  for (size_t i = 0; i < N_TARGETS; i++)
    printf("replay: %zu runs of %s\n", runs[i],
           targets[i].name ? targets[i].name : "the target");
  if (files_done == 0) {
    fprintf(stderr, "replay: no inputs found\n");
    rc = 1;
  }
  return rc;
}
