/*
 * fuzz: the contract of every fuzz target in test/fuzz.
 *
 * Each target defines LLVMFuzzerTestOneInput() over the bytes of one input and calls fuzz_fail() when a property
 * it checks does not hold (a round trip that changes the data, a parser that accepts what it then cannot render).
 * A target is built two ways:
 *   - with replay.c (make check): every file of its seed corpus, test/fuzz/corpus/<target>, is replayed; under
 *     the ASan/UBSan and TSan builds of test/run too;
 *   - with libFuzzer (scripts/fuzz.sh): clang -fsanitize=fuzzer,address,undefined explores from that corpus.
 */
#ifndef GAIAREST_TEST_FUZZ_FUZZ_H
#define GAIAREST_TEST_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property does not hold: print `what` and abort (libFuzzer saves the input as a crash). */
_Noreturn void fuzz_fail(const char *what);

/* A NUL-terminated copy of the input (owned by the caller): the parsers take text. */
char *fuzz_text(const uint8_t *data, size_t size);

#endif
