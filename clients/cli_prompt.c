/*
 * The input line of `lanthanide play` on top of libedit; see cli_prompt.h.
 *
 * libedit's readline emulation runs in callback mode. The handler is
 * installed when the prompt is shown: libedit then puts the terminal in
 * raw mode and draws the prompt. It is removed after each line (and after
 * Ctrl-C or Ctrl-D), which gives the terminal back while the command runs;
 * installing it again starts a new, empty line.
 *
 * Written against libedit 3.1 (Debian 12), whose emulation differs from
 * GNU readline where it matters here:
 *  - It has no rl_clear_visible_line, and rl_redisplay pushes ^R (a history
 *    search in its emacs keymap) into the input. So prompt_hide erases the
 *    prompt and line with ANSI escapes, from the row libedit left the cursor
 *    on, and prompt_show redraws with rl_forced_update_display (EL_REFRESH),
 *    which forgets what was on the screen and draws prompt and line again.
 *  - It leaves ISIG on, so the terminal would turn Ctrl-C into SIGINT and
 *    end the game; "setty -d -isig" makes Ctrl-C a key that clears the line
 *    (or quits on an empty one), as in a shell. Its own signal handlers are
 *    off (rl_catch_signals): they re-raise with kill(0, ...), which reaches
 *    the whole process group.
 *  - rl_replace_line ignores "", so a line is cleared by removing the
 *    handler.
 */
#define _XOPEN_SOURCE 700 /* wcwidth */

#include "cli_prompt.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

#include <editline/readline.h>

#define PROMPT_HISTORY 200

struct prompt {
  bool tty;
  bool installed; /* libedit's handler is: raw mode, keys go to libedit */
  bool shown;     /* the prompt (and the line) are on the screen */
  bool cancel;    /* Ctrl-C on a non-empty line */
  int signal;     /* 0, -1 (end of input) or -2 (Ctrl-C on an empty line) */
  char *line;     /* entered, not yet taken by prompt_next */
  char *last;     /* the last line added to the history */
  char prompt[128];
  const char *const *words;

  /* Not a terminal: the raw input, split on newlines by prompt_next. */
  bool eof;
  char *buf;
  size_t len, cap;
};

/* libedit's callbacks take no argument, and it has one editor anyway. */
static prompt_t *g_pr;

/* ---- libedit's callbacks ------------------------------------------------- */

static void on_line(char *line) {
  if (!line) {
    /* Ctrl-D on an empty line: "^D" stays after the prompt until
     * prompt_hide erases it. */
    g_pr->signal = -1;
    return;
  }
  g_pr->line = line;
  g_pr->shown = false; /* libedit moved to the next row */
}

static int on_ctrl_c(int count, int key) {
  if (rl_end == 0)
    g_pr->signal = -2;
  else
    g_pr->cancel = true; /* acted on once libedit has returned */
  return 0;
}

static char *next_word(const char *text, int state) {
  static size_t i;
  if (state == 0)
    i = 0;
  size_t n = strlen(text);
  while (g_pr->words && g_pr->words[i]) {
    const char *w = g_pr->words[i++];
    if (strncmp(w, text, n) == 0)
      return strdup(w);
  }
  return NULL;
}

/* Tab: commands, as the first word only. */
static char **complete(const char *text, int start, int end) {
  rl_attempted_completion_over = 1; /* never libedit's file names */
  if (start != 0 || !g_pr->words)
    return NULL;
  return rl_completion_matches(text, next_word);
}

/* ---- Life -------------------------------------------------------------- */

prompt_t *prompt_new(void) {
  if (g_pr)
    return NULL;
  prompt_t *pr = calloc(1, sizeof *pr);
  if (!pr)
    return NULL;
  /* libedit does not edit when the terminal does not echo (it reads whole
   * lines then): treat that as a pipe. */
  struct termios t;
  pr->tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) &&
            tcgetattr(STDIN_FILENO, &t) == 0 && (t.c_lflag & ECHO);
  g_pr = pr;
  if (!pr->tty)
    return pr;
  /* libedit decodes the keys with the C library's multibyte functions:
   * without this, anything but ASCII would be refused. */
  setlocale(LC_CTYPE, "");
  rl_readline_name = "lanthanide";
  rl_instream = stdin;
  rl_outstream = stdout;
  rl_catch_signals = 0;
  if (rl_initialize() != 0) {
    g_pr = NULL;
    free(pr);
    return NULL;
  }
  rl_parse_and_bind("setty -d -isig");
  rl_add_defun("lanthanide-ctrl-c", on_ctrl_c, CTRL('C'));
  /* With ISIG off, Ctrl-Z reaches libedit, whose emulation would stop the
   * whole process group with no way to redraw after; ignore it. */
  rl_parse_and_bind("bind ^Z ed-ignore");
  /* Ctrl-U erases up to the cursor, as in a shell (libedit: the line). */
  rl_parse_and_bind("bind ^U vi-kill-line-prev");
  rl_attempted_completion_function = complete;
  stifle_history(PROMPT_HISTORY);
  return pr;
}

void prompt_free(prompt_t *pr) {
  if (!pr)
    return;
  if (pr->tty) {
    if (pr->installed)
      rl_callback_handler_remove(); /* the terminal as it was */
    if (pr->shown)
      fputs("\n", stdout);
    fflush(stdout);
    clear_history();
  }
  free(pr->line);
  free(pr->last);
  free(pr->buf);
  free(pr);
  g_pr = NULL;
}

bool prompt_is_tty(const prompt_t *pr) {
  return pr->tty;
}

void prompt_set_words(prompt_t *pr, const char *const *words) {
  pr->words = words;
}

/* ---- Drawing ------------------------------------------------------------- */

/* The columns libedit draws the first n bytes of s in. */
static size_t columns(const char *s, size_t n) {
  mbstate_t st;
  memset(&st, 0, sizeof st);
  size_t cols = 0;
  for (size_t i = 0; i < n;) {
    wchar_t wc;
    size_t k = mbrtowc(&wc, s + i, n - i, &st);
    if (k == 0 || k > n - i) { /* cannot be in libedit's line: a guess */
      memset(&st, 0, sizeof st);
      cols++;
      i++;
      continue;
    }
    int w = wc < 0x20 || wc == 0x7f ? 2 : wcwidth(wc); /* "^X" */
    cols += w > 0 ? (size_t)w : 0;
    i += k;
  }
  return cols;
}

void prompt_hide(prompt_t *pr) {
  if (!pr->tty || !pr->shown)
    return;
  /* libedit wraps a long line onto more rows and leaves the cursor on the
   * row of the insertion point: go up to the prompt's row, then erase to
   * the end of the screen. */
  int width = 0;
  rl_get_screen_size(NULL, &width);
  size_t at = strlen(pr->prompt);
  if (rl_line_buffer && rl_point > 0)
    at += columns(rl_line_buffer, (size_t)rl_point);
  size_t row = width > 0 ? at / (size_t)width : 0;
  if (row > 0)
    printf("\033[%zuA", row);
  fputs("\r\033[J", stdout);
  fflush(stdout);
  pr->shown = false;
}

void prompt_show(prompt_t *pr) {
  if (!pr->tty || pr->shown) {
    fflush(stdout);
    return;
  }
  /* Both draw from the cursor, which output has left at a row's start. */
  if (!pr->installed) {
    rl_callback_handler_install(pr->prompt, on_line);
    pr->installed = true;
  } else {
    rl_forced_update_display();
  }
  pr->shown = true;
}

void prompt_set(prompt_t *pr, const char *prompt) {
  if (strcmp(pr->prompt, prompt) == 0)
    return;
  bool redraw = pr->shown && pr->installed;
  if (redraw)
    prompt_hide(pr); /* with the old prompt's width */
  snprintf(pr->prompt, sizeof pr->prompt, "%s", prompt);
  if (pr->installed)
    rl_set_prompt(pr->prompt);
  if (redraw)
    prompt_show(pr);
}

/* ---- Input --------------------------------------------------------------- */

static int pending(void) {
  int n = 0;
  return ioctl(STDIN_FILENO, FIONREAD, &n) == 0 ? n : 0;
}

static int feed_pipe(prompt_t *pr) {
  char tmp[4096];
  ssize_t n;
  do {
    n = read(STDIN_FILENO, tmp, sizeof tmp);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    pr->eof = true;
    return -1;
  }
  if (pr->len + (size_t)n > pr->cap) {
    size_t cap = (pr->len + (size_t)n) * 2;
    char *grown = realloc(pr->buf, cap);
    if (!grown)
      return -1;
    pr->buf = grown;
    pr->cap = cap;
  }
  memcpy(pr->buf + pr->len, tmp, (size_t)n);
  pr->len += (size_t)n;
  return 0;
}

int prompt_feed(prompt_t *pr) {
  if (!pr->tty)
    return feed_pipe(pr);
  if (!pr->installed)
    return 0; /* the keys wait for prompt_show */
  /* In raw mode a readable terminal has bytes; none means it hung up
   * (libedit would report nothing, and poll would wake again at once). */
  if (pending() <= 0)
    return -1;
  /* libedit's size is only read when a line starts (no SIGWINCH handler):
   * after a resize, redraw at the new width before the key. */
  struct winsize ws;
  int width = 0;
  rl_get_screen_size(NULL, &width);
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 &&
      ws.ws_col != width) {
    prompt_hide(pr);
    rl_resize_terminal();
    prompt_show(pr);
  }
  /* One key per call; take what was typed (or pasted) up to a line's end,
   * so that a pasted block runs line by line. */
  do
    rl_callback_read_char();
  while (!pr->line && !pr->signal && !pr->cancel && pending() > 0);
  if (pr->cancel) {
    /* Leave the line on the screen, marked, and start an empty one. */
    pr->cancel = false;
    prompt_hide(pr);
    printf("%s%.*s^C\n", pr->prompt, rl_end, rl_line_buffer);
    rl_callback_handler_remove();
    pr->installed = false;
  } else if (pr->line || pr->signal) {
    rl_callback_handler_remove();
    pr->installed = false;
  }
  return 0;
}

int prompt_next(prompt_t *pr, char **line) {
  if (pr->tty) {
    if (pr->line) {
      *line = pr->line;
      pr->line = NULL;
      return 1;
    }
    int s = pr->signal;
    pr->signal = 0;
    return s;
  }
  char *nl = pr->len ? memchr(pr->buf, '\n', pr->len) : NULL;
  size_t n = nl ? (size_t)(nl - pr->buf) : pr->len;
  if (!nl && !(pr->eof && pr->len > 0))
    return pr->eof ? -1 : 0;
  char *s = malloc(n + 1);
  if (!s)
    return -1;
  memcpy(s, pr->buf, n);
  s[n] = '\0';
  if (n > 0 && s[n - 1] == '\r')
    s[n - 1] = '\0';
  size_t used = nl ? n + 1 : n;
  memmove(pr->buf, pr->buf + used, pr->len - used);
  pr->len -= used;
  *line = s;
  return 1;
}

void prompt_history_add(prompt_t *pr, const char *line) {
  if (!pr->tty || !line[0] || (pr->last && strcmp(pr->last, line) == 0))
    return;
  add_history(line);
  free(pr->last);
  pr->last = strdup(line);
}
