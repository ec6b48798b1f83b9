#ifndef DIRBRIDGE_COMMON_TUNNEL_METADATA_H_
#define DIRBRIDGE_COMMON_TUNNEL_METADATA_H_

namespace dirbridge {

// The metadata key that carries a connector's credential on Connect.
inline constexpr char kConnectorCredentialHeader[] = "x-dirbridge-connector-credential";

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_TUNNEL_METADATA_H_
