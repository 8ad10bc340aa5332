/*
 * prompt: the input line of `lanthanide play`, driven by the caller's
 * poll(2) loop, that can step aside while something else is printed.
 *
 * On a terminal this is libedit (docs/dependencies.md) through its
 * readline-compatible callback interface: keys are handed to libedit as
 * they arrive, between the caller's other work, and prompt_hide and
 * prompt_show take the prompt and the line being typed off the screen and
 * put them back, so that a notification arriving as the player types does
 * not break the line. Editing keys, history (Up/Down) and Tab completion
 * are libedit's; ~/.editrc applies (as program "lanthanide").
 *
 * When stdin or stdout is not a terminal (a script piped into play), there
 * is no editing, no echo and no prompt: the input is only split into lines.
 *
 * libedit's readline emulation is one editor per process, so there is at
 * most one prompt_t at a time. Ownership: prompt_next hands out lines that
 * the caller frees. prompt_free gives the terminal back as it was; call it
 * before exiting.
 */
#ifndef LANTHANIDE_CLI_PROMPT_H
#define LANTHANIDE_CLI_PROMPT_H

#include <stdbool.h>

typedef struct prompt prompt_t;

/* Read from stdin; draw on stdout. On a terminal, also sets LC_CTYPE from
 * the environment (so that libedit edits UTF-8). NULL when out of memory
 * or when a prompt_t exists already. */
prompt_t *prompt_new(void);
void prompt_free(prompt_t *pr);
bool prompt_is_tty(const prompt_t *pr);

/* The prompt (ASCII); redrawn at once when the line is shown. */
void prompt_set(prompt_t *pr, const char *prompt);
/* Words that Tab completes as the first word of a line (NULL-terminated,
 * borrowed: must outlive pr). */
void prompt_set_words(prompt_t *pr, const char *const *words);

/* Take what stdin has; call when poll(2) says it is readable, after
 * prompt_show. Returns -1 at end of input, else 0. */
int prompt_feed(prompt_t *pr);

/* The next complete line: 1 with *line (the caller frees it), 0 when none
 * is complete yet, -1 at end of input (Ctrl-D on an empty line, or the end
 * of a pipe), -2 for Ctrl-C on an empty line. After a line is returned the
 * prompt is hidden until prompt_show. */
int prompt_next(prompt_t *pr, char **line);

/* Erase the prompt and the line being typed from the screen, so that output
 * can be printed; prompt_show draws them again below that output (and
 * starts a new, empty line after one was returned). Both are no-ops when
 * the input is not a terminal, except that prompt_show flushes stdout. */
void prompt_hide(prompt_t *pr);
void prompt_show(prompt_t *pr);

/* Remember a line for Up/Down (not empty ones, nor the same line twice in
 * a row). */
void prompt_history_add(prompt_t *pr, const char *line);

#endif
