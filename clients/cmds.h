/*
 * The lanthanide subcommands that live in their own files. Each takes its
 * own argv (argv[0] is the subcommand's name), the connection defaults
 * gathered before it (--server, --timeout given ahead of the subcommand, or
 * the environment), and returns the process's exit status: 0 success,
 * 1 failure (the server's error or a lost connection, printed), 2 usage.
 */
#ifndef LANTHANIDE_CMDS_H
#define LANTHANIDE_CMDS_H

#include "cli_ui.h"

int cmd_admin(int argc, char **argv, const ui_conn_opts_t *dflt);
int cmd_play(int argc, char **argv, const ui_conn_opts_t *dflt);
int cmd_watch(int argc, char **argv, const ui_conn_opts_t *dflt);
int cmd_bot(int argc, char **argv, const ui_conn_opts_t *dflt);
/* Tools that read a server's database file directly (read-only), without
 * a server: dflt is unused. */
int cmd_replay(int argc, char **argv, const ui_conn_opts_t *dflt);
int cmd_export(int argc, char **argv, const ui_conn_opts_t *dflt);
/* Headless tournaments in this process and its workers (cmd_tournament.c):
 * `tournament`, `tournament merge`, `tournament show`; no server, dflt is
 * unused. */
int cmd_tournament(int argc, char **argv, const ui_conn_opts_t *dflt);

/* The order schema of this build (cmd_schema.c): `schema --markdown`
 * prints docs/orders.md, `schema --json` the JSON Schema of one order; no
 * server, dflt is unused. */
int cmd_schema(int argc, char **argv, const ui_conn_opts_t *dflt);

#endif
