// PostgresStore: imported users, and the activation that may create one.

#include <algorithm>
#include <climits>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "cloud_svc/store/lines.h"
#include "cloud_svc/store/postgres/postgres_store.h"
#include "cloud_svc/store/user_columns.h"
#include "common/secrets.h"
#include "common/status_macros.h"

namespace dirbridge::cloud {
namespace {

UserRecord ReadUser(const pg::Result& r, int row) {
  UserRecord u;
  u.tenant_id = r.Text(row, 0);
  u.user_id = r.Text(row, 1);
  u.mapping_id = r.Text(row, 2);
  u.directory_id = r.Text(row, 3);
  u.dn = r.Text(row, 4);
  u.username = r.Text(row, 5);
  u.user_principal_name = r.Text(row, 6);
  u.email = r.Text(row, 7);
  u.display_name = r.Text(row, 8);
  u.groups = SplitLines(r.Text(row, 9));
  u.disabled = r.Bool(row, 10);
  u.state = static_cast<UserState>(r.Int(row, 11));
  u.imported_at = r.Time(row, 12);
  return u;
}

absl::Status NotOfMappingTenant(const UserRecord& u, const MappingRecord& m) {
  return absl::InvalidArgumentError(absl::StrCat(
      "store: user \"", u.directory_id, "\" is not of mapping \"", m.mapping_id, "\"'s tenant"));
}

// A known user as the chunk's lock-and-read found it.
struct Known {
  UserRecord record;
  int owner_priority = INT_MAX;  // no such mapping: any mapping takes the user
};

bool SameDirectoryFields(const UserRecord& a, const UserRecord& b) {
  return a.dn == b.dn && a.username == b.username &&
         a.user_principal_name == b.user_principal_name && a.email == b.email &&
         a.display_name == b.display_name && a.groups == b.groups && a.disabled == b.disabled;
}

// The chunk in rounds, each with every directory id at most once (a bulk
// statement may touch a row only once): the k-th of a directory id goes in
// round k, so the rounds in order mean what the users in order mean.
std::vector<std::vector<const UserRecord*>> Rounds(const std::vector<UserRecord>& users) {
  std::vector<std::vector<const UserRecord*>> rounds;
  std::map<std::string, size_t> seen;
  for (const UserRecord& u : users) {
    size_t k = seen[u.directory_id]++;
    if (k == rounds.size()) rounds.emplace_back();
    rounds[k].push_back(&u);
  }
  return rounds;
}

// The columns of a bulk statement: one array per column, one element per user.
struct Columns {
  std::vector<std::string> user_id, directory_id, dn, username, upn, email, display_name, groups;
  std::vector<bool> disabled, same;
  std::vector<int64_t> imported_at;

  void Add(const UserRecord& u) {
    directory_id.push_back(u.directory_id);
    dn.push_back(u.dn);
    username.push_back(u.username);
    upn.push_back(u.user_principal_name);
    email.push_back(u.email);
    display_name.push_back(u.display_name);
    groups.push_back(JoinLines(u.groups));
    disabled.push_back(u.disabled);
    imported_at.push_back(absl::ToUnixMicros(u.imported_at));
  }
};

// One round: lock and read the known users, then one INSERT for the new
// ones and one UPDATE for those this mapping keeps or takes. The users a
// concurrent import added between the read and the INSERT come back in
// `raced`, for another round.
absl::Status UpsertRound(pg::Connection& c, const MappingRecord& m, absl::string_view run_id,
                         const std::vector<const UserRecord*>& round, UpsertCounts* counts,
                         std::vector<const UserRecord*>* raced) {
  std::vector<std::string> ids;
  for (const UserRecord* u : round) ids.push_back(u->directory_id);
  // Sorted, so that the rows are locked in one order: two chunks that share
  // users wait for each other instead of deadlocking.
  std::sort(ids.begin(), ids.end());
  // One probe of the unique index per user (LATERAL), whatever the planner
  // thinks of a table whose statistics lag a big first import.
  ASSIGN_OR_RETURN(pg::Result r, c.Exec(
      "SELECT u.tenant_id, u.user_id, u.mapping_id, u.directory_id, u.dn, u.username, "
      "u.user_principal_name, u.email, u.display_name, u.groups, u.disabled, u.state, "
      "u.imported_at, COALESCE(m.priority, 2147483647) "
      "FROM unnest($2::text[]) WITH ORDINALITY AS i(directory_id, n) "
      "CROSS JOIN LATERAL (SELECT * FROM users x WHERE x.tenant_id = $1 AND "
      "x.directory_id = i.directory_id FOR UPDATE) u "
      "LEFT JOIN mappings m ON m.tenant_id = u.tenant_id AND m.mapping_id = u.mapping_id "
      "ORDER BY i.n",
      pg::Params().Text(m.tenant_id).TextArray(ids)));
  std::map<std::string, Known> known;
  for (int i = 0; i < r.rows(); ++i) {
    Known k{ReadUser(r, i), static_cast<int>(r.Int(i, 13))};
    known[k.record.directory_id] = std::move(k);
  }
  Columns fresh, update;
  std::vector<const UserRecord*> inserted;
  for (const UserRecord* u : round) {
    auto it = known.find(u->directory_id);
    if (it == known.end()) {
      fresh.Add(*u);
      fresh.user_id.push_back(NewId());
      inserted.push_back(u);
      continue;
    }
    const UserRecord& old = it->second.record;
    if (old.mapping_id != m.mapping_id && it->second.owner_priority < m.priority) {
      ++counts->unchanged;  // an older mapping keeps its user
      continue;
    }
    const bool same = SameDirectoryFields(old, *u) && old.mapping_id == m.mapping_id;
    update.Add(*u);
    update.user_id.push_back(old.user_id);
    update.same.push_back(same);
    ++(same ? counts->unchanged : counts->updated);
  }
  if (!inserted.empty()) {
    ASSIGN_OR_RETURN(pg::Result added, c.Exec(absl::StrCat(
        "INSERT INTO users (", kUserColumns, ", last_seen_run) SELECT $1, i.user_id, $2, "
        "i.directory_id, i.dn, i.username, i.upn, i.email, i.display_name, i.groups, "
        "i.disabled, 1, i.imported_at, $3 FROM unnest("
        "$4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], "
        "$11::text[], $12::bool[], $13::bigint[]) AS i(user_id, directory_id, dn, username, upn, "
        "email, display_name, groups, disabled, imported_at) "
        "ON CONFLICT (tenant_id, directory_id) DO NOTHING RETURNING directory_id"),
        pg::Params().Text(m.tenant_id).Text(m.mapping_id).Text(run_id).TextArray(fresh.user_id)
            .TextArray(fresh.directory_id).TextArray(fresh.dn).TextArray(fresh.username)
            .TextArray(fresh.upn).TextArray(fresh.email).TextArray(fresh.display_name)
            .TextArray(fresh.groups).BoolArray(fresh.disabled).IntArray(fresh.imported_at)));
    std::set<std::string> done;
    for (int i = 0; i < added.rows(); ++i) done.insert(added.Text(i, 0));
    counts->added += done.size();
    for (const UserRecord* u : inserted) {
      if (done.count(u->directory_id) == 0) raced->push_back(u);
    }
  }
  if (update.user_id.empty()) return absl::OkStatus();
  // By primary key: the ids are those the locked read above found among
  // this tenant's users.
  return c.Exec(
      "UPDATE users u SET mapping_id = $1, dn = i.dn, username = i.username, "
      "user_principal_name = i.upn, email = i.email, display_name = i.display_name, "
      "groups = i.groups, disabled = i.disabled, last_seen_run = $2, "
      "imported_at = CASE WHEN i.same THEN u.imported_at ELSE i.imported_at END "
      "FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], "
      "$9::text[], $10::bool[], $11::bool[], $12::bigint[]) AS i(user_id, dn, username, "
      "upn, email, display_name, groups, disabled, same, imported_at) "
      "WHERE u.user_id = i.user_id",
      pg::Params().Text(m.mapping_id).Text(run_id)
          .TextArray(update.user_id).TextArray(update.dn).TextArray(update.username)
          .TextArray(update.upn).TextArray(update.email).TextArray(update.display_name)
          .TextArray(update.groups).BoolArray(update.disabled).BoolArray(update.same)
          .IntArray(update.imported_at)).status();
}

}  // namespace

absl::StatusOr<UpsertCounts> PostgresStore::UpsertUsers(const MappingRecord& mapping,
                                                        absl::string_view run_id,
                                                        const std::vector<UserRecord>& users) {
  for (const UserRecord& u : users) {
    if (u.tenant_id != mapping.tenant_id) return NotOfMappingTenant(u, mapping);
  }
  if (users.empty()) return UpsertCounts{};
  const auto rounds = Rounds(users);
  return InTransaction<UpsertCounts>([&](pg::Connection& c) -> absl::StatusOr<UpsertCounts> {
    // A chunk touches at most a page of users, each by a unique key: a
    // nested loop over the index is the right plan at any table size. The
    // planner, costing random reads high and lacking statistics during a
    // first import, would hash-join the whole table instead (10x slower
    // at 100k users). For this transaction only.
    RETURN_IF_ERROR(c.ExecScript("SET LOCAL enable_hashjoin = off; "
                                 "SET LOCAL enable_mergejoin = off"));
    UpsertCounts counts;
    for (const auto& round : rounds) {
      std::vector<const UserRecord*> todo = round;
      // A user raced in by another import is known on the next try; a
      // third race in a row is a store too busy to finish the chunk.
      for (int attempt = 0; !todo.empty(); ++attempt) {
        if (attempt == 3) return absl::UnavailableError("postgres: import chunk kept racing");
        std::vector<const UserRecord*> raced;
        RETURN_IF_ERROR(UpsertRound(c, mapping, run_id, todo, &counts, &raced));
        todo = std::move(raced);
      }
    }
    return counts;
  });
}

absl::StatusOr<uint64_t> PostgresStore::CountUnseen(const MappingRecord& m,
                                                    absl::string_view run_id) {
  ASSIGN_OR_RETURN(pg::Result r, Exec(
      "SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND mapping_id = $2 AND state = 1 "
      "AND last_seen_run <> $3",
      pg::Params().Text(m.tenant_id).Text(m.mapping_id).Text(run_id)));
  return static_cast<uint64_t>(r.Int(0, 0));
}

absl::StatusOr<uint64_t> PostgresStore::CountActive(const MappingRecord& m) {
  ASSIGN_OR_RETURN(pg::Result r, Exec(
      "SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND mapping_id = $2 AND state = 1",
      pg::Params().Text(m.tenant_id).Text(m.mapping_id)));
  return static_cast<uint64_t>(r.Int(0, 0));
}

absl::StatusOr<std::pair<uint64_t, uint64_t>> PostgresStore::ApplyRun(const MappingRecord& m,
                                                                      absl::string_view run_id,
                                                                      absl::Time now) {
  using Result = std::pair<uint64_t, uint64_t>;
  return InTransaction<Result>([&](pg::Connection& c) -> absl::StatusOr<Result> {
    const pg::Params p = pg::Params().Time(now).Text(m.tenant_id).Text(m.mapping_id).Text(run_id);
    ASSIGN_OR_RETURN(pg::Result marked, c.Exec(
        "UPDATE users SET state = 2, imported_at = $1 WHERE tenant_id = $2 AND mapping_id = $3 "
        "AND state = 1 AND last_seen_run <> $4", p));
    ASSIGN_OR_RETURN(pg::Result back, c.Exec(
        "UPDATE users SET state = 1, imported_at = $1 WHERE tenant_id = $2 AND mapping_id = $3 "
        "AND state = 2 AND last_seen_run = $4", p));
    return Result{marked.affected(), back.affected()};
  });
}

absl::StatusOr<std::vector<UserRecord>> PostgresStore::ListUsers(absl::string_view tenant_id,
                                                                 absl::string_view mapping_id,
                                                                 absl::string_view after_user_id,
                                                                 int limit) {
  if (limit < 1) {
    return absl::InvalidArgumentError(absl::StrCat("store: ListUsers limit ", limit, " is < 1"));
  }
  ASSIGN_OR_RETURN(pg::Result r, Exec(absl::StrCat(
      "SELECT ", kUserColumns, " FROM users WHERE tenant_id = $1 AND mapping_id = $2 "
      "AND user_id > $3 ORDER BY user_id LIMIT $4"),
      pg::Params().Text(tenant_id).Text(mapping_id).Text(after_user_id).Int(limit)));
  std::vector<UserRecord> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(ReadUser(r, i));
  return out;
}

absl::StatusOr<Activation> PostgresStore::Activate(const MappingRecord& mapping,
                                                   const UserRecord& user,
                                                   absl::string_view device_name, absl::Time now) {
  if (user.tenant_id != mapping.tenant_id) return NotOfMappingTenant(user, mapping);
  return InTransaction<Activation>([&](pg::Connection& c) -> absl::StatusOr<Activation> {
    Activation out;
    // Of activations racing on replicas, one INSERT makes the user; the
    // others wait on its unique key, do nothing, and read the one it made.
    const std::string fresh_id = NewId();
    ASSIGN_OR_RETURN(pg::Result made, c.Exec(absl::StrCat(
        "INSERT INTO users (", kUserColumns, ", last_seen_run) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, '') "
        "ON CONFLICT (tenant_id, directory_id) DO NOTHING RETURNING user_id"),
        pg::Params().Text(user.tenant_id).Text(fresh_id).Text(mapping.mapping_id)
            .Text(user.directory_id).Text(user.dn).Text(user.username)
            .Text(user.user_principal_name).Text(user.email).Text(user.display_name)
            .Text(JoinLines(user.groups)).Bool(user.disabled).Time(now)));
    if (made.rows() == 1) {
      out.user_id = fresh_id;
      out.user_created = true;
    } else {
      ASSIGN_OR_RETURN(pg::Result found, c.Exec(
          "SELECT user_id FROM users WHERE tenant_id = $1 AND directory_id = $2",
          pg::Params().Text(user.tenant_id).Text(user.directory_id)));
      if (found.rows() == 0) return absl::UnavailableError("postgres: activation raced a delete");
      out.user_id = found.Text(0, 0);
    }
    out.device_id = NewId();
    RETURN_IF_ERROR(c.Exec(
        "INSERT INTO devices (device_id, tenant_id, user_id, device_name, created_at) "
        "VALUES ($1, $2, $3, $4, $5)",
        pg::Params().Text(out.device_id).Text(user.tenant_id).Text(out.user_id)
            .Text(device_name).Time(now)).status());
    RETURN_IF_ERROR(c.Exec(
        "INSERT INTO device_counts (tenant_id, devices) VALUES ($1, 1) "
        "ON CONFLICT (tenant_id) DO UPDATE SET devices = device_counts.devices + 1",
        pg::Params().Text(user.tenant_id)).status());
    return out;
  });
}

}  // namespace dirbridge::cloud
