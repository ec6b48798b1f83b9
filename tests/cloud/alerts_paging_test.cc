// Admin.ListAlerts pages: a tenant with many alerts is answered a page at
// a time, never all at once.

#include "absl/container/flat_hash_set.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloud/in_process_cloud.h"
#include "tests/harness/bad_request.h"

namespace dirbridge::testing {
namespace {

using ::testing::HasSubstr;

TEST(AlertsPagingTest, PagesThroughEveryAlertNewestFirst) {
  InProcessCloud cloud;
  absl::Time t0 = absl::FromUnixSeconds(1700000000);
  for (int i = 0; i < 250; ++i) {
    cloud::AlertRecord a;
    a.alert_id = absl::StrCat("alert-", 1000 + i);
    a.tenant_id = cloud.tenant_id();
    a.kind = cloud::AlertKind::kConnectorNotConnected;
    a.connector_id = absl::StrCat("c", i);  // one standing alert per connector
    a.raised_at = t0 + absl::Seconds(i / 2);  // pairs raised at the same second
    a.message = "down";
    ASSERT_TRUE(cloud.store().RaiseAlert(a).ok());
  }
  absl::flat_hash_set<std::string> seen;
  std::string token;
  absl::Time last = absl::InfiniteFuture();
  int pages = 0;
  do {
    v1::ListAlertsRequest req;
    req.set_page_token(token);  // page_size unset: the default, 100
    v1::ListAlertsResponse resp;
    grpc::Status st = cloud.admin().ListAlerts(cloud.Ctx().get(), req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_LE(resp.alerts_size(), 100);
    for (const v1::Alert& a : resp.alerts()) {
      absl::Time raised = absl::FromUnixSeconds(a.raised_at().seconds());
      EXPECT_LE(raised, last);
      last = raised;
      EXPECT_TRUE(seen.insert(a.alert_id()).second) << "listed twice: " << a.alert_id();
    }
    token = resp.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 250u);
}

TEST(AlertsPagingTest, BadPageSizeOrTokenIsInvalidArgument) {
  InProcessCloud cloud;
  for (int size : {-1, 1001}) {
    v1::ListAlertsRequest req;
    req.set_page_size(size);
    v1::ListAlertsResponse resp;
    grpc::Status st = cloud.admin().ListAlerts(cloud.Ctx().get(), req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(st.error_message(), HasSubstr("from 1 to 1000"));
    EXPECT_THAT(ViolatedFields(st), ::testing::ElementsAre("page_size"));
  }
  v1::ListAlertsRequest req;
  req.set_page_token("not-a-token!");
  v1::ListAlertsResponse resp;
  grpc::Status st = cloud.admin().ListAlerts(cloud.Ctx().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("page_token"));
  EXPECT_THAT(ViolatedFields(st), ::testing::ElementsAre("page_token"));
}

}  // namespace
}  // namespace dirbridge::testing
