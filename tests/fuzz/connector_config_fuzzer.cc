// The connector's config parser (YAML) on any bytes: it answers a config or
// FAILED_PRECONDITION listing the problems, and never crashes, throws or
// hangs. The input is handed over as a memfd so LoadConfig reads it as the
// file it normally is.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "connector_svc/config.h"
#include "tests/fuzz/fuzz_support.h"

// The seeds' bind_password_file: a config that names it can pass every check.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* path = "/tmp/dirbridge-fuzz-bind-password";
  unlink(path);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  FUZZ_CHECK(fd >= 0);
  FUZZ_CHECK(write(fd, "fuzz\n", 5) == 5);
  close(fd);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int fd = memfd_create("connector.yaml", 0);
  FUZZ_CHECK(fd >= 0);
  FUZZ_CHECK(write(fd, data, size) == static_cast<ssize_t>(size));
  std::string path = absl::StrCat("/proc/self/fd/", fd);
  absl::StatusOr<dirbridge::connector::ConnectorConfig> config =
      dirbridge::connector::LoadConfig(path);
  close(fd);
  if (config.ok()) {
    // What the checks promise of a config they let through.
    FUZZ_CHECK(!config->cloud_addresses.empty() && config->cloud_addresses.size() <= 64);
    for (const std::string& a : config->cloud_addresses) FUZZ_CHECK(!a.empty());
    FUZZ_CHECK(!config->state_dir.empty());
    FUZZ_CHECK(!config->ldap.uris.empty());
    FUZZ_CHECK(!config->ldap.base_dn.empty());
    FUZZ_CHECK(config->worker_threads >= 1 && config->worker_threads <= 1024);
    FUZZ_CHECK(config->ldap.page_size >= 1);
  } else {
    FUZZ_CHECK(config.status().code() == absl::StatusCode::kFailedPrecondition);
  }
  return 0;
}
