#include "cloud_svc/store/postgres/postgres_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "cloud_svc/store/postgres/pg_listener.h"
#include "cloud_svc/store/postgres/pg_schema.h"
#include "cloud_svc/store/postgres/pg_uri.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
PostgresStore::PostgresStore(Keywords keywords, const PostgresOptions& options)
    : keywords_(keywords),
      pool_(pg::PoolOptions{std::move(keywords), options.pool_size, options.checkout_timeout,
                            options.query_timeout}) {}

PostgresStore::~PostgresStore() = default;

absl::StatusOr<std::unique_ptr<PostgresStore>> PostgresStore::Open(const PostgresOptions& o) {
  RETURN_IF_ERROR(CheckPostgresUri(o.uri));
  if (o.pool_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat("postgres: pool size ", o.pool_size, " < 1"));
  }
  const int64_t connect_s = std::max<int64_t>(2, absl::ToInt64Seconds(o.connect_timeout));
  // Later keywords override the URI's. Keepalives and a TCP user timeout
  // find a server that vanished without closing the socket (a dead host),
  // so a call fails UNAVAILABLE instead of hanging.
  Keywords keywords = {{"dbname", o.uri},
                       {"connect_timeout", absl::StrCat(connect_s)},
                       {"application_name", "dirbridge-cloud"},
                       {"keepalives", "1"},
                       {"keepalives_idle", "10"},
                       {"keepalives_interval", "5"},
                       {"keepalives_count", "3"},
                       {"tcp_user_timeout", "30000"}};
  if (!o.password.empty()) keywords.emplace_back("password", o.password);
  std::unique_ptr<PostgresStore> store(new PostgresStore(std::move(keywords), o));
  {
    ASSIGN_OR_RETURN(pg::Pool::Lease conn, store->pool_.Checkout());
    RETURN_IF_ERROR(MigratePostgresSchema(*conn));
  }
  return store;
}

absl::StatusOr<pg::Result> PostgresStore::Exec(absl::string_view sql, const pg::Params& params) {
  ASSIGN_OR_RETURN(pg::Pool::Lease conn, pool_.Checkout());
  return conn->Exec(sql, params);
}

absl::Status PostgresStore::UpdateOne(absl::string_view sql, const pg::Params& params,
                                      absl::string_view what) {
  ASSIGN_OR_RETURN(pg::Result r, Exec(sql, params));
  if (r.affected() == 0) return absl::NotFoundError(absl::StrCat(what, " not found"));
  return absl::OkStatus();
}

}  // namespace dirbridge::cloud
