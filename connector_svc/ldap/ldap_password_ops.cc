// A user's own password change on one connection: the two ways directories
// take it. Both ask for the password-policy response control, so that
// OpenLDAP's ppolicy says which rule refused the new password.
#include <ldap.h>

#include "absl/strings/str_cat.h"
#include "connector_svc/ldap/ldap_connection.h"

namespace dirbridge::connector {
namespace {

berval Berval(const std::string& s) {
  berval b;
  b.bv_val = const_cast<char*>(s.data());
  b.bv_len = s.size();
  return b;
}

}  // namespace

absl::StatusOr<LdapConnection::BindReply> LdapConnection::PasswordModify(
    const std::string& dn, const std::string& old_password, const std::string& new_password,
    const OpContext& ctx) {
  berval user = Berval(dn);
  berval old_pw = Berval(old_password);
  berval new_pw = Berval(new_password);
  LDAPControl* ppolicy = nullptr;
  ldap_create_passwordpolicy_control(ld_, &ppolicy);
  LDAPControl* ctrls[] = {ppolicy, nullptr};
  int msgid = 0;
  int rc = ldap_passwd(ld_, &user, &old_pw, &new_pw, ppolicy ? ctrls : nullptr, nullptr, &msgid);
  if (ppolicy) ldap_control_free(ppolicy);
  if (rc != LDAP_SUCCESS) return Error(rc, absl::StrCat("password modify at ", uri_));
  absl::StatusOr<LDAPMessage*> res = Wait(msgid, ctx, true);
  if (!res.ok()) return res.status();
  LdapMessagePtr msg(*res);
  return ReadReply(msg.get(), "password modify");
}

absl::StatusOr<LdapConnection::BindReply> LdapConnection::ChangeUnicodePwd(
    const std::string& dn, const std::string& old_value, const std::string& new_value,
    const OpContext& ctx) {
  berval old_bv = Berval(old_value);
  berval new_bv = Berval(new_value);
  berval* old_vals[] = {&old_bv, nullptr};
  berval* new_vals[] = {&new_bv, nullptr};
  char attr[] = "unicodePwd";
  // Delete of the old value then add of the new, in one modify: AD reads
  // that pair as the user's change (checked against the old password and
  // the policy), where a replace would be an admin's reset.
  LDAPMod del;
  del.mod_op = LDAP_MOD_DELETE | LDAP_MOD_BVALUES;
  del.mod_type = attr;
  del.mod_bvalues = old_vals;
  LDAPMod add;
  add.mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES;
  add.mod_type = attr;
  add.mod_bvalues = new_vals;
  LDAPMod* mods[] = {&del, &add, nullptr};
  int msgid = 0;
  int rc = ldap_modify_ext(ld_, dn.c_str(), mods, nullptr, nullptr, &msgid);
  if (rc != LDAP_SUCCESS) return Error(rc, absl::StrCat("password change at ", uri_));
  absl::StatusOr<LDAPMessage*> res = Wait(msgid, ctx, true);
  if (!res.ok()) return res.status();
  LdapMessagePtr msg(*res);
  return ReadReply(msg.get(), "password change");
}

}  // namespace dirbridge::connector
