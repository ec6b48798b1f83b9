#ifndef DIRBRIDGE_CLOUD_SVC_API_MAPPINGS_SERVICE_H_
#define DIRBRIDGE_CLOUD_SVC_API_MAPPINGS_SERVICE_H_

#include "cloud_svc/api/quotas.h"
#include "cloud_svc/identity/authenticator.h"
#include "cloud_svc/jobs/import_pool.h"
#include "cloud_svc/jobs/importer.h"
#include "cloud_svc/store/store.h"
#include "common/thread_pool.h"
#include "dirbridge/v1/mappings.grpc.pb.h"

namespace dirbridge::cloud {

// Mappings and the users imported through them.
class MappingsService : public v1::Mappings::CallbackService {
 public:
  // `pool` runs every step that touches the store; imports run on
  // `imports`, shared with the scheduler. `quotas`: mappings per tenant.
  MappingsService(const Authenticator* auth, Store* store, Importer* importer, ThreadPool* pool,
                  ImportPool* imports, TenantQuotas quotas = {})
      : auth_(auth),
        store_(store),
        importer_(importer),
        pool_(pool),
        imports_(imports),
        quotas_(quotas) {}

  grpc::ServerUnaryReactor* CreateMapping(grpc::CallbackServerContext* context,
                                          const v1::CreateMappingRequest* request,
                                          v1::Mapping* response) override;
  grpc::ServerUnaryReactor* ListMappings(grpc::CallbackServerContext* context,
                                         const v1::ListMappingsRequest* request,
                                         v1::ListMappingsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateMapping(grpc::CallbackServerContext* context,
                                          const v1::UpdateMappingRequest* request,
                                          v1::Mapping* response) override;
  grpc::ServerUnaryReactor* DeleteMapping(grpc::CallbackServerContext* context,
                                          const v1::DeleteMappingRequest* request,
                                          v1::DeleteMappingResponse* response) override;
  grpc::ServerUnaryReactor* ImportUsers(grpc::CallbackServerContext* context,
                                        const v1::ImportUsersRequest* request,
                                        v1::ImportReport* response) override;
  grpc::ServerUnaryReactor* ListUsers(grpc::CallbackServerContext* context,
                                      const v1::ListUsersRequest* request,
                                      v1::ListUsersResponse* response) override;
  grpc::ServerUnaryReactor* ResolveHeldImport(grpc::CallbackServerContext* context,
                                              const v1::ResolveHeldImportRequest* request,
                                              v1::ImportReport* response) override;

 private:
  absl::Status DoCreateMapping(const std::string& tenant, const v1::CreateMappingRequest& request,
                               v1::Mapping* response);
  absl::Status DoUpdateMapping(const std::string& tenant, const v1::UpdateMappingRequest& request,
                               v1::Mapping* response);
  absl::Status DoDeleteMapping(const std::string& tenant, const v1::DeleteMappingRequest& request,
                               v1::DeleteMappingResponse* response);
  absl::Status DoListUsers(const std::string& tenant, const v1::ListUsersRequest& request,
                           v1::ListUsersResponse* response);

  const Authenticator* const auth_;
  Store* const store_;
  Importer* const importer_;
  ThreadPool* const pool_;
  ImportPool* const imports_;
  const TenantQuotas quotas_;
};

void MappingToProto(const MappingRecord& m, v1::Mapping* out);

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_API_MAPPINGS_SERVICE_H_
