#include "tests/bench/report.h"

#include <grpcpp/grpcpp.h>
#include <ldap.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/version.h"
#include "tests/bench/measure.h"

namespace dirbridge::bench {
namespace {

std::string Mmm(const std::vector<double>& v, const char* fmt = "%.3g") {
  if (v.empty()) return "-";
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return absl::StrCat(absl::StrFormat(fmt, *lo), " / ", absl::StrFormat(fmt, Median(v)), " / ",
                      absl::StrFormat(fmt, *hi));
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

std::string JsonArray(const std::vector<double>& v) {
  return absl::StrCat("[", absl::StrJoin(v, ","), "]");
}

}  // namespace

void Report(const std::vector<Figure>& figs, const RunInfo& info, const std::string& json_path) {
  std::string machine = absl::StrCat(std::thread::hardware_concurrency(), " cores, ", CpuModel());
  std::string versions = absl::StrCat("dirbridge ", kVersion, ", gRPC ", grpc::Version(), ", ",
                                      OpenSSL_version(OPENSSL_VERSION), ", ", LDAP_VENDOR_NAME, " ",
                                      LDAP_VENDOR_VERSION);
  std::cout << "machine:  " << machine << "\nversions: " << versions << "\nsizes:    "
            << info.sizes << "\n\n";
  std::cout << absl::StrFormat("%-48s %-26s %-26s %-20s %-9s %s\n", "figure (min / median / max)",
                               "value", "floor", "ratio", "target", "note");
  std::string json = absl::StrCat("{\"machine\":\"", machine, "\",\"versions\":\"", versions,
                                  "\",\"figures\":[");
  for (size_t i = 0; i < figs.size(); ++i) {
    const Figure& f = figs[i];
    std::cout << absl::StrFormat("%-48s %-26s %-26s %-20s %-9s %s\n", f.name,
                                 Mmm(f.values) + " " + f.unit, Mmm(f.floors),
                                 f.ratios.empty() ? "-" : Mmm(f.ratios, "%.2f") + "x", f.target,
                                 f.note);
    absl::StrAppend(&json, i ? "," : "", "{\"name\":\"", f.name, "\",\"unit\":\"", f.unit,
                    "\",\"floor\":\"", f.floor_name, "\",\"target\":\"", f.target,
                    "\",\"values\":", JsonArray(f.values), ",\"floors\":", JsonArray(f.floors),
                    ",\"ratios\":", JsonArray(f.ratios), ",\"note\":\"", f.note, "\"}");
  }
  absl::StrAppend(&json, "]}\n");
  if (!json_path.empty()) std::ofstream(json_path) << json;
}

}  // namespace dirbridge::bench
