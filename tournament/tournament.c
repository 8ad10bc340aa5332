/*
 * The headless tournament runner (tournament.h): its error codes and
 * messages. The runner itself is split along its seams into tour_plan.c,
 * tour_game.c, tour_workers.c, tour_db.c, tour_board.c and tour_report.c
 * (tournament_internal.h says which is which).
 */
#include "tournament_internal.h"

const char *tour_strerror(int err) {
  switch (err) {
  case TOUR_OK:
    return "success";
  case TOUR_ENOMEM:
    return "out of memory";
  case TOUR_EINVAL:
    return "invalid argument";
  case TOUR_EDB:
    return "results database error";
  case TOUR_EMODEL:
    return "the model failed to play a game";
  case TOUR_EWORKER:
    return "a worker process failed";
  case TOUR_EMISMATCH:
    return "the shards are not of one tournament";
  case TOUR_EINTR:
    return "stopped";
  case TOUR_EIO:
    return "a file could not be written";
  default:
    return "unknown error";
  }
}

void tour_set_err(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || errlen == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}
