/*
 * A main() for the fuzz targets without libFuzzer: it feeds every file named
 * on the command line, and every file under every directory named there
 * (recursively; names starting with '.' are skipped), to the fuzz target,
 * once each. The normal gcc test build runs it over the directories
 * fuzz/seeds/<target>/ and fuzz/regressions/ as the `fuzz_regressions` test, so
 * an input that once crashed a target keeps being checked without clang.
 *
 * Built alone with one target it calls LLVMFuzzerTestOneInput. Built with
 * LAN_REPLAY_BOTH, the two targets' entry points are renamed at compile time
 * (-DLLVMFuzzerTestOneInput=lan_fuzz_scan_one, ...) and each file goes
 * through both, since either target accepts any bytes.
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

typedef int (*target_fn)(const uint8_t *data, size_t size);

#ifdef LAN_REPLAY_BOTH
int lan_fuzz_scan_one(const uint8_t *data, size_t size);
int lan_fuzz_request_one(const uint8_t *data, size_t size);
static const target_fn targets[] = {lan_fuzz_scan_one, lan_fuzz_request_one};
#else
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static const target_fn targets[] = {LLVMFuzzerTestOneInput};
#endif

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
  for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
    targets[i](data, (size_t)size);
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
  printf("replay: %zu inputs through %zu target(s)\n", files_done,
         sizeof(targets) / sizeof(targets[0]));
  if (files_done == 0) {
    fprintf(stderr, "replay: no inputs found\n");
    rc = 1;
  }
  return rc;
}
