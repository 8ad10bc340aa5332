/*
 * A line editor for a poll(2) loop; see lineedit.h.
 *
 * The line is a byte buffer holding UTF-8; the cursor is a byte offset that
 * always sits on a code point boundary. Each code point is drawn as one
 * column (enough for the commands, ids and chat of this game). A line
 * longer than the terminal scrolls sideways so the cursor stays visible.
 */
#include "lineedit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli_ui.h"

#define LE_MAX_LINE 4096
#define LE_HISTORY  200
#define LE_QUEUE    64

struct le {
  int fd;
  bool tty, raw, shown, eof;
  struct termios saved;
  char prompt[128];
  const char *const *words;

  char buf[LE_MAX_LINE];
  size_t len, cur; /* bytes in buf; cursor (byte offset) */
  size_t scroll;   /* first code point drawn, for long lines */
  int utf8_left;   /* continuation bytes still to come */

  int esc; /* 0: none, 1: after ESC, 2: in ESC [ or ESC O */
  char esc_buf[16];
  size_t esc_len;

  char *hist[LE_HISTORY];
  size_t n_hist, hist_pos; /* hist_pos == n_hist: the line being typed */
  char *stash;             /* the line being typed while browsing history */

  /* Completed lines not yet taken by le_next, and a pending signal. */
  char *queue[LE_QUEUE];
  size_t q_head, q_len;
  int signal; /* 0, -1 (end of input) or -2 (Ctrl-C) */

  /* Bytes read but not yet looked at: keys after an Enter wait until the
   * line before them was taken, so that a pasted block runs line by line,
   * each command's output under its own line. For a non-terminal, the raw
   * input, split on newlines. */
  char *pipe_buf;
  size_t pipe_len, pipe_cap;
};

le_t *le_new(int fd_in) {
  le_t *le = calloc(1, sizeof *le);
  if (!le)
    return NULL;
  le->fd = fd_in;
  le->tty = isatty(fd_in) && isatty(STDOUT_FILENO);
  if (le->tty && tcgetattr(fd_in, &le->saved) == 0) {
    struct termios raw = le->saved;
    /* Keep output processing (\n -> \r\n) and ICRNL (Enter reads as \n);
     * read keys one by one, without echo, with Ctrl-C as a key so that it
     * can clear the line rather than kill the game. */
    raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO | ISIG | IEXTEN);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    le->raw = tcsetattr(fd_in, TCSANOW, &raw) == 0;
  }
  le->tty = le->tty && le->raw;
  return le;
}

void le_free(le_t *le) {
  if (!le)
    return;
  if (le->raw) {
    if (le->shown)
      fputs("\r\n", stdout);
    fflush(stdout);
    tcsetattr(le->fd, TCSANOW, &le->saved);
  }
  for (size_t i = 0; i < le->n_hist; i++)
    free(le->hist[i]);
  for (size_t i = 0; i < le->q_len; i++)
    free(le->queue[(le->q_head + i) % LE_QUEUE]);
  free(le->stash);
  free(le->pipe_buf);
  free(le);
}

bool le_is_tty(const le_t *le) {
  return le->tty;
}

void le_set_words(le_t *le, const char *const *words) {
  le->words = words;
}

/* ---- Drawing ------------------------------------------------------------- */

static size_t cps(const char *s, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    k += ((unsigned char)s[i] & 0xc0) != 0x80;
  return k;
}

/* Byte offset of code point k in the line. */
static size_t offset_of(const le_t *le, size_t k) {
  size_t i = 0, seen = 0;
  for (; i < le->len; i++) {
    if (((unsigned char)le->buf[i] & 0xc0) != 0x80) {
      if (seen == k)
        return i;
      seen++;
    }
  }
  return le->len;
}

static void redraw(le_t *le) {
  if (!le->tty)
    return;
  int width = ui_term_width();
  size_t pw = strlen(le->prompt);
  size_t avail = width > (int)pw + 2 ? (size_t)width - pw - 1 : 1;
  size_t cur_cp = cps(le->buf, le->cur), total = cps(le->buf, le->len);
  if (cur_cp < le->scroll)
    le->scroll = cur_cp;
  if (cur_cp > le->scroll + avail)
    le->scroll = cur_cp - avail;
  if (total <= avail)
    le->scroll = 0;
  size_t from = offset_of(le, le->scroll);
  size_t to = offset_of(le, le->scroll + avail);
  fputs("\r", stdout);
  fputs(le->prompt, stdout);
  fwrite(le->buf + from, 1, to - from, stdout);
  fputs("\033[K", stdout);
  size_t back = cps(le->buf + from, to - from) - (cur_cp - le->scroll);
  if (back > 0)
    printf("\033[%zuD", back);
  fflush(stdout);
  le->shown = true;
}

void le_set_prompt(le_t *le, const char *prompt) {
  if (strcmp(le->prompt, prompt) == 0)
    return;
  snprintf(le->prompt, sizeof le->prompt, "%s", prompt);
  if (le->shown)
    redraw(le);
}

void le_hide(le_t *le) {
  if (!le->tty || !le->shown)
    return;
  fputs("\r\033[K", stdout);
  fflush(stdout);
  le->shown = false;
}

void le_show(le_t *le) {
  if (!le->tty) {
    fflush(stdout);
    return;
  }
  if (!le->shown)
    redraw(le);
}

/* ---- History ------------------------------------------------------------- */

void le_history_add(le_t *le, const char *line) {
  if (!line[0] || (le->n_hist && strcmp(le->hist[le->n_hist - 1], line) == 0))
    return;
  char *copy = strdup(line);
  if (!copy)
    return;
  if (le->n_hist == LE_HISTORY) {
    free(le->hist[0]);
    memmove(le->hist, le->hist + 1, (LE_HISTORY - 1) * sizeof le->hist[0]);
    le->n_hist--;
  }
  le->hist[le->n_hist++] = copy;
  le->hist_pos = le->n_hist;
}

static void set_line(le_t *le, const char *s) {
  size_t n = strlen(s);
  if (n >= LE_MAX_LINE)
    n = LE_MAX_LINE - 1;
  memcpy(le->buf, s, n);
  le->len = le->cur = n;
}

static void history_move(le_t *le, int dir) {
  if (dir < 0 && le->hist_pos == 0)
    return;
  if (dir > 0 && le->hist_pos >= le->n_hist)
    return;
  if (le->hist_pos == le->n_hist) {
    free(le->stash);
    le->buf[le->len] = '\0';
    le->stash = strdup(le->buf);
  }
  le->hist_pos = (size_t)((long)le->hist_pos + dir);
  if (le->hist_pos == le->n_hist)
    set_line(le, le->stash ? le->stash : "");
  else
    set_line(le, le->hist[le->hist_pos]);
}

/* ---- Editing ------------------------------------------------------------- */

static void push_line(le_t *le, char *line) {
  if (le->q_len == LE_QUEUE) {
    free(line); /* cannot happen: keys() stops at each Enter */
    return;
  }
  le->queue[(le->q_head + le->q_len++) % LE_QUEUE] = line;
}

static void insert(le_t *le, const char *s, size_t n) {
  if (le->len + n >= LE_MAX_LINE)
    return;
  memmove(le->buf + le->cur + n, le->buf + le->cur, le->len - le->cur);
  memcpy(le->buf + le->cur, s, n);
  le->len += n;
  le->cur += n;
}

static size_t prev_cp(const le_t *le, size_t i) {
  while (i > 0 && ((unsigned char)le->buf[--i] & 0xc0) == 0x80)
    ;
  return i;
}

static size_t next_cp(const le_t *le, size_t i) {
  if (i < le->len)
    i++;
  while (i < le->len && ((unsigned char)le->buf[i] & 0xc0) == 0x80)
    i++;
  return i;
}

static void delete_range(le_t *le, size_t a, size_t b) {
  memmove(le->buf + a, le->buf + b, le->len - b);
  le->len -= b - a;
  if (le->cur > b)
    le->cur -= b - a;
  else if (le->cur > a)
    le->cur = a;
}

static void enter(le_t *le) {
  le->buf[le->len] = '\0';
  char *line = strdup(le->buf);
  if (le->tty) {
    /* Leave the typed line on the screen, as a terminal would. */
    le->cur = le->len;
    redraw(le);
    fputs("\r\n", stdout);
    fflush(stdout);
    le->shown = false;
  }
  le->len = le->cur = le->scroll = 0;
  le->hist_pos = le->n_hist;
  if (line)
    push_line(le, line);
}

/* Tab: complete the first word from the word list. */
static void complete(le_t *le) {
  if (!le->words)
    return;
  for (size_t i = 0; i < le->cur; i++)
    if (le->buf[i] == ' ')
      return;
  size_t n = le->cur;
  const char *match = NULL;
  size_t count = 0;
  for (size_t i = 0; le->words[i]; i++)
    if (strncmp(le->words[i], le->buf, n) == 0) {
      match = le->words[i];
      count++;
    }
  if (count == 1) {
    insert(le, match + n, strlen(match) - n);
    insert(le, " ", 1);
  } else if (count > 1) {
    le_hide(le);
    for (size_t i = 0; le->words[i]; i++)
      if (strncmp(le->words[i], le->buf, n) == 0)
        printf("%s  ", le->words[i]);
    fputs("\n", stdout);
  }
}

/* An escape sequence's final byte arrived: act on ESC [ params final. */
static void escape(le_t *le, char final) {
  le->esc_buf[le->esc_len] = '\0';
  int num = atoi(le->esc_buf);
  switch (final) {
  case 'A':
    history_move(le, -1);
    break;
  case 'B':
    history_move(le, +1);
    break;
  case 'C':
    le->cur = next_cp(le, le->cur);
    break;
  case 'D':
    le->cur = prev_cp(le, le->cur);
    break;
  case 'H':
    le->cur = 0;
    break;
  case 'F':
    le->cur = le->len;
    break;
  case '~':
    if (num == 1 || num == 7)
      le->cur = 0;
    else if (num == 4 || num == 8)
      le->cur = le->len;
    else if (num == 3 && le->cur < le->len)
      delete_range(le, le->cur, next_cp(le, le->cur));
    break;
  default:
    break;
  }
}

static void key(le_t *le, unsigned char c) {
  if (le->esc == 1) {
    le->esc = (c == '[' || c == 'O') ? 2 : 0;
    le->esc_len = 0;
    return;
  }
  if (le->esc == 2) {
    if (c >= 0x40 && c <= 0x7e) {
      le->esc = 0;
      escape(le, (char)c);
    } else if (le->esc_len + 1 < sizeof le->esc_buf) {
      le->esc_buf[le->esc_len++] = (char)c;
    }
    return;
  }
  if (le->utf8_left > 0 && (c & 0xc0) == 0x80) {
    insert(le, (const char *)&c, 1);
    le->utf8_left--;
    return;
  }
  le->utf8_left = 0;
  switch (c) {
  case '\r':
  case '\n':
    enter(le);
    return;
  case 0x1b:
    le->esc = 1;
    return;
  case 0x03: /* Ctrl-C: clear the line, or leave on an empty one */
    if (le->len == 0) {
      le->signal = -2;
    } else {
      le->cur = le->len;
      redraw(le);
      fputs("^C\r\n", stdout);
      le->len = le->cur = le->scroll = 0;
    }
    return;
  case 0x04: /* Ctrl-D: end of input on an empty line, else delete */
    if (le->len == 0)
      le->signal = -1;
    else if (le->cur < le->len)
      delete_range(le, le->cur, next_cp(le, le->cur));
    return;
  case 0x7f:
  case 0x08:
    if (le->cur > 0)
      delete_range(le, prev_cp(le, le->cur), le->cur);
    return;
  case 0x01:
    le->cur = 0;
    return;
  case 0x05:
    le->cur = le->len;
    return;
  case 0x02:
    le->cur = prev_cp(le, le->cur);
    return;
  case 0x06:
    le->cur = next_cp(le, le->cur);
    return;
  case 0x0b:
    le->len = le->cur;
    return;
  case 0x15:
    delete_range(le, 0, le->cur);
    return;
  case 0x17: { /* Ctrl-W: the word before the cursor */
    size_t a = le->cur;
    while (a > 0 && le->buf[a - 1] == ' ')
      a--;
    while (a > 0 && le->buf[a - 1] != ' ')
      a--;
    delete_range(le, a, le->cur);
    return;
  }
  case 0x0c: /* Ctrl-L: clear the screen */
    fputs("\033[H\033[2J", stdout);
    return;
  case 0x10:
    history_move(le, -1);
    return;
  case 0x0e:
    history_move(le, +1);
    return;
  case '\t':
    complete(le);
    return;
  default:
    break;
  }
  if (c < 0x20)
    return; /* other control keys do nothing */
  if (c >= 0xc0)
    le->utf8_left = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
  insert(le, (const char *)&c, 1);
}

int le_feed(le_t *le) {
  char tmp[4096];
  ssize_t n;
  do {
    n = read(le->fd, tmp, sizeof tmp);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    le->eof = true;
    return -1;
  }
  if (le->pipe_len + (size_t)n > le->pipe_cap) {
    size_t cap = (le->pipe_len + (size_t)n) * 2;
    char *grown = realloc(le->pipe_buf, cap);
    if (!grown)
      return -1;
    le->pipe_buf = grown;
    le->pipe_cap = cap;
  }
  memcpy(le->pipe_buf + le->pipe_len, tmp, (size_t)n);
  le->pipe_len += (size_t)n;
  return 0;
}

/* Edit with the bytes read so far, up to the end of the first line. */
static void keys(le_t *le) {
  size_t i = 0;
  while (i < le->pipe_len && le->q_len == 0 && !le->signal)
    key(le, (unsigned char)le->pipe_buf[i++]);
  memmove(le->pipe_buf, le->pipe_buf + i, le->pipe_len - i);
  le->pipe_len -= i;
  /* Draw once per batch of keys, and not in the middle of a character. */
  if (le->utf8_left == 0 && le->esc == 0 && le->q_len == 0 && !le->signal &&
      i > 0)
    redraw(le);
}

int le_next(le_t *le, char **line) {
  if (!le->tty) {
    char *nl = le->pipe_len ? memchr(le->pipe_buf, '\n', le->pipe_len) : NULL;
    size_t n = nl ? (size_t)(nl - le->pipe_buf) : le->pipe_len;
    if (!nl && !(le->eof && le->pipe_len > 0))
      return le->eof ? -1 : 0;
    char *s = malloc(n + 1);
    if (!s)
      return -1;
    memcpy(s, le->pipe_buf, n);
    s[n] = '\0';
    if (n > 0 && s[n - 1] == '\r')
      s[n - 1] = '\0';
    size_t used = nl ? n + 1 : n;
    memmove(le->pipe_buf, le->pipe_buf + used, le->pipe_len - used);
    le->pipe_len -= used;
    *line = s;
    return 1;
  }
  if (le->q_len == 0 && !le->signal)
    keys(le);
  if (le->q_len > 0) {
    *line = le->queue[le->q_head];
    le->q_head = (le->q_head + 1) % LE_QUEUE;
    le->q_len--;
    return 1;
  }
  if (le->signal) {
    int s = le->signal;
    le->signal = 0;
    return s;
  }
  return le->eof && le->pipe_len == 0 ? -1 : 0;
}
