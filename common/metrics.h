#ifndef DIRBRIDGE_COMMON_METRICS_H_
#define DIRBRIDGE_COMMON_METRICS_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace dirbridge {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Counters, gauges and latency histograms in Prometheus' text format
// (version 0.0.4). One registry per process. Thread-safe.
class Metrics {
 public:
  static Metrics& Get();

  void Describe(const std::string& name, const std::string& type, const std::string& help);
  void Add(const std::string& name, const Labels& labels, double delta = 1);
  void Set(const std::string& name, const Labels& labels, double value);
  // Histogram in seconds, buckets from 1 ms to 30 s.
  void Observe(const std::string& name, const Labels& labels, double seconds);
  // Runs at every scrape, to set gauges that are cheaper to read than to track.
  void AddCollector(std::function<void(Metrics&)> collector);
  // Forgets every value of a gauge (before a collector sets it afresh).
  void ClearGauge(const std::string& name);

  std::string Render();

 private:
  struct Histogram {
    std::vector<double> counts;
    double sum = 0;
    double count = 0;
  };
  absl::Mutex mu_;
  std::map<std::string, std::pair<std::string, std::string>> meta_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::map<std::string, double>> values_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::map<std::string, Histogram>> histograms_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void(Metrics&)>> collectors_ ABSL_GUARDED_BY(mu_);
};

// GET /metrics over HTTP (cpp-httplib), on its own thread.
class MetricsServer {
 public:
  // "HOST:PORT"; port 0 picks one (see port()).
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& address);
  ~MetricsServer();
  int port() const { return port_; }

 private:
  MetricsServer() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_METRICS_H_
