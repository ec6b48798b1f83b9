// What the server sent back, read: search entries, a search's final result
// and page cookie, a bind's reply with its password-policy control.
#include <ldap.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "connector_svc/ldap/ldap_connection.h"
#include "connector_svc/ldap/ldap_status.h"

namespace dirbridge::connector {

absl::Status LdapConnection::ReadFinalResult(LDAPMessage* m, const std::string& base,
                                             struct berval* cookie) {
  int result = 0;
  char* diag = nullptr;
  LDAPControl** ctrls = nullptr;
  int rc = ldap_parse_result(ld_, m, &result, nullptr, &diag, nullptr, &ctrls, 0);
  std::string detail = diag ? diag : "";
  ldap_memfree(diag);
  if (rc != LDAP_SUCCESS) {
    ldap_controls_free(ctrls);
    return Error(rc, "reading a search result");
  }
  if (cookie != nullptr) {
    cookie->bv_len = 0;
    LDAPControl* page = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls, nullptr);
    ber_int_t estimate = 0;
    if (page != nullptr) {
      struct berval c = {0, nullptr};
      if (ldap_parse_pageresponse_control(ld_, page, &estimate, &c) == LDAP_SUCCESS) {
        ber_memfree(cookie->bv_val);
        *cookie = c;
      }
    }
  }
  ldap_controls_free(ctrls);
  if (result == LDAP_SIZELIMIT_EXCEEDED) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "ldap: search under \"", base,
        "\" hit the server's size limit; raise it for the service account "
        "(OpenLDAP: limits ... size=unlimited; AD: MaxPageSize)"));
  }
  if (result != LDAP_SUCCESS) {
    return LdapStatus(result, absl::StrCat("search under \"", base, "\""), detail);
  }
  return absl::OkStatus();
}

absl::Status LdapConnection::ReadPageCookie(LDAPMessage* chain, const std::string& base,
                                            struct berval* cookie) {
  for (LDAPMessage* m = ldap_first_message(ld_, chain); m != nullptr;
       m = ldap_next_message(ld_, m)) {
    if (ldap_msgtype(m) == LDAP_RES_SEARCH_RESULT) return ReadFinalResult(m, base, cookie);
  }
  return absl::InternalError("ldap: the search had no final result");
}

absl::Status LdapConnection::ParseResults(LDAPMessage* chain, const std::string& base,
                                          std::vector<LdapEntry>* out,
                                          struct berval* cookie) {
  absl::Status final_status = absl::InternalError("ldap: the search had no final result");
  for (LDAPMessage* m = ldap_first_message(ld_, chain); m != nullptr;
       m = ldap_next_message(ld_, m)) {
    int type = ldap_msgtype(m);
    if (type == LDAP_RES_SEARCH_ENTRY) {
      // One pass over the entry, names and values read in place: the
      // first_attribute / get_values_len pair copies every name and value
      // and scans the entry again for each attribute (ldapsearch reads it
      // this way too).
      LdapEntry entry;
      BerElement* ber = nullptr;
      struct berval dn = {0, nullptr};
      if (ldap_get_dn_ber(ld_, m, &ber, &dn) != LDAP_SUCCESS) {
        if (ber) ber_free(ber, 0);
        return Error(LDAP_DECODING_ERROR, "reading a search entry");
      }
      entry.dn.assign(dn.bv_val, dn.bv_len);
      entry.attributes.reserve(8);
      struct berval attr = {0, nullptr};
      BerVarray vals = nullptr;
      while (ldap_get_attribute_ber(ld_, m, ber, &attr, &vals) == LDAP_SUCCESS &&
             attr.bv_val != nullptr) {
        std::string name(attr.bv_val, attr.bv_len);
        absl::AsciiStrToLower(&name);
        std::vector<std::string>& values = entry.attributes[std::move(name)];
        for (int i = 0; vals && vals[i].bv_val; ++i) {
          values.emplace_back(vals[i].bv_val, vals[i].bv_len);
        }
        ber_memfree(vals);
        vals = nullptr;
      }
      ber_free(ber, 0);
      out->push_back(std::move(entry));
    } else if (type == LDAP_RES_SEARCH_RESULT) {
      final_status = ReadFinalResult(m, base, cookie);
    }
    // Referrals (LDAP_RES_SEARCH_REFERENCE) are not chased unless configured;
    // libldap chases them itself when it is.
  }
  return final_status;
}

absl::StatusOr<std::vector<LdapEntry>> LdapConnection::ReadEntries(LDAPMessage* result,
                                                                   const std::string& base) {
  std::vector<LdapEntry> out;
  absl::Status st = ParseResults(result, base, &out, nullptr);
  if (!st.ok()) return st;
  return out;
}

bool LdapConnection::HasRanges(const LdapEntry& entry) {
  for (const auto& [name, values] : entry.attributes) {
    if (name.find(";range=") != std::string::npos) return true;
  }
  return false;
}

absl::StatusOr<LdapConnection::BindReply> LdapConnection::ReadReply(LDAPMessage* result,
                                                                     absl::string_view what) {
  BindReply reply;
  char* diag = nullptr;
  LDAPControl** server_ctrls = nullptr;
  int rc = ldap_parse_result(ld_, result, &reply.code, nullptr, &diag, nullptr,
                             &server_ctrls, 0);
  reply.diagnostic = diag ? diag : "";
  ldap_memfree(diag);
  if (rc != LDAP_SUCCESS) {
    ldap_controls_free(server_ctrls);
    return Error(rc, absl::StrCat(what, " at ", uri_));
  }
  LDAPControl* pp =
      ldap_control_find(LDAP_CONTROL_PASSWORDPOLICYRESPONSE, server_ctrls, nullptr);
  if (pp != nullptr) {
    ber_int_t expire = -1, grace = -1;
    LDAPPasswordPolicyError err = PP_noError;
    if (ldap_parse_passwordpolicy_control(ld_, pp, &expire, &grace, &err) == LDAP_SUCCESS &&
        err != PP_noError) {
      reply.ppolicy_error = static_cast<int>(err);
    }
  }
  ldap_controls_free(server_ctrls);
  return reply;
}

}  // namespace dirbridge::connector
