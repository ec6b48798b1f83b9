#ifndef DIRBRIDGE_CLOUD_SVC_STORE_POSTGRES_PG_URI_H_
#define DIRBRIDGE_CLOUD_SVC_STORE_POSTGRES_PG_URI_H_

// What a --store URI must be, checked both by the config (at start-up, with
// every other problem) and by PostgresStore::Open. Header-only: the config
// needs no libpq for it.

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace dirbridge::cloud {

inline bool IsPostgresUri(absl::string_view uri) {
  return absl::StartsWith(uri, "postgresql://") || absl::StartsWith(uri, "postgres://");
}

// Whether the URI carries a password: user:password@host, or a password=
// parameter.
inline bool UriHasPassword(absl::string_view uri) {
  size_t scheme = uri.find("://");
  absl::string_view rest = scheme == absl::string_view::npos ? uri : uri.substr(scheme + 3);
  if (absl::StrContains(rest, "password=")) return true;
  size_t at = rest.find('@');
  size_t slash = rest.find('/');
  if (at == absl::string_view::npos || (slash != absl::string_view::npos && slash < at)) {
    return false;
  }
  return absl::StrContains(rest.substr(0, at), ':');
}

// OK for postgresql://USER@HOST:PORT/DB without a password. The message
// never quotes a URI that carries one.
inline absl::Status CheckPostgresUri(absl::string_view uri) {
  if (UriHasPassword(uri)) {
    return absl::InvalidArgumentError(
        "--store: the URI carries a password; put it in --store_password_file or a PGPASSFILE "
        "instead, so that it is in no command line, process list or log");
  }
  if (!IsPostgresUri(uri)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--store: \"", uri, "\" is neither sqlite nor a postgresql://USER@HOST:PORT/DB URI"));
  }
  return absl::OkStatus();
}

}  // namespace dirbridge::cloud

#endif  // DIRBRIDGE_CLOUD_SVC_STORE_POSTGRES_PG_URI_H_
