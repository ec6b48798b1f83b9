#include "connector_svc/identity.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/tunnel_metadata.h"

namespace dirbridge::connector {
namespace {

std::string IdentityPath(const std::string& state_dir) {
  return state_dir + "/identity";
}

}  // namespace

void Identity::Authenticate(grpc::ClientContext& context) const {
  // Over TLS the client certificate speaks for the connector; the bearer
  // credential exists only on plaintext (--insecure) stacks.
  if (!credential.empty()) context.AddMetadata(kConnectorCredentialHeader, credential);
}

absl::Status EnsureStateDir(const std::string& state_dir) {
  if (mkdir(state_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create state dir \"", state_dir, "\": ", std::strerror(errno)));
  }
  struct stat st;
  if (stat(state_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("state dir \"", state_dir, "\" is not a directory"));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "state dir \"", state_dir, "\" is open to group or others; run: chmod 700 ",
        state_dir));
  }
  return absl::OkStatus();
}

absl::Status SaveIdentity(const std::string& state_dir, const Identity& id) {
  std::string path = IdentityPath(state_dir);
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write \"", tmp, "\": ", std::strerror(errno)));
  }
  std::string body = absl::StrCat("connector_id=", id.connector_id, "\n",
                                  "tenant_id=", id.tenant_id, "\n",
                                  "cloud_address=", id.cloud_address, "\n",
                                  "credential=", id.credential, "\n");
  bool ok = write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
  ok = fsync(fd) == 0 && ok;
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return absl::FailedPreconditionError(absl::StrCat("cannot write \"", path, "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<Identity> LoadIdentity(const std::string& state_dir) {
  std::string path = IdentityPath(state_dir);
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no identity in \"", state_dir,
        "\": register first with `connector_svc register --cloud HOST:PORT "
        "--key KEY --state_dir ", state_dir, "`"));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "\"", path, "\" holds a secret but is readable by group or others; "
        "run: chmod 600 ", path));
  }
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  Identity id;
  for (absl::string_view line : absl::StrSplit(ss.str(), '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    if (kv.first == "connector_id") id.connector_id = kv.second;
    if (kv.first == "tenant_id") id.tenant_id = kv.second;
    if (kv.first == "cloud_address") id.cloud_address = kv.second;
    if (kv.first == "credential") id.credential = kv.second;
  }
  if (id.connector_id.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", path, "\" is damaged; register again"));
  }
  return id;
}

}  // namespace dirbridge::connector
