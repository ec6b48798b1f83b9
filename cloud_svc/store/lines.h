#ifndef DIRBRIDGE_CLOUD_SVC_STORE_LINES_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_LINES_H_

// Lists of DNs (a mapping's OUs and groups, a user's groups) as the SQL
// stores keep them: one per line in one column. A DN cannot hold a raw
// newline; empty entries do not survive.

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace dirbridge::cloud {

inline std::string JoinLines(const std::vector<std::string>& v) { return absl::StrJoin(v, "\n"); }
inline std::vector<std::string> SplitLines(const std::string& s) {
  return absl::StrSplit(s, '\n', absl::SkipEmpty());
}

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_LINES_H_
