// What the fuzz targets share: a check that holds in release builds, and
// the libFuzzer entry points of the targets that parse protobuf frames.
#ifndef DIRBRIDGE_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define DIRBRIDGE_TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <fuzzer/FuzzedDataProvider.h>
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "common/log.h"

// assert() is compiled out under NDEBUG (RelWithDebInfo); a fuzzer's
// property must abort whatever the build type, so libFuzzer keeps the input.
#define FUZZ_CHECK(cond)                                                   \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                   #cond);                                                 \
      std::abort();                                                        \
    }                                                                      \
  } while (0)

namespace dirbridge::fuzz {

// Silences the service log and protobuf's: strings that are not UTF-8 are
// refused by the parser, and its log of each one would be most of the
// fuzzer's time.
inline void QuietLogs() {
  spdlog::set_level(spdlog::level::off);
  google::protobuf::SetLogHandler(nullptr);
}

}  // namespace dirbridge::fuzz

// Defines LLVMFuzzerInitialize and LLVMFuzzerTestOneInput for a target
// whose body is `void run(FuzzedDataProvider&)` (a qualified name).
#define DIRBRIDGE_FRAME_FUZZER(run)                                        \
  extern "C" int LLVMFuzzerInitialize(int*, char***) {                     \
    dirbridge::fuzz::QuietLogs();                                          \
    return 0;                                                              \
  }                                                                        \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { \
    FuzzedDataProvider in(data, size);                                     \
    run(in);                                                               \
    return 0;                                                              \
  }

#endif  // DIRBRIDGE_TESTS_FUZZ_FUZZ_SUPPORT_H_
