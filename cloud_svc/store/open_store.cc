#include "cloud_svc/store/open_store.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cloud_svc/store/postgres/postgres_store.h"
#include "cloud_svc/store/sqlite_store.h"
#include "common/log.h"

namespace dirbridge::cloud {
namespace {

absl::StatusOr<std::string> ReadPassword(const std::string& path) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("--store_password_file \"", path, "\" cannot be read"));
  }
  if ((st.st_mode & 077) != 0) {
    spdlog::warn("event=store_password_file_open path=\"{}\" note=\"others may read it: "
                 "chmod 0600\"", path);
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) {
    return absl::FailedPreconditionError(
        absl::StrCat("--store_password_file \"", path, "\" cannot be read"));
  }
  // The password alone; the line end an editor adds is not part of it.
  std::string password = text.str();
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
    password.pop_back();
  }
  if (password.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("--store_password_file \"", path, "\" is empty"));
  }
  return password;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const CloudConfig& config) {
  if (config.store == "sqlite") {
    absl::StatusOr<std::unique_ptr<SqliteStore>> s =
        SqliteStore::Open(config.data_dir + "/cloud.db");
    if (!s.ok()) return s.status();
    return std::unique_ptr<Store>(std::move(*s));
  }
  PostgresOptions options;
  options.uri = config.store;
  if (!config.store_password_file.empty()) {
    absl::StatusOr<std::string> password = ReadPassword(config.store_password_file);
    if (!password.ok()) return password.status();
    options.password = std::move(*password);
  }
  // Every thread that may be in a store call at once, and the scheduler's.
  options.pool_size = config.store_threads + config.import_threads + 1;
  absl::StatusOr<std::unique_ptr<PostgresStore>> s = PostgresStore::Open(options);
  if (!s.ok()) {
    return absl::Status(s.status().code(),
                        absl::StrCat("--store \"", config.store, "\": ", s.status().message()));
  }
  // The URI holds no password (Validate refused one), so it may be logged.
  spdlog::info("event=store_opened kind=postgresql uri=\"{}\" pool={}", config.store,
               options.pool_size);
  return std::unique_ptr<Store>(std::move(*s));
}

}  // namespace dirbridge::cloud
