#include "common/call_status.h"

#include <cstdint>
#include <limits>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dirbridge {
namespace {

using ::testing::HasSubstr;

TEST(CallStatusTest, EveryCodeRoundTrips) {
  for (int code = 0; code <= 16; ++code) {
    absl::Status sent(static_cast<absl::StatusCode>(code), absl::StrCat("message ", code));
    v1::CallResult result;
    SetCallStatus(sent, &result);
    EXPECT_EQ(result.code(), code);
    EXPECT_EQ(CallResultStatus(result), sent) << code;
  }
}

TEST(CallStatusTest, AnErrorCarriesNoResponse) {
  v1::CallResult result;
  result.mutable_echo()->set_payload("hi");
  SetCallStatus(absl::OkStatus(), &result);
  EXPECT_TRUE(result.has_echo());
  SetCallStatus(absl::UnavailableError("ldap: no server answered"), &result);
  EXPECT_FALSE(result.has_echo());
  EXPECT_EQ(result.message(), "ldap: no server answered");
}

TEST(CallStatusTest, CodesOutsideGoogleRpcCodeAreUnknown) {
  for (int32_t code : {-1, 17, std::numeric_limits<int32_t>::max(),
                       std::numeric_limits<int32_t>::min()}) {
    v1::CallResult result;
    result.set_code(code);
    result.set_message("what the connector said");
    absl::Status st = CallResultStatus(result);
    EXPECT_EQ(st.code(), absl::StatusCode::kUnknown) << code;
    EXPECT_THAT(std::string(st.message()),
                HasSubstr(absl::StrCat("the connector sent an invalid result code ", code)));
    EXPECT_THAT(std::string(st.message()), HasSubstr("what the connector said"));
  }
}

}  // namespace
}  // namespace dirbridge
