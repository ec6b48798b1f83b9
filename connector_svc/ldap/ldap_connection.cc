#include "connector_svc/ldap/ldap_connection.h"

#include <ldap.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace dirbridge::connector {
namespace {

// How long one wait for a result may block before the deadline and the
// cancellation flag are looked at again.
constexpr absl::Duration kSlice = absl::Milliseconds(50);

struct MessageDeleter {
  void operator()(LDAPMessage* m) const { ldap_msgfree(m); }
};
using MessagePtr = std::unique_ptr<LDAPMessage, MessageDeleter>;

absl::Status CodeToStatus(int rc, const std::string& what, const std::string& detail) {
  std::string msg = absl::StrCat("ldap: ", what, ": ", ldap_err2string(rc));
  if (!detail.empty()) absl::StrAppend(&msg, " (", detail, ")");
  switch (rc) {
    case LDAP_SERVER_DOWN:
    case LDAP_CONNECT_ERROR:
    case LDAP_UNAVAILABLE:
    case LDAP_BUSY:
    case LDAP_UNWILLING_TO_PERFORM:
    case LDAP_TIMEOUT:
      return absl::UnavailableError(msg);
    case LDAP_TIMELIMIT_EXCEEDED:
      return absl::DeadlineExceededError(msg);
    case LDAP_NO_SUCH_OBJECT:
      return absl::NotFoundError(msg);
    case LDAP_INVALID_DN_SYNTAX:
    case LDAP_FILTER_ERROR:
      return absl::InvalidArgumentError(msg);
    case LDAP_INSUFFICIENT_ACCESS:
      return absl::PermissionDeniedError(msg);
    case LDAP_INVALID_CREDENTIALS:
    case LDAP_INAPPROPRIATE_AUTH:
    case LDAP_STRONG_AUTH_REQUIRED:
    case LDAP_CONFIDENTIALITY_REQUIRED:
      return absl::FailedPreconditionError(msg);
    case LDAP_SIZELIMIT_EXCEEDED:
    case LDAP_ADMINLIMIT_EXCEEDED:
      return absl::ResourceExhaustedError(msg);
    default:
      return absl::InternalError(msg);
  }
}

int ToLdapScope(LdapScope scope) {
  switch (scope) {
    case LdapScope::kBase:
      return LDAP_SCOPE_BASE;
    case LdapScope::kOneLevel:
      return LDAP_SCOPE_ONELEVEL;
    case LdapScope::kSubtree:
      return LDAP_SCOPE_SUBTREE;
  }
  return LDAP_SCOPE_BASE;
}

struct timeval SliceTimeval(absl::Duration d) {
  return absl::ToTimeval(std::max(d, absl::ZeroDuration()));
}

}  // namespace

std::string LdapEntry::First(const std::string& name) const {
  auto it = attributes.find(name);
  if (it == attributes.end() || it->second.empty()) return "";
  return it->second.front();
}

absl::StatusOr<std::unique_ptr<LdapConnection>> LdapConnection::Open(
    const LdapConfig& config, const std::string& uri, const OpContext& ctx) {
  LDAP* ld = nullptr;
  int rc = ldap_initialize(&ld, uri.c_str());
  if (rc != LDAP_SUCCESS) {
    return absl::InvalidArgumentError(
        absl::StrCat("ldap: bad URI \"", uri, "\": ", ldap_err2string(rc)));
  }
  std::unique_ptr<LdapConnection> conn(new LdapConnection(ld, uri));
  int version = LDAP_VERSION3;
  ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_option(ld, LDAP_OPT_REFERRALS,
                  config.follow_referrals ? LDAP_OPT_ON : LDAP_OPT_OFF);
  ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON);
  absl::Duration connect = std::min(config.connect_timeout, ctx.deadline - absl::Now());
  struct timeval tv = SliceTimeval(connect);
  ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
  // Keep TCP alive so that a server that vanished without a FIN is noticed.
  int keepalive_idle = 60;
  ldap_set_option(ld, LDAP_OPT_X_KEEPALIVE_IDLE, &keepalive_idle);

  if (config.tls != LdapTls::kNone) {
    int demand = LDAP_OPT_X_TLS_DEMAND;
    ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
    if (!config.ca_file.empty()) {
      ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, config.ca_file.c_str());
    }
    int is_server = 0;
    // A fresh TLS context per connection, so that the options above apply.
    ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &is_server);
  }
  if (config.tls == LdapTls::kStartTls) {
    // ldap_start_tls_s is synchronous; the network timeout bounds the
    // connect, and StartTLS itself is one short exchange.
    struct timeval op = SliceTimeval(ctx.deadline - absl::Now());
    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &op);
    rc = ldap_start_tls_s(ld, nullptr, nullptr);
    if (rc != LDAP_SUCCESS) {
      char* diag = nullptr;
      ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
      std::string detail = diag ? diag : "";
      ldap_memfree(diag);
      absl::Status st = CodeToStatus(rc, absl::StrCat("StartTLS with ", uri), detail);
      // A refused certificate is a configuration problem, not an outage, but
      // failover to the next server is still the right move.
      return absl::UnavailableError(st.message());
    }
  }
  absl::Status bind = conn->SimpleBind(config.bind_dn, config.bind_password, ctx);
  if (!bind.ok()) return bind;
  return conn;
}

LdapConnection::~LdapConnection() { ldap_unbind_ext(ld_, nullptr, nullptr); }

absl::Status LdapConnection::SimpleBind(const std::string& dn,
                                        const std::string& password,
                                        const OpContext& ctx) {
  struct berval cred;
  cred.bv_val = const_cast<char*>(password.data());
  cred.bv_len = password.size();
  int msgid = 0;
  int rc = ldap_sasl_bind(ld_, dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr,
                          nullptr, &msgid);
  if (rc != LDAP_SUCCESS) {
    usable_ = false;
    return Error(rc, absl::StrCat("connect to ", uri_));
  }
  absl::StatusOr<LDAPMessage*> res = Wait(msgid, ctx, true);
  if (!res.ok()) return res.status();
  MessagePtr msg(*res);
  int result = 0;
  char* diag = nullptr;
  rc = ldap_parse_result(ld_, msg.get(), &result, nullptr, &diag, nullptr,
                         nullptr, 0);
  std::string detail = diag ? diag : "";
  ldap_memfree(diag);
  if (rc != LDAP_SUCCESS) {
    usable_ = false;
    return Error(rc, absl::StrCat("bind at ", uri_));
  }
  if (result != LDAP_SUCCESS) {
    usable_ = false;
    return CodeToStatus(result,
                        absl::StrCat("service account bind as \"", dn, "\" at ", uri_),
                        detail);
  }
  return absl::OkStatus();
}

absl::StatusOr<LDAPMessage*> LdapConnection::Wait(int msgid, const OpContext& ctx,
                                                  bool all) {
  while (true) {
    if (ctx.Cancelled() || absl::Now() >= ctx.deadline) {
      ldap_abandon_ext(ld_, msgid, nullptr, nullptr);
      // The server may still be working on it (or frozen): do not reuse.
      usable_ = false;
      if (ctx.Cancelled()) return absl::CancelledError("ldap: operation cancelled");
      return absl::DeadlineExceededError(
          absl::StrCat("ldap: ", uri_, " did not answer before the deadline"));
    }
    struct timeval tv = SliceTimeval(std::min(kSlice, ctx.deadline - absl::Now()));
    LDAPMessage* msg = nullptr;
    int rc = ldap_result(ld_, msgid, all ? LDAP_MSG_ALL : LDAP_MSG_ONE, &tv, &msg);
    if (rc == 0) continue;  // nothing yet
    if (rc < 0) {
      usable_ = false;
      int err = LDAP_SERVER_DOWN;
      ldap_get_option(ld_, LDAP_OPT_RESULT_CODE, &err);
      return Error(err, absl::StrCat("waiting for ", uri_));
    }
    return msg;
  }
}

absl::Status LdapConnection::Error(int rc, const std::string& what) {
  if (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR) usable_ = false;
  return CodeToStatus(rc, what, "");
}

absl::StatusOr<std::vector<LdapEntry>> LdapConnection::Search(
    const std::string& base, LdapScope scope, const std::string& filter,
    const std::vector<std::string>& attributes, const OpContext& ctx) {
  std::vector<char*> attrs;
  for (const std::string& a : attributes) attrs.push_back(const_cast<char*>(a.c_str()));
  attrs.push_back(nullptr);
  int msgid = 0;
  int rc = ldap_search_ext(ld_, base.c_str(), ToLdapScope(scope), filter.c_str(),
                           attrs.data(), 0, nullptr, nullptr, nullptr,
                           LDAP_NO_LIMIT, &msgid);
  if (rc != LDAP_SUCCESS) return Error(rc, absl::StrCat("search under \"", base, "\""));
  absl::StatusOr<LDAPMessage*> res = Wait(msgid, ctx, true);
  if (!res.ok()) return res.status();
  MessagePtr all(*res);

  std::vector<LdapEntry> out;
  for (LDAPMessage* m = ldap_first_message(ld_, all.get()); m != nullptr;
       m = ldap_next_message(ld_, m)) {
    int type = ldap_msgtype(m);
    if (type == LDAP_RES_SEARCH_ENTRY) {
      LdapEntry entry;
      char* dn = ldap_get_dn(ld_, m);
      if (dn) entry.dn = dn;
      ldap_memfree(dn);
      BerElement* ber = nullptr;
      for (char* a = ldap_first_attribute(ld_, m, &ber); a != nullptr;
           a = ldap_next_attribute(ld_, m, ber)) {
        std::vector<std::string>& values = entry.attributes[absl::AsciiStrToLower(a)];
        struct berval** vals = ldap_get_values_len(ld_, m, a);
        for (int i = 0; vals && vals[i]; ++i) {
          values.emplace_back(vals[i]->bv_val, vals[i]->bv_len);
        }
        ldap_value_free_len(vals);
        ldap_memfree(a);
      }
      if (ber) ber_free(ber, 0);
      out.push_back(std::move(entry));
    } else if (type == LDAP_RES_SEARCH_RESULT) {
      int result = 0;
      char* diag = nullptr;
      rc = ldap_parse_result(ld_, m, &result, nullptr, &diag, nullptr, nullptr, 0);
      std::string detail = diag ? diag : "";
      ldap_memfree(diag);
      if (rc != LDAP_SUCCESS) return Error(rc, "reading a search result");
      if (result != LDAP_SUCCESS) {
        return CodeToStatus(result, absl::StrCat("search under \"", base, "\""), detail);
      }
    }
  }
  return out;
}

}  // namespace dirbridge::connector
