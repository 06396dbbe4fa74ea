#pragma once
// ThreadSanitizer annotations for hand-offs made inside uninstrumented code: Debian's TBB
// passes pipeline tokens between its threads with its own atomics in libtbb.so, which TSan
// cannot see. tsan_release(p) on one thread then tsan_acquire(p) on another orders what came
// before the release before what follows the acquire, exactly as TBB guarantees. Naming the
// hand-off (per token, per serial stage) keeps every other access checked, so our code needs
// no suppression. No-ops in normal builds.
#if defined(__SANITIZE_THREAD__)
#define GANFLOW_TSAN_ANNOTATE 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GANFLOW_TSAN_ANNOTATE 1
#endif
#endif

#ifdef GANFLOW_TSAN_ANNOTATE
#include <sanitizer/tsan_interface.h>
#endif

namespace ganflow {

inline void tsan_release([[maybe_unused]] const void* p) {
#ifdef GANFLOW_TSAN_ANNOTATE
  __tsan_release(const_cast<void*>(p));
#endif
}

inline void tsan_acquire([[maybe_unused]] const void* p) {
#ifdef GANFLOW_TSAN_ANNOTATE
  __tsan_acquire(const_cast<void*>(p));
#endif
}

}  // namespace ganflow
