#ifndef DIRBRIDGE_CLOUD_SVC_ROUTING_NOT_CONNECTED_ALERT_H_
#define DIRBRIDGE_CLOUD_SVC_ROUTING_NOT_CONNECTED_ALERT_H_

#include <string>

#include "absl/status/status.h"
#include "cloud_svc/store/store.h"

namespace dirbridge::cloud {

// Raises CONNECTOR_NOT_CONNECTED for the connector, saying `why` it went;
// nothing for a deleted connector (it needs no alert), and nothing new
// while one stands (the store keeps one per connector). Errors are logged.
void RaiseNotConnected(Store* store, const std::string& tenant_id,
                       const std::string& connector_id, absl::string_view why);

// What N replicas share of presence (Presence, with a PostgreSQL store),
// told by the registry from its presence thread, in the order it happened.
class ReplicaPresence {
 public:
  virtual ~ReplicaPresence() = default;
  // This replica now holds the connector's stream.
  virtual void Held(const std::string& tenant_id, const std::string& connector_id) = 0;
  // It does not any more. Not Connected is for the presence layer to raise,
  // once no replica holds the connector: a connector that moves to another
  // replica raises nothing.
  virtual void Released(const std::string& tenant_id, const std::string& connector_id,
                        const std::string& why) = 0;
};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_ROUTING_NOT_CONNECTED_ALERT_H_
