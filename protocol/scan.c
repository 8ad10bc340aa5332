/*
 * The allocation-free MessagePack scanner that stands in front of msgpack-c.
 *
 * It finds where one value ends in a byte stream and checks the limits of
 * proto_limits_t on the way (total size, nesting depth, and no header count
 * larger than the bytes the message may still hold), so that msgpack-c,
 * which preallocates from header counts and has no limits of its own, only
 * ever sees a complete value that is already known to be small. See proto.h.
 *
 * The state is a stack of "items still due" per open container plus the
 * offset of the next header. A string, binary or extension payload, and the
 * body of a fixed-size scalar, is skipped by moving the offset past it even
 * when those bytes have not arrived yet: nothing in them changes the
 * structure, so the scanner never needs to look at them, and a later call
 * simply waits until the buffer reaches the offset. Only the length field of
 * a header (at most 5 bytes) is ever read twice, when the buffer ends inside
 * it. Each call therefore costs O(1) plus the headers it reads, and feeding a
 * message one byte at a time costs O(message size) in all.
 */
#include "proto.h"
#include "lan_assert.h"

#include <stdio.h>
#include <string.h>

/* What a header's first byte says about the item it starts. */
typedef enum item_kind {
  ITEM_FIXED,  /* a scalar of hdr bytes in all (nil, bool, number, fixext) */
  ITEM_BYTES,  /* str, bin or ext: hdr bytes of header, then n bytes */
  ITEM_ARRAY,  /* hdr bytes of header, then n items */
  ITEM_MAP,    /* hdr bytes of header, then 2n items */
  ITEM_INVALID /* 0xc1, the one byte MessagePack never uses */
} item_kind_t;

typedef struct item_head {
  item_kind_t kind;
  unsigned hdr;    /* header bytes, or the whole item for ITEM_FIXED */
  unsigned lenlen; /* bytes of the big-endian length after the marker */
  uint32_t n;      /* the count or length, when the marker holds it */
} item_head_t;

/* Classify a marker byte (the MessagePack specification's format table). */
static item_head_t classify(uint8_t b) {
  item_head_t h = {ITEM_FIXED, 1, 0, 0};

  if (b <= 0x7f || b >= 0xe0) /* positive and negative fixint */
    return h;
  if (b <= 0x8f) {
    h.kind = ITEM_MAP;
    h.n = b & 0x0fu;
    return h;
  }
  if (b <= 0x9f) {
    h.kind = ITEM_ARRAY;
    h.n = b & 0x0fu;
    return h;
  }
  if (b <= 0xbf) {
    h.kind = ITEM_BYTES;
    h.n = b & 0x1fu;
    return h;
  }
  switch (b) {
  case 0xc0: /* nil */
  case 0xc2: /* false */
  case 0xc3: /* true */
    return h;
  case 0xc1:
    h.kind = ITEM_INVALID;
    return h;
  case 0xc4: /* bin 8, 16, 32 */
  case 0xc5:
  case 0xc6:
    h.kind = ITEM_BYTES;
    h.lenlen = 1u << (b - 0xc4);
    h.hdr = 1 + h.lenlen;
    return h;
  case 0xc7: /* ext 8, 16, 32: the length, then a type byte */
  case 0xc8:
  case 0xc9:
    h.kind = ITEM_BYTES;
    h.lenlen = 1u << (b - 0xc7);
    h.hdr = 2 + h.lenlen;
    return h;
  case 0xca: /* float 32 */
    h.hdr = 5;
    return h;
  case 0xcb: /* float 64 */
    h.hdr = 9;
    return h;
  case 0xcc: /* uint 8, 16, 32, 64 */
  case 0xcd:
  case 0xce:
  case 0xcf:
    h.hdr = 1 + (1u << (b - 0xcc));
    return h;
  case 0xd0: /* int 8, 16, 32, 64 */
  case 0xd1:
  case 0xd2:
  case 0xd3:
    h.hdr = 1 + (1u << (b - 0xd0));
    return h;
  case 0xd4: /* fixext 1, 2, 4, 8, 16: marker, type, data */
  case 0xd5:
  case 0xd6:
  case 0xd7:
  case 0xd8:
    h.hdr = 2 + (1u << (b - 0xd4));
    return h;
  case 0xd9: /* str 8, 16, 32 */
  case 0xda:
  case 0xdb:
    h.kind = ITEM_BYTES;
    h.lenlen = 1u << (b - 0xd9);
    h.hdr = 1 + h.lenlen;
    return h;
  case 0xdc: /* array 16, 32 */
  case 0xdd:
    h.kind = ITEM_ARRAY;
    h.lenlen = b == 0xdc ? 2 : 4;
    h.hdr = 1 + h.lenlen;
    return h;
  default: /* 0xde, 0xdf: map 16, 32 */
    LAN_ASSERT(b == 0xde || b == 0xdf);
    h.kind = ITEM_MAP;
    h.lenlen = b == 0xde ? 2 : 4;
    h.hdr = 1 + h.lenlen;
    return h;
  }
}

static uint32_t read_be(const uint8_t *p, unsigned len) {
  uint32_t v = 0;
  for (unsigned i = 0; i < len; i++)
    v = (v << 8) | p[i];
  return v;
}

/* The top-level value is complete (its bytes may still be arriving). */
static bool scan_complete(const proto_scan_t *s) {
  return s->depth == 0 && s->left[0] == 0;
}

void proto_scan_init(proto_scan_t *s) {
  /* Only the bottom of the stack needs a value: each deeper level is
   * written when its container opens. This runs once per message, so it
   * does not clear the whole stack. */
  s->off = 0;
  s->depth = 0;
  s->started = false;
  /* Level 0 is the stream itself, which owes exactly one value. */
  s->left[0] = 1;
}

proto_scan_result_t proto_scan_feed(proto_scan_t *s, const proto_limits_t *lim,
                                    const uint8_t *msg, size_t avail,
                                    size_t *msg_len) {
  size_t max = lim->max_message;
  unsigned max_depth =
      lim->max_depth < LAN_MAX_DEPTH_CAP ? lim->max_depth : LAN_MAX_DEPTH_CAP;

  LAN_ASSERT(s->off <= max);
  LAN_ASSERT(s->depth <= LAN_MAX_DEPTH_CAP);
  if (avail > 0)
    s->started = true;

  while (!scan_complete(s) && s->off < avail) {
    item_head_t h = classify(msg[s->off]);
    uint64_t items, rest;

    if (h.kind == ITEM_INVALID)
      return PROTO_SCAN_INVALID;
    /* The marker alone tells the header's size (for a fixed scalar, the
     * item's), so a message that cannot hold it fails now, not later. */
    if (h.hdr > max - s->off)
      return PROTO_SCAN_TOO_LARGE;
    if (h.lenlen > 0) {
      /* Wait for the length field; this is the one re-read there is. */
      if (avail - s->off < 1 + (size_t)h.lenlen)
        break;
      h.n = read_be(msg + s->off + 1, h.lenlen);
    }
    if (h.kind == ITEM_FIXED) {
      s->left[s->depth]--;
      s->off += h.hdr;
    } else {
      /* Every item takes at least one byte, so a count larger than the
       * bytes the message may still hold is a lie, and believing it is
       * what makes msgpack-c allocate gigabytes. */
      rest = max - s->off - h.hdr;
      items = h.kind == ITEM_MAP ? 2 * (uint64_t)h.n : h.n;
      if (items > rest)
        return PROTO_SCAN_BAD_COUNT;
      if (h.kind == ITEM_BYTES) {
        s->left[s->depth]--;
        s->off += h.hdr + (size_t)h.n;
      } else {
        /* An empty container still counts as a level of nesting. */
        if (s->depth + 1 > max_depth)
          return PROTO_SCAN_TOO_DEEP;
        /* Only a max_message above 8 GiB could let 2n overflow a level's
         * counter; refuse rather than wrap. */
        if (items > UINT32_MAX)
          return PROTO_SCAN_BAD_COUNT;
        s->left[s->depth]--;
        s->off += h.hdr;
        if (items > 0)
          s->left[++s->depth] = (uint32_t)items;
      }
    }
    /* Close every container whose last item this was. */
    while (s->depth > 0 && s->left[s->depth] == 0)
      s->depth--;
    /* An item is still due and every item takes a byte: at the limit, the
     * value can no longer end in time, so say so now rather than wait for
     * a byte that a slow client may never send. Checking here, before the
     * next header, makes the answer the same however the bytes were cut. */
    if (!scan_complete(s) && s->off == max)
      return PROTO_SCAN_TOO_LARGE;
  }

  if (scan_complete(s)) {
    if (s->off > avail)
      return PROTO_SCAN_MORE; /* the last payload is still arriving */
    *msg_len = s->off;
    proto_scan_init(s);
    return PROTO_SCAN_DONE;
  }
  return PROTO_SCAN_MORE;
}

const char *proto_scan_strerror(proto_scan_result_t r) {
  switch (r) {
  case PROTO_SCAN_MORE:
    return "The message is not complete yet.";
  case PROTO_SCAN_DONE:
    return "The message is complete.";
  case PROTO_SCAN_INVALID:
    return "The stream is not valid MessagePack (it holds the byte 0xc1, "
           "which MessagePack never uses).";
  case PROTO_SCAN_TOO_LARGE:
    return "The message is larger than the server's message size limit.";
  case PROTO_SCAN_TOO_DEEP:
    return "The message nests arrays and maps deeper than the server's "
           "limit.";
  case PROTO_SCAN_BAD_COUNT:
    return "A header in the message claims more items or bytes than the "
           "message size limit leaves room for.";
  }
  return "Unknown scan result.";
}

int proto_scan_error(const proto_scan_t *s, proto_scan_result_t r,
                     const proto_limits_t *lim, proto_error_t *err) {
  size_t at = s ? s->off : 0;
  unsigned depth =
      lim->max_depth < LAN_MAX_DEPTH_CAP ? lim->max_depth : LAN_MAX_DEPTH_CAP;

  switch (r) {
  case PROTO_SCAN_INVALID:
    return proto_error_set(err, PROTO_BAD_REQUEST, NULL,
                           "not valid MessagePack: byte %zu of the message "
                           "is 0xc1, which MessagePack never uses; the "
                           "connection will be closed",
                           at);
  case PROTO_SCAN_TOO_LARGE:
    return proto_error_set(err, PROTO_TOO_LARGE, NULL,
                           "a message may not exceed %zu bytes "
                           "(--max-message); the connection will be closed",
                           lim->max_message);
  case PROTO_SCAN_TOO_DEEP:
    return proto_error_set(err, PROTO_TOO_LARGE, NULL,
                           "arrays and maps may nest at most %u deep (a "
                           "request uses 3); the container at byte %zu "
                           "goes deeper; the connection will be closed",
                           depth, at);
  case PROTO_SCAN_BAD_COUNT:
    return proto_error_set(err, PROTO_TOO_LARGE, NULL,
                           "the header at byte %zu of the message claims more "
                           "items or bytes than a message of at most %zu "
                           "bytes can hold; the connection will be closed",
                           at, lim->max_message);
  case PROTO_SCAN_MORE:
  case PROTO_SCAN_DONE:
    break;
  }
  return proto_error_set(err, PROTO_INTERNAL, NULL,
                         "the message scanner reported no error (%d)", (int)r);
}
