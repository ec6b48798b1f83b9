#ifndef DIRBRIDGE_CLOUD_SVC_STORE_STORE_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_STORE_H_

#include "cloud_svc/store/alert_store.h"
#include "cloud_svc/store/audit_store.h"
#include "cloud_svc/store/connector_store.h"
#include "cloud_svc/store/deployment_store.h"
#include "cloud_svc/store/ekey_store.h"
#include "cloud_svc/store/mapping_store.h"
#include "cloud_svc/store/presence_store.h"
#include "cloud_svc/store/records.h"
#include "cloud_svc/store/tenant_store.h"
#include "cloud_svc/store/user_store.h"

namespace dirbridge::cloud {

// cloud_svc's durable state: every part in one object, for callers that
// have not yet been narrowed to the parts they use. Every query that reads
// or changes a tenant's objects takes the tenant id, so one tenant's objects
// are NOT_FOUND to another. Secrets arrive already hashed (Sha256Hex); the
// store never sees a token, key or credential in clear. Implementations are
// thread-safe, and each one passes tests/store/ (the conformance suite).
class Store : public TenantStore,
              public ConnectorStore,
              public MappingStore,
              public UserStore,
              public EkeyStore,
              public DeploymentStore,
              public AlertStore,
              public AuditStore,
              public PresenceStore {};

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_STORE_H_
