/*
 * harness: start and stop the real server, and talk to it over loopback.
 * See harness.h.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *server_path;

void lt_init(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PATH-TO-lanthanide-server\n", argv[0]);
    exit(2);
  }
  server_path = argv[1];
  /* A write to a server that closed must fail, not kill the test. */
  signal(SIGPIPE, SIG_IGN);
}

uint64_t lt_now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void lt_sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

int lt_write_file(const char *dir, const char *name, const char *text) {
  char path[512];
  FILE *f;

  snprintf(path, sizeof(path), "%s/%s", dir, name);
  f = fopen(path, "w");
  if (!f)
    return -1;
  fputs(text, f);
  return fclose(f) == 0 ? 0 : -1;
}

/* Read the banner line from fd within timeout_ms. */
static int read_line(int fd, char *buf, size_t size, int timeout_ms) {
  size_t n = 0;
  uint64_t end = lt_now_ms() + (uint64_t)timeout_ms;

  while (n + 1 < size) {
    struct pollfd p = {fd, POLLIN, 0};
    uint64_t now = lt_now_ms();
    ssize_t r;

    if (now >= end || poll(&p, 1, (int)(end - now)) <= 0)
      return -1;
    r = read(fd, buf + n, 1);
    if (r <= 0)
      return -1;
    if (buf[n] == '\n') {
      buf[n] = '\0';
      return 0;
    }
    n++;
  }
  return -1;
}

int lt_start(lt_server_t *s, const char *const *args) {
  const char *argv[64];
  char line[256];
  const char *colon;
  bool has_maps = false;
  char db[256];
  int out[2], logfd, n = 0;
  pid_t pid;

  memset(s, 0, sizeof(*s));
  s->pid = -1;
  s->out_fd = -1;
  snprintf(s->dir, sizeof(s->dir), "/tmp/lan-itest-XXXXXX");
  if (!mkdtemp(s->dir)) {
    perror("mkdtemp");
    return -1;
  }
  snprintf(s->log_path, sizeof(s->log_path), "%s/server.log", s->dir);
  snprintf(s->maps_dir, sizeof(s->maps_dir), "%s/maps", s->dir);
  snprintf(db, sizeof(db), "%s/test.db", s->dir);
  mkdir(s->maps_dir, 0700);

  argv[n++] = server_path;
  argv[n++] = "--listen";
  argv[n++] = "127.0.0.1:0";
  argv[n++] = "--db";
  argv[n++] = db;
  for (int i = 0; args && args[i] && n < 60; i++) {
    if (strcmp(args[i], "--maps") == 0)
      has_maps = true;
    argv[n++] = args[i];
  }
  if (!has_maps) {
    argv[n++] = "--maps";
    argv[n++] = s->maps_dir;
  }
  argv[n] = NULL;

  if (pipe2(out, O_CLOEXEC) != 0) {
    perror("pipe");
    return -1;
  }
  logfd = open(s->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (logfd < 0) {
    perror("open log");
    return -1;
  }
  pid = fork();
  if (pid < 0) {
    perror("fork");
    return -1;
  }
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(logfd, 2);
    execv(server_path, (char *const *)argv);
    fprintf(stderr, "exec %s: %s\n", server_path, strerror(errno));
    _exit(127);
  }
  close(out[1]);
  close(logfd);
  s->pid = pid;
  s->out_fd = out[0];
  if (read_line(out[0], line, sizeof(line), 20000) != 0) {
    fprintf(stderr, "the server printed no banner line\n");
    lt_stop(s);
    return -1;
  }
  colon = strrchr(line, ':');
  if (strncmp(line, "lanthanide-server ", 18) != 0 ||
      !strstr(line, " listening on 127.0.0.1:") || !colon ||
      (s->port = atoi(colon + 1)) <= 0) {
    fprintf(stderr, "unexpected banner: '%s'\n", line);
    lt_stop(s);
    return -1;
  }
  return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

static void dump_log(const lt_server_t *s) {
  char buf[4096];
  size_t n;
  FILE *f = fopen(s->log_path, "r");

  if (!f)
    return;
  fprintf(stderr, "---- server log (%s) ----\n", s->log_path);
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
    fwrite(buf, 1, n, stderr);
  fprintf(stderr, "---- end of server log ----\n");
  fclose(f);
}

int lt_stop(lt_server_t *s) {
  return lt_stop_with(s, SIGTERM);
}

int lt_stop_with(lt_server_t *s, int sig) {
  int status = 0, result = -1;
  uint64_t end;

  if (s->pid <= 0)
    return -1;
  kill(s->pid, sig);
  end = lt_now_ms() + 15000;
  for (;;) {
    pid_t r = waitpid(s->pid, &status, WNOHANG);
    if (r == s->pid)
      break;
    if (r < 0 || lt_now_ms() > end) {
      fprintf(stderr, "the server did not exit after SIGTERM; killing it\n");
      kill(s->pid, SIGKILL);
      waitpid(s->pid, &status, 0);
      status = -1;
      break;
    }
    lt_sleep_ms(5);
  }
  s->pid = -1;
  if (s->out_fd >= 0)
    close(s->out_fd);
  s->out_fd = -1;
  if (status != -1 && WIFEXITED(status))
    result = WEXITSTATUS(status);
  if (result != 0) {
    fprintf(stderr, "server exit status: %d (raw %d)\n", result, status);
    dump_log(s);
  } else if (s->dir[0]) {
    nftw(s->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  }
  return result;
}

long lt_rss_kib(pid_t pid) {
  char path[64], line[256];
  long kib = -1;
  FILE *f;

  snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
  f = fopen(path, "r");
  if (!f)
    return -1;
  while (fgets(line, sizeof(line), f))
    if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
      break;
  fclose(f);
  return kib;
}

bool lt_log_contains(const lt_server_t *s, const char *needle) {
  FILE *f = fopen(s->log_path, "r");
  char *buf;
  long n;
  bool found = false;

  if (!f)
    return false;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
    buf[n] = '\0';
    found = strstr(buf, needle) != NULL;
  }
  free(buf);
  fclose(f);
  return found;
}

/* ---- Clients ------------------------------------------------------------ */

int lt_connect(lt_conn_t *c, int port, int rcvbuf) {
  struct sockaddr_in sin;

  memset(c, 0, sizeof(*c));
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c->fd < 0)
    return -1;
  if (rcvbuf > 0)
    setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_port = htons((uint16_t)port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
    close(c->fd);
    c->fd = -1;
    return -1;
  }
  msgpack_unpacker_init(&c->up, 65536);
  msgpack_unpacked_init(&c->msg);
  return 0;
}

void lt_close(lt_conn_t *c) {
  if (c->fd < 0)
    return;
  close(c->fd);
  c->fd = -1;
  msgpack_unpacked_destroy(&c->msg);
  msgpack_unpacker_destroy(&c->up);
}

int lt_send(lt_conn_t *c, const void *data, size_t len) {
  const char *p = data;

  while (len > 0) {
    ssize_t r = send(c->fd, p, len, MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return -1;
    p += r;
    len -= (size_t)r;
  }
  return 0;
}

int lt_recv(lt_conn_t *c, int timeout_ms, msgpack_object **obj) {
  uint64_t end = lt_now_ms() + (uint64_t)timeout_ms;

  for (;;) {
    msgpack_unpack_return r = msgpack_unpacker_next(&c->up, &c->msg);
    struct pollfd p = {c->fd, POLLIN, 0};
    uint64_t now;
    ssize_t n;

    if (r == MSGPACK_UNPACK_SUCCESS) {
      *obj = &c->msg.data;
      return 1;
    }
    if (r != MSGPACK_UNPACK_CONTINUE)
      return -1;
    now = lt_now_ms();
    if (now >= end || poll(&p, 1, (int)(end - now)) <= 0)
      return -1;
    if (!msgpack_unpacker_reserve_buffer(&c->up, 65536))
      return -1;
    n = recv(c->fd, msgpack_unpacker_buffer(&c->up), 65536, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n == 0 || (n < 0 && errno == ECONNRESET))
      return 0;
    if (n < 0)
      return -1;
    msgpack_unpacker_buffer_consumed(&c->up, (size_t)n);
  }
}

bool lt_wait_closed(lt_conn_t *c, int timeout_ms) {
  uint64_t end = lt_now_ms() + (uint64_t)timeout_ms;
  char buf[65536];

  for (;;) {
    struct pollfd p = {c->fd, POLLIN, 0};
    uint64_t now = lt_now_ms();
    ssize_t n;

    if (now >= end || poll(&p, 1, (int)(end - now)) <= 0)
      return false;
    n = recv(c->fd, buf, sizeof(buf), 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET))
      return true;
    if (n < 0 && errno != EINTR)
      return false;
  }
}

void lt_pack_request(msgpack_sbuffer *sb, uint32_t msgid, const char *method) {
  msgpack_packer pk;

  msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
  msgpack_pack_array(&pk, 4);
  msgpack_pack_uint8(&pk, 0);
  msgpack_pack_uint32(&pk, msgid);
  msgpack_pack_str_with_body(&pk, method, strlen(method));
  msgpack_pack_array(&pk, 0);
}

int lt_call(lt_conn_t *c, uint32_t msgid, const char *method,
            msgpack_object **obj) {
  msgpack_sbuffer sb;
  int r;

  msgpack_sbuffer_init(&sb);
  lt_pack_request(&sb, msgid, method);
  r = lt_send(c, sb.data, sb.size);
  msgpack_sbuffer_destroy(&sb);
  if (r != 0)
    return -1;
  return lt_recv(c, LT_WAIT_MS, obj);
}

bool lt_ping(lt_conn_t *c, uint32_t msgid) {
  msgpack_object *o;
  const msgpack_object *res;
  uint32_t id;

  if (lt_call(c, msgid, "ping", &o) != 1 || !lt_is_response(o, &id) ||
      id != msgid || lt_response_error(o))
    return false;
  res = lt_response_result(o);
  return res && res->type == MSGPACK_OBJECT_MAP && res->via.map.size == 0;
}

const msgpack_object *lt_get(const msgpack_object *map, const char *key) {
  size_t n = strlen(key);

  if (!map || map->type != MSGPACK_OBJECT_MAP)
    return NULL;
  for (uint32_t i = 0; i < map->via.map.size; i++) {
    const msgpack_object_kv *kv = &map->via.map.ptr[i];
    if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == n &&
        memcmp(kv->key.via.str.ptr, key, n) == 0)
      return &kv->val;
  }
  return NULL;
}

bool lt_str_is(const msgpack_object *o, const char *s) {
  size_t n = strlen(s);

  return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
         memcmp(o->via.str.ptr, s, n) == 0;
}

bool lt_str_has(const msgpack_object *o, const char *needle) {
  return o && o->type == MSGPACK_OBJECT_STR &&
         memmem(o->via.str.ptr, o->via.str.size, needle, strlen(needle));
}

bool lt_is_response(const msgpack_object *obj, uint32_t *msgid) {
  const msgpack_object *a;

  if (!obj || obj->type != MSGPACK_OBJECT_ARRAY || obj->via.array.size != 4)
    return false;
  a = obj->via.array.ptr;
  if (a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER || a[0].via.u64 != 1 ||
      a[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
    return false;
  if (msgid)
    *msgid = (uint32_t)a[1].via.u64;
  return true;
}

const msgpack_object *lt_response_error(const msgpack_object *obj) {
  const msgpack_object *e = &obj->via.array.ptr[2];

  return e->type == MSGPACK_OBJECT_NIL ? NULL : e;
}

const msgpack_object *lt_response_result(const msgpack_object *obj) {
  return &obj->via.array.ptr[3];
}

const msgpack_object *lt_error_notification(const msgpack_object *obj) {
  const msgpack_object *a, *params;

  if (!obj || obj->type != MSGPACK_OBJECT_ARRAY || obj->via.array.size != 3)
    return NULL;
  a = obj->via.array.ptr;
  if (a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER || a[0].via.u64 != 2 ||
      !lt_str_is(&a[1], "error"))
    return NULL;
  params = &a[2];
  if (params->type != MSGPACK_OBJECT_ARRAY || params->via.array.size != 1 ||
      params->via.array.ptr[0].type != MSGPACK_OBJECT_MAP)
    return NULL;
  return &params->via.array.ptr[0];
}

uint64_t lt_stat(lt_conn_t *c, const char *name) {
  msgpack_object *o;
  const msgpack_object *v;
  uint32_t id;

  if (lt_call(c, 4000000000u, "server.stats", &o) != 1 ||
      !lt_is_response(o, &id) || id != 4000000000u || lt_response_error(o))
    return UINT64_MAX;
  v = lt_get(lt_response_result(o), name);
  if (!v || v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
    return UINT64_MAX;
  return v->via.u64;
}

uint64_t lt_stat_port(int port, const char *name) {
  lt_conn_t c;
  uint64_t v;

  if (lt_connect(&c, port, 0) != 0)
    return UINT64_MAX;
  v = lt_stat(&c, name);
  lt_close(&c);
  return v;
}

/* ---- Fixtures ----------------------------------------------------------- */

int lt_setup(void **state) {
  lt_fixture_t *f = *state;

  f->stopped = false;
  return lt_start(&f->srv, f->args);
}

int lt_teardown(void **state) {
  lt_fixture_t *f = *state;

  if (f->stopped)
    return 0;
  return lt_stop(&f->srv) == 0 ? 0 : -1;
}

const char *lt_server_path(void) {
  return server_path;
}

int lt_run(const char *const *args, char *out, size_t size) {
  const char *argv[64];
  int fds[2], status, n = 0;
  size_t len = 0;
  pid_t pid;

  argv[n++] = server_path;
  for (int i = 0; args && args[i] && n < 62; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  if (pipe2(fds, O_CLOEXEC) != 0)
    return -1;
  pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    execv(server_path, (char *const *)argv);
    _exit(127);
  }
  close(fds[1]);
  for (;;) {
    char buf[4096];
    ssize_t r = read(fds[0], buf, sizeof(buf));
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    if (len + 1 < size) {
      size_t k = (size_t)r < size - 1 - len ? (size_t)r : size - 1 - len;
      memcpy(out + len, buf, k);
      len += k;
    }
  }
  close(fds[0]);
  if (size > 0)
    out[len] = '\0';
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
    return -1;
  return WEXITSTATUS(status);
}
