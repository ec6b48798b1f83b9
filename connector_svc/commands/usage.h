#ifndef DIRBRIDGE_CONNECTOR_SVC_COMMANDS_USAGE_H_
#define DIRBRIDGE_CONNECTOR_SVC_COMMANDS_USAGE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace dirbridge::connector {

// What connector_svc tells an operator who asks (--help) or errs (no
// subcommand, an unknown one): every subcommand, then every flag of
// connector_svc's own with its default and meaning. gRPC's and Abseil's
// flags stay under --helpfull.

// Every subcommand and what it does.
extern const char kConnectorUsage[];

// Whether a flag defined in `filename` (its __FILE__, in any form the build
// gave it) is connector_svc's own: any file under connector_svc/.
bool IsConnectorFlagFile(absl::string_view filename);

// Points --help, --helpshort and --helppackage at connector_svc's own
// flags. Call before absl::ParseCommandLine.
void SetConnectorUsageConfig();

// kConnectorUsage and every connector_svc flag, as --help lists them.
std::string ConnectorUsageWithFlags();

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_COMMANDS_USAGE_H_
