// One measured figure of the bench and how the run reports them: a table on
// stdout and, when asked, the same as JSON.
#ifndef DIRBRIDGE_TESTS_BENCH_REPORT_H_
#define DIRBRIDGE_TESTS_BENCH_REPORT_H_

#include <string>
#include <vector>

namespace dirbridge::bench {

struct Figure {
  Figure(std::string n, std::string u, std::string f, std::string t)
      : name(std::move(n)), unit(std::move(u)), floor_name(std::move(f)), target(std::move(t)) {}
  std::string name, unit, floor_name, target;
  std::vector<double> values, floors, ratios;
  std::string note;
};

// What the table's header says about the run besides the figures.
struct RunInfo {
  std::string sizes;  // "users=... repeats=..."
};

// Prints the table (min / median / max of every repeat) and writes JSON to
// `json_path` unless it is empty.
void Report(const std::vector<Figure>& figs, const RunInfo& info, const std::string& json_path);

}  // namespace dirbridge::bench

#endif  // DIRBRIDGE_TESTS_BENCH_REPORT_H_
