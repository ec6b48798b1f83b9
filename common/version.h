#ifndef DIRBRIDGE_COMMON_VERSION_H_
#define DIRBRIDGE_COMMON_VERSION_H_

namespace dirbridge {

inline constexpr char kVersion[] = "0.1.0";
// The tunnel protocol revision this build speaks (tunnel.proto), and the
// oldest one it still accepts from a peer. Revision 2 added StatusUpdate
// (the connector's LDAP health between Hellos) and RenewCertificate; a
// revision-1 connector sends neither and needs nothing else changed.
inline constexpr unsigned kProtocolRevision = 2;
inline constexpr unsigned kMinProtocolRevision = 1;

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_VERSION_H_
