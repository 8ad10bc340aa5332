/*
 * srv: the services every RPC handler may reach through call->app.
 *
 * main.c owns one srv_t for the life of the server and hands it to rpc_new
 * as the app pointer; each method module takes what it needs from it.
 */
#ifndef LANTHANIDE_SRV_H
#define LANTHANIDE_SRV_H

struct durable;
struct methods;
struct sess_registry;
struct store;

typedef struct srv {
  struct methods *methods;    /* hello, ping, maps.list, server.stats */
  struct sess_registry *sess; /* game sessions */
  struct store *store;        /* the database */
  struct durable *durable;    /* its commits (the latency histogram) */
  double start_time_s;        /* when the server started (Unix time) */
} srv_t;

#endif
