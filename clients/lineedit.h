/*
 * le: a small line editor for `lanthanide play`, driven by the caller's
 * poll(2) loop, that can step aside while something else is printed.
 *
 * Why not GNU readline: it is GPL-3 and not among the project's
 * dependencies, and what play needs is modest: one line with cursor keys,
 * history and word completion, hidden (le_hide) while a notification is
 * printed and redrawn after (le_show), so that a message arriving as the
 * player types does not break the line being typed.
 *
 * When the input is not a terminal (a script piped into play), there is no
 * editing, no echo and no prompt: le only splits the input into lines.
 *
 * Ownership: le_new takes nothing; le_next hands out lines that the caller
 * frees. le_free restores the terminal's settings; call it before exiting.
 */
#ifndef LANTHANIDE_LINEEDIT_H
#define LANTHANIDE_LINEEDIT_H

#include <stdbool.h>

typedef struct le le_t;

/* Read from fd_in; draw on stdout. Puts a terminal in raw mode (no echo,
 * no line buffering, Ctrl-C read as a key). NULL when out of memory. */
le_t *le_new(int fd_in);
void le_free(le_t *le);
bool le_is_tty(const le_t *le);

/* The prompt (ASCII); redrawn at once when the line is shown. */
void le_set_prompt(le_t *le, const char *prompt);
/* Words that Tab completes as the first word of a line (NULL-terminated,
 * borrowed: must outlive le). */
void le_set_words(le_t *le, const char *const *words);

/* Read what fd_in has (one read(2)); call when poll(2) says it is
 * readable. Returns -1 at end of input, else 0. */
int le_feed(le_t *le);

/* The next complete line: 1 with *line (the caller frees it), 0 when none
 * is complete yet, -1 at end of input (Ctrl-D on an empty line, or the end
 * of a pipe), -2 for Ctrl-C on an empty line. After a line is returned the
 * prompt is hidden until le_show. */
int le_next(le_t *le, char **line);

/* Erase the prompt and the line being typed from the screen, so that output
 * can be printed; le_show draws them again below that output. Both are
 * no-ops when the input is not a terminal. */
void le_hide(le_t *le);
void le_show(le_t *le);

void le_history_add(le_t *le, const char *line);

#endif
