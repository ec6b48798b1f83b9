#include "connector_svc/ldap/ldap_directory.h"

#include <google/protobuf/io/coded_stream.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/ldap_escape.h"
#include "common/page_size.h"
#include "common/status_macros.h"
#include "common/log.h"
#include "connector_svc/ldap/ldap_dn.h"

namespace dirbridge::connector {

absl::StatusOr<std::unique_ptr<LdapDirectory>> LdapDirectory::New(
    const LdapConfig& config) {
  if (config.uris.empty()) {
    return absl::FailedPreconditionError("ldap: no server URIs configured");
  }
  if (config.pool_size < 1) {
    return absl::FailedPreconditionError("ldap: pool size must be at least 1");
  }
  if (config.max_streams < 1 || config.max_streams > kMaxMaxStreams) {
    return absl::FailedPreconditionError(absl::StrCat(
        "ldap: max_streams must be from 1 to ", kMaxMaxStreams, ", not ", config.max_streams));
  }
  absl::StatusOr<ParsedDn> base = ParseDn(config.base_dn, "ldap.base_dn");
  if (!base.ok()) return absl::FailedPreconditionError(base.status().message());
  absl::StatusOr<AttributeMap> map = ResolveAttributeMap(config.profile, config.attributes);
  if (!map.ok()) return absl::FailedPreconditionError(map.status().message());
  absl::StatusOr<std::string> decoy = MakeDecoyDn(config.base_dn);
  if (!decoy.ok()) return decoy.status();
  return std::unique_ptr<LdapDirectory>(
      new LdapDirectory(config, std::move(*map), std::move(*base), std::move(*decoy)));
}

LdapDirectory::LdapDirectory(LdapConfig config, AttributeMap map, ParsedDn base,
                             std::string decoy_dn)
    : config_(std::move(config)),
      map_(std::move(map)),
      base_(std::move(base)),
      decoy_dn_(std::move(decoy_dn)),
      service_pool_(config_.uris, config_.pool_size,
                    [this](const std::string& uri, const OpContext& ctx) {
                      return LdapConnection::Open(config_, uri, ctx);
                    }),
      stream_pool_(config_.uris, config_.max_streams,
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

absl::StatusOr<std::string> LdapDirectory::ConfinedBase(const std::string& requested,
                                                        absl::string_view what) const {
  if (requested.empty()) return config_.base_dn;
  absl::StatusOr<ParsedDn> dn = ParseDn(requested, what);
  if (!dn.ok()) return dn.status();
  if (!IsUnder(*dn, base_)) {
    return absl::PermissionDeniedError(
        absl::StrCat("ldap: ", what, " \"", requested,
                     "\" is not under the connector's ldap.base_dn \"", config_.base_dn,
                     "\"; the connector reads nothing outside it"));
  }
  return requested;
}

bool LdapDirectory::UnderBase(const std::string& dn) const {
  absl::StatusOr<ParsedDn> parsed = ParseDn(dn, "dn");
  return parsed.ok() && IsUnder(*parsed, base_);
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
                                                            absl::string_view what,
                                                            absl::string_view narrow,
                                                            const OpContext& ctx) {
  std::vector<Named> out;
  std::string key = absl::AsciiStrToLower(name_attr);
  absl::Status st = WithConnection(ctx, [&](LdapConnection& conn) {
    out.clear();
    size_t bytes = 0;
    return conn.SearchPaged(
        base_dn, LdapScope::kSubtree, filter, {name_attr}, config_.page_size, ctx,
        [&](std::vector<LdapEntry>&& page) -> absl::Status {
          for (const LdapEntry& e : page) {
            Named n;
            n.set_dn(e.dn);
            n.set_name(e.First(key));
            // As the repeated field will weigh: a tag, a length, the bytes.
            size_t size = n.ByteSizeLong();
            bytes += 1 + google::protobuf::io::CodedOutputStream::VarintSize64(size) + size;
            if (bytes > ctx.max_answer_bytes) {
              // Stop reading: the answer could not be sent anyway (a frame
              // over the limit would end the tunnel).
              return absl::ResourceExhaustedError(absl::StrCat(
                  "ldap: found more than ", out.size(), " ", what, " under \"", base_dn,
                  "\", more than one answer may carry (", ctx.max_answer_bytes,
                  " bytes: one tunnel frame); narrow ", narrow));
            }
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
  absl::StatusOr<std::string> base = ConfinedBase(base_dn, "base_dn");
  if (!base.ok()) return base.status();
  return ListNamed<v1::OrganizationalUnit>(*base, map_.ou_filter, map_.ou_name,
                                           "organizational units", "base_dn", ctx);
}

absl::StatusOr<std::vector<v1::Group>> LdapDirectory::ListGroups(
    const std::string& base_dn, const std::string& name_prefix, const OpContext& ctx) {
  absl::StatusOr<std::string> base = ConfinedBase(base_dn, "base_dn");
  if (!base.ok()) return base.status();
  if (name_prefix.size() > 256 || !IsValidUtf8(name_prefix)) {
    return absl::InvalidArgumentError("name_prefix must be UTF-8 of at most 256 bytes");
  }
  std::string filter = map_.group_filter;
  if (!name_prefix.empty()) {
    filter = AndFilter(filter, absl::StrCat("(", map_.group_name, "=",
                                            EscapeFilterValue(name_prefix), "*)"));
  }
  return ListNamed<v1::Group>(*base, filter, map_.group_name, "groups",
                              "base_dn or name_prefix", ctx);
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
        // A member may itself be a group; one outside the base DN is not
        // read (the connector reads nothing outside it), and its members
        // would not be users under the base DN anyway unless listed here.
        if (UnderBase(m)) todo.emplace_back(m, depth + 1);
      }
    }
  }
  return members;
}

absl::Status LdapDirectory::SearchUsers(const std::string& base_dn,
                                        const std::string& group_dn, int page_size,
                                        const std::string& changed_since,
                                        const OpContext& ctx, const UserSink& sink) {
  absl::StatusOr<std::string> base = ConfinedBase(base_dn, "base_dn");
  if (!base.ok()) return base.status();
  if (!group_dn.empty()) {
    absl::StatusOr<std::string> group = ConfinedBase(group_dn, "group_dn");
    if (!group.ok()) return group.status();
  }
  // 0 (unset): the connector's own ldap.page_size.
  ASSIGN_OR_RETURN(page_size, PageSize(page_size, config_.page_size, kMaxPageSize));
  std::vector<std::string> attrs = map_.UserAttributes();
  // Pages of the server and chunks of the stream are the same size, so
  // that a chunk is never held back waiting for the next page.
  // Its own pool: a stream may hold its connection for as long as its
  // reader takes, and lookups must not wait for that.
  return stream_pool_.With(ctx, [&](LdapConnection& conn) -> absl::Status {
    std::string filter = map_.user_filter;
    PageMarks marks{changed_since, conn.uri()};
    bool since = !changed_since.empty();
    if (since && map_.memberof_backlink) {
      // A membership change is the group's change alone: the users it
      // adds to (or drops from) the groups they are read with would be
      // missed. Any group changed: every user is read, and the watermark
      // moves past the groups' changes so that the next run is small again.
      absl::StatusOr<std::string> groups = GroupsChangedSince(conn, changed_since, ctx);
      if (!groups.ok()) return groups.status();
      if (!groups->empty()) {
        spdlog::info("event=incremental_reads_all reason=groups_changed groups_to={}", *groups);
        since = false;
        marks.watermark = *groups;
      }
    }
    if (since) filter = AndFilter(filter, map_.ChangedSince(changed_since));
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
        *base, LdapScope::kSubtree, filter, attrs, page_size, ctx,
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

absl::StatusOr<std::vector<std::string>> LdapDirectory::NestedGroupsOf(
    const std::string& user_dn, const std::vector<std::string>& group_dns,
    const OpContext& ctx) {
  std::vector<std::string> in;
  absl::Status st = WithConnection(ctx, [&](LdapConnection& conn) -> absl::Status {
    in.clear();
    for (const std::string& g : group_dns) {
      // Outside the base DN (or no DN at all): nobody's group here.
      absl::StatusOr<std::string> group =
          g.empty() ? absl::NotFoundError("") : ConfinedBase(g, "group");
      if (!group.ok()) continue;
      bool member = false;
      if (map_.in_chain) {
        // The user's own entry, if the server's in-chain walk finds it.
        std::string filter = AndFilter(map_.user_filter,
                                       absl::StrCat("(memberOf:1.2.840.113556.1.4.1941:=",
                                                    EscapeFilterValue(*group), ")"));
        absl::StatusOr<std::vector<LdapEntry>> found =
            conn.Search(user_dn, LdapScope::kBase, filter, {"1.1"}, ctx);
        if (!found.ok() && !absl::IsNotFound(found.status())) return found.status();
        member = found.ok() && !found->empty();
      } else {
        absl::StatusOr<absl::flat_hash_set<std::string>> members = ExpandGroup(conn, *group, ctx);
        if (!members.ok() && !absl::IsNotFound(members.status())) return members.status();
        member = members.ok() && members->contains(NormalizeDn(user_dn));
      }
      if (member) in.push_back(g);
    }
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return in;
}

absl::StatusOr<std::string> LdapDirectory::GroupsChangedSince(LdapConnection& conn,
                                                              const std::string& watermark,
                                                              const OpContext& ctx) {
  std::string highest;
  std::string marker_attr = absl::AsciiStrToLower(map_.change_marker);
  absl::Status st = conn.SearchPaged(
      config_.base_dn, LdapScope::kSubtree,
      AndFilter(map_.group_filter, map_.ChangedSince(watermark)), {map_.change_marker},
      config_.page_size, ctx, [&](std::vector<LdapEntry>&& page) {
        for (const LdapEntry& e : page) {
          const std::string& m = e.First(marker_attr);
          if (!m.empty() && (highest.empty() || map_.MarkerAfter(m, highest))) highest = m;
        }
        return absl::OkStatus();
      });
  if (!st.ok()) return st;
  return highest;
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
