#ifndef NORMCHECK_CFUZZERDRIVER_H
#define NORMCHECK_CFUZZERDRIVER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (libclang_rt.fuzzer): parses the libFuzzer flags in argv and runs the
/// fuzzing loop with `callback`. Declared here because SwiftPM links every executable with
/// `--defsym main=<Target>_main`, so each target supplies that symbol and starts libFuzzer
/// itself (see FuzzSupport.runDriver).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
