#include "connector_svc/ldap/ldap_directory.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ldap_escape.h"
#include "common/log.h"
#include <ldap.h>

#include "connector_svc/ldap/bind_outcome.h"
#include "connector_svc/ldap/ldap_dn.h"
#include "connector_svc/ldap/user_filter.h"

namespace dirbridge::connector {

absl::StatusOr<std::unique_ptr<LdapDirectory>> LdapDirectory::New(
    const LdapConfig& config) {
  if (config.uris.empty()) {
    return absl::FailedPreconditionError("ldap: no server URIs configured");
  }
  if (config.pool_size < 1) {
    return absl::FailedPreconditionError("ldap: pool size must be at least 1");
  }
  absl::StatusOr<AttributeMap> map = ResolveAttributeMap(config.profile, config.attributes);
  if (!map.ok()) return absl::FailedPreconditionError(map.status().message());
  return std::unique_ptr<LdapDirectory>(new LdapDirectory(config, std::move(*map)));
}

LdapDirectory::LdapDirectory(LdapConfig config, AttributeMap map)
    : config_(std::move(config)),
      map_(std::move(map)),
      service_pool_(config_.uris, config_.pool_size,
                    [this](const std::string& uri, const OpContext& ctx) {
                      return LdapConnection::Open(config_, uri, ctx);
                    }),
      bind_pool_(config_.uris, config_.pool_size,
                 [this](const std::string& uri, const OpContext& ctx) {
                   return LdapConnection::OpenUnbound(config_, uri, ctx);
                 }) {}

absl::Status LdapDirectory::WithConnection(const OpContext& ctx, const Op& op) {
  return service_pool_.With(ctx, op);
}

absl::StatusOr<NamingContexts> LdapDirectory::ListNamingContexts(const OpContext& ctx) {
  NamingContexts out;
  absl::Status st = WithConnection(ctx, [&](LdapConnection& conn) -> absl::Status {
    absl::StatusOr<std::vector<LdapEntry>> entries = conn.Search(
        "", LdapScope::kBase, "(objectClass=*)",
        {"namingContexts", "defaultNamingContext"}, ctx);
    if (!entries.ok()) return entries.status();
    if (entries->empty()) {
      return absl::PermissionDeniedError("ldap: the rootDSE is not readable");
    }
    const LdapEntry& root = entries->front();
    auto it = root.attributes.find("namingcontexts");
    if (it != root.attributes.end()) out.naming_contexts = it->second;
    out.default_naming_context = root.First("defaultnamingcontext");
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return out;
}

namespace {

constexpr int kMaxPageSize = 10000;
// Nested groups deeper than this are a loop or a mistake, not an org chart.
constexpr int kMaxGroupDepth = 32;

std::string AndFilter(const std::string& a, const std::string& b) {
  return absl::StrCat("(&", a, b, ")");
}

}  // namespace

// Entries under `base_dn` matching `filter`, as (dn, name) messages:
// OrganizationalUnit and Group share that shape.
template <typename Named>
absl::StatusOr<std::vector<Named>> LdapDirectory::ListNamed(const std::string& base_dn,
                                                            const std::string& filter,
                                                            const std::string& name_attr,
                                                            const OpContext& ctx) {
  std::vector<Named> out;
  std::string key = absl::AsciiStrToLower(name_attr);
  absl::Status st = WithConnection(ctx, [&](LdapConnection& conn) {
    out.clear();
    return conn.SearchPaged(base_dn, LdapScope::kSubtree, filter, {name_attr}, config_.page_size,
                            ctx, [&](std::vector<LdapEntry>&& page) {
                              for (const LdapEntry& e : page) {
                                Named n;
                                n.set_dn(e.dn);
                                n.set_name(e.First(key));
                                out.push_back(std::move(n));
                              }
                              return absl::OkStatus();
                            });
  });
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<std::vector<v1::OrganizationalUnit>> LdapDirectory::ListOrganizationalUnits(
    const std::string& base_dn, const OpContext& ctx) {
  if (absl::Status st = ValidateDn(base_dn, "base_dn"); !st.ok()) return st;
  return ListNamed<v1::OrganizationalUnit>(base_dn, map_.ou_filter, map_.ou_name, ctx);
}

absl::StatusOr<std::vector<v1::Group>> LdapDirectory::ListGroups(
    const std::string& base_dn, const std::string& name_prefix, const OpContext& ctx) {
  if (absl::Status st = ValidateDn(base_dn, "base_dn"); !st.ok()) return st;
  if (name_prefix.size() > 256 || !IsValidUtf8(name_prefix)) {
    return absl::InvalidArgumentError("name_prefix must be UTF-8 of at most 256 bytes");
  }
  std::string filter = map_.group_filter;
  if (!name_prefix.empty()) {
    filter = AndFilter(filter, absl::StrCat("(", map_.group_name, "=",
                                            EscapeFilterValue(name_prefix), "*)"));
  }
  return ListNamed<v1::Group>(base_dn, filter, map_.group_name, ctx);
}

absl::StatusOr<absl::flat_hash_set<std::string>> LdapDirectory::ExpandGroup(
    LdapConnection& conn, const std::string& group_dn, const OpContext& ctx) {
  absl::flat_hash_set<std::string> members;
  absl::flat_hash_set<std::string> seen_groups;
  std::vector<std::pair<std::string, int>> todo = {{group_dn, 0}};
  std::string member_attr = absl::AsciiStrToLower(map_.member);
  bool first = true;
  while (!todo.empty()) {
    auto [dn, depth] = todo.back();
    todo.pop_back();
    if (!seen_groups.insert(NormalizeDn(dn)).second || depth > kMaxGroupDepth) continue;
    absl::StatusOr<std::vector<LdapEntry>> entries =
        conn.Search(dn, LdapScope::kBase, map_.group_filter, {map_.member}, ctx);
    if (!entries.ok()) {
      // The group asked for must exist; a dangling member DN need not.
      if (first || !absl::IsNotFound(entries.status())) return entries.status();
      continue;
    }
    if (first && entries->empty()) {
      return absl::NotFoundError(absl::StrCat("group_dn \"", group_dn, "\" is not a group"));
    }
    first = false;
    for (const LdapEntry& e : *entries) {
      auto it = e.attributes.find(member_attr);
      if (it == e.attributes.end()) continue;
      for (const std::string& m : it->second) {
        members.insert(NormalizeDn(m));
        todo.emplace_back(m, depth + 1);  // a member may itself be a group
      }
    }
  }
  return members;
}

absl::Status LdapDirectory::SearchUsers(const std::string& base_dn,
                                        const std::string& group_dn, int page_size,
                                        const std::string& changed_since,
                                        const OpContext& ctx, const UserSink& sink) {
  if (absl::Status st = ValidateDn(base_dn, "base_dn"); !st.ok()) return st;
  if (!group_dn.empty()) {
    if (absl::Status st = ValidateDn(group_dn, "group_dn"); !st.ok()) return st;
  }
  if (page_size < 1 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size must be from 1 to ", kMaxPageSize, ", not ", page_size));
  }
  std::vector<std::string> attrs = map_.UserAttributes();
  // Pages of the server and chunks of the stream are the same size, so
  // that a chunk is never held back waiting for the next page.
  return WithConnection(ctx, [&](LdapConnection& conn) -> absl::Status {
    std::string filter = map_.user_filter;
    if (!changed_since.empty()) filter = AndFilter(filter, map_.ChangedSince(changed_since));
    PageMarks marks{changed_since, conn.uri()};
    std::string marker_attr = absl::AsciiStrToLower(map_.change_marker);
    absl::flat_hash_set<std::string> members;
    bool expand = !group_dn.empty() && !map_.in_chain;
    if (!group_dn.empty() && map_.in_chain) {
      // LDAP_MATCHING_RULE_IN_CHAIN: the server walks nested groups.
      filter = AndFilter(filter, absl::StrCat("(memberOf:1.2.840.113556.1.4.1941:=",
                                              EscapeFilterValue(group_dn), ")"));
    } else if (expand) {
      absl::StatusOr<absl::flat_hash_set<std::string>> m = ExpandGroup(conn, group_dn, ctx);
      if (!m.ok()) return m.status();
      members = std::move(*m);
    }
    return conn.SearchPaged(
        base_dn, LdapScope::kSubtree, filter, attrs, page_size, ctx,
        [&](std::vector<LdapEntry>&& page) -> absl::Status {
          std::vector<v1::User> users;
          users.reserve(page.size());
          for (const LdapEntry& e : page) {
            const std::string& marker = e.First(marker_attr);
            if (!marker.empty() && map_.MarkerAfter(marker, marks.watermark)) {
              marks.watermark = marker;
            }
            if (expand && !members.contains(NormalizeDn(e.dn))) continue;
            users.push_back(map_.ToUser(e));
          }
          if (users.empty()) return absl::OkStatus();
          return sink(std::move(users), marks);
        });
  });
}

absl::StatusOr<std::vector<LdapEntry>> LdapDirectory::FindUser(const std::string& username,
                                                                const OpContext& ctx) {
  absl::StatusOr<std::string> filter = UserLookupFilter(map_, username);
  if (!filter.ok()) return filter.status();
  std::vector<LdapEntry> found;
  absl::Status st = WithConnection(ctx, [&](LdapConnection& conn) -> absl::Status {
    absl::StatusOr<std::vector<LdapEntry>> r = conn.Search(
        config_.base_dn, LdapScope::kSubtree, *filter, map_.UserAttributes(), ctx);
    if (!r.ok()) return r.status();
    found = std::move(*r);
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return found;
}

absl::StatusOr<v1::User> LdapDirectory::GetUser(const std::string& username,
                                                const OpContext& ctx) {
  absl::StatusOr<std::vector<LdapEntry>> found = FindUser(username, ctx);
  if (!found.ok()) return found.status();
  if (found->empty()) return absl::NotFoundError("no such user in the directory");
  if (found->size() > 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the username matches ", found->size(), " directory entries; it must match one"));
  }
  return map_.ToUser(found->front());
}

absl::StatusOr<Directory::AuthOutcome> LdapDirectory::Authenticate(
    const std::string& username, const std::string& password, const OpContext& ctx) {
  if (password.empty()) {
    // An empty simple bind is an unauthenticated bind, which many servers
    // accept: never send one.
    return absl::InvalidArgumentError("password is empty");
  }
  absl::StatusOr<std::vector<LdapEntry>> users = FindUser(username, ctx);
  if (!users.ok()) return users.status();
  std::vector<LdapEntry>& found = *users;
  AuthOutcome out;
  // Nobody, or more than one: the same answer as a wrong password.
  if (found.size() != 1) {
    out.result = v1::AUTH_RESULT_INVALID_CREDENTIALS;
    return out;
  }
  return BindUser(found.front(), password, ctx);
}

absl::StatusOr<Directory::AuthOutcome> LdapDirectory::BindUser(const LdapEntry& user,
                                                               const std::string& password,
                                                               const OpContext& ctx) {
  LdapConnection::BindReply reply;
  absl::Status st = bind_pool_.With(ctx, [&](LdapConnection& conn) -> absl::Status {
    absl::StatusOr<LdapConnection::BindReply> r = conn.BindAs(user.dn, password, ctx);
    if (!r.ok()) return r.status();
    reply = std::move(*r);
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return Outcome(user, reply);
}

absl::StatusOr<Directory::AuthOutcome> LdapDirectory::Outcome(
    const LdapEntry& user, const LdapConnection::BindReply& reply) const {
  if (reply.code == LDAP_BUSY || reply.code == LDAP_UNAVAILABLE) {
    return absl::UnavailableError("ldap: the server is too busy to check the password");
  }
  AuthOutcome out;
  out.result = BindOutcome(reply.code, reply.diagnostic, reply.ppolicy_error);
  if (out.result == v1::AUTH_RESULT_OK) out.user = map_.ToUser(user);
  return out;
}

absl::StatusOr<int64_t> LdapDirectory::CountUsers(const OpContext& ctx) {
  int64_t count = 0;
  absl::Status st = WithConnection(ctx, [&](LdapConnection& conn) {
    count = 0;
    // "1.1": no attributes, only the entries (RFC 4511 4.5.1.8).
    return conn.SearchPaged(config_.base_dn, LdapScope::kSubtree, map_.user_filter, {"1.1"},
                            config_.page_size, ctx, [&](std::vector<LdapEntry>&& page) {
                              count += static_cast<int64_t>(page.size());
                              return absl::OkStatus();
                            });
  });
  if (!st.ok()) return st;
  return count;
}

}  // namespace dirbridge::connector
