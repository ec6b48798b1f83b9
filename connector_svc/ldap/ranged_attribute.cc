#include "connector_svc/ldap/ranged_attribute.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace dirbridge::connector {

std::optional<AttributeRange> ParseAttributeRange(absl::string_view description) {
  std::vector<absl::string_view> parts = absl::StrSplit(description, ';');
  if (parts.size() < 2) return std::nullopt;
  for (size_t i = 1; i < parts.size(); ++i) {
    absl::string_view opt = parts[i];
    if (!absl::ConsumePrefix(&opt, "range=") && !absl::ConsumePrefix(&opt, "Range=")) {
      continue;
    }
    std::pair<absl::string_view, absl::string_view> lh = absl::StrSplit(opt, '-');
    AttributeRange r;
    r.attribute = absl::AsciiStrToLower(parts[0]);
    if (!absl::SimpleAtoi(lh.first, &r.low)) return std::nullopt;
    if (lh.second != "*") {
      uint64_t high = 0;
      if (!absl::SimpleAtoi(lh.second, &high) || high < r.low) return std::nullopt;
      r.high = high;
    }
    return r;
  }
  return std::nullopt;
}

namespace {

std::string RangeText(const AttributeRange& r) {
  return absl::StrCat(r.low, "-", r.high ? absl::StrCat(*r.high) : "*");
}

}  // namespace

absl::Status ReadRangedValues(const AttributeRange& first, const RangeFetch& fetch,
                              std::vector<std::string>* values, int max_ranges) {
  AttributeRange last = first;
  for (int ranges = 1; last.high.has_value(); ++ranges) {
    if (ranges >= max_ranges) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "ldap: \"", first.attribute, "\" came in more than ", max_ranges,
          " ranges, the most the connector reads (kMaxAttributeRanges)"));
    }
    uint64_t want = *last.high + 1;
    absl::StatusOr<RangeSlices> slices = fetch(want);
    if (!slices.ok()) return slices.status();
    std::optional<AttributeRange> next;
    for (auto& [description, vals] : *slices) {
      std::optional<AttributeRange> r = ParseAttributeRange(description);
      if (!r || r->attribute != first.attribute) continue;
      if (r->low != want) {
        return absl::DataLossError(absl::StrCat(
            "ldap: asked for \"", first.attribute, ";range=", want, "-*\" after range ",
            RangeText(last), ", the server sent range ", RangeText(*r),
            ": it does not continue where the last one ended"));
      }
      if (vals.empty() && r->high.has_value()) {
        return absl::DataLossError(absl::StrCat("ldap: the server sent an empty range ",
                                                RangeText(*r), " of \"", first.attribute,
                                                "\" that is not the last (no '*')"));
      }
      values->insert(values->end(), std::make_move_iterator(vals.begin()),
                     std::make_move_iterator(vals.end()));
      next = std::move(*r);
      break;
    }
    if (!next) {
      return absl::DataLossError(absl::StrCat(
          "ldap: asked for \"", first.attribute, ";range=", want, "-*\" after range ",
          RangeText(last), ", the server sent no range of it: the values would be incomplete"));
    }
    last = std::move(*next);
  }
  return absl::OkStatus();
}

}  // namespace dirbridge::connector
