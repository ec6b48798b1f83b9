#ifndef DIRBRIDGE_COMMON_STATUS_MACROS_H_
#define DIRBRIDGE_COMMON_STATUS_MACROS_H_

// Debian's Abseil (20220623) has no RETURN_IF_ERROR / ASSIGN_OR_RETURN.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define DIRBRIDGE_CONCAT_INNER_(a, b) a##b
#define DIRBRIDGE_CONCAT_(a, b) DIRBRIDGE_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::absl::Status _dirbridge_status = (expr);       \
    if (!_dirbridge_status.ok()) return _dirbridge_status; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(DIRBRIDGE_CONCAT_(_dirbridge_or_, __LINE__), lhs, expr)

#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

#endif  // DIRBRIDGE_COMMON_STATUS_MACROS_H_
