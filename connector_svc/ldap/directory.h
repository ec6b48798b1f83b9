#ifndef DIRBRIDGE_CONNECTOR_SVC_LDAP_DIRECTORY_H_
#define DIRBRIDGE_CONNECTOR_SVC_LDAP_DIRECTORY_H_

#include <atomic>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dirbridge::connector {

// What bounds one directory operation: the call's deadline and its
// cancellation (a Cancel frame, or the tunnel going away).
struct OpContext {
  absl::Time deadline = absl::InfiniteFuture();
  const std::atomic<bool>* cancelled = nullptr;

  bool Cancelled() const { return cancelled != nullptr && cancelled->load(); }
};

struct NamingContexts {
  std::vector<std::string> naming_contexts;
  std::string default_naming_context;
};

// The customer's directory as the connector sees it. Errors: UNAVAILABLE
// when no server answers, DEADLINE_EXCEEDED / CANCELLED when the context
// ends the operation first. Implementations are thread-safe.
class Directory {
 public:
  virtual ~Directory() = default;

  // The rootDSE's namingContexts and defaultNamingContext.
  virtual absl::StatusOr<NamingContexts> ListNamingContexts(const OpContext& ctx) = 0;

  // Whether the last operation reached a server.
  virtual bool Healthy() const = 0;
};

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_LDAP_DIRECTORY_H_
