#ifndef DIRBRIDGE_TESTS_STORE_STORE_CONFORMANCE_H_
#define DIRBRIDGE_TESTS_STORE_STORE_CONFORMANCE_H_

// One conformance suite for every Store implementation (STYLE.md 15, after
// Teleport's lib/backend/test/suite.go). The tests only use the Store
// interface and its documented contracts, never an implementation's
// internals: a new implementation is done when it passes them. To add one,
// give store_instances.cc one more StoreFactory.

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cloud_svc/store/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dirbridge::cloud {

// An implementation under test: its name in test names, and how to make an
// empty store that may keep its files in `dir` (a fresh temporary
// directory, removed after the test).
struct StoreFactory {
  std::string name;
  std::function<absl::StatusOr<std::unique_ptr<Store>>(const std::string& dir)> make;
};

// Every implementation the suite runs on (store_instances.cc).
std::vector<StoreFactory> StoresUnderTest();

// A fresh store per test, holding two tenants: kT1 ("acme", token hash
// "hash-t1") and kT2 ("globex", "hash-t2").
class StoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  static constexpr char kT1[] = "t1";
  static constexpr char kT2[] = "t2";

  void SetUp() override;
  void TearDown() override;

  Store& store() { return *store_; }

  // Whole seconds after a fixed instant: exact in every store's precision,
  // and no test depends on the wall clock.
  static absl::Time T(int64_t seconds);

  static ConnectorRecord Connector(absl::string_view tenant, absl::string_view id,
                                   absl::Time created_at = T(0));
  // A mapping as an admin sends it, with every field set.
  static MappingRecord Mapping(absl::string_view tenant, absl::string_view id);
  // A directory user as an import sends it (no user_id, mapping or state).
  static UserRecord DirectoryUser(absl::string_view tenant, absl::string_view directory_id);
  static EkeyRecord Ekey(absl::string_view tenant, absl::string_view user,
                         absl::string_view key_id);

  // Creates the mapping; fails the test when it cannot.
  MappingRecord MustCreateMapping(absl::string_view tenant, absl::string_view id);
  // Every user of the mapping, by ListUsers pages.
  std::vector<UserRecord> AllUsers(absl::string_view tenant, absl::string_view mapping_id);

 private:
  std::string dir_;
  std::unique_ptr<Store> store_;
};

// One suite name per Store part, so failures read by concern.
class TenantStoreTest : public StoreConformanceTest {};
class ConnectorStoreTest : public StoreConformanceTest {};
class MappingStoreTest : public StoreConformanceTest {};
class UserStoreTest : public StoreConformanceTest {};
class EkeyStoreTest : public StoreConformanceTest {};
class DeploymentStoreTest : public StoreConformanceTest {};
class AlertStoreTest : public StoreConformanceTest {};
class AuditStoreTest : public StoreConformanceTest {};
class PresenceStoreTest : public StoreConformanceTest {};

// Runs `body(i)` on n threads released together; returns once all are done.
void RunConcurrently(int n, const std::function<void(int)>& body);

// Status assertions by code (STYLE.md 11), printing the status on failure.
#define EXPECT_CODE(expr, code_name)                                  \
  do {                                                                \
    const ::absl::Status _st = ::dirbridge::cloud::StatusOf(expr);    \
    EXPECT_EQ(_st.code(), ::absl::StatusCode::code_name) << _st;      \
  } while (0)

// The value of a StatusOr, or, failing the test at the caller's line rather
// than aborting the whole binary, a default one.
#define VALUE_OF(expr) ::dirbridge::cloud::ValueOf((expr), __FILE__, __LINE__, #expr)

template <typename T>
T ValueOf(absl::StatusOr<T> s, const char* file, int line, const char* expr) {
  if (s.ok()) return *std::move(s);
  ADD_FAILURE_AT(file, line) << expr << ": " << s.status();
  return T{};
}

inline absl::Status StatusOf(const absl::Status& s) { return s; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// Readable failures for the records' operator== and the test names.
void PrintTo(const StoreFactory& f, std::ostream* os);
void PrintTo(const ConnectorRecord& c, std::ostream* os);
void PrintTo(const MappingRecord& m, std::ostream* os);
void PrintTo(const UserRecord& u, std::ostream* os);
void PrintTo(const EkeyRecord& e, std::ostream* os);
void PrintTo(const AlertRecord& a, std::ostream* os);
void PrintTo(const AuditRecord& a, std::ostream* os);
void PrintTo(const UpsertCounts& c, std::ostream* os);

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_TESTS_STORE_STORE_CONFORMANCE_H_
