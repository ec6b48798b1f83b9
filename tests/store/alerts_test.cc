#include "tests/store/store_conformance.h"

#include <tuple>

namespace dirbridge::cloud {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

auto Id(absl::string_view id) { return Field(&AlertRecord::alert_id, std::string(id)); }

AlertRecord Alert(absl::string_view tenant, absl::string_view id, absl::Time raised_at,
                  AlertKind kind = AlertKind::kConnectorNotConnected,
                  absl::string_view connector_id = "c1", absl::string_view mapping_id = "") {
  AlertRecord a;
  a.alert_id = std::string(id);
  a.tenant_id = std::string(tenant);
  a.kind = kind;
  a.connector_id = std::string(connector_id);
  a.mapping_id = std::string(mapping_id);
  a.raised_at = raised_at;
  a.message = "Connector \"dc\" is not connected";
  return a;
}

TEST_P(AlertStoreTest, AlertsDoNotPileUpAndClear) {
  const AlertRecord a1 = Alert(kT1, "a1", T(1));
  ASSERT_TRUE(store().RaiseAlert(a1).ok());
  ASSERT_TRUE(store().RaiseAlert(Alert(kT1, "a2", T(2))).ok());  // a1 stands: no second one
  EXPECT_THAT(VALUE_OF(store().ListAlerts(kT1, true)), ElementsAre(a1));
  EXPECT_THAT(VALUE_OF(store().ListAlerts(kT2, false)), IsEmpty());

  ASSERT_TRUE(store().ClearAlerts(kT2, a1.kind, "c1", "", T(3)).ok());  // not t2's to clear
  EXPECT_THAT(VALUE_OF(store().ListAlerts(kT1, true)), ElementsAre(a1));
  ASSERT_TRUE(store().ClearAlerts(kT1, a1.kind, "c1", "", T(3)).ok());
  EXPECT_THAT(VALUE_OF(store().ListAlerts(kT1, true)), IsEmpty());
  AlertRecord cleared = a1;
  cleared.cleared_at = T(3);
  EXPECT_THAT(VALUE_OF(store().ListAlerts(kT1, false)), ElementsAre(cleared));
  ASSERT_TRUE(store().ClearAlerts(kT1, a1.kind, "c1", "", T(4)).ok());  // none stands: fine
  EXPECT_THAT(VALUE_OF(store().ListAlerts(kT1, false)), ElementsAre(cleared));

  // Once cleared, the same fault raises a new alert.
  ASSERT_TRUE(store().RaiseAlert(Alert(kT1, "a3", T(5))).ok());
  EXPECT_THAT(VALUE_OF(store().ListAlerts(kT1, true)), ElementsAre(Id("a3")));
  EXPECT_THAT(VALUE_OF(store().ListAlerts(kT1, false)), ElementsAre(Id("a3"), Id("a1")));
}

TEST_P(AlertStoreTest, OneStandsPerKindConnectorAndMapping) {
  ASSERT_TRUE(store().RaiseAlert(Alert(kT1, "a1", T(1))).ok());
  ASSERT_TRUE(store().RaiseAlert(Alert(kT1, "a2", T(1), AlertKind::kConnectorNotConnected, "c2")).ok());
  ASSERT_TRUE(store().RaiseAlert(Alert(kT1, "a3", T(1), AlertKind::kImportFailed, "", "m1")).ok());
  ASSERT_TRUE(store().RaiseAlert(Alert(kT1, "a4", T(1), AlertKind::kImportHeld, "", "m1")).ok());
  ASSERT_TRUE(store().RaiseAlert(Alert(kT1, "a5", T(1), AlertKind::kImportFailed, "", "m2")).ok());
  ASSERT_TRUE(store().RaiseAlert(Alert(kT2, "a6", T(1))).ok());  // t2's own
  EXPECT_EQ(VALUE_OF(store().ListAlerts(kT1, true)).size(), 5u);

  ASSERT_TRUE(store().ClearAlerts(kT1, AlertKind::kImportFailed, "", "m1", T(2)).ok());
  std::vector<AlertRecord> standing = VALUE_OF(store().ListAlerts(kT1, true));
  ASSERT_EQ(standing.size(), 4u);
  for (const AlertRecord& a : standing) EXPECT_NE(a.alert_id, "a3");
  EXPECT_EQ(VALUE_OF(store().ListAlerts(kT2, true)).size(), 1u);
}

TEST_P(AlertStoreTest, ListedNewestFirst) {
  ASSERT_TRUE(store().RaiseAlert(Alert(kT1, "early", T(1), AlertKind::kImportFailed, "", "m1")).ok());
  ASSERT_TRUE(store().RaiseAlert(Alert(kT1, "late", T(3), AlertKind::kImportFailed, "", "m2")).ok());
  ASSERT_TRUE(store().RaiseAlert(Alert(kT1, "mid", T(2), AlertKind::kImportFailed, "", "m3")).ok());
  ASSERT_TRUE(store().RaiseAlert(Alert(kT1, "mid-2", T(2), AlertKind::kImportFailed, "", "m4")).ok());
  EXPECT_THAT(VALUE_OF(store().ListAlerts(kT1, false)),
              ElementsAre(Id("late"), Id("mid-2"), Id("mid"), Id("early")));
}

TEST_P(AlertStoreTest, ARaisedAlertStandsAndNeedsAKnownTenant) {
  AlertRecord a = Alert(kT1, "a1", T(1));
  a.cleared_at = T(0);  // a new alert stands, whatever it says
  ASSERT_TRUE(store().RaiseAlert(a).ok());
  ASSERT_EQ(VALUE_OF(store().ListAlerts(kT1, true)).size(), 1u);
  EXPECT_FALSE(VALUE_OF(store().ListAlerts(kT1, true)).at(0).cleared_at.has_value());

  ASSERT_TRUE(store().ClearAlerts(kT1, a.kind, "c1", "", T(2)).ok());
  EXPECT_CODE(store().RaiseAlert(Alert(kT1, "a1", T(3))), kAlreadyExists);  // id taken
  EXPECT_CODE(store().RaiseAlert(Alert("t-unknown", "a9", T(3))), kFailedPrecondition);
  EXPECT_THAT(VALUE_OF(store().ListAlerts(kT1, true)), IsEmpty());
}

TEST_P(AlertStoreTest, PagesNewestFirstWithTiesByIdAndTenantWalls) {
  // Alerts of different connectors (so none folds into another); a3 and a4
  // were raised at the same time.
  for (auto [id, t, c] : {std::tuple<const char*, int, const char*>{"a1", 1, "c1"},
                          {"a2", 2, "c2"}, {"a3", 3, "c3"}, {"a4", 3, "c4"}, {"a5", 5, "c5"}}) {
    ASSERT_TRUE(store().RaiseAlert(Alert(kT1, id, T(t), AlertKind::kConnectorNotConnected, c)).ok());
  }
  ASSERT_TRUE(store().RaiseAlert(Alert(kT2, "b1", T(4))).ok());
  ASSERT_TRUE(store().ClearAlerts(kT1, AlertKind::kConnectorNotConnected, "c2", "", T(6)).ok());

  std::vector<AlertRecord> page = VALUE_OF(store().ListAlertsPage(kT1, false, nullptr, 2));
  EXPECT_THAT(page, ElementsAre(Id("a5"), Id("a4")));
  page = VALUE_OF(store().ListAlertsPage(kT1, false, &page.back(), 2));
  EXPECT_THAT(page, ElementsAre(Id("a3"), Id("a2")));
  page = VALUE_OF(store().ListAlertsPage(kT1, false, &page.back(), 2));
  EXPECT_THAT(page, ElementsAre(Id("a1")));
  page = VALUE_OF(store().ListAlertsPage(kT1, false, &page.back(), 2));
  EXPECT_THAT(page, IsEmpty());

  EXPECT_THAT(VALUE_OF(store().ListAlertsPage(kT1, true, nullptr, 10)),
              ElementsAre(Id("a5"), Id("a4"), Id("a3"), Id("a1")));
  EXPECT_THAT(VALUE_OF(store().ListAlertsPage(kT2, false, nullptr, 10)), ElementsAre(Id("b1")));
  EXPECT_EQ(store().ListAlertsPage(kT1, false, nullptr, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dirbridge::cloud
