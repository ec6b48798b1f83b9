#include "connector_svc/commands/usage.h"

#include <algorithm>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace dirbridge::connector {

const char kConnectorUsage[] =
    "dirbridge connector.\n\n"
    "  connector_svc register --cloud HOST:PORT --key KEY --state_dir DIR\n"
    "                         [--ca_sha256 HASH | --cloud_ca FILE | --insecure]\n"
    "      One time: trade a registration key for this connector's identity.\n"
    "  connector_svc run --config FILE\n"
    "      Dial out to the cloud and serve until SIGTERM (which drains).\n"
    "  connector_svc check --config FILE\n"
    "      Self-test: connect and bind to LDAP, read the rootDSE, count the\n"
    "      users under the base DN (none is a warning). Exit 0 when all pass.\n"
    "  connector_svc keys export --out FILE   (--config FILE | --state_dir DIR)\n"
    "  connector_svc keys import --in FILE    (--config FILE | --state_dir DIR)\n"
    "      Move every KEK version under a passphrase ($DIRBRIDGE_KEK_PASSPHRASE or\n"
    "      --passphrase_file), to back it up or to serve the same ekeys from a\n"
    "      second connector of the tenant.\n"
    "  connector_svc keys rotate              (--config FILE | --state_dir DIR)\n"
    "      Add a KEK version for new ekeys; older versions still unwrap.\n";

namespace {

constexpr absl::string_view kOwnDir = "connector_svc/";

// "../connector_svc/main.cc" (a ccache build) or
// "/work/main/connector_svc/main.cc" both read "connector_svc/main.cc";
// other files keep Abseil's default (leading slashes dropped).
std::string NormalizeFilename(absl::string_view filename) {
  size_t own = filename.find(absl::StrCat("/", kOwnDir));
  if (own != absl::string_view::npos) return std::string(filename.substr(own + 1));
  size_t start = filename.find_first_not_of('/');
  return start == absl::string_view::npos ? "" : std::string(filename.substr(start));
}

}  // namespace

bool IsConnectorFlagFile(absl::string_view filename) {
  return absl::StartsWith(filename, kOwnDir) ||
         absl::StrContains(filename, absl::StrCat("/", kOwnDir));
}

void SetConnectorUsageConfig() {
  absl::FlagsUsageConfig config;
  config.contains_helpshort_flags = IsConnectorFlagFile;
  config.contains_help_flags = IsConnectorFlagFile;
  config.contains_helppackage_flags = IsConnectorFlagFile;
  config.normalize_filename = NormalizeFilename;
  absl::SetFlagsUsageConfig(config);
}

std::string ConnectorUsageWithFlags() {
  std::vector<const absl::CommandLineFlag*> own;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (!flag->IsRetired() && IsConnectorFlagFile(flag->Filename())) own.push_back(flag);
  }
  std::sort(own.begin(), own.end(), [](const auto* a, const auto* b) { return a->Name() < b->Name(); });
  // The shape of Abseil's --help lines, so one reading serves both.
  std::string out = absl::StrCat(kConnectorUsage, "\n  Flags:\n");
  for (const absl::CommandLineFlag* flag : own) {
    std::string value = flag->DefaultValue();
    if (flag->IsOfType<std::string>()) value = absl::StrCat("\"", value, "\"");
    absl::StrAppend(&out, "    --", flag->Name(), " (", flag->Help(), "); default: ", value, ";\n");
  }
  return out;
}

}  // namespace dirbridge::connector
