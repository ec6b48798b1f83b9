#ifndef DIRBRIDGE_CLOUD_SVC_CONFIG_CLOUD_CONFIG_FILE_H_
#define DIRBRIDGE_CLOUD_SVC_CONFIG_CLOUD_CONFIG_FILE_H_

#include <string>
#include <vector>

namespace dirbridge::cloud {

// --config FILE: cloud_svc's flags in a YAML map, keys = flag names
// (cloud.example.yaml). The file goes in before the command line is parsed,
// so a flag given on the command line wins over the file.

// The FILE of `--config FILE` or `--config=FILE` (one dash or two) in
// argv, before any `--`; empty when there is none. The last one wins, as
// with any flag.
std::string ConfigFileFromArgv(int argc, char** argv);

// Sets the flags named in the YAML file at `path` to its values. A list
// (tunnel_hostnames) may be a YAML sequence. Returns every problem, each
// naming the file and the key: an unreadable file, a key that is not one
// of cloud_svc's flags (--config and --probe are not config), a duplicate
// key, a value the flag cannot take. Range checks are CloudConfig's.
std::vector<std::string> ApplyConfigFile(const std::string& path);

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_CONFIG_CLOUD_CONFIG_FILE_H_
