#ifndef DIRBRIDGE_CLOUD_SVC_CONFIG_CLOUD_FLAGS_H_
#define DIRBRIDGE_CLOUD_SVC_CONFIG_CLOUD_FLAGS_H_

#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "cloud_svc/config/cloud_config.h"

namespace dirbridge::cloud {

// cloud_svc's command line. Its flags are defined in cloud_flags.cc and
// nowhere else, which is what lets --help list exactly them.

// Parses argv, handling --help, --helpshort, --helpfull and --version
// (which exit). --help and --helpshort list cloud_svc's own flags, each with
// its meaning and default, not Abseil's. With --config FILE the file's
// values go in first and the command line overrides them. Returns the
// problems found on the way (the file's, stray arguments); the values are
// checked by CloudConfig::Validate(). Call once, first thing in main().
std::vector<std::string> ParseCloudFlags(int argc, char** argv);

// Whether `flag` is one of the settings (not --config, not the probe's):
// what a --config file may set.
bool IsConfigFlag(const absl::CommandLineFlag& flag);

// The flags' current values as a config; not yet validated.
CloudConfig CloudConfigFromFlags();

// --probe mode, a health check in the same binary: not part of the
// service's config. address is empty unless --probe was given.
struct ProbeTarget {
  std::string address;
  std::string ca_file;  // empty: plaintext
};
ProbeTarget ProbeTargetFromFlags();

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_CONFIG_CLOUD_FLAGS_H_
