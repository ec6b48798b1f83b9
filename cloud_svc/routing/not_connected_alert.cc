#include "cloud_svc/routing/not_connected_alert.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/secrets.h"

namespace dirbridge::cloud {

void RaiseNotConnected(Store* store, const std::string& tenant_id,
                       const std::string& connector_id, absl::string_view why) {
  absl::StatusOr<ConnectorRecord> c = store->GetConnector(tenant_id, connector_id);
  if (!c.ok()) return;  // deleted (or the store is down: logged by the next step)
  AlertRecord alert;
  alert.alert_id = NewId();
  alert.tenant_id = tenant_id;
  alert.kind = AlertKind::kConnectorNotConnected;
  alert.connector_id = connector_id;
  alert.raised_at = absl::Now();
  alert.message = absl::StrCat(
      "Connector \"", c->name, "\" on host \"", c->hostname, "\" is not connected (", why,
      "). Directory lookups, logins and ekeys fail until it is back: check "
      "that connector_svc runs on that host and can reach the cloud.");
  absl::Status st = store->RaiseAlert(alert);
  if (!st.ok()) {
    spdlog::error("event=store_error op=raise_alert connector={} error=\"{}\"", connector_id,
                  st.message());
  }
}

}  // namespace dirbridge::cloud
