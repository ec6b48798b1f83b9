#ifndef DIRBRIDGE_COMMON_VERSION_H_
#define DIRBRIDGE_COMMON_VERSION_H_

namespace dirbridge {

inline constexpr char kVersion[] = "0.1.0";
// The tunnel protocol revision this build speaks (tunnel.proto), and the
// oldest one it still accepts from a peer.
inline constexpr unsigned kProtocolRevision = 1;
inline constexpr unsigned kMinProtocolRevision = 1;

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_VERSION_H_
