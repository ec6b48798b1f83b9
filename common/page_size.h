#ifndef DIRBRIDGE_COMMON_PAGE_SIZE_H_
#define DIRBRIDGE_COMMON_PAGE_SIZE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/field_error.h"

namespace dirbridge {

// A paged method's page_size. Unset means default: proto3 clients leave an
// unset field at 0, so 0 is `default_size`, never an error; from 1 to
// `max` is itself; anything else (negative, too large) is INVALID_ARGUMENT
// naming the field and its bounds.
inline absl::StatusOr<int> PageSize(int64_t requested, int default_size, int max) {
  if (requested == 0) return default_size;
  if (requested < 1 || requested > max) {
    return FieldError("page_size",
                      absl::StrCat("page_size must be from 1 to ", max, ", or 0 (unset) for the "
                                   "default of ", default_size, "; not ", requested));
  }
  return static_cast<int>(requested);
}

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_PAGE_SIZE_H_
