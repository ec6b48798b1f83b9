// samba_dc start|stop DIR: the ctest fixture that gives every AD test one
// shared Samba AD DC (its ports are fixed, so there is one per run).
#include <cstdio>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/harness/samba_dc.h"

int main(int argc, char** argv) {
  if (argc != 3 || (std::string(argv[1]) != "start" && std::string(argv[1]) != "stop")) {
    std::fprintf(stderr, "usage: samba_dc start|stop DIR\n");
    return 2;
  }
  dirbridge::testing::SambaDc dc(argv[2]);
  if (std::string(argv[1]) == "stop") {
    absl::Status st = dc.Stop();
    if (!st.ok()) std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return st.ok() ? 0 : 1;
  }
  absl::Time start = absl::Now();
  absl::Status st = dc.Provision();
  absl::Time provisioned = absl::Now();
  if (st.ok()) st = dc.LoadData();
  absl::Time loaded = absl::Now();
  if (st.ok()) st = dc.Start();
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  auto secs = [](absl::Duration d) { return absl::ToDoubleSeconds(d); };
  std::printf("samba_dc: answering on ldaps after %.1f s: provision %.1f s, data %.1f s, "
              "start %.1f s (%s)\n",
              secs(absl::Now() - start), secs(provisioned - start), secs(loaded - provisioned),
              secs(absl::Now() - loaded), dc.dir().c_str());
  return 0;
}
