/* lan_assert.h: invariant checks that run in every build.
 *
 * assert() disappears under NDEBUG, which the default RelWithDebInfo build
 * defines, so the invariants written with it were never checked where the
 * code runs. These stay on:
 *
 *   LAN_ASSERT(cond)        always checked; for invariants whose check is
 *                           cheap next to the work around it (a compare, a
 *                           sum already at hand).
 *   LAN_DEBUG_ASSERT(cond)  checked only where LAN_DEBUG_CHECKS is defined
 *                           (the Debug build: CMakeLists.txt); for
 *                           expensive checks such as walking a whole tree
 *                           after every pivot. Elsewhere the condition is
 *                           compiled (so it stays correct code) but never
 *                           evaluated.
 *
 * A failed check prints file:line, the function and the condition to
 * stderr and aborts: an invariant that does not hold means the program's
 * state is already wrong, and going on would spread it (a game's books,
 * a stored turn). Like assert, a check documents an invariant and never
 * carries control flow: never put side effects in cond.
 *
 * Every module links the model library, whose include directory holds this
 * header, so protocol/, server/, agents/, tournament/ and clients/ use it
 * too. It defines no external symbols.
 */
#ifndef LANTHANIDE_LAN_ASSERT_H
#define LANTHANIDE_LAN_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

__attribute__((noreturn, cold, unused)) static inline void
lan_assert_fail_(const char *file, int line, const char *func,
                 const char *cond) {
  fprintf(stderr, "%s:%d: %s: invariant failed: %s\n", file, line, func, cond);
  abort();
}

#define LAN_ASSERT(cond)                                                       \
  (__builtin_expect(!!(cond), 1)                                               \
       ? (void)0                                                               \
       : lan_assert_fail_(__FILE__, __LINE__, __func__, #cond))

#ifdef LAN_DEBUG_CHECKS
#define LAN_DEBUG_ASSERT(cond) LAN_ASSERT(cond)
#else
#define LAN_DEBUG_ASSERT(cond) ((void)sizeof(!(cond)))
#endif

#endif
