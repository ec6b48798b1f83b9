#include "cloud_svc/server/startup_files.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace dirbridge::cloud {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::FailedPreconditionError(absl::StrCat("cannot read \"", path, "\""));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status PrepareDataDir(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create --data_dir \"", data_dir, "\": ", ec.message()));
  }
  chmod(data_dir.c_str(), 0700);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadOperatorToken(const std::string& path) {
  if (path.empty()) return std::string();
  absl::StatusOr<std::string> token = ReadFile(path);
  if (!token.ok()) return token.status();
  std::string stripped(absl::StripAsciiWhitespace(*token));
  if (stripped.size() < 16) {
    return absl::FailedPreconditionError(
        absl::StrCat("--operator_token_file \"", path, "\" holds fewer than 16 characters"));
  }
  return stripped;
}

absl::Status WritePortsFile(const std::string& path, int backend_port, int tunnel_port,
                            int peer_port) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << "backend=" << backend_port << "\ntunnel=" << tunnel_port << "\n";
    if (peer_port != 0) out << "peer=" << peer_port << "\n";
    if (!out) return absl::InternalError(absl::StrCat("cannot write \"", tmp, "\""));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot write \"", path, "\": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace dirbridge::cloud
