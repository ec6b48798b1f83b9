#include "cloud_svc/config/cloud_config_file.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "cloud_svc/config/cloud_flags.h"

namespace dirbridge::cloud {
namespace {

// The flag's text form of a YAML value: a scalar as written, a sequence of
// scalars comma-joined (how vector flags parse). False: no such form.
bool FlagText(const YAML::Node& node, std::string* text) {
  if (node.IsScalar()) {
    *text = node.Scalar();
    return true;
  }
  if (!node.IsSequence()) return false;
  std::vector<std::string> items;
  for (const YAML::Node& item : node) {
    if (!item.IsScalar()) return false;
    items.push_back(item.Scalar());
  }
  *text = absl::StrJoin(items, ",");
  return true;
}

}  // namespace

std::string ConfigFileFromArgv(int argc, char** argv) {
  std::string file;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "--")) absl::ConsumePrefix(&arg, "-");
    if (arg == "config" && i + 1 < argc) {
      file = argv[++i];
    } else if (absl::ConsumePrefix(&arg, "config=")) {
      file = std::string(arg);
    }
  }
  return file;
}

std::vector<std::string> ApplyConfigFile(const std::string& path) {
  std::string where = absl::StrCat("--config \"", path, "\"");
  YAML::Node root;
  // yaml-cpp reports by exception; none leaves this function.
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return {absl::StrCat(where, ": cannot read the file")};
  } catch (const YAML::Exception& e) {
    return {absl::StrCat(where, " is not valid YAML: ", e.what())};
  }
  if (root.IsNull()) return {};  // an empty file sets nothing
  if (!root.IsMap()) return {absl::StrCat(where, " must be a YAML map of flag: value")};
  std::vector<std::string> problems;
  std::set<std::string> seen;
  try {
    for (const auto& kv : root) {
      std::string key = kv.first.Scalar();
      // yaml-cpp would silently keep the first of two equal keys.
      if (!seen.insert(key).second) {
        problems.push_back(absl::StrCat(where, ": duplicate key \"", key, "\""));
        continue;
      }
      absl::CommandLineFlag* flag = absl::FindCommandLineFlag(key);
      if (flag == nullptr || !IsConfigFlag(*flag)) {
        problems.push_back(absl::StrCat(where, ": unknown key \"", key,
                                        "\" (the keys are cloud_svc's flag names)"));
        continue;
      }
      std::string text;
      std::string error;
      if (!FlagText(kv.second, &text)) {
        problems.push_back(
            absl::StrCat(where, ": \"", key, "\" must be a value or a list of values"));
      } else if (!flag->ParseFrom(text, &error)) {
        problems.push_back(absl::StrCat(where, ": \"", key, "\": ", error));
      }
    }
  } catch (const YAML::Exception& e) {
    problems.push_back(absl::StrCat(where, ": malformed value: ", e.what()));
  }
  return problems;
}

}  // namespace dirbridge::cloud
