/*
 * target_clones: the one test of whether a function may be built in one version per instruction set (GCC's
 * target_clones attribute, the version picked at load time through an ifunc resolver).
 *
 * GAIA_TARGET_CLONES is defined where it may: x86-64 with a GCC that has the attribute, and not under
 * ThreadSanitizer, whose instrumented ifunc resolver runs before its runtime and crashes the binary at load.
 * Not with clang (which also defines __GNUC__): clang 14 emits the clones of such a function but not the symbol its
 * callers in other files link against, so a clang build did not link.
 * Each user defines its own attribute list (the targets it was measured with) under this test.
 */
#ifndef GAIAREST_COMMON_TARGET_CLONES_H
#define GAIAREST_COMMON_TARGET_CLONES_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__has_attribute) &&                  \
    !defined(__SANITIZE_THREAD__)
#if __has_attribute(target_clones)
#define GAIA_TARGET_CLONES 1
#endif
#endif

#endif
