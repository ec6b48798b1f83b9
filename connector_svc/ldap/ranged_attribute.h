#ifndef DIRBRIDGE_CONNECTOR_SVC_LDAP_RANGED_ATTRIBUTE_H_
#define DIRBRIDGE_CONNECTOR_SVC_LDAP_RANGED_ATTRIBUTE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dirbridge::connector {

// An attribute description with a range option, as Active Directory sends
// multi-valued attributes larger than one read (MS-ADTS 3.1.1.3.1.3.3):
// "member;range=0-1499" or "member;range=1500-*" (last).
struct AttributeRange {
  std::string attribute;  // lower case, without options
  uint64_t low = 0;
  std::optional<uint64_t> high;  // unset: "*", the last slice
};
std::optional<AttributeRange> ParseAttributeRange(absl::string_view description);

// Slices one read sends: attribute description -> values.
using RangeSlices = std::vector<std::pair<std::string, std::vector<std::string>>>;
// Reads "attribute;range=<low>-*" of the entry.
using RangeFetch = std::function<absl::StatusOr<RangeSlices>(uint64_t low)>;

// A server may send this many slices of one attribute, no more: with AD's
// 1500 values a slice, 15 million values.
inline constexpr int kMaxAttributeRanges = 10000;

// Reads the slices of a ranged attribute after `first` (the one the entry
// came with) into `values`, until the slice marked "*". Each slice must
// start where the last ended: one that starts anywhere else (again, or
// leaving a gap), an empty slice that is not the last, a read with no
// slice of the attribute, or more than `max_ranges` slices end the read
// with an error instead of a loop that never ends or a list with holes.
absl::Status ReadRangedValues(const AttributeRange& first, const RangeFetch& fetch,
                              std::vector<std::string>* values,
                              int max_ranges = kMaxAttributeRanges);

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_LDAP_RANGED_ATTRIBUTE_H_
