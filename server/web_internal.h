/*
 * web_internal: the connection shared by the HTTP side (http.c) and the
 * WebSocket side (ws.c) of the --http transport. Not for other modules.
 *
 * A web_conn_t starts as an HTTP connection owned by http.c (its own
 * deadline timer, freed when its handles close). An accepted WebSocket
 * handshake hands it to ws.c and the connection core: from then on it is
 * closed with conn_close only and freed in the core's release call
 * (ws_release), once the HTTP timer has closed too.
 */
#ifndef LANTHANIDE_WEB_INTERNAL_H
#define LANTHANIDE_WEB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <http_parser.h>
#include <uv.h>
#include <wslay/wslay.h>

#include "conn.h"
#include "http.h"
#include "proto.h"

/* Interesting header values kept per request; longer ones are refused. */
#define WEB_HDR_MAX 256u
#define WEB_URL_MAX 2048u

enum web_hdr {
  WEB_H_HOST,
  WEB_H_ORIGIN,
  WEB_H_UPGRADE,
  WEB_H_CONNECTION,
  WEB_H_WS_KEY,
  WEB_H_WS_VERSION,
  WEB_H_COUNT,
  WEB_H_NONE = WEB_H_COUNT
};

typedef struct web_conn {
  conn_t conn; /* the core's part: valid once upgraded */
  uv_tcp_t tcp;
  uv_timer_t timer; /* HTTP only: the head deadline */
  http_server_t *srv;
  struct web_conn *prev, *next; /* HTTP connections, for shutdown */
  unsigned handles;             /* of tcp and timer, not yet closed */
  bool upgraded;
  bool closing;  /* HTTP side closing (before an upgrade) */
  bool released; /* the core released it (after an upgrade) */
  bool reading;
  unsigned writes; /* HTTP answers queued in libuv */
  void *addr;      /* counted in --max-per-address (net_addr_take) */
  char name[64];   /* "address:port" */
  char ip[48];

  /* HTTP request being parsed. */
  http_parser parser;
  size_t head_len;
  bool head_too_large;
  bool in_headers; /* between message begin and headers complete */
  bool last_was_value;
  bool close_after;  /* answer with Connection: close, then close */
  bool want_upgrade; /* a complete request asks for an upgrade */
  bool has_body;     /* the request says it has a body: close after */
  unsigned served;   /* requests answered on this connection */
  unsigned batch;    /* requests answered from the bytes being parsed */
  proto_buf_t held;  /* a read's bytes after a batch cut at --max-batch */
  size_t held_off;   /* the first of them not parsed yet */
  enum web_hdr cur;  /* the header whose value is arriving */
  char field[32];
  size_t field_len;
  bool field_long;
  char url[WEB_URL_MAX];
  size_t url_len;
  bool url_long;
  char hdr[WEB_H_COUNT][WEB_HDR_MAX];
  size_t hdr_len[WEB_H_COUNT];
  bool hdr_long[WEB_H_COUNT];

  /* WebSocket (ws.c). */
  wslay_event_context_ptr ws;
  const uint8_t *rin; /* the chunk wslay reads from */
  size_t rin_len;
  proto_buf_t msg;    /* the binary message being assembled */
  uint8_t frame_op;   /* opcode of the frame being received */
  proto_buf_t rdy;    /* messages completed in this read: length, bytes */
  size_t rdy_off;     /* the next one to feed */
  int recv_status;    /* of the last wslay_event_recv */
  bool deferred;      /* a batch was cut at --max-batch: reading stopped */
  bool core_paused;   /* the core stopped reading (ops->read_stop) and has
                         not restarted it: completed messages wait in rdy */
  uv_idle_t idle;     /* hands over the next batch (HTTP or WebSocket) */
  bool pend_fail_set; /* a protocol error found while wslay parsed */
  uint64_t *pend_counter;
  uint16_t pend_code;
  proto_error_t pend_err;
  bool failed;         /* a protocol error was reported: ignore input */
  bool in_read;        /* ws_read is feeding the core: batch the answers */
  uint16_t close_code; /* sent in the close frame when draining */
  char close_reason[124];
  proto_buf_t wout[2]; /* framed output: wout[wpend] collects */
  unsigned wpend;
  bool wwriting;     /* wout[wpend ^ 1] is in a uv_write */
  bool core_waiting; /* the core awaits conn_write_done */
  bool shutdown_wanted;
  bool shutdown_sent;
  uv_write_t wreq;
  uv_shutdown_t sreq;
} web_conn_t;

/* http.c: the shared read buffer and the connection's core. */
conn_core_t *web_core(web_conn_t *w);
void web_read_buf(web_conn_t *w, uv_buf_t *buf);
/* http.c: the upgraded connection's struct is freed (after release). */
void web_conn_free(web_conn_t *w);
/* http.c: reading (idempotent), and closing the socket of an upgraded
 * connection (the core's ops->close). */
int web_read_start(web_conn_t *w);
void web_read_stop(web_conn_t *w);
void web_close_upgraded(web_conn_t *w);
/* http.c: the close callback of the connection's handles. */
void web_handle_closed(uv_handle_t *h);

/*
 * ws.c: take over w after a valid handshake whose Sec-WebSocket-Accept
 * value is accept: answer 101, join the core (admission may refuse: the
 * connection is then closed), and feed rest[0..len), the bytes that
 * followed the handshake in the same read. Returns 0, or -1 if the
 * connection could not even join the core (w is then still http.c's and
 * the caller closes it).
 */
int ws_upgrade(web_conn_t *w, const char *accept, const uint8_t *rest,
               size_t len);

/* ws.c: bytes read from an upgraded connection, and the end of its input. */
void ws_read(web_conn_t *w, const uint8_t *data, size_t len);
void ws_read_end(web_conn_t *w, int status);

#endif
